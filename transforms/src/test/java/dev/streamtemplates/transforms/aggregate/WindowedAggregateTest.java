package dev.streamtemplates.transforms.aggregate;

import static org.junit.Assert.assertEquals;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.aggregate.WindowedAggregate.LatePolicy;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

public class WindowedAggregateTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema PAYMENT =
      Schema.builder().addStringField("user").addNullableField("amount", FieldType.DOUBLE).addStringField("status").build();

  static TimestampedValue<Row> pay(String user, Double amount, long seconds) {
    return pay(user, amount, "OK", seconds);
  }

  static TimestampedValue<Row> pay(String user, Double amount, String status, long seconds) {
    return TimestampedValue.of(Row.withSchema(PAYMENT).addValues(user, amount, status).build(), new Instant(seconds * 1000));
  }

  static final Duration MINUTE = Duration.standardMinutes(1);

  static WindowedAggregate sumPerUser() {
    return WindowedAggregate.perKey("user")
        .withWindowing(Windowing.tumbling(MINUTE))
        .withAggregations(Aggregation.of("sum", "amount").as("total"), Aggregation.count().as("n"));
  }

  /** "user [start,end) total n PANE". */
  static PCollection<String> summary(PCollection<Row> rows) {
    return summary(rows, "summary");
  }

  static PCollection<String> summary(PCollection<Row> rows, String name) {
    return rows.apply(name, MapElements.into(TypeDescriptors.strings()).via(r ->
        r.getString("user") + " [" + r.getDateTime("windowStart").getMillis() / 1000 + "," + r.getDateTime("windowEnd").getMillis() / 1000 + ") "
            + r.getDouble("total") + " " + r.getInt64("n") + " " + r.getString("pane")));
  }

  @Test
  public void outOfOrderEventsAreAggregatedWhenTheWatermarkPassesTheWindowEnd() {
    TestStream<Row> events = TestStream.create(PAYMENT)
        .addElements(pay("ann", 5.0, 50), pay("bob", 1.0, 70), pay("ann", 2.0, 10))
        .advanceWatermarkTo(new Instant(30_000))
        .addElements(pay("ann", 3.0, 59), pay("ann", 100.0, 61))
        .advanceWatermarkToInfinity();
    PCollection<Row> out = pipeline.apply(events).apply(sumPerUser()).output();
    PAssert.that(summary(out)).containsInAnyOrder("ann [0,60) 10.0 3 ON_TIME", "ann [60,120) 100.0 1 ON_TIME", "bob [60,120) 1.0 1 ON_TIME");
    pipeline.run().waitUntilFinish();
  }

  static TestStream<Row> lateStream() {
    return TestStream.create(PAYMENT)
        .addElements(pay("ann", 5.0, 10), pay("ann", 7.0, 20))
        .advanceWatermarkTo(new Instant(90_000)) // window [0,60) closes on time: 12.0
        .addElements(pay("ann", 1.0, 30))         // 30 s late: within 1 minute of lateness
        .advanceWatermarkTo(new Instant(200_000))
        .addElements(pay("ann", 50.0, 40))        // beyond 1 minute of lateness: dropped
        .advanceWatermarkToInfinity();
  }

  @Test
  public void lateEventWithinAllowedLatenessUpdatesTheWindowAccumulated() {
    PCollection<Row> out = pipeline.apply(lateStream())
        .apply(sumPerUser().withAllowedLateness(MINUTE, LatePolicy.UPDATE_ACCUMULATED)).output();
    PAssert.that(summary(out)).containsInAnyOrder("ann [0,60) 12.0 2 ON_TIME", "ann [0,60) 13.0 3 LATE");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void lateEventWithinAllowedLatenessUpdatesTheWindowAsADelta() {
    PCollection<Row> out = pipeline.apply(lateStream())
        .apply(sumPerUser().withAllowedLateness(MINUTE, LatePolicy.UPDATE_DELTA)).output();
    PAssert.that(summary(out)).containsInAnyOrder("ann [0,60) 12.0 2 ON_TIME", "ann [0,60) 1.0 1 LATE");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void lateEventsAreLeftOutAndSentToTheDeadLettersUnderTheDropPolicy() {
    Result result = pipeline.apply(lateStream()).apply(sumPerUser());
    PAssert.that(summary(result.output())).containsInAnyOrder("ann [0,60) 12.0 2 ON_TIME");
    PAssert.that(result.failures().apply("late reasons", MapElements.into(TypeDescriptors.strings())
            .via(r -> r.getString("error").substring(0, 43) + " | " + r.getString("payload"))))
        .containsInAnyOrder(
            "late: event time 1970-01-01T00:00:30.000Z a | {\"user\":\"ann\",\"amount\":1.0,\"status\":\"OK\"}",
            "late: event time 1970-01-01T00:00:40.000Z a | {\"user\":\"ann\",\"amount\":50.0,\"status\":\"OK\"}");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void lateEventsPastTheReportingPeriodAreOnlyCountedByTheRunner() {
    TestStream<Row> events = TestStream.create(PAYMENT)
        .addElements(pay("ann", 5.0, 10), pay("bob", 2.0, 20))
        .advanceWatermarkTo(new Instant(100_000))      // [0,60) closed 40 s ago
        .addElements(pay("bob", 1.0, 30))              // 40 s past: reported
        .advanceWatermarkTo(new Instant(200_000))      // [0,60) closed 140 s ago
        .addElements(pay("ann", 9.0, 40), pay("cy", 3.0, 50)) // beyond 2 minutes: dropped by the runner
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events)
        .apply(sumPerUser().withLateEventsReportedFor(Duration.standardMinutes(2)));
    PAssert.that(summary(result.output())).containsInAnyOrder("ann [0,60) 5.0 1 ON_TIME", "bob [0,60) 2.0 1 ON_TIME");
    PAssert.that(result.failures().apply("late reasons", MapElements.into(TypeDescriptors.strings())
            .via(r -> r.getString("error").substring(0, 43))))
        .containsInAnyOrder("late: event time 1970-01-01T00:00:30.000Z a");
    org.apache.beam.sdk.PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    // The launcher's end-of-run warning reads this counter of the runner's GroupByKey: the two
    // events beyond the reporting period are counted there, and nowhere else (Direct names it
    // DroppedDueToLateness, runners-core droppedDueToLateness).
    long dropped = 0;
    for (org.apache.beam.sdk.metrics.MetricResult<Long> counter
        : run.metrics().queryMetrics(org.apache.beam.sdk.metrics.MetricsFilter.builder().build()).getCounters()) {
      if (counter.getName().getName().equalsIgnoreCase("droppedDueToLateness")) {
        dropped += counter.getAttempted();
      }
    }
    assertEquals(2, dropped);
  }

  @Test
  public void aWindowWhoseEventsAreAllLateGivesNoResultAndReportsThemAll() {
    TestStream<Row> events = TestStream.create(PAYMENT)
        .addElements(pay("ann", 5.0, 70))
        .advanceWatermarkTo(new Instant(150_000))      // [0,60) and [60,120) closed; [0,60) never had an event
        .addElements(pay("bob", 1.0, 10), pay("ann", 2.0, 20), pay("ann", 3.0, 80))
        .advanceWatermarkToInfinity();
    // sliding with slide == size is tumbling, and takes the same one-GroupByKey path
    for (Windowing windowing : List.of(Windowing.tumbling(MINUTE), Windowing.sliding(MINUTE, MINUTE))) {
      Result result = pipeline.apply("events " + windowing, events)
          .apply(windowing.toString(), WindowedAggregate.perKey("user").withWindowing(windowing)
              .withAggregations(Aggregation.of("sum", "amount").as("total"), Aggregation.count().as("n"))
              .withSlicing(false));
      PAssert.that(summary(result.output(), "results " + windowing)).containsInAnyOrder("ann [60,120) 5.0 1 ON_TIME");
      PAssert.that(result.failures().apply("late reasons " + windowing, MapElements.into(TypeDescriptors.strings())
              .via(r -> r.getString("error").substring(0, 43))))
          .containsInAnyOrder("late: event time 1970-01-01T00:00:10.000Z a", "late: event time 1970-01-01T00:00:20.000Z a",
              "late: event time 1970-01-01T00:01:20.000Z a");
    }
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void lateEventsOfSessionsAreReportedPerKey() {
    TestStream<Row> events = TestStream.create(PAYMENT)
        .addElements(pay("ann", 5.0, 10), pay("bob", 2.0, 20))
        .advanceWatermarkTo(new Instant(45_000))  // ann's session [10,30) closed; bob's [20,40) too
        .addElements(pay("ann", 1.0, 12), pay("bob", 4.0, 44)) // ann's is late; bob's starts a new session
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(WindowedAggregate.perKey("user")
        .withWindowing(Windowing.sessions(Duration.standardSeconds(20)))
        .withAggregations(Aggregation.of("sum", "amount").as("total"), Aggregation.count().as("n")));
    PAssert.that(summary(result.output()))
        .containsInAnyOrder("ann [10,30) 5.0 1 ON_TIME", "bob [20,40) 2.0 1 ON_TIME", "bob [44,64) 4.0 1 ON_TIME");
    PAssert.that(result.failures().apply("late reasons", MapElements.into(TypeDescriptors.strings())
            .via(r -> r.getString("error").substring(0, 43))))
        .containsInAnyOrder("late: event time 1970-01-01T00:00:12.000Z a");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void anEventWhoseGapHasPassedButThatJoinsAnOpenSessionIsCountedNotLost() {
    TestStream<Row> events = TestStream.create(PAYMENT)
        .addElements(pay("ann", 5.0, 5))
        .advanceWatermarkTo(new Instant(12_000))  // ann's session [5,15) still open
        .addElements(pay("ann", 1.0, 1))           // its own window [1,11) has closed: late
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(WindowedAggregate.perKey("user")
        .withWindowing(Windowing.sessions(Duration.standardSeconds(10)))
        .withAggregations(Aggregation.of("sum", "amount").as("total"), Aggregation.count().as("n")));
    // Beam's GroupByKey without allowed lateness would drop it (its own window [1,11) has closed)
    // with no record; here it joins the open session, which has not been emitted yet.
    PAssert.that(summary(result.output())).containsInAnyOrder("ann [1,15) 6.0 2 ON_TIME");
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void lateEventsReportedForMustBePositive() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> sumPerUser().withLateEventsReportedFor(Duration.ZERO));
    assertThat(e.getMessage(), containsString("late events reported for must be > 0, got PT0S"));
  }

  @Test
  public void lateEventsOfSlidingWindowsAreReportedOnBothPaths() {
    TestStream<Row> events = TestStream.create(PAYMENT)
        .addElements(pay("ann", 5.0, 10), pay("ann", 7.0, 50))
        .advanceWatermarkTo(new Instant(100_000))
        .addElements(pay("ann", 1.0, 15))  // its slice [10,20) and all its windows have closed: late
        .advanceWatermarkToInfinity();
    PCollection<Row> input = pipeline.apply(events);
    for (boolean slicing : new boolean[] {true, false}) {
      Result result = input.apply("sliding " + slicing, WindowedAggregate.perKey("user")
          .withWindowing(Windowing.sliding(Duration.standardSeconds(30), Duration.standardSeconds(10)))
          .withAggregations(Aggregation.of("sum", "amount").as("total"), Aggregation.count().as("n"))
          .withSlicing(slicing));
      PAssert.that(result.failures().apply("late " + slicing, MapElements.into(TypeDescriptors.strings())
              .via(r -> r.getString("error").substring(0, 43))))
          .containsInAnyOrder("late: event time 1970-01-01T00:00:15.000Z a");
      PAssert.that(summary(result.output(), "totals " + slicing))
          .containsInAnyOrder("ann [-10,20) 5.0 1 ON_TIME", "ann [0,30) 5.0 1 ON_TIME", "ann [10,40) 5.0 1 ON_TIME",
              "ann [30,60) 7.0 1 ON_TIME", "ann [40,70) 7.0 1 ON_TIME", "ann [50,80) 7.0 1 ON_TIME");
    }
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void earlyFiringsGiveEarlyPanesBeforeTheOnTimeResult() {
    TestStream<Row> events = TestStream.create(PAYMENT)
        .addElements(pay("ann", 5.0, 10))
        .advanceProcessingTime(Duration.standardSeconds(11))
        .addElements(pay("ann", 7.0, 20))
        .advanceWatermarkToInfinity();
    PCollection<Row> out = pipeline.apply(events)
        .apply(sumPerUser().withEarlyFirings(Duration.standardSeconds(10)).withAllowedLateness(Duration.ZERO, LatePolicy.UPDATE_ACCUMULATED)).output();
    PAssert.that(summary(out)).containsInAnyOrder("ann [0,60) 5.0 1 EARLY", "ann [0,60) 12.0 2 ON_TIME");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void sessionsMergeWhenAnEventBridgesTheGap() {
    TestStream<Row> events = TestStream.create(PAYMENT)
        .addElements(pay("ann", 1.0, 0), pay("ann", 2.0, 400))  // 400 s apart: two sessions so far
        .addElements(pay("ann", 4.0, 200))                         // bridges them into one
        .addElements(pay("bob", 8.0, 1000))
        .advanceWatermarkToInfinity();
    PCollection<Row> out = pipeline.apply(events).apply(WindowedAggregate.perKey("user")
        .withWindowing(Windowing.sessions(Duration.standardMinutes(5)))
        .withAggregations(Aggregation.of("sum", "amount").as("total"), Aggregation.count().as("n"))).output();
    PAssert.that(summary(out)).containsInAnyOrder("ann [0,700) 7.0 3 ON_TIME", "bob [1000,1300) 8.0 1 ON_TIME");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void statisticsMatchAReferenceComputedFromTheSameNumbers() {
    double[] values = {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16, 1e9 + 2.5, 1e9 - 3};
    TestStream.Builder<Row> builder = TestStream.create(PAYMENT);
    for (int i = 0; i < values.length; i++) {
      builder = builder.addElements(pay("ann", values[i], i));
    }
    PCollection<Row> out = pipeline.apply(builder.addElements(pay("ann", null, 7)).advanceWatermarkToInfinity())
        .apply(WindowedAggregate.perKey("user").withWindowing(Windowing.tumbling(MINUTE)).withAggregations(
            Aggregation.of("stddev_samp", "amount").as("sd"), Aggregation.of("var_pop", "amount").as("vp"),
            Aggregation.of("mean", "amount").as("mean"), Aggregation.of("count", "amount").as("n"),
            Aggregation.count().as("rows"), Aggregation.of("min", "amount").as("lo"), Aggregation.of("max", "amount").as("hi"),
            Aggregation.of("median", "amount").as("median"), Aggregation.of("first", "amount").as("first"),
            Aggregation.of("last", "amount").as("last"), Aggregation.of("count_distinct", "amount").as("distinct"),
            Aggregation.of("approx_count_distinct", "amount").as("approxDistinct"))).output();
    // Reference: two-pass formulas in exact decimal arithmetic.
    MathContext mc = MathContext.DECIMAL128;
    BigDecimal sum = BigDecimal.ZERO;
    for (double v : values) {
      sum = sum.add(new BigDecimal(v), mc);
    }
    BigDecimal mean = sum.divide(BigDecimal.valueOf(values.length), mc);
    BigDecimal squares = BigDecimal.ZERO;
    for (double v : values) {
      BigDecimal d = new BigDecimal(v).subtract(mean, mc);
      squares = squares.add(d.multiply(d, mc), mc);
    }
    double sampleSd = Math.sqrt(squares.divide(BigDecimal.valueOf(values.length - 1), mc).doubleValue());
    // The textbook one-pass formula cancels catastrophically on these numbers; ours must not.
    double sumX = 0;
    double sumX2 = 0;
    for (double v : values) {
      sumX += v;
      sumX2 += v * v;
    }
    double naiveVar = (sumX2 - sumX * sumX / values.length) / (values.length - 1);
    assertThat(Math.abs(naiveVar - sampleSd * sampleSd) > 1.0, org.hamcrest.Matchers.equalTo(true));
    double popVar = squares.divide(BigDecimal.valueOf(values.length), mc).doubleValue();
    double expectedMean = mean.doubleValue();
    PAssert.thatSingleton(out).satisfies(row -> {
      assertThat(row.getDouble("sd"), closeTo(sampleSd, 1e-8 * sampleSd));
      assertThat(row.getDouble("vp"), closeTo(popVar, 1e-8 * popVar));
      assertThat(row.getDouble("mean"), closeTo(expectedMean, 1e-6));
      assertThat(row.getInt64("n"), org.hamcrest.Matchers.equalTo(6L));
      assertThat(row.getInt64("rows"), org.hamcrest.Matchers.equalTo(7L));
      assertThat(row.getDouble("lo"), org.hamcrest.Matchers.equalTo(1e9 - 3));
      assertThat(row.getDouble("hi"), org.hamcrest.Matchers.equalTo(1e9 + 16));
      assertThat(row.getDouble("median"), closeTo(1e9 + 5.5, 2.0));
      assertThat(row.getDouble("first"), org.hamcrest.Matchers.equalTo(1e9 + 4));
      assertThat(row.getDouble("last"), org.hamcrest.Matchers.equalTo(1e9 - 3));
      assertThat(row.getInt64("distinct"), org.hamcrest.Matchers.equalTo(6L));
      assertThat(row.getInt64("approxDistinct"), org.hamcrest.Matchers.equalTo(6L));
      return null;
    });
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void threeRejectionsInARowInACountWindowWithHaving() {
    TestStream<Row> events = TestStream.create(PAYMENT)
        .addElements(pay("s1", 1.0, "REJECTED", 3), pay("s1", 1.0, "REJECTED", 1), pay("s1", 0.0, "OK", 2))
        .advanceWatermarkTo(new Instant(2_500))
        .addElements(pay("s1", 1.0, "REJECTED", 4), pay("s1", 1.0, "REJECTED", 5), pay("s2", 1.0, "REJECTED", 1))
        .addElements(pay("s1", 1.0, "REJECTED", 0)) // behind what s1 already decided: late
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(WindowedAggregate.perKey("user")
        .withWindowing(Windowing.countSliding(3))
        .withAggregations(Aggregation.of("sum", "amount").as("rejected"))
        .withHaving("rejected == 3.0"));
    // In event time s1 is R(1) OK(2) R(3) R(4) R(5): the only window of 3 rejections is 3..5.
    PAssert.that(result.output().apply(MapElements.into(TypeDescriptors.strings()).via(r ->
            r.getString("user") + " " + r.getDateTime("windowStart").getMillis() + ".." + r.getDateTime("windowEnd").getMillis())))
        .containsInAnyOrder("s1 3000..5000");
    PAssert.that(result.failures().apply("reasons", MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("error").substring(0, 5))))
        .containsInAnyOrder("late:");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void largestAndSmallestRankTheValuesOfEachCountWindowAndSlidingWindow() {
    // s1 in event time: 4.0, null, 9.0, 1.0, 7.0. Windows of the last 3 events (null skipped, as in SQL):
    // ending at 3 s [4, null, 9], at 4 s [null, 9, 1], at 5 s [9, 1, 7]; the 2 largest, largest first, and the 2 smallest.
    TestStream<Row> events = TestStream.create(PAYMENT)
        .addElements(pay("s1", 9.0, 3), pay("s1", 4.0, 1), pay("s1", 7.0, 5), pay("s1", null, 2), pay("s1", 1.0, 4))
        .advanceWatermarkToInfinity();
    PCollection<Row> counted = pipeline.apply("counted", events).apply("count windows", WindowedAggregate.perKey("user")
        .withWindowing(Windowing.countSliding(3))
        .withAggregations(Aggregation.largest("amount", 2).as("top"), Aggregation.smallest("amount", 2).as("bottom"))).output();
    PAssert.that(counted.apply("render counted", MapElements.into(TypeDescriptors.strings()).via(r ->
            r.getDateTime("windowEnd").getMillis() / 1000 + " " + r.getArray("top") + " " + r.getArray("bottom"))))
        .containsInAnyOrder("3 [9.0, 4.0] [4.0, 9.0]", "4 [9.0, 1.0] [1.0, 9.0]", "5 [9.0, 7.0] [1.0, 7.0]");
    // Sliding windows of 2 minutes every minute merge per-minute slices: [0,120) holds 5, 6 and 2.
    TestStream<Row> sliding = TestStream.create(PAYMENT)
        .addElements(pay("ann", 5.0, 10), pay("ann", 6.0, 70), pay("ann", 2.0, 100))
        .advanceWatermarkToInfinity();
    PCollection<Row> slid = pipeline.apply("sliding", sliding).apply("sliding windows", WindowedAggregate.perKey("user")
        .withWindowing(Windowing.sliding(Duration.standardMinutes(2), MINUTE))
        .withAggregations(Aggregation.largest("amount", 2).as("top"))).output();
    PAssert.that(slid.apply("render sliding", MapElements.into(TypeDescriptors.strings()).via(r ->
            r.getDateTime("windowStart").getMillis() / 1000 + " " + r.getArray("top"))))
        .containsInAnyOrder("-60 [5.0]", "0 [6.0, 5.0]", "60 [6.0, 2.0]");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void tumblingWindowsFromEachKeysFirstEventInEventTime() {
    // ann's first event in event time is at 70 s (it arrives second): windows [70,130), [130,190), [190,250), [310,370);
    // [250,310) has no event and gives nothing. bob's first is at 5 s. An event before ann's first (50 s) once her
    // windows have started, and one in a window that already came out (110 s after the watermark passed 130 s), are late.
    TestStream<Row> events = TestStream.create(PAYMENT)
        .addElements(pay("ann", 1.0, 100), pay("ann", 2.0, 70), pay("bob", 4.0, 5))
        .advanceWatermarkTo(new Instant(120_000))
        .addElements(pay("ann", 8.0, 50), pay("ann", 16.0, 130), pay("ann", 32.0, 200))
        .advanceWatermarkTo(new Instant(200_000))
        .addElements(pay("ann", 64.0, 110), pay("ann", 128.0, 310), pay("ann", 256.0, 189))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(WindowedAggregate.perKey("user")
        .withWindowing(Windowing.tumbling(MINUTE).fromFirstEvent())
        .withAggregations(Aggregation.of("sum", "amount").as("total"), Aggregation.count().as("n")));
    PAssert.that(result.output().apply(MapElements.into(TypeDescriptors.strings()).via(r ->
            r.getString("user") + " [" + r.getDateTime("windowStart").getMillis() / 1000 + "," + r.getDateTime("windowEnd").getMillis() / 1000
                + ") " + r.getDouble("total") + " " + r.getInt64("n"))))
        .containsInAnyOrder("ann [70,130) 3.0 2", "ann [130,190) 16.0 1", "ann [190,250) 32.0 1", "ann [310,370) 128.0 1", "bob [5,65) 4.0 1");
    PAssert.that(result.failures().apply("reasons", MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("error"))))
        .satisfies(reasons -> {
          List<String> all = new java.util.ArrayList<>();
          reasons.forEach(all::add);
          assertEquals(all.toString(), 3, all.size());
          assertThat(all.toString(), containsString("is before the first event of key [ann] at 1970-01-01T00:01:10.000Z"));
          assertThat(all.toString(), containsString("event time 1970-01-01T00:01:50.000Z is in a window of key [ann] that already came out"));
          // 189 s: its window [130,190) came out when the watermark passed 190 s.
          assertThat(all.toString(), containsString("event time 1970-01-01T00:03:09.000Z is in a window of key [ann] that already came out"));
          return null;
        });
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void windowsFromTheFirstEventComeOutOnceAndAreTumbling() {
    assertThat(assertThrows(IllegalArgumentException.class, () -> Windowing.sliding(MINUTE, MINUTE).fromFirstEvent()).getMessage(),
        containsString("from: firstEvent applies to tumbling windows without an offset"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> Windowing.tumbling(MINUTE).fromFirstEvent().withOffset(MINUTE)).getMessage(),
        containsString("offset applies to tumbling and sliding windows from the epoch"));
    PCollection<Row> input = pipeline.apply(org.apache.beam.sdk.transforms.Create.empty(org.apache.beam.sdk.schemas.SchemaCoder.of(PAYMENT)));
    assertThat(assertThrows(IllegalArgumentException.class, () -> input.apply(WindowedAggregate.perKey("user")
            .withWindowing(Windowing.tumbling(MINUTE).fromFirstEvent()).withAggregations(Aggregation.count().as("n")).withTopN(2, "n")))
        .getMessage(), containsString("top ranks the keys of one window"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }

  @Test
  public void largestNeedsAnOrderedFieldAndABoundedCount() {
    assertThat(assertThrows(IllegalArgumentException.class, () -> Aggregation.largest("amount", 1001)).getMessage(),
        containsString("largest keeps from 1 to 1000 values, got n=1001"));
    Schema flags = Schema.builder().addStringField("user").addBooleanField("ok").build();
    assertThat(assertThrows(IllegalArgumentException.class, () -> RowAggregateFn.of(flags, List.of(Aggregation.smallest("ok", 2).as("s"))))
        .getMessage(), containsString("s: smallest needs a field with an order (a number, text or time), but 'ok' is a BOOLEAN"));
  }

  @Test
  public void topNKeysPerSlidingWindow() {
    TestStream<Row> events = TestStream.create(PAYMENT)
        .addElements(pay("ann", 5.0, 10), pay("bob", 9.0, 20), pay("cid", 7.0, 50), pay("ann", 6.0, 70))
        .advanceWatermarkToInfinity();
    PCollection<Row> out = pipeline.apply(events).apply(WindowedAggregate.perKey("user")
        .withWindowing(Windowing.sliding(Duration.standardMinutes(2), MINUTE))
        .withAggregations(Aggregation.of("sum", "amount").as("total"))
        .withTopN(2, "total")).output();
    PAssert.that(out.apply(MapElements.into(TypeDescriptors.strings()).via(r ->
            r.getDateTime("windowStart").getMillis() / 1000 + " #" + r.getInt32("rank") + " " + r.getString("user") + " " + r.getDouble("total"))))
        .containsInAnyOrder(
            "-60 #1 bob 9.0", "-60 #2 cid 7.0",
            "0 #1 ann 11.0", "0 #2 bob 9.0",
            "60 #1 ann 6.0");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void badConfigurationNamesTheProblem() {
    assertThrows(IllegalArgumentException.class, () -> Windowing.sliding(MINUTE, Duration.standardMinutes(2)));
    assertThrows(IllegalArgumentException.class, () -> Aggregation.quantile("amount", 1.5));
    PCollection<Row> rows = pipeline.apply(TestStream.create(PAYMENT).advanceWatermarkToInfinity());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> rows.apply(WindowedAggregate.perKey("nobody")
        .withWindowing(Windowing.tumbling(MINUTE)).withAggregations(Aggregation.of("sum", "status"), Aggregation.of("max", "missing"))));
    assertThat(e.getMessage(), containsString("key fields [nobody] are not in the input"));
    IllegalArgumentException types = assertThrows(IllegalArgumentException.class, () -> rows.apply("b", WindowedAggregate.perKey("user")
        .withWindowing(Windowing.tumbling(MINUTE)).withAggregations(List.of(Aggregation.of("sum", "status"), Aggregation.of("max", "missing")))));
    assertThat(types.getMessage(), containsString("sum needs a numeric field, but 'status' is a STRING"));
    assertThat(types.getMessage(), containsString("field 'missing' is not in the input"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
