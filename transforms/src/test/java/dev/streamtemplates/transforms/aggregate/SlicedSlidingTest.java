package dev.streamtemplates.transforms.aggregate;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
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
 * The slice path gives exactly what Beam's SlidingWindows gives, and both equal a brute-force
 * reference computed here, on out-of-order input with the watermark advancing in between.
 */
public class SlicedSlidingTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema EVENT = Schema.builder().addStringField("user").addDoubleField("amount").addStringField("item").build();
  static final long SIZE = 60_000;
  static final long SLIDE = 5_000;

  record Event(String user, double amount, String item, long at) {}

  static List<Event> events() {
    Random random = new Random(42);
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      events.add(new Event("u" + random.nextInt(5), random.nextInt(10_000) / 100.0, "i" + random.nextInt(7), random.nextInt(300_000)));
    }
    return events;
  }

  static WindowedAggregate aggregate(boolean slicing) {
    return WindowedAggregate.perKey("user")
        .withWindowing(Windowing.sliding(Duration.millis(SIZE), Duration.millis(SLIDE)))
        .withAggregations(
            Aggregation.of("sum", "amount").as("total"), Aggregation.count().as("n"), Aggregation.of("min", "amount").as("lo"),
            Aggregation.of("max", "amount").as("hi"), Aggregation.of("count_distinct", "item").as("items"),
            Aggregation.of("first", "item").as("firstItem"), Aggregation.of("last", "item").as("lastItem"))
        .withSlicing(slicing);
  }

  static String line(String user, long start, double total, long n, double lo, double hi, long items, String first, String last) {
    return String.format("%s %d %.2f %d %.2f %.2f %d %s %s", user, start, total, n, lo, hi, items, first, last);
  }

  /** Brute force: every window end that is a multiple of the slide, every key with events in it. */
  static List<String> reference(List<Event> events) {
    TreeSet<Long> ends = new TreeSet<>();
    for (Event e : events) {
      for (long end = (e.at() / SLIDE + 1) * SLIDE; end <= e.at() + SIZE; end += SLIDE) {
        ends.add(end);
      }
    }
    List<String> out = new ArrayList<>();
    for (long end : ends) {
      TreeMap<String, List<Event>> byUser = new TreeMap<>();
      for (Event e : events) {
        if (e.at() >= end - SIZE && e.at() < end) {
          byUser.computeIfAbsent(e.user(), u -> new ArrayList<>()).add(e);
        }
      }
      byUser.forEach((user, in) -> {
        double total = 0;
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        TreeSet<String> items = new TreeSet<>();
        Event first = null;
        Event last = null;
        for (Event e : in) {
          total += e.amount();
          lo = Math.min(lo, e.amount());
          hi = Math.max(hi, e.amount());
          items.add(e.item());
          if (first == null || e.at() < first.at() || (e.at() == first.at() && e.item().compareTo(first.item()) < 0)) {
            first = e;
          }
          if (last == null || e.at() > last.at() || (e.at() == last.at() && e.item().compareTo(last.item()) > 0)) {
            last = e;
          }
        }
        out.add(line(user, end - SIZE, total, in.size(), lo, hi, items.size(), first.item(), last.item()));
      });
    }
    return out;
  }

  static TestStream<Row> stream(List<Event> events) {
    List<Event> shuffled = new ArrayList<>(events);
    Collections.shuffle(shuffled, new Random(7));
    TestStream.Builder<Row> builder = TestStream.create(EVENT);
    // Feed in arrival order; advance the watermark to the oldest event still to come, so nothing is late.
    for (int i = 0; i < shuffled.size(); i++) {
      Event e = shuffled.get(i);
      builder = builder.addElements(TimestampedValue.of(Row.withSchema(EVENT).addValues(e.user(), e.amount(), e.item()).build(), new Instant(e.at())));
      if (i % 50 == 49) {
        long oldestToCome = shuffled.subList(i + 1, shuffled.size()).stream().mapToLong(Event::at).min().orElse(Long.MAX_VALUE / 2);
        builder = builder.advanceWatermarkTo(new Instant(Math.min(oldestToCome, 400_000)));
      }
    }
    return builder.advanceWatermarkToInfinity();
  }

  static PCollection<String> lines(PCollection<Row> rows, String name) {
    return rows.apply(name, MapElements.into(TypeDescriptors.strings()).via(r -> line(r.getString("user"),
        r.getDateTime("windowStart").getMillis(), r.getDouble("total"), r.getInt64("n"), r.getDouble("lo"), r.getDouble("hi"),
        r.getInt64("items"), r.getString("firstItem"), r.getString("lastItem")) + (r.getString("pane").equals("ON_TIME") ? "" : " " + r.getString("pane"))));
  }

  @Test
  public void slicePathAndSlidingWindowsBothEqualTheBruteForceReference() {
    List<Event> events = events();
    List<String> expected = reference(events);
    PCollection<Row> input = pipeline.apply(stream(events));
    PAssert.that(lines(input.apply("sliced", aggregate(true)).output(), "sliced lines")).containsInAnyOrder(expected);
    PAssert.that(lines(input.apply("beam sliding", aggregate(false)).output(), "beam lines")).containsInAnyOrder(expected);
    // Bounded input takes the slice path with one firing per key at the end of the input.
    List<TimestampedValue<Row>> timestamped = new ArrayList<>();
    for (Event e : events) {
      timestamped.add(TimestampedValue.of(Row.withSchema(EVENT).addValues(e.user(), e.amount(), e.item()).build(), new Instant(e.at())));
    }
    PCollection<Row> bounded = pipeline.apply("bounded", org.apache.beam.sdk.transforms.Create.timestamped(timestamped)).setRowSchema(EVENT);
    PAssert.that(lines(bounded.apply("sliced bounded", aggregate(true)).output(), "sliced bounded lines")).containsInAnyOrder(expected);
    pipeline.run().waitUntilFinish();
  }
}
