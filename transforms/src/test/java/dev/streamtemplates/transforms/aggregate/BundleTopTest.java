package dev.streamtemplates.transforms.aggregate;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.OutputBuilder;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

/**
 * {@link BundleTop} keeps each window's and key's best n rows of a bundle and nothing else, and
 * {@code Top} after it ranks as {@code Top} alone would. Expected rankings are computed here by
 * sorting each group (largest value first, then the smaller text), not by the code under test.
 */
public class BundleTopTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema ROW = Schema.builder().addInt64Field("key").addInt64Field("value").addStringField("id").build();
  static final Ranking.RankOrder LARGEST = Ranking.largest(3, "value").comparator();

  /** 600 rows over 3 keys and 4 ten-second windows, values 0..9 (many ties), ids unique. */
  static List<TimestampedValue<Row>> rows() {
    Random random = new Random(7);
    List<TimestampedValue<Row>> rows = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      Row row = Row.withSchema(ROW).addValues((long) random.nextInt(3), (long) random.nextInt(10), "r" + i).build();
      rows.add(TimestampedValue.of(row, new Instant(random.nextInt(40_000))));
    }
    return rows;
  }

  /** "window-start key: id value, ..." per group, best first, from plain sorting. */
  static List<String> expected(List<TimestampedValue<Row>> rows, int n) {
    Map<String, List<Row>> groups = new TreeMap<>();
    for (TimestampedValue<Row> row : rows) {
      long start = row.getTimestamp().getMillis() / 10_000 * 10_000;
      groups.computeIfAbsent(start + " " + row.getValue().getInt64("key"), g -> new ArrayList<>()).add(row.getValue());
    }
    List<String> lines = new ArrayList<>();
    groups.forEach((group, members) -> {
      members.sort(Comparator.comparing((Row r) -> -r.getInt64("value")).thenComparing(r -> r.getValues().toString()));
      lines.add(line(group, members.subList(0, Math.min(n, members.size()))));
    });
    return lines;
  }

  static String line(String group, List<Row> best) {
    return group + ": " + best.stream().map(r -> r.getString("id") + " " + r.getInt64("value")).collect(Collectors.joining(", "));
  }

  @Test
  public void topAfterTheBundlesTopRanksAsTopAlone() {
    List<TimestampedValue<Row>> rows = rows();
    for (int maxGroups : new int[] {BundleTop.MAX_GROUPS, 1}) {
      PAssert.that(pipeline.apply("Rows " + maxGroups, Create.timestamped(rows).withCoder(SchemaCoder.of(ROW)))
              .apply("Windows " + maxGroups, Window.into(FixedWindows.of(Duration.standardSeconds(10))))
              .apply("By key " + maxGroups, MapElements.into(TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.rows()))
                  .via((Row r) -> KV.of(r.getInt64("key"), r)))
              .setCoder(KvCoder.of(VarLongCoder.of(), SchemaCoder.of(ROW)))
              .apply("Bundle top " + maxGroups, ParDo.of(new BundleTop<Long>(3, LARGEST, maxGroups)))
              .setCoder(KvCoder.of(VarLongCoder.of(), SchemaCoder.of(ROW)))
              .apply("Top " + maxGroups, Top.perKey(3, LARGEST))
              .apply("Lines " + maxGroups, ParDo.of(new LinesFn())))
          .containsInAnyOrder(expected(rows, 3));
    }
    pipeline.run().waitUntilFinish();
  }

  static final class LinesFn extends DoFn<KV<Long, List<Row>>, String> {
    @ProcessElement
    public void process(@Element KV<Long, List<Row>> top, BoundedWindow window, OutputReceiver<String> out) {
      out.output(line(((IntervalWindow) window).start().getMillis() + " " + top.getKey(), top.getValue()));
    }
  }

  @Test
  public void oneBundleKeepsOnlyEachGroupsBestAndPassesGroupsBeyondTheLimit() {
    List<TimestampedValue<Row>> rows = rows();
    // At most 5 groups held; the other 7 of the 12 (3 keys x 4 windows) pass through whole.
    BundleTop<Long> fn = new BundleTop<>(2, LARGEST, 5);
    List<String> passed = new ArrayList<>();
    Map<String, List<Row>> byGroup = new TreeMap<>();
    Map<String, List<Row>> all = new TreeMap<>();
    fn.start();
    for (TimestampedValue<Row> row : rows) {
      IntervalWindow window = new IntervalWindow(new Instant(row.getTimestamp().getMillis() / 10_000 * 10_000), Duration.standardSeconds(10));
      String group = window.start().getMillis() + " " + row.getValue().getInt64("key");
      all.computeIfAbsent(group, g -> new ArrayList<>()).add(row.getValue());
      fn.process(KV.of(row.getValue().getInt64("key"), row.getValue()), row.getTimestamp(), window, new DoFn.OutputReceiver<KV<Long, Row>>() {
        @Override
        public OutputBuilder<KV<Long, Row>> builder(KV<Long, Row> value) {
          throw new UnsupportedOperationException();
        }

        @Override
        public void output(KV<Long, Row> value) {
          passed.add(group);
        }
      });
    }
    fn.finish(fn.new FinishBundleContext() {
      @Override
      public PipelineOptions getPipelineOptions() {
        throw new UnsupportedOperationException();
      }

      @Override
      public void output(KV<Long, Row> output, Instant timestamp, BoundedWindow window) {
        assertEquals(((IntervalWindow) window).maxTimestamp().getMillis() / 10_000, timestamp.getMillis() / 10_000);
        byGroup.computeIfAbsent(((IntervalWindow) window).start().getMillis() + " " + output.getKey(), g -> new ArrayList<>()).add(output.getValue());
      }

      @Override
      public <T> void output(TupleTag<T> tag, T output, Instant timestamp, BoundedWindow window) {
        throw new UnsupportedOperationException();
      }
    });
    assertEquals(5, byGroup.size());
    assertEquals(12, byGroup.size() + passed.stream().distinct().count());
    for (Map.Entry<String, List<Row>> group : all.entrySet()) {
      if (byGroup.containsKey(group.getKey())) {
        List<TimestampedValue<Row>> stamped = group.getValue().stream().map(r -> TimestampedValue.of(r, new Instant(Long.parseLong(group.getKey().split(" ")[0]))))
            .collect(Collectors.toList());
        List<Row> kept = new ArrayList<>(byGroup.get(group.getKey()));
        kept.sort(Comparator.comparing((Row r) -> -r.getInt64("value")).thenComparing(r -> r.getValues().toString()));
        assertEquals(expected(stamped, 2).get(0), line(group.getKey(), kept));
      } else {
        assertEquals(group.getValue().size(), passed.stream().filter(group.getKey()::equals).count());
      }
    }
  }
}
