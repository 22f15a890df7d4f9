package dev.streamtemplates.runners;

import dev.streamtemplates.templates.DeterministicAggregatesTestBase;
import java.util.List;

/** Aggregates with one answer (global every N, count-window ties, quantiles, integer sums), from a spec, on the Spark runner in batch. */
public class SparkDeterministicAggregatesTest extends DeterministicAggregatesTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=SparkRunner", "--sparkMaster=local[2]");
  }
}
