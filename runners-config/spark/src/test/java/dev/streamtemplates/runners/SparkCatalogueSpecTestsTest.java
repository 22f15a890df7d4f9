package dev.streamtemplates.runners;

import dev.streamtemplates.templates.CatalogueSpecTestsBase;
import java.util.List;

/** Every catalogue template's own tests on the Spark runner: bounded input, cases that advance the watermark skipped. */
public class SparkCatalogueSpecTestsTest extends CatalogueSpecTestsBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=SparkRunner");
  }
}
