package dev.streamtemplates.runners;

import dev.streamtemplates.pipelines.launcher.Catalog;
import dev.streamtemplates.templates.ConformanceHarness;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/** Every catalogue template, end to end on the Flink runner in batch, against the same golden output as Direct. */
@RunWith(Parameterized.class)
public class FlinkConformanceTest {
  @Rule public final TemporaryFolder work = new TemporaryFolder();

  @Parameters(name = "{0}")
  public static List<String> templates() {
    return Catalog.names();
  }

  private final String template;

  public FlinkConformanceTest(String template) {
    this.template = template;
  }

  @Test
  public void matchesGoldenOutputOnFlink() throws Exception {
    ConformanceHarness.check(template, RUNNER_ARGS, work.getRoot().toPath());
  }

  static final List<String> RUNNER_ARGS = List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2");
}
