package dev.streamtemplates.transforms.filter;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Counters;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.core.RunnerCapabilities;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
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
 * Deduplicate on the Direct runner with TestStream. Expected values by hand from the documented
 * semantics: a key's events in event-time order; the first opens a span [t0, t0 + span); keep
 * first keeps that event (Flink SQL keep-first deduplication, ORDER BY rowtime ASC, row number 1:
 * https://nightlies.apache.org/flink/flink-docs-stable/docs/dev/table/sql/queries/deduplication/),
 * keep last the span's latest (ORDER BY rowtime DESC), when the watermark passes the span's end;
 * the first event at or after t0 + span opens the next span.
 */
public class DeduplicateTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema EVENT = Schema.builder().addNullableField("id", FieldType.STRING).addInt32Field("v").build();

  static TimestampedValue<Row> event(String id, int v, double seconds) {
    return TimestampedValue.of(Row.withSchema(EVENT).addValues(id, v).build(), new Instant((long) (seconds * 1000)));
  }

  static final Duration TEN_SECONDS = Duration.standardSeconds(10);

  static PCollection<String> lines(PCollection<Row> rows) {
    return rows.apply("lines", MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("id") + " " + r.getInt32("v")));
  }

  static PCollection<String> errors(Result result) {
    return result.failures().apply("errors", MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("error")));
  }

  /** The counter's total in the {@code records} namespace, once settled ({@link Counters#settled}). */
  static long counter(PipelineResult result, String name) {
    return Counters.total(result, "records", name);
  }

  /**
   * Span 10 s, key x: v1 at 0, v2 at 3, v3 at 9.999, v4 at 10, v5 at 15, v6 at 25; key y: v7 at 5.
   * By hand: v1 opens [0, 10): v2 and v3 are duplicates; v4 at 10 is past it and opens [10, 20):
   * v5 is a duplicate; v6 at 25 opens [25, 35). Kept: v1, v4, v6, v7 (y's own span).
   * Arrival is out of order; the duplicates are dead letters naming the kept event.
   */
  @Test
  public void keepFirstKeepsTheEarliestEventOfEachSpanAndAnEventAfterTheSpanAgain() {
    TestStream<Row> events = TestStream.create(EVENT)
        .addElements(event("x", 3, 9.999), event("x", 2, 3), event("y", 7, 5))
        .addElements(event("x", 1, 0), event("x", 5, 15))
        .advanceWatermarkTo(new Instant(12_000))
        .addElements(event("x", 6, 25), event("x", 4, 10))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(Deduplicate.perKey("id").withSpan(TEN_SECONDS)
        .withDuplicates(Deduplicate.Duplicates.DEAD_LETTER).named("dedup"));
    PAssert.that(lines(result.output())).containsInAnyOrder("x 1", "x 4", "x 6", "y 7");
    String first = "duplicate: key 'x' kept its first event at 1970-01-01T00:00:00.000Z, and this one is in the span from"
        + " 1970-01-01T00:00:00.000Z to 1970-01-01T00:00:10.000Z (keep: first)";
    PAssert.that(errors(result)).containsInAnyOrder(first, first,
        "duplicate: key 'x' kept its first event at 1970-01-01T00:00:10.000Z, and this one is in the span from"
            + " 1970-01-01T00:00:10.000Z to 1970-01-01T00:00:20.000Z (keep: first)");
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertThat(counter(run, "dedup-duplicates"), equalTo(3L));
    assertThat(counter(run, "dedup-kept"), equalTo(4L));
    assertThat(counter(run, "dedup-dropped"), equalTo(0L));
  }

  /**
   * Keep last, span 10 s, key x: v1 at 0, v2 at 4, v3 and v8 at 9 (a tie: content order, v8
   * after v3), v4 at 12, v5 at 13; key y: v7 at 5. By hand: [0, 10) keeps its latest, v8
   * (v1, v2, v3 duplicates); [12, 22) keeps v5 (v4 a duplicate); y keeps v7. Duplicates dropped
   * and counted: 4.
   */
  @Test
  public void keepLastKeepsTheLatestEventOfEachSpanAndDropsTheOthersCounted() {
    TestStream<Row> events = TestStream.create(EVENT)
        .addElements(event("x", 5, 13), event("x", 8, 9), event("x", 1, 0))
        .addElements(event("y", 7, 5), event("x", 3, 9), event("x", 4, 12), event("x", 2, 4))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(Deduplicate.perKey("id").withSpan(TEN_SECONDS).withKeep(Deduplicate.Keep.LAST).named("dedup"));
    PAssert.that(lines(result.output())).containsInAnyOrder("x 8", "x 5", "y 7");
    PAssert.that(result.failures()).empty();
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertThat(counter(run, "dedup-duplicates"), equalTo(4L));
    assertThat(counter(run, "dedup-dropped"), equalTo(4L));
  }

  /**
   * Keep last, span 10 s. v1 at 0 and v2 at 4 arrive, the watermark passes 6 s; then v3 at 5
   * (behind the watermark, but the span [0, 10) is still open and 5 is after its latest, 4): it is
   * the latest now. v9 at 2 is before the latest: a duplicate at once. The watermark passes 10 s:
   * the span closes, keeping v3. Then v6 at 8 is late (its span is closed); v7 at 11 opens a new
   * span and is kept at the end.
   */
  @Test
  public void keepLastDecidesWhenTheSpanClosesAndLaterEventsForItAreLate() {
    TestStream<Row> events = TestStream.create(EVENT)
        .addElements(event("x", 1, 0), event("x", 2, 4))
        .advanceWatermarkTo(new Instant(6_000))
        .addElements(event("x", 3, 5), event("x", 9, 2))
        .advanceWatermarkTo(new Instant(10_500))
        .addElements(event("x", 6, 8), event("x", 7, 11))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(Deduplicate.perKey("id").withSpan(TEN_SECONDS).withKeep(Deduplicate.Keep.LAST)
        .withDuplicates(Deduplicate.Duplicates.DEAD_LETTER).named("dedup"));
    PAssert.that(lines(result.output())).containsInAnyOrder("x 3", "x 7");
    String later = "duplicate: key 'x' has a later event than this one in the span from 1970-01-01T00:00:00.000Z to 1970-01-01T00:00:10.000Z (keep: last)";
    PAssert.that(errors(result)).containsInAnyOrder(later, later, later,
        "late: event time 1970-01-01T00:00:08.000Z is before 1970-01-01T00:00:10.000Z, already deduplicated for key 'x'");
    pipeline.run().waitUntilFinish();
  }

  /**
   * Keep first, span 10 s: v1 at 0 is kept when the watermark passes it. v2 at 2 arrives behind the
   * watermark: in the open span, after the kept event, so a duplicate (not late). The watermark
   * passes 10 s and the span closes: v3 at 5 is late. A null key is a dead letter naming the field.
   */
  @Test
  public void keepFirstAfterTheSpanClosedIsLateAndANullKeyIsADeadLetter() {
    TestStream<Row> events = TestStream.create(EVENT)
        .addElements(event("x", 1, 0))
        .advanceWatermarkTo(new Instant(3_000))
        .addElements(event("x", 2, 2), event(null, 4, 1))
        .advanceWatermarkTo(new Instant(30_000))
        .addElements(event("x", 3, 5))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(Deduplicate.perKey("id").withSpan(TEN_SECONDS).named("dedup"));
    PAssert.that(lines(result.output())).containsInAnyOrder("x 1");
    PAssert.that(errors(result)).containsInAnyOrder("key field 'id' is null",
        "late: event time 1970-01-01T00:00:05.000Z is before 1970-01-01T00:00:10.000Z, already deduplicated for key 'x'");
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    assertThat(counter(run, "dedup-dropped"), equalTo(1L));
  }

  @Test
  public void badSettingsAreRefusedNamingTheValue() {
    assertThat(assertThrows(IllegalArgumentException.class, () -> Deduplicate.perKey("id").withSpan(Duration.ZERO)).getMessage(),
        containsString("span must be > 0, got span=PT0S"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> Deduplicate.perKey("nope").outputSchema(EVENT)).getMessage(),
        containsString("key fields [nope] are not in the input; fields are [id, v]"));
    PCollection<Row> rows = pipeline.apply(TestStream.create(EVENT).advanceWatermarkToInfinity());
    assertThat(assertThrows(IllegalArgumentException.class, () -> rows.apply(Deduplicate.perKey("id"))).getMessage(),
        containsString("call withSpan(duration)"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }

  @Test
  public void refusedWhereTheRunnerHasNoEventTimeTimersInStreaming() {
    RunnerCapabilities options = PipelineOptionsFactory.create().as(RunnerCapabilities.class);
    options.setEventTimeTimersInStreaming(false);
    options.as(StreamingOptions.class).setStreaming(true);
    PCollection<Row> rows = Pipeline.create(options).apply(TestStream.create(EVENT).advanceWatermarkToInfinity());
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> rows.apply(Deduplicate.perKey("id").withSpan(TEN_SECONDS)));
    assertThat(refused.getMessage(), containsString("Deduplicate needs event-time timers, which the Spark runner does not support in streaming mode"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
