package dev.streamtemplates.transforms.aggregate;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The slice aggregator of sliding windows ({@link SlicedSliding.Slices}, the two-stack queue),
 * alone: one key, windows of {@code slices} slices (600: 10 minutes every second), aggregates sum,
 * count and max. {@code addEventToSlice}: one event into its slice's accumulator (ns per event).
 * {@code slideOneWindow}: one slide, as the timer does it: push the new slice, evict the oldest,
 * read the window's merged accumulator and extract the output row (ns per emitted window). In the
 * benchmarks module but in the transforms package, to reach the package-private queue.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
public class SliceQueueBenchmark {
  static final Schema EVENT = Schema.builder().addStringField("user").addDoubleField("amount").build();

  @Param({"600"})
  public int slices;

  private RowAggregateFn fn;
  private SlicedSliding.Slices queue;
  private Object[] slice;
  private TimestampedValue<Row>[] events;
  private long end;
  private int next;

  @Setup
  @SuppressWarnings("unchecked")
  public void setup() {
    fn = RowAggregateFn.of(EVENT, List.of(Aggregation.of("sum", "amount").as("total"), Aggregation.count().as("n"),
        Aggregation.of("max", "amount").as("largest")));
    events = new TimestampedValue[1024];
    for (int i = 0; i < events.length; i++) {
      events[i] = TimestampedValue.of(Row.withSchema(EVENT).addValues("u", 1.0 + (i * 7919 % 1000) / 10.0).build(), new Instant(i));
    }
    slice = fn.createAccumulator();
    queue = new SlicedSliding.Slices();
    for (int i = 0; i < slices; i++) {
      queue.push(++end, filledSlice(), fn);
    }
  }

  private Object[] filledSlice() {
    Object[] accumulator = fn.createAccumulator();
    for (int i = 0; i < 4; i++) {
      accumulator = fn.addInput(accumulator, events[next++ & 1023]);
    }
    return accumulator;
  }

  @Benchmark
  public Object[] addEventToSlice() {
    slice = fn.addInput(slice, events[next++ & 1023]);
    return slice;
  }

  @Benchmark
  public Row slideOneWindow() {
    queue.push(++end, filledSlice(), fn);
    queue.evictOldest(fn);
    return fn.extractOutput(queue.window(fn));
  }
}
