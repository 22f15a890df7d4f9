package dev.streamtemplates.runners;

import dev.streamtemplates.templates.CompositionMatrixTestBase;
import java.util.List;

/** The composition matrix on the Spark runner in batch. */
public class SparkCompositionMatrixTest extends CompositionMatrixTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=SparkRunner", "--sparkMaster=local[2]");
  }
}
