package dev.streamtemplates.templates;

import dev.streamtemplates.pipelines.launcher.Catalog;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/** Every catalogue template, end to end on the Direct runner in batch, against its golden output. */
@RunWith(Parameterized.class)
public class DirectConformanceTest {
  @Rule public final TemporaryFolder work = new TemporaryFolder();

  @Parameters(name = "{0}")
  public static List<String> templates() {
    return Catalog.names();
  }

  private final String template;

  public DirectConformanceTest(String template) {
    this.template = template;
  }

  @Test
  public void matchesGoldenOutputOnDirectRunner() throws Exception {
    ConformanceHarness.check(template, List.of("--runner=DirectRunner"), work.getRoot().toPath());
  }
}
