package dev.streamtemplates.transforms.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;

/**
 * What the runner can do, as its runner bundle declares it, so that transforms ask about a
 * capability and never about which runner they are on.
 *
 * <p>A bundle declares its capabilities in {@code runner-defaults.properties} on its classpath
 * (e.g. the Spark bundle: {@code eventTimeTimersInStreaming=false}); the launcher passes that
 * file's entries as options, and a pipeline built without the launcher reads the same file as the
 * option's default. An option given on the command line wins.
 */
public interface RunnerCapabilities extends PipelineOptions {
  @Description("Whether the runner fires event-time timers in streaming mode. Set by the runner bundle;"
      + " transforms that need them are refused at launch where this is false.")
  @Default.InstanceFactory(FromRunnerBundle.class)
  Boolean getEventTimeTimersInStreaming();

  void setEventTimeTimersInStreaming(Boolean value);

  @Description("Whether the runner can read bounded sources (files) in a streaming job. Set by the runner bundle;"
      + " a file source in streaming mode is refused at launch where this is false.")
  @Default.InstanceFactory(FileSourcesFromRunnerBundle.class)
  Boolean getFileSourcesInStreaming();

  void setFileSourcesInStreaming(Boolean value);

  /**
   * The runner bundle's {@code runner-defaults.properties} on the classpath (empty without a
   * bundle): read here for the capabilities' defaults, and by the launcher for its defaults.
   */
  static Properties bundleDefaults() {
    Properties properties = new Properties();
    try (InputStream in = RunnerCapabilities.class.getResourceAsStream("/runner-defaults.properties")) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return properties;
  }

  /** The default of a capability: the runner bundle's {@code runner-defaults.properties}, else true. */
  final class FromRunnerBundle implements DefaultValueFactory<Boolean> {
    @Override
    public Boolean create(PipelineOptions options) {
      return Boolean.parseBoolean(bundleDefaults().getProperty("eventTimeTimersInStreaming", "true"));
    }
  }

  /** The default of {@link #getFileSourcesInStreaming}: the runner bundle's entry, else true. */
  final class FileSourcesFromRunnerBundle implements DefaultValueFactory<Boolean> {
    @Override
    public Boolean create(PipelineOptions options) {
      return Boolean.parseBoolean(bundleDefaults().getProperty("fileSourcesInStreaming", "true"));
    }
  }

  /**
   * Registers these options, so that {@code --eventTimeTimersInStreaming} parses on every runner;
   * listed in {@code META-INF/services/org.apache.beam.sdk.options.PipelineOptionsRegistrar}.
   */
  final class Registrar implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      return List.of(RunnerCapabilities.class);
    }
  }
}
