package dev.streamtemplates.transforms.aggregate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.core.RunnerCapabilities;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

/**
 * Per-event (OVER) windows on the Direct runner with TestStream. Every expected value is worked
 * out by hand in the comments from Flink SQL's documented OVER semantics
 * (https://nightlies.apache.org/flink/flink-docs-stable/docs/dev/table/sql/queries/over-agg/):
 * RANGE: "all rows with a time attribute of at most [range] less than the current row are
 * included", so the window of an event at t is [t - range, t], and rows with the same time
 * (peers) are all in each other's window; ROWS BETWEEN n PRECEDING AND CURRENT ROW: the current
 * row and the n before it. Flink processes rows in event-time order once the watermark passes
 * them and drops a row whose time is not after the last one processed (late).
 */
public class PerEventAggregateTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema READING = Schema.builder().addStringField("sensor").addDoubleField("value").build();

  static TimestampedValue<Row> reading(String sensor, double value, double seconds) {
    return TimestampedValue.of(Row.withSchema(READING).addValues(sensor, value).build(), new Instant((long) (seconds * 1000)));
  }

  static PerEventAggregate sumCountMax() {
    return PerEventAggregate.perKey("sensor")
        .withAggregations(Aggregation.count().as("n"), Aggregation.of("sum", "value").as("total"), Aggregation.of("max", "value").as("top"))
        .named("over");
  }

  /** "sensor value: n total top" per output row. */
  static PCollection<String> lines(PCollection<Row> rows) {
    return rows.apply("lines", MapElements.into(TypeDescriptors.strings())
        .via(r -> r.getString("sensor") + " " + r.getDouble("value") + ": " + r.getInt64("n") + " " + r.getDouble("total") + " " + r.getDouble("top")));
  }

  static PCollection<String> errors(Result result) {
    return result.failures().apply("errors", MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("step") + ": " + r.getString("error")));
  }

  /**
   * Range 10 s, sensor a: 1 at 0 s, 2 and 4 at 5 s (peers), 3 at 10 s, 10 at 11 s, 5 at 20 s;
   * sensor b: 7 at 3 s. By hand:
   * at 0: [-10, 0] = {1}: n 1, sum 1, max 1;
   * at 5: [-5, 5] = {1, 2, 4}, the same for both peers: n 3, sum 7, max 4;
   * at 10: [0, 10] = {1, 2, 4, 3} (0 s is included: "at most 10 s less"): n 4, sum 10, max 4;
   * at 11: [1, 11] = {2, 4, 3, 10}: n 4, sum 19, max 10;
   * at 20: [10, 20] = {3, 10, 5}: n 3, sum 18, max 10;
   * b at 3: {7}: n 1, sum 7, max 7.
   */
  static final String[] RANGE_10S = {
      "a 1.0: 1 1.0 1.0", "a 2.0: 3 7.0 4.0", "a 4.0: 3 7.0 4.0", "a 3.0: 4 10.0 4.0", "a 10.0: 4 19.0 10.0", "a 5.0: 3 18.0 10.0",
      "b 7.0: 1 7.0 7.0"};

  @Test
  public void rangeIncludesItsLowerBoundAndGivesPeersTheSameAggregates() {
    TestStream<Row> events = TestStream.create(READING)
        .addElements(reading("a", 1, 0), reading("a", 2, 5), reading("a", 4, 5), reading("b", 7, 3))
        .addElements(reading("a", 3, 10), reading("a", 10, 11), reading("a", 5, 20))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(sumCountMax().overRange(Duration.standardSeconds(10)));
    PAssert.that(lines(result.output())).containsInAnyOrder(RANGE_10S);
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void outOfOrderArrivalIsPutInEventTimeOrderBeforeTheWatermarkPassesIt() {
    TestStream<Row> events = TestStream.create(READING)
        .addElements(reading("a", 5, 20), reading("a", 3, 10))
        .addElements(reading("a", 4, 5), reading("b", 7, 3))
        .advanceWatermarkTo(new Instant(-1))
        .addElements(reading("a", 10, 11), reading("a", 1, 0))
        .advanceWatermarkTo(new Instant(4_000))
        .addElements(reading("a", 2, 5))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(sumCountMax().overRange(Duration.standardSeconds(10)));
    PAssert.that(lines(result.output())).containsInAnyOrder(RANGE_10S);
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  /**
   * Rows 3 (ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), sensor a: 1 at 1 s, 2 at 2 s, 3 and 5 at
   * 3 s, 4 at 4 s. The two at 3 s are taken in the order of their content (3 before 5). By hand:
   * {1}: n 1, sum 1; {1, 2}: 2, 3; {1, 2, 3}: 3, 6; {2, 3, 5}: 3, 10; {3, 5, 4}: 3, 12.
   */
  @Test
  public void rowsHoldTheCurrentEventAndTheOnesBeforeItTiesInContentOrder() {
    TestStream<Row> events = TestStream.create(READING)
        .addElements(reading("a", 4, 4), reading("a", 5, 3), reading("a", 1, 1))
        .addElements(reading("a", 3, 3), reading("a", 2, 2))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(sumCountMax().overRows(3));
    PAssert.that(lines(result.output()))
        .containsInAnyOrder("a 1.0: 1 1.0 1.0", "a 2.0: 2 3.0 2.0", "a 3.0: 3 6.0 3.0", "a 5.0: 3 10.0 5.0", "a 4.0: 3 12.0 5.0");
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  /**
   * Range 10 s: 1 at 0 s and 2 at 10 s are emitted when the watermark passes 15 s. Then 100 at
   * 5 s (before the last emitted time) and 50 at 10 s (a peer of one already emitted: its
   * aggregates would change) are late, as in Flink (a row must be after the last processed time).
   * 3 at 12 s is behind the watermark but after 10 s: still used, over [2, 12] = {2, 3}: n 2,
   * sum 5. By hand: 0 s: {1}; 10 s: [0, 10] = {1, 2}: n 2, sum 3.
   * Then the watermark passes 12 + 10 s: sensor a's window is discarded, and 9 at 22 s (whose
   * window [12, 22] would need the event at 12 s) is late; 8 at 22.001 s is not: {8}.
   */
  @Test
  public void eventsNotAfterWhatTheKeyEmittedAreLateDeadLetters() {
    TestStream<Row> events = TestStream.create(READING)
        .addElements(reading("a", 1, 0), reading("a", 2, 10))
        .advanceWatermarkTo(new Instant(15_000))
        .addElements(reading("a", 100, 5), reading("a", 50, 10), reading("a", 3, 12))
        .advanceWatermarkTo(new Instant(60_000))
        .addElements(reading("a", 9, 22), reading("a", 8, 22.001))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(sumCountMax().overRange(Duration.standardSeconds(10)));
    PAssert.that(lines(result.output())).containsInAnyOrder("a 1.0: 1 1.0 1.0", "a 2.0: 2 3.0 2.0", "a 3.0: 2 5.0 3.0", "a 8.0: 1 8.0 8.0");
    PAssert.that(errors(result)).containsInAnyOrder(
        "over: late: event time 1970-01-01T00:00:05.000Z is before 1970-01-01T00:00:10.001Z, already aggregated for key [a]",
        "over: late: event time 1970-01-01T00:00:10.000Z is before 1970-01-01T00:00:10.001Z, already aggregated for key [a]",
        "over: late: event time 1970-01-01T00:00:22.000Z is before 1970-01-01T00:00:22.001Z, already aggregated for key [a]");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void badSettingsAreRefusedNamingTheValue() {
    assertThat(assertThrows(IllegalArgumentException.class, () -> sumCountMax().overRows(0)).getMessage(), containsString("rows=0"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> sumCountMax().overRange(Duration.ZERO)).getMessage(), containsString("range=PT0S"));
    PerEventAggregate clash = PerEventAggregate.perKey("sensor").overRows(2).withAggregations(Aggregation.of("max", "value").as("value"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> clash.outputSchema(READING)).getMessage(),
        containsString("aggregates [value] have the names of input fields"));
    PCollection<Row> rows = pipeline.apply(TestStream.create(READING).advanceWatermarkToInfinity());
    assertThat(assertThrows(IllegalArgumentException.class, () -> rows.apply(sumCountMax())).getMessage(),
        containsString("call overRange(duration) or overRows(n)"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }

  @Test
  public void refusedWhereTheRunnerHasNoEventTimeTimersInStreaming() {
    RunnerCapabilities options = PipelineOptionsFactory.create().as(RunnerCapabilities.class);
    options.setEventTimeTimersInStreaming(false);
    options.as(StreamingOptions.class).setStreaming(true);
    PCollection<Row> rows = Pipeline.create(options).apply(TestStream.create(READING).advanceWatermarkToInfinity());
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> rows.apply(sumCountMax().overRows(3)));
    assertThat(refused.getMessage(), containsString("per-event windows need event-time timers, which the Spark runner does not support in streaming mode"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
