package dev.streamtemplates.runners;

import dev.streamtemplates.templates.ConformanceTestBase;
import java.util.List;

/** Every catalogue template, end to end on the Spark runner in batch, against the same golden output as Direct. */
public class SparkConformanceTest extends ConformanceTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=SparkRunner", "--sparkMaster=local[2]");
  }

  /** Spark 3.5's bundle carries Scala 2.12; the PMML evaluator of the Score step needs 2.13, so Score is refused at launch. */
  @Override
  protected String refusal(String template) {
    return hasStepType(template, "Score") ? "Score cannot run on this runner bundle" : null;
  }
}
