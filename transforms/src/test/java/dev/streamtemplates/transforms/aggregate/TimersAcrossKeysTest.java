package dev.streamtemplates.transforms.aggregate;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;

/**
 * Keys whose timers fire at the same times, re-armed from {@code @OnTimer}, with a windowed
 * GroupByKey after them (the ranking of a sliding top-N): every key's every window reaches the
 * ranking, run after run, on the Direct runner.
 *
 * <p>The Direct runner (2.70) keeps a step's pending timers in one multiset without their key;
 * a timer re-armed in {@code @OnTimer} and fired in the same bundle (at the end of the input,
 * next to the step's garbage-collection timer) had the fired timer removed twice, taking another
 * key's identical timer and its watermark hold with it: that key's later results came behind the
 * watermark and the ranking dropped them. Timer ids per key ({@link
 * dev.streamtemplates.transforms.time.KeyTimers}) make no two keys' timers identical.
 *
 * <p>Whether a hold is lost depends on thread timing, so this test catches the old behaviour only
 * sometimes: a busy key whose windows take a long bundle to emit makes it likelier. Measured
 * before the change, 20 runs each: this busy key lost all its 300 windows in 3 runs; the
 * {@code top-n-spenders} spec tests failed 14 of 420 runs (none of 200 after). {@code
 * KeyTimersTest} is the guard that always fails on a plain {@code @TimerId} timer; this is the
 * behaviour itself ({@code -Dtk.runs=20} for a longer look).
 */
public class TimersAcrossKeysTest {
  static final Schema EVENT = Schema.builder().addStringField("user").addDoubleField("amount").build();
  static final int KEYS = 4;
  static final int RUNS = Integer.getInteger("tk.runs", 4);
  static final int BUSY_MINUTES = Integer.getInteger("tk.busy", 300);
  static final long BASE = 1_714_550_400_000L; // 2024-05-01T08:00:00Z
  static final Map<String, List<String>> RANKED = new ConcurrentHashMap<>();

  /** Records each ranked row of a run. */
  static final class Record extends DoFn<Row, Void> {
    private final String run;

    Record(String run) {
      this.run = run;
    }

    @ProcessElement
    public void process(@Element Row row) {
      RANKED.computeIfAbsent(run, r -> java.util.Collections.synchronizedList(new ArrayList<>()))
          .add(row.getString("user") + " " + row.getDateTime("windowEnd").getMillis());
    }
  }

  @Test
  public void slidingTopNRanksEveryKeysEveryWindowInEveryRun() {
    // One busy key with a purchase every minute for BUSY_MINUTES minutes (its windows take a long
    // bundle to emit), and quick keys with one purchase in the first minute; every key's first
    // timer fires at the same time. Two-minute windows sliding by a minute: the busy key has
    // BUSY_MINUTES + 1 windows, each quick key two.
    TreeMap<String, Integer> expected = new TreeMap<>();
    for (long end = 1; end <= BUSY_MINUTES + 1; end++) {
      expected.put(String.format("busy %d", BASE + end * 60_000), 1);
    }
    for (int k = 0; k < KEYS; k++) {
      for (long end = 1; end <= 2; end++) {
        expected.put(String.format("k%02d %d", k, BASE + end * 60_000), 1);
      }
    }
    List<String> failures = new ArrayList<>();
    for (int run = 0; run < RUNS; run++) {
      Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
      TestStream.Builder<Row> events = TestStream.create(EVENT);
      for (int minute = 0; minute < BUSY_MINUTES; minute++) {
        events = events.addElements(TimestampedValue.of(Row.withSchema(EVENT).addValues("busy", 1000.0).build(), new Instant(BASE + minute * 60_000 + 30_000)));
      }
      for (int k = 0; k < KEYS; k++) {
        events = events.addElements(TimestampedValue.of(Row.withSchema(EVENT).addValues(String.format("k%02d", k), 10.0 + k).build(), new Instant(BASE + 5_000 + k * 500)));
      }
      String id = "run" + run;
      pipeline.apply(events.advanceWatermarkToInfinity())
          .apply(WindowedAggregate.perKey("user")
              .withWindowing(Windowing.sliding(Duration.standardMinutes(2), Duration.standardMinutes(1)))
              .withAggregations(Aggregation.of("sum", "amount").as("total"))
              .withTopN(KEYS + 1, "total"))
          .output()
          .apply(ParDo.of(new Record(id)));
      pipeline.run().waitUntilFinish();
      TreeMap<String, Integer> got = new TreeMap<>();
      RANKED.getOrDefault(id, List.of()).forEach(line -> got.merge(line, 1, Integer::sum));
      if (!got.equals(expected)) {
        TreeMap<String, Integer> missing = new TreeMap<>(expected);
        got.forEach((line, n) -> missing.remove(line));
        failures.add("run " + run + ": " + got.size() + " of " + expected.size() + " ranked; missing " + missing.size() + ", first " + missing.firstKey());
      }
    }
    assertEquals(String.join("\n", failures), 0, failures.size());
  }
}
