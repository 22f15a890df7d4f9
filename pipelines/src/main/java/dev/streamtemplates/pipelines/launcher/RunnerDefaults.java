package dev.streamtemplates.pipelines.launcher;

import dev.streamtemplates.transforms.core.RunnerCapabilities;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import org.apache.beam.sdk.options.PipelineOptions;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A runner bundle's default settings, from {@code runner-defaults.properties} on its classpath:
 * the runner, its options interface (for {@code --help}), and default pipeline options such as
 * {@code flinkMaster=[local]}. Options given on the command line win.
 */
public final class RunnerDefaults {
  private final Properties properties;

  private RunnerDefaults(Properties properties) {
    this.properties = properties;
  }

  public static RunnerDefaults load() {
    return new RunnerDefaults(RunnerCapabilities.bundleDefaults());
  }

  /** The bundle's runner, e.g. {@code FlinkRunner}; DirectRunner when there is no bundle file. */
  public String runner() {
    return properties.getProperty("runner", "DirectRunner");
  }

  /** The runner's options interface, or null. */
  @SuppressWarnings("unchecked")
  public @Nullable Class<? extends PipelineOptions> optionsClass() {
    String name = properties.getProperty("optionsClass");
    if (name == null) {
      return null;
    }
    try {
      return (Class<? extends PipelineOptions>) Class.forName(name);
    } catch (ClassNotFoundException e) {
      return null;
    }
  }

  /** Default options as {@code --key=value}, skipping those the user set. */
  public List<String> argsNotIn(java.util.Set<String> given) {
    List<String> args = new ArrayList<>();
    for (String key : new TreeSet<>(properties.stringPropertyNames())) {
      if (key.equals("optionsClass") || given.contains(key)) {
        continue;
      }
      args.add("--" + key + "=" + properties.getProperty(key));
    }
    return args;
  }
}
