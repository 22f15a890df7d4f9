package dev.streamtemplates.runners;

import dev.streamtemplates.templates.ConformanceTestBase;
import java.util.List;

/** Every catalogue template, end to end on the Flink runner in batch, against the same golden output as Direct. */
public class FlinkConformanceTest extends ConformanceTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2");
  }
}
