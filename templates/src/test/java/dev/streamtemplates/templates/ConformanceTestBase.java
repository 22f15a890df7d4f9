package dev.streamtemplates.templates;

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

  @Test
  public void matchesGoldenOutput() throws Exception {
    ConformanceHarness.check(template, runnerArgs(), work.getRoot().toPath());
  }
}
