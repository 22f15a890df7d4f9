package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.streamtemplates.pipelines.launcher.Launcher;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;

import dev.streamtemplates.pipelines.launcher.Catalog;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * The conformance run of every catalogue template on one runner; each runner module subclasses
 * it with its runner's options. See {@link ConformanceHarness}.
 */
@RunWith(Parameterized.class)
public abstract class ConformanceTestBase {
  @Rule public final TemporaryFolder work = new TemporaryFolder();

  @Parameter public String template;

  @Parameters(name = "{0}")
  public static List<String> templates() {
    return Catalog.names();
  }

  /** The runner and its options, e.g. {@code --runner=FlinkRunner --flinkMaster=[local]}. */
  protected abstract List<String> runnerArgs();

  /**
   * Why this runner refuses the template at launch (a part of the one-line message), or null
   * when it runs it. A refused template is checked to be refused with that message instead.
   */
  protected String refusal(String template) {
    return null;
  }

  /** Whether the catalogue template has a step of this type. */
  public static boolean hasStepType(String template, String type) {
    return Catalog.load(template).resolve(java.util.Map.of(dev.streamtemplates.pipelines.spec.TemplateSpec.HOME, ConformanceHarness.repoRoot().toString()))
        .items("steps").stream().anyMatch(s -> type.equals(s.text("type", "")));
  }

  @Test
  public void matchesGoldenOutput() throws Exception {
    String refusal = refusal(template);
    if (refusal != null) {
      ByteArrayOutputStream output = new ByteArrayOutputStream();
      List<String> args = new ArrayList<>(List.of(template, "--home=" + ConformanceHarness.repoRoot(),
          "--outputDir=" + work.getRoot().toPath().resolve("out")));
      args.addAll(runnerArgs());
      int code = new Launcher(new PrintStream(output, true, StandardCharsets.UTF_8)).main(args.toArray(new String[0]));
      String out = output.toString(StandardCharsets.UTF_8);
      assertThat(out, code, equalTo(Launcher.USAGE));
      assertThat(out, containsString(refusal));
      return;
    }
    ConformanceHarness.check(template, runnerArgs(), work.getRoot().toPath());
  }
}
