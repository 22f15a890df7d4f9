package dev.streamtemplates.runners;

import dev.streamtemplates.templates.CompositionMatrixTestBase;
import java.util.List;

/** The composition matrix on the Flink runner in batch. */
public class FlinkCompositionMatrixTest extends CompositionMatrixTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2");
  }
}
