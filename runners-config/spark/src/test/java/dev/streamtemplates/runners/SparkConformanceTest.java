package dev.streamtemplates.runners;

import dev.streamtemplates.templates.ConformanceTestBase;
import java.util.List;

/** Every catalogue template, end to end on the Spark runner in batch, against the same golden output as Direct. */
public class SparkConformanceTest extends ConformanceTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=SparkRunner", "--sparkMaster=local[2]");
  }
}
