package dev.streamtemplates.transforms.aggregate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
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
 * The previous window's value and the change, per key: out-of-order ticks, a key with no ticks
 * in a window (its next window has no previous), a previous value of 0 (no percentage). Expected
 * rows come from a reference computation over the ticks in this test.
 */
public class PreviousWindowTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema TICK = Schema.builder().addStringField("symbol").addDoubleField("price").build();

  /** symbol, price, second of the tick. */
  static final Object[][] TICKS = {
      {"A", 10.0, 5}, {"A", 12.0, 50}, {"A", 22.0, 70}, {"A", 11.0, 200},
      {"B", 5.0, 65}, {"B", 0.0, 130}, {"B", 4.0, 190}, {"B", 6.0, 230},
  };

  PCollection<Row> ticks() {
    TestStream.Builder<Row> events = TestStream.create(TICK).advanceWatermarkTo(new Instant(0));
    for (int i = TICKS.length - 1; i >= 0; i--) { // newest first: every window's ticks arrive out of order
      events = events.addElements(TimestampedValue.of(Row.withSchema(TICK).addValues(TICKS[i][0], TICKS[i][1]).build(),
          new Instant(((Integer) TICKS[i][2]) * 1000L)));
    }
    return pipeline.apply(events.advanceWatermarkToInfinity());
  }

  /** Reference: mean per symbol and window start, then each window against the one a slide earlier. */
  static List<String> expected(long sizeSeconds, long slideSeconds) {
    Map<String, Map<Long, double[]>> sums = new TreeMap<>();
    for (Object[] tick : TICKS) {
      long second = (Integer) tick[2];
      for (long start = second - second % slideSeconds; start > second - sizeSeconds; start -= slideSeconds) {
        double[] sum = sums.computeIfAbsent((String) tick[0], s -> new TreeMap<>()).computeIfAbsent(start, s -> new double[2]);
        sum[0] += (Double) tick[1];
        sum[1]++;
      }
    }
    List<String> rows = new ArrayList<>();
    sums.forEach((symbol, windows) -> windows.forEach((start, sum) -> {
      double mean = sum[0] / sum[1];
      double[] before = windows.get(start - slideSeconds);
      String previous = before == null ? "null null null" : format(before[0] / before[1]) + " " + format(mean - before[0] / before[1]) + " "
          + (before[0] == 0 ? "null" : format(100 * (mean - before[0] / before[1]) / Math.abs(before[0] / before[1])));
      rows.add(symbol + "@" + start + " " + format(mean) + " " + previous);
    }));
    return rows;
  }

  static String format(Double value) {
    return value == null ? "null" : String.format(Locale.ROOT, "%.3f", value);
  }

  static PCollection<String> summary(PCollection<Row> rows) {
    return rows.apply(MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("symbol") + "@" + r.getDateTime("windowStart").getMillis() / 1000
        + " " + format(r.getDouble("mean")) + " " + format(r.getDouble("meanPrevious")) + " " + format(r.getDouble("meanChange"))
        + " " + format(r.getDouble("meanChangePct"))));
  }

  static WindowedAggregate meanPerSymbol(Windowing windowing) {
    return WindowedAggregate.perKey("symbol").withWindowing(windowing)
        .withAggregations(Aggregation.of("mean", "price").as("mean")).withPrevious(List.of("mean"));
  }

  @Test
  public void tumblingWindowsCompareWithTheWindowBeforeOrNull() {
    Result result = ticks().apply(meanPerSymbol(Windowing.tumbling(Duration.standardMinutes(1))));
    PAssert.that(summary(result.output())).containsInAnyOrder(expected(60, 60));
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void slidingWindowsCompareWithTheWindowOneSlideEarlier() {
    Result result = ticks().apply(meanPerSymbol(Windowing.sliding(Duration.standardMinutes(2), Duration.standardMinutes(1))));
    PAssert.that(summary(result.output())).containsInAnyOrder(expected(120, 60));
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void previousOfAnUnknownOrTextAggregateOrWithTopIsRefusedNamingIt() {
    PCollection<Row> ticks = ticks();
    String unknown = assertThrows(IllegalArgumentException.class, () -> ticks.apply("unknown", WindowedAggregate.perKey("symbol")
        .withWindowing(Windowing.tumbling(Duration.standardMinutes(1))).withAggregations(Aggregation.of("mean", "price").as("mean"))
        .withPrevious(List.of("avg")))).getMessage();
    assertThat(unknown, containsString("previous: 'avg' is not an aggregate; aggregates are [mean]"));
    String text = assertThrows(IllegalArgumentException.class, () -> ticks.apply("text", WindowedAggregate.perKey("price")
        .withWindowing(Windowing.tumbling(Duration.standardMinutes(1))).withAggregations(Aggregation.of("last", "symbol").as("last"))
        .withPrevious(List.of("last")))).getMessage();
    assertThat(text, containsString("previous: 'last' is a STRING, not a number"));
    String top = assertThrows(IllegalArgumentException.class, () -> ticks.apply("top", meanPerSymbol(Windowing.tumbling(Duration.standardMinutes(1)))
        .withTopN(1, "mean"))).getMessage();
    assertThat(top, containsString("previous and top cannot be combined"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
