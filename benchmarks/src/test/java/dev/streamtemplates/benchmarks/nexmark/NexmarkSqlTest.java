package dev.streamtemplates.benchmarks.nexmark;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.Map;
import org.junit.Test;

/**
 * The native Flink SQL baseline plans in batch on Flink 1.19 (a planner or SQL change that breaks
 * it fails here, not in a benchmark run). That its answers agree with the template's is checked by
 * the benchmark itself on every run (same result count and checksum, or it stops); running a query
 * here would take over 10 s of mini cluster and code generation.
 */
public class NexmarkSqlTest {
  @Test
  public void everyQueryPlansInBatch() {
    Map<String, String> plans = NexmarkSql.explain(NexmarkQueries.ids(), GeneratorConfig.of(1_000));
    assertEquals(NexmarkQueries.ids(), new ArrayList<>(plans.keySet()));
    assertThat(plans.get("q3"), containsString("HashJoin(joinType=[InnerJoin]"));
    assertThat(plans.get("q5"), containsString("HOP(time_col=[ts], size=[10 s], slide=[2 s])"));
    assertThat(plans.get("q7"), containsString("TUMBLE(time_col=[ts], size=[10 s])"));
    assertThat(plans.get("q11"), containsString("LAG(ts)"));
  }
}
