package dev.streamtemplates.runners;

import dev.streamtemplates.templates.CatalogueSpecTestsBase;
import java.util.List;

/** Every catalogue template's own tests on the Spark runner: bounded input, cases that advance the watermark skipped. */
public class SparkCatalogueSpecTestsTest extends CatalogueSpecTestsBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=SparkRunner");
  }

  /** Spark 3.5's bundle carries Scala 2.12; the PMML evaluator of the Score step needs 2.13, so Score is refused at launch. */
  @Override
  protected String refusal(String template) {
    return dev.streamtemplates.templates.ConformanceTestBase.hasStepType(template, "Score") ? "Score cannot run on this runner bundle" : null;
  }
}
