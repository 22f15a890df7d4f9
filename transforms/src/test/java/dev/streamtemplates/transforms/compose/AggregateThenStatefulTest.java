package dev.streamtemplates.transforms.compose;

import dev.streamtemplates.transforms.aggregate.Aggregation;
import dev.streamtemplates.transforms.aggregate.WindowedAggregate;
import dev.streamtemplates.transforms.aggregate.Windowing;
import dev.streamtemplates.transforms.cep.Pattern;
import dev.streamtemplates.transforms.cep.Sequence;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.filter.Threshold;
import java.util.ArrayList;
import java.util.List;
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
 * Aggregate rows are events downstream: a stateful step after an Aggregate keeps its per-key
 * state across the aggregate's windows (it used to see each window apart, so a debounced
 * threshold alerted on every window above the limit, and a Sequence over aggregates stopped the
 * launch with "Inputs to Flatten had incompatible windowFns"). Expected values come from a small
 * reference computation over the per-minute means, not from the transforms.
 */
public class AggregateThenStatefulTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema READING = Schema.builder().addStringField("server").addDoubleField("ms").build();

  /** Per-minute means of server s1: 50, 150, 160, 40, 200, 210, 220 (minutes 0 to 6). */
  static final double[] MEANS = {50, 150, 160, 40, 200, 210, 220};

  static TimestampedValue<Row> reading(String server, double ms, long seconds) {
    return TimestampedValue.of(Row.withSchema(READING).addValues(server, ms).build(), new Instant(seconds * 1000));
  }

  /** Two readings a minute whose mean is MEANS[minute], arriving out of order. */
  PCollection<Row> readings() {
    TestStream.Builder<Row> events = TestStream.create(READING).advanceWatermarkTo(new Instant(0));
    for (int minute = MEANS.length - 1; minute >= 0; minute--) {
      events = events.addElements(reading("s1", MEANS[minute] - 10, minute * 60L + 40), reading("s1", MEANS[minute] + 10, minute * 60L + 5));
    }
    return pipeline.apply(events.advanceWatermarkToInfinity());
  }

  static PCollection<Row> perMinuteMeans(PCollection<Row> readings) {
    return readings.apply("Per-minute mean", WindowedAggregate.perKey("server")
        .withWindowing(Windowing.tumbling(Duration.standardMinutes(1)))
        .withAggregations(Aggregation.of("mean", "ms").as("mean"))
        .named("per-minute")).output();
  }

  @Test
  public void debouncedThresholdOverAggregatesAlertsOncePerCrossing() {
    // Reference: a crossing is a mean above 100 whose previous mean was not.
    List<String> expected = new ArrayList<>();
    for (int minute = 0; minute < MEANS.length; minute++) {
      if (MEANS[minute] > 100 && (minute == 0 || MEANS[minute - 1] <= 100)) {
        expected.add("s1@" + minute);
      }
    }
    Result alerts = perMinuteMeans(readings())
        .apply("Slow", Threshold.above("mean", 100).withKeyField("server").withDebounce(true).named("slow"));
    PAssert.that(alerts.output().apply(MapElements.into(TypeDescriptors.strings())
            .via(a -> a.getString("key") + "@" + a.getDateTime("eventTime").getMillis() / 60_000)))
        .containsInAnyOrder(expected);
    PAssert.that(alerts.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void sequenceOverAggregatesFindsThreeSlowMinutesInARow() {
    // Reference: every run of three consecutive means above 100, by its first minute.
    List<String> expected = new ArrayList<>();
    for (int minute = 0; minute + 2 < MEANS.length; minute++) {
      if (MEANS[minute] > 100 && MEANS[minute + 1] > 100 && MEANS[minute + 2] > 100) {
        expected.add("s1 from " + minute);
      }
    }
    Pattern streak = Pattern.begin("first").where("event.mean > 100.0")
        .next("second").where("event.mean > 100.0")
        .next("third").where("event.mean > 100.0")
        .within(Duration.standardMinutes(3));
    Result streaks = perMinuteMeans(readings()).apply("Streak", Sequence.detect(streak).perKey("server").named("streak"));
    PAssert.that(streaks.output().apply(MapElements.into(TypeDescriptors.strings())
            .via(m -> m.getRow("first").getString("server") + " from " + m.getRow("first").getDateTime("windowStart").getMillis() / 60_000)))
        .containsInAnyOrder(expected);
    PAssert.that(streaks.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void countWindowOverAggregatesPairsConsecutiveMinutes() {
    // Reference: tumbling pairs of minutes (0,1), (2,3), (4,5); minute 6 has no partner.
    List<String> expected = new ArrayList<>();
    for (int minute = 0; minute + 1 < MEANS.length; minute += 2) {
      expected.add("s1 n=2 max=" + Math.max(MEANS[minute], MEANS[minute + 1]));
    }
    Result pairs = perMinuteMeans(readings()).apply("Pairs", WindowedAggregate.perKey("server")
        .withWindowing(Windowing.count(2, 2))
        .withAggregations(Aggregation.count().as("n"), Aggregation.of("max", "mean").as("max"))
        .named("pairs"));
    PAssert.that(pairs.output().apply(MapElements.into(TypeDescriptors.strings())
            .via(r -> r.getString("server") + " n=" + r.getInt64("n") + " max=" + r.getDouble("max"))))
        .containsInAnyOrder(expected);
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void aggregateOfAggregatesRegroupsByTheirEventTime() {
    // Reference: 2-minute windows over the per-minute means; each mean's time is its minute's last instant.
    List<String> expected = new ArrayList<>();
    for (int start = 0; start < MEANS.length; start += 2) {
      double max = MEANS[start];
      int n = 1;
      if (start + 1 < MEANS.length) {
        max = Math.max(max, MEANS[start + 1]);
        n = 2;
      }
      expected.add("s1 @" + start + " n=" + n + " max=" + max);
    }
    Result twoMinutes = perMinuteMeans(readings()).apply("Two minutes", WindowedAggregate.perKey("server")
        .withWindowing(Windowing.tumbling(Duration.standardMinutes(2)))
        .withAggregations(Aggregation.count().as("n"), Aggregation.of("max", "mean").as("max"))
        .named("two-minutes"));
    PAssert.that(twoMinutes.output().apply(MapElements.into(TypeDescriptors.strings())
            .via(r -> r.getString("server") + " @" + r.getDateTime("windowStart").getMillis() / 60_000 + " n=" + r.getInt64("n")
                + " max=" + r.getDouble("max"))))
        .containsInAnyOrder(expected);
    pipeline.run().waitUntilFinish();
  }
}
