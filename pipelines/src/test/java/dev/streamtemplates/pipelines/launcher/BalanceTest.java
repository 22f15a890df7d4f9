package dev.streamtemplates.pipelines.launcher;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import java.util.Map;
import org.junit.Test;

/** Which steps keep the account record for record: a Deduplicate and a per-event Aggregate do, a windowed Aggregate does not. */
public class BalanceTest {
  static SpecNode spec(String window) {
    return TemplateSpec.parse("balance-demo", "name: balance-demo\n"
        + "description: Readings deduplicated and aggregated.\n"
        + "sources:\n"
        + "  - {name: readings, type: file, path: in.jsonl, format: json, schema: {sensor: string, seq: int, at: timestamp}}\n"
        + "steps:\n"
        + "  - {name: unique, type: Deduplicate, input: readings, key: [sensor, seq], within: 1m}\n"
        + "  - {name: moving, type: Aggregate, input: unique, key: sensor, window: " + window + ", aggregates: {n: count}}\n"
        + "sinks:\n"
        + "  - {name: out, input: moving, type: file, format: json, path: out/rows}\n"
        + "deadLetter: {type: file, format: json, path: dlq/dead}\n").resolve(Map.of());
  }

  @Test
  public void deduplicateThenPerEventAggregateIsRecordForRecordAndHolds() {
    Balance balance = Balance.of(spec("{type: perEvent, rows: 3}"),
        Map.of("readings-records", 15L, "unique-dropped", 2L, "out-written", 12L), Map.of("readings", 1L, "unique", 1L));
    assertThat(balance.shape(), equalTo(Balance.Shape.RECORD_FOR_RECORD));
    assertThat(balance.describe(), equalTo("  balance: read 16 = written 12 + dead-lettered 2 + dropped on purpose 2: holds"));
  }

  @Test
  public void aWindowedAggregateWritesResults() {
    assertThat(Balance.of(spec("{type: tumbling, size: 1m}"), Map.of("readings-records", 15L), Map.of()).shape(), equalTo(Balance.Shape.RESULTS));
  }
}
