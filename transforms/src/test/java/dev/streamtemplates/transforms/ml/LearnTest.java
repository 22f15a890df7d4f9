package dev.streamtemplates.transforms.ml;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.core.RunnerCapabilities;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

/**
 * Learn on the Direct runner with TestStream. Every expected prediction is computed here apart
 * from the code under test: the closed-form least squares of one feature ({@code slope =
 * Sxy / Sxx}), by hand for the small cases, and by a plain-Java reference of the documented
 * behaviour (event-time order, predict then learn, a window, a forgetting factor) for the random ones.
 */
public class LearnTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema ONE =
      Schema.builder().addNullableField("lane", FieldType.STRING).addNullableField("x", FieldType.DOUBLE).addNullableField("y", FieldType.DOUBLE).build();

  static TimestampedValue<Row> one(String lane, Double x, Double y, long at) {
    return TimestampedValue.of(Row.withSchema(ONE).addValues(lane, x, y).build(), new Instant(at));
  }

  static final Learn ONE_FEATURE = Learn.of("y", List.of("x")).perKey("lane").named("forecast");

  static String round(Double value) {
    return value == null ? "null" : String.format(java.util.Locale.ROOT, "%.6f", value);
  }

  static PCollection<String> line(PCollection<Row> rows) {
    return rows.apply("lines", MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("lane") + "@" + r.getDouble("x") + "="
        + round(r.getDouble("prediction")) + "|" + round(r.getDouble("error")) + "|" + r.getInt64("learnedFrom")));
  }

  static PCollection<String> errors(Result result) {
    return result.failures().apply("errors", MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("step") + ": " + r.getString("error")));
  }

  /**
   * Lane a, in event time: (x=1, y=2), (2, 3), (3, 7), (4, no label), (5, 8), (6, no label).
   * By hand: on the first three points, x mean 2, y mean 4, Sxy = (-1)(-2) + 0 + (1)(3) = 5, Sxx =
   * 2, slope 2.5, intercept 4 - 5 = -1: x=4 predicts 9, x=5 predicts 11.5 (error |8 - 11.5| = 3.5).
   * On the four points (1,2), (2,3), (3,7), (5,8): x mean 2.75, y mean 5, Sxy = (-1.75)(-3) +
   * (-0.75)(-2) + (0.25)(2) + (2.25)(3) = 5.25 + 1.5 + 0.5 + 6.75 = 14, Sxx = 3.0625 + 0.5625 +
   * 0.0625 + 5.0625 = 8.75, slope 1.6, intercept 5 - 4.4 = 0.6: x=6 predicts 10.2.
   */
  static final List<String> LANE_A = List.of(
      "a@1.0=null|null|0", "a@2.0=null|null|1", "a@3.0=null|null|2", "a@4.0=9.000000|null|3", "a@5.0=11.500000|null|3",
      "a@6.0=10.200000|3.500000|4");

  @Test
  public void predictsThenLearnsInEventTimeOrderWhateverTheArrivalOrder() {
    TestStream<Row> events = TestStream.create(ONE)
        .addElements(one("a", 5.0, 8.0, 50), one("a", 2.0, 3.0, 20))
        .addElements(one("a", 6.0, null, 60), one("a", 1.0, 2.0, 10))
        .advanceWatermarkTo(new Instant(15))
        .addElements(one("a", 4.0, null, 40), one("a", 3.0, 7.0, 30))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(ONE_FEATURE);
    PAssert.that(line(result.output())).containsInAnyOrder(LANE_A);
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void theSameEventsInOrderGiveTheSameOutputs() {
    TestStream<Row> events = TestStream.create(ONE)
        .addElements(one("a", 1.0, 2.0, 10), one("a", 2.0, 3.0, 20), one("a", 3.0, 7.0, 30))
        .advanceWatermarkTo(new Instant(35))
        .addElements(one("a", 4.0, null, 40), one("a", 5.0, 8.0, 50), one("a", 6.0, null, 60))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(ONE_FEATURE);
    PAssert.that(line(result.output())).containsInAnyOrder(LANE_A);
    pipeline.run().waitUntilFinish();
  }

  /**
   * Two features, noiseless data y = 1 + 2a + 3b: from the fourth labelled event on (features +
   * intercept + 1), every prediction is exact and every out-of-sample error is 0.
   */
  @Test
  public void twoFeaturesOnExactDataPredictExactlyOnceThereAreEnoughEvents() {
    Schema schema = Schema.builder().addStringField("lane").addInt32Field("a").addDoubleField("b").addNullableField("y", FieldType.INT64).build();
    double[][] ab = {{1, 0}, {0, 1}, {2, 2}, {3, 1}, {5, 4}, {7, 2}};
    TestStream.Builder<Row> builder = TestStream.create(schema);
    for (int i = ab.length - 1; i >= 0; i--) { // newest first
      long y = 1 + 2 * (long) ab[i][0] + 3 * (long) ab[i][1];
      builder = builder.addElements(TimestampedValue.of(Row.withSchema(schema).addValues("l", (int) ab[i][0], ab[i][1], i == 5 ? null : y).build(),
          new Instant(100 + i)));
    }
    Result result = pipeline.apply(builder.advanceWatermarkToInfinity()).apply(Learn.of("y", List.of("a", "b"))); // no key: one model for all events
    PAssert.that(result.output().apply(MapElements.into(TypeDescriptors.strings())
            .via(r -> r.getInt32("a") + "," + r.getDouble("b") + "=" + round(r.getDouble("prediction")) + "|" + round(r.getDouble("error")) + "|"
                + r.getInt64("learnedFrom"))))
        .containsInAnyOrder("1,0.0=null|null|0", "0,1.0=null|null|1", "2,2.0=null|null|2", "3,1.0=null|null|3",
            "5,4.0=23.000000|null|4", "7,2.0=21.000000|0.000000|5");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void anEventOlderThanWhatWasLearnedIsLateAndChangesNothing() {
    TestStream<Row> events = TestStream.create(ONE)
        .addElements(one("a", 1.0, 2.0, 10), one("a", 2.0, 3.0, 20), one("a", 3.0, 7.0, 30))
        .advanceWatermarkTo(new Instant(35))
        .addElements(one("a", 9.0, 100.0, 25), one("a", 4.0, null, 40))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(ONE_FEATURE);
    PAssert.that(line(result.output())).containsInAnyOrder("a@1.0=null|null|0", "a@2.0=null|null|1", "a@3.0=null|null|2", "a@4.0=9.000000|null|3");
    PAssert.that(errors(result)).satisfies(errors -> {
      String error = errors.iterator().next();
      assertThat(error, containsString("forecast: late: event time 1970-01-01T00:00:00.025Z is before 1970-01-01T00:00:00.030Z"));
      return null;
    });
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void nullKeysAndNullOrNonFiniteFeaturesAreDeadLettersNamingTheField() {
    TestStream<Row> events = TestStream.create(ONE)
        .addElements(one(null, 1.0, 2.0, 10), one("a", null, 2.0, 11), one("a", Double.NaN, 2.0, 12), one("a", 1.0, Double.POSITIVE_INFINITY, 13),
            one("a", 1.0, 2.0, 14), one("a", 2.0, null, 15))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(ONE_FEATURE);
    PAssert.that(line(result.output())).containsInAnyOrder("a@1.0=null|null|0", "a@2.0=null|null|1");
    PAssert.that(errors(result)).containsInAnyOrder("forecast: key field 'lane' is null", "forecast: feature 'x' is null",
        "forecast: feature 'x' is NaN, not a finite number", "forecast: label 'y' is Infinity, not a finite number");
    pipeline.run().waitUntilFinish();
  }

  /** "lane@millis|prediction|error|learnedFrom", at full precision. */
  static final class WithTime extends DoFn<Row, String> {
    @ProcessElement
    public void process(@Element Row r, @Timestamp Instant at, OutputReceiver<String> out) {
      out.output(r.getString("lane") + "@" + at.getMillis() + "|" + r.getDouble("prediction") + "|" + r.getDouble("error") + "|" + r.getInt64("learnedFrom"));
    }
  }

  /** One expected output of the reference. */
  record Expected(@org.checkerframework.checker.nullness.qual.Nullable Double prediction,
      @org.checkerframework.checker.nullness.qual.Nullable Double error, long learnedFrom) implements java.io.Serializable {}

  /**
   * The documented behaviour in plain Java, for one feature: per key, events in time order; each
   * is predicted from the weighted least-squares line of the last {@code window} labelled events
   * (weight f^age; closed form), once there are 3; then learned from if labelled.
   */
  static Map<String, Expected> reference(List<TimestampedValue<Row>> events, int window, double f) {
    List<TimestampedValue<Row>> sorted = new ArrayList<>(events);
    sorted.sort(Comparator.comparing(TimestampedValue::getTimestamp));
    Map<String, List<double[]>> held = new HashMap<>(); // lane -> {x, y, squared error or NaN}
    Map<String, Long> learned = new HashMap<>();
    Map<String, Expected> expected = new TreeMap<>();
    for (TimestampedValue<Row> event : sorted) {
      String lane = event.getValue().getString("lane");
      double x = event.getValue().getDouble("x");
      Double y = event.getValue().getDouble("y");
      List<double[]> points = held.computeIfAbsent(lane, k -> new ArrayList<>());
      Double prediction = null;
      if (points.size() >= 3) {
        double sw = 0, sx = 0, sy = 0;
        for (int i = 0; i < points.size(); i++) {
          double w = Math.pow(f, points.size() - 1 - i);
          sw += w;
          sx += w * points.get(i)[0];
          sy += w * points.get(i)[1];
        }
        double mx = sx / sw, my = sy / sw, sxy = 0, sxx = 0;
        for (int i = 0; i < points.size(); i++) {
          double w = Math.pow(f, points.size() - 1 - i);
          sxy += w * (points.get(i)[0] - mx) * (points.get(i)[1] - my);
          sxx += w * (points.get(i)[0] - mx) * (points.get(i)[0] - mx);
        }
        double slope = sxx == 0 ? 0 : sxy / sxx;
        prediction = my - slope * mx + slope * x;
      }
      double sum = 0;
      int n = 0;
      for (double[] p : points) {
        if (!Double.isNaN(p[2])) {
          sum += p[2];
          n++;
        }
      }
      expected.put(lane + "@" + event.getTimestamp().getMillis(), new Expected(prediction, n == 0 ? null : Math.sqrt(sum / n), learned.getOrDefault(lane, 0L)));
      if (y != null) {
        points.add(new double[] {x, y, prediction == null ? Double.NaN : (y - prediction) * (y - prediction)});
        if (points.size() > window) {
          points.remove(0);
        }
        learned.merge(lane, 1L, Long::sum);
      }
    }
    return expected;
  }

  /** Random lanes' events (distinct times per run), about a quarter without a label, y = 3 + 1.5x + noise. */
  static List<TimestampedValue<Row>> randomEvents(int count) {
    Random random = new Random(19);
    List<TimestampedValue<Row>> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      double x = random.nextInt(20);
      Double y = random.nextInt(4) == 0 ? null : 3 + 1.5 * x + random.nextGaussian() * 2;
      events.add(one(random.nextBoolean() ? "p" : "q", x, y, 1_000 + 10L * i));
    }
    return events;
  }

  /**
   * Arrival order shuffled with {@code seed} (or as generated with seed 0), in four bursts; after
   * each, the watermark moves to just before the oldest event still to come, so that none is late
   * but each burst releases what it can.
   */
  private void matchesTheReference(long seed, int window, double forgetting) {
    List<TimestampedValue<Row>> events = randomEvents(80);
    List<TimestampedValue<Row>> arrival = new ArrayList<>(events);
    if (seed != 0) {
      Collections.shuffle(arrival, new Random(seed));
    }
    TestStream.Builder<Row> stream = TestStream.create(ONE);
    for (int burst = 0; burst < 4; burst++) {
      List<TimestampedValue<Row>> part = arrival.subList(burst * 20, burst * 20 + 20);
      stream = stream.addElements(part.get(0), part.subList(1, part.size()).toArray(new TimestampedValue[0]));
      long oldestToCome = arrival.subList(burst * 20 + 20, arrival.size()).stream().mapToLong(e -> e.getTimestamp().getMillis()).min().orElse(Long.MAX_VALUE);
      if (oldestToCome != Long.MAX_VALUE) {
        stream = stream.advanceWatermarkTo(new Instant(oldestToCome - 1));
      }
    }
    Learn learn = Learn.of("y", List.of("x")).perKey("lane").withWindow(window);
    if (forgetting != 1.0) {
      learn = learn.withForgetting(forgetting);
    }
    Result result = pipeline.apply(stream.advanceWatermarkToInfinity()).apply(learn);
    Map<String, Expected> expected = reference(events, window, forgetting);
    PAssert.that(result.output().apply(ParDo.of(new WithTime())))
        .satisfies(lines -> {
          Map<String, Expected> actual = new TreeMap<>();
          for (String line : lines) {
            String[] parts = line.split("\\|");
            actual.put(parts[0], new Expected(parts[1].equals("null") ? null : Double.valueOf(parts[1]),
                parts[2].equals("null") ? null : Double.valueOf(parts[2]), Long.parseLong(parts[3])));
          }
          assertThat(actual.keySet(), equalTo(expected.keySet()));
          int predictions = 0;
          for (Map.Entry<String, Expected> e : expected.entrySet()) {
            Expected want = e.getValue();
            Expected got = actual.get(e.getKey());
            assertThat(e.getKey(), got.learnedFrom(), equalTo(want.learnedFrom()));
            if (want.prediction() == null) {
              assertThat(e.getKey(), got.prediction(), nullValue());
            } else {
              predictions++;
              assertThat(e.getKey(), got.prediction(), closeTo(want.prediction(), 1e-9 * Math.max(1, Math.abs(want.prediction()))));
            }
            if (want.error() == null) {
              assertThat(e.getKey(), got.error(), nullValue());
            } else {
              assertThat(e.getKey(), got.error(), closeTo(want.error(), 1e-9 * Math.max(1, want.error())));
            }
          }
          assertThat("events with a prediction", predictions > 60, equalTo(true));
          return null;
        });
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void inOrderArrivalMatchesTheReference() {
    matchesTheReference(0, 500, 1.0);
  }

  @Test
  public void shuffledArrivalMatchesTheReference() {
    matchesTheReference(7, 500, 1.0);
  }

  @Test
  public void anotherShuffleWithASmallWindowMatchesTheReference() {
    matchesTheReference(11, 6, 1.0);
  }

  @Test
  public void aForgettingFactorWeighsOlderEventsLessAsTheReferenceDoes() {
    matchesTheReference(13, 30, 0.8);
  }

  @Test
  public void badConfigurationIsRefusedNamingTheField() {
    Schema schema = Schema.builder().addStringField("lane").addStringField("staffed").addDoubleField("queueLength").build();
    PCollection<Row> rows = pipeline.apply(TestStream.create(schema).advanceWatermarkToInfinity());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> rows.apply(Learn.of("waitSeconds", List.of("queueLength", "staffed")).perKey("lane")));
    assertThat(bad.getMessage(), containsString("feature 'staffed' is a STRING, not a number"));
    assertThat(bad.getMessage(), containsString("label 'waitSeconds' is not in the input"));
    assertThrows(IllegalArgumentException.class, () -> Learn.of("y", List.of("x")).withWindow(2));
    assertThrows(IllegalArgumentException.class, () -> Learn.of("y", List.of("x")).withForgetting(0));
    assertThrows(IllegalArgumentException.class, () -> Learn.of("y", List.of("y")));
    pipeline.enableAbandonedNodeEnforcement(false);
  }

  @Test
  public void refusedWhereTheRunnerHasNoEventTimeTimersInStreaming() {
    RunnerCapabilities options = PipelineOptionsFactory.create().as(RunnerCapabilities.class);
    options.setEventTimeTimersInStreaming(false);
    options.as(StreamingOptions.class).setStreaming(true);
    Pipeline spark = Pipeline.create(options);
    PCollection<Row> rows = spark.apply(TestStream.create(ONE).advanceWatermarkToInfinity());
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> rows.apply(ONE_FEATURE));
    assertThat(refused.getMessage(), containsString("Learn needs event-time timers, which the Spark runner does not support in streaming mode"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
