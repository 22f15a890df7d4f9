package dev.streamtemplates.runners;

import dev.streamtemplates.templates.DeterministicAggregatesTestBase;
import java.util.List;

/** Aggregates with one answer (global every N, count-window ties, quantiles, integer sums), from a spec, on the Flink runner in batch. */
public class FlinkDeterministicAggregatesTest extends DeterministicAggregatesTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2");
  }
}
