package dev.streamtemplates.transforms.aggregate;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.OutputBuilder;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

/**
 * {@link BundleCombine} then a combine of {@link BundleCombine.Merge} gives each key's and
 * window's aggregates as the events alone would. Expected aggregates are computed here by
 * grouping and folding the events in plain Java, not by the code under test.
 */
public class BundleCombineTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema EVENT = Schema.builder().addInt64Field("key").addInt64Field("value").build();
  static final Schema KEY = Schema.builder().addInt64Field("key").build();
  static final List<Aggregation> AGGREGATES = List.of(Aggregation.count(), Aggregation.of("sum", "value"), Aggregation.of("min", "value"),
      Aggregation.of("max", "value"), Aggregation.of("first", "value"), Aggregation.of("last", "value"),
      Aggregation.of("count_distinct", "value"));

  /** 600 events over 3 keys and 4 ten-second windows, values 0..49, every timestamp distinct (first and last are defined). */
  static List<TimestampedValue<Row>> events() {
    Random random = new Random(11);
    Set<Integer> used = new HashSet<>();
    List<TimestampedValue<Row>> events = new ArrayList<>();
    while (events.size() < 600) {
      int at = random.nextInt(40_000);
      if (used.add(at)) {
        events.add(TimestampedValue.of(Row.withSchema(EVENT).addValues((long) random.nextInt(3), (long) random.nextInt(50)).build(), new Instant(at)));
      }
    }
    return events;
  }

  /** "window-start key: count sum min max first last distinct" per group, folded by hand; key "-" for no key. */
  static List<String> expected(List<TimestampedValue<Row>> events, boolean byKey) {
    Map<String, List<TimestampedValue<Row>>> groups = new TreeMap<>();
    for (TimestampedValue<Row> event : events) {
      long start = event.getTimestamp().getMillis() / 10_000 * 10_000;
      groups.computeIfAbsent(start + " " + (byKey ? event.getValue().getInt64("key") : "-"), g -> new ArrayList<>()).add(event);
    }
    List<String> lines = new ArrayList<>();
    groups.forEach((group, members) -> {
      members.sort((a, b) -> a.getTimestamp().compareTo(b.getTimestamp()));
      List<Long> values = members.stream().map(e -> e.getValue().getInt64("value")).collect(Collectors.toList());
      lines.add(group + ": " + values.size() + " " + values.stream().mapToLong(Long::longValue).sum() + " "
          + values.stream().mapToLong(Long::longValue).min().getAsLong() + " " + values.stream().mapToLong(Long::longValue).max().getAsLong()
          + " " + values.get(0) + " " + values.get(values.size() - 1) + " " + new HashSet<>(values).size());
    });
    return lines;
  }

  static String line(String group, Row aggregates) {
    return group + ": " + Stream.of("count", "sum_value", "min_value", "max_value", "first_value", "last_value", "count_distinct_value")
        .map(name -> String.valueOf(((Number) aggregates.getValue(name)).longValue())).collect(Collectors.joining(" "));
  }

  /** Windowed, keyed events combined as the aggregation step combines them. */
  static final class Combined extends PTransform<PCollection<KV<Row, TimestampedValue<Row>>>, PCollection<KV<Object, Row>>> {
    private final RowAggregateFn fn;
    private final Schema keySchema;

    Combined(RowAggregateFn fn, Schema keySchema) {
      this.fn = fn;
      this.keySchema = keySchema;
    }

    @Override
    public PCollection<KV<Object, Row>> expand(PCollection<KV<Row, TimestampedValue<Row>>> windowed) {
      return KeyedCombine.apply(windowed, fn, keySchema);
    }
  }

  static final class KeyFn extends DoFn<Row, KV<Row, TimestampedValue<Row>>> {
    private final Schema keySchema;

    KeyFn(Schema keySchema) {
      this.keySchema = keySchema;
    }

    @ProcessElement
    public void process(@Element Row event, @Timestamp Instant at, OutputReceiver<KV<Row, TimestampedValue<Row>>> out) {
      Row key = keySchema.getFieldCount() == 0 ? Row.withSchema(keySchema).build() : Row.withSchema(keySchema).addValue(event.getInt64("key")).build();
      out.output(KV.of(key, TimestampedValue.of(event, at)));
    }
  }

  /** The combine's results keyed by the cheapest key: nothing for a global aggregate, else the key's one long. */
  static final class LinesFn extends DoFn<KV<Object, Row>, String> {
    @ProcessElement
    public void process(@Element KV<Object, Row> result, BoundedWindow window, OutputReceiver<String> out) {
      String key = result.getKey() == null ? "-" : String.valueOf((Long) result.getKey());
      out.output(line(((IntervalWindow) window).start().getMillis() + " " + key, result.getValue()));
    }
  }

  @Test
  public void aggregatesPerKeyAndWindowAsTheEventsAloneGive() {
    List<TimestampedValue<Row>> events = events();
    RowAggregateFn fn = RowAggregateFn.of(EVENT, AGGREGATES);
    for (Schema keySchema : List.of(KEY, Schema.builder().build())) {
      String name = keySchema.getFieldCount() == 0 ? " global" : " by key";
      PCollection<KV<Row, TimestampedValue<Row>>> windowed = pipeline.apply("Events" + name, Create.timestamped(events).withCoder(SchemaCoder.of(EVENT)))
          .apply("Keyed" + name, ParDo.of(new KeyFn(keySchema)))
          .setCoder(KvCoder.of(SchemaCoder.of(keySchema), TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(EVENT))))
          .apply("Windows" + name, Window.into(FixedWindows.of(Duration.standardSeconds(10))));
      assertTrue(KeyedCombine.combinesPerBundle(windowed));
      PAssert.that(windowed.apply("Combine" + name, new Combined(fn, keySchema)).apply("Lines" + name, ParDo.of(new LinesFn())))
          .containsInAnyOrder(expected(events, keySchema.getFieldCount() > 0));
    }
    // Sessions merge in the GroupByKey: no combining per bundle before it.
    PCollection<KV<Row, TimestampedValue<Row>>> sessions = pipeline.apply("Session events", Create.timestamped(events).withCoder(SchemaCoder.of(EVENT)))
        .apply("Session keys", ParDo.of(new KeyFn(KEY)))
        .setCoder(KvCoder.of(SchemaCoder.of(KEY), TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(EVENT))))
        .apply("Sessions", Window.into(Sessions.withGapDuration(Duration.standardSeconds(1))));
    assertFalse(KeyedCombine.combinesPerBundle(sessions));
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void oneBundleAddsHeldGroupsAndPassesEventsBeyondTheLimit() throws Exception {
    List<TimestampedValue<Row>> events = events();
    RowAggregateFn fn = RowAggregateFn.of(EVENT, AGGREGATES);
    for (TimestampCombiner combiner : TimestampCombiner.values()) {
      // At most 5 groups held; the events of the other 7 of the 12 (3 keys x 4 windows) pass one by one.
      BundleCombine<Long> bundle = new BundleCombine<>(fn, combiner, 5);
      Map<String, List<Object[]>> accumulators = new TreeMap<>();
      Map<String, Long> earliest = new TreeMap<>();
      Map<String, Long> latest = new TreeMap<>();
      Map<String, Integer> passed = new TreeMap<>();
      bundle.start();
      for (TimestampedValue<Row> event : events) {
        IntervalWindow window = new IntervalWindow(new Instant(event.getTimestamp().getMillis() / 10_000 * 10_000), Duration.standardSeconds(10));
        String group = window.start().getMillis() + " " + event.getValue().getInt64("key");
        earliest.merge(group, event.getTimestamp().getMillis(), Math::min);
        latest.merge(group, event.getTimestamp().getMillis(), Math::max);
        bundle.process(KV.of(event.getValue().getInt64("key"), event), event.getTimestamp(), window, new DoFn.OutputReceiver<KV<Long, Object[]>>() {
          @Override
          public OutputBuilder<KV<Long, Object[]>> builder(KV<Long, Object[]> value) {
            throw new UnsupportedOperationException();
          }

          @Override
          public void output(KV<Long, Object[]> value) {
            passed.merge(group, 1, Integer::sum);
            accumulators.computeIfAbsent(group, g -> new ArrayList<>()).add(value.getValue());
          }
        });
      }
      Map<String, Instant> emittedAt = new TreeMap<>();
      bundle.finish(bundle.new FinishBundleContext() {
        @Override
        public PipelineOptions getPipelineOptions() {
          throw new UnsupportedOperationException();
        }

        @Override
        public void output(KV<Long, Object[]> output, Instant timestamp, BoundedWindow window) {
          String group = ((IntervalWindow) window).start().getMillis() + " " + output.getKey();
          emittedAt.put(group, timestamp);
          accumulators.computeIfAbsent(group, g -> new ArrayList<>()).add(output.getValue());
        }

        @Override
        public <T> void output(TupleTag<T> tag, T output, Instant timestamp, BoundedWindow window) {
          throw new UnsupportedOperationException();
        }
      });
      assertEquals(combiner + ": groups held", 5, emittedAt.size());
      assertEquals(combiner + ": groups passed", 7, passed.size());
      for (Map.Entry<String, Instant> held : emittedAt.entrySet()) {
        long start = Long.parseLong(held.getKey().split(" ")[0]);
        long expectedAt = combiner == TimestampCombiner.EARLIEST ? earliest.get(held.getKey())
            : combiner == TimestampCombiner.LATEST ? latest.get(held.getKey()) : start + 9_999;
        assertEquals(combiner + ": " + held.getKey(), expectedAt, held.getValue().getMillis());
        assertEquals(1, accumulators.get(held.getKey()).size());
      }
      // Every group's accumulators, merged as the combine after it merges them, give the group's aggregates.
      BundleCombine.Merge merge = new BundleCombine.Merge(fn);
      List<String> lines = new ArrayList<>();
      for (Map.Entry<String, List<Object[]>> group : accumulators.entrySet()) {
        Object[] merged = merge.createAccumulator();
        for (Object[] accumulator : group.getValue()) {
          merged = merge.addInput(merged, accumulator);
        }
        lines.add(line(group.getKey(), merge.extractOutput(merged)));
      }
      assertEquals(expected(events, true), lines);
    }
  }
}
