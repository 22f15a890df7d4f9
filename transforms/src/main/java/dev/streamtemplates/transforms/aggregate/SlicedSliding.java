package dev.streamtemplates.transforms.aggregate;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import dev.streamtemplates.transforms.time.KeyTimers;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Sliding windows that cost O(1) aggregation work per event however small the slide, instead of
 * size/slide as with Beam's {@code SlidingWindows} (which adds each event to every one of the
 * size/slide windows containing it: 600 times for 10 minutes every second).
 *
 * <ol>
 *   <li>Each event is aggregated once, into its slice: a tumbling window as long as the slide
 *       (Beam's {@code FixedWindows} and {@code Combine.perKey}, with combiner lifting).
 *   <li>Per key, a stateful DoFn keeps the slices of the last window in a two-stack queue whose
 *       entries hold partial merges, so that the window's accumulator is one merge away and each
 *       slice is merged a constant number of times on average ("Two-Stacks" sliding-window
 *       aggregation). An event-time timer emits each window when the watermark passes its end.
 * </ol>
 *
 * <p>Written by hand because Beam has no incremental sliding-window aggregation. Results equal
 * those of {@code SlidingWindows} with the default trigger and no allowed lateness: one ON_TIME
 * row per key and window that holds at least one event. Used for aggregates whose accumulators
 * merge exactly and cheaply (see {@link Aggregation.Function#mergesExactly()}); quantiles and the
 * approximate distinct count go through {@code SlidingWindows}, as do early firings and late
 * updates. Needs event-time timers: on Spark in streaming mode the caller falls back to
 * {@code SlidingWindows}.
 */
final class SlicedSliding {
  private SlicedSliding() {}

  static PCollection<KV<Row, Row>> apply(
      PCollection<KV<Row, TimestampedValue<Row>>> keyed, Duration size, Duration slide, Duration offset, RowAggregateFn aggregateFn,
      Schema keySchema, Coder<Object[]> accumulatorCoder) {
    // Slices shifted by the windows' offset (in [0, slide)): every slice end is then a window end.
    PCollection<KV<Row, Object[]>> slices =
        keyed.apply("Slices of " + slide, Window.into(FixedWindows.of(slide).withOffset(offset)))
            .apply("Aggregate each slice once", Combine.perKey(new AccumulateOnly(aggregateFn)))
            .setCoder(KvCoder.of(SchemaCoder.of(keySchema), accumulatorCoder));
    return slices
        .apply("Into the global window", Window.<KV<Row, Object[]>>into(new org.apache.beam.sdk.transforms.windowing.GlobalWindows()))
        .apply("Combine slices per window", ParDo.of(new WindowsFromSlices(size.getMillis(), slide.getMillis(), aggregateFn, accumulatorCoder, keySchema)))
        .setCoder(KvCoder.of(SchemaCoder.of(keySchema), SchemaCoder.of(aggregateFn.resultSchema())))
        // Each sliding window [end - size, end) is identified by the slide-long window ending with it.
        .apply("One window per slide", Window.into(new SlidingEnd(size, slide)));
  }

  /** The aggregate's CombineFn, but its output is the accumulator itself: a slice. */
  private static final class AccumulateOnly extends Combine.CombineFn<TimestampedValue<Row>, Object[], Object[]> {
    private final RowAggregateFn fn;

    AccumulateOnly(RowAggregateFn fn) {
      this.fn = fn;
    }

    @Override
    public Object[] createAccumulator() {
      return fn.createAccumulator();
    }

    @Override
    public Object[] addInput(Object[] accumulator, TimestampedValue<Row> input) {
      return fn.addInput(accumulator, input);
    }

    @Override
    public Object[] mergeAccumulators(Iterable<Object[]> accumulators) {
      return fn.mergeAccumulators(accumulators);
    }

    @Override
    public Object[] extractOutput(Object[] accumulator) {
      return accumulator;
    }

    @Override
    public Coder<Object[]> getAccumulatorCoder(org.apache.beam.sdk.coders.CoderRegistry registry, Coder<TimestampedValue<Row>> inputCoder)
        throws org.apache.beam.sdk.coders.CannotProvideCoderException {
      return fn.getAccumulatorCoder(registry, inputCoder);
    }
  }

  /**
   * Per-key state: slices not yet in any emitted window (by end time), and the two-stack queue of
   * the slices of the current window. {@code front} holds the oldest slices, each with the merge
   * of itself and all newer front slices; {@code back} holds newer slices and their running merge.
   */
  static final class Slices {
    final TreeMap<Long, Object[]> pending = new TreeMap<>();
    final ArrayDeque<long[]> frontEnds = new ArrayDeque<>();
    final ArrayDeque<Object[]> frontSuffix = new ArrayDeque<>();
    final ArrayDeque<Object[]> frontSlices = new ArrayDeque<>();
    final ArrayDeque<long[]> backEnds = new ArrayDeque<>();
    final ArrayDeque<Object[]> backSlices = new ArrayDeque<>();
    Object[] backMerged;
    long nextEnd = Long.MIN_VALUE;

    boolean windowEmpty() {
      return frontEnds.isEmpty() && backEnds.isEmpty();
    }

    long oldestEnd() {
      return frontEnds.isEmpty() ? backEnds.peekFirst()[0] : frontEnds.peekFirst()[0];
    }

    void push(long end, Object[] slice, RowAggregateFn fn) {
      backEnds.addLast(new long[] {end});
      backSlices.addLast(slice);
      backMerged = backMerged == null ? merge(fn, slice) : merge(fn, backMerged, slice);
    }

    void evictOldest(RowAggregateFn fn) {
      if (frontEnds.isEmpty()) {
        // Flip: move the back to the front, merging from newest to oldest.
        List<Object[]> slices = new ArrayList<>(backSlices);
        List<long[]> ends = new ArrayList<>(backEnds);
        Object[] suffix = null;
        for (int i = slices.size() - 1; i >= 0; i--) {
          suffix = suffix == null ? merge(fn, slices.get(i)) : merge(fn, slices.get(i), suffix);
          frontEnds.addFirst(ends.get(i));
          frontSuffix.addFirst(suffix);
          frontSlices.addFirst(slices.get(i));
        }
        backEnds.clear();
        backSlices.clear();
        backMerged = null;
      }
      frontEnds.pollFirst();
      frontSuffix.pollFirst();
      frontSlices.pollFirst();
    }

    Object[] window(RowAggregateFn fn) {
      if (frontSuffix.isEmpty()) {
        return backMerged;
      }
      return backMerged == null ? frontSuffix.peekFirst() : merge(fn, frontSuffix.peekFirst(), backMerged);
    }

    /**
     * A new accumulator merging the given ones, none of which is changed. Beam's composed
     * CombineFn merges into its first argument, so the first is always a fresh one.
     */
    private static Object[] merge(RowAggregateFn fn, Object[]... accumulators) {
      List<Object[]> all = new ArrayList<>(accumulators.length + 1);
      all.add(fn.createAccumulator());
      all.addAll(java.util.Arrays.asList(accumulators));
      return fn.mergeAccumulators(all);
    }
  }

  /** Emits each sliding window of a key from its slices, when the watermark passes the window's end. */
  private static final class WindowsFromSlices extends DoFn<KV<Row, Object[]>, KV<Row, Row>> {
    private static final String SLICES = "slices";
    private static final String KEY = "key";
    private static final String EMIT = "emit";

    @StateId(SLICES)
    private final StateSpec<ValueState<Slices>> slicesSpec;

    @StateId(KEY)
    private final StateSpec<ValueState<Row>> keySpec;

    @TimerFamily(EMIT)
    private final TimerSpec emitSpec = KeyTimers.spec();

    private final long size;
    private final long slide;
    private final RowAggregateFn fn;

    WindowsFromSlices(long size, long slide, RowAggregateFn fn, Coder<Object[]> accumulatorCoder, Schema keySchema) {
      this.keySpec = StateSpecs.value(SchemaCoder.of(keySchema));
      this.size = size;
      this.slide = slide;
      this.fn = fn;
      this.slicesSpec = StateSpecs.value(new SlicesCoder(accumulatorCoder, fn));
    }

    @ProcessElement
    public void process(@Element KV<Row, Object[]> slice, @Timestamp Instant timestamp,
        @StateId(SLICES) ValueState<Slices> state, @StateId(KEY) ValueState<Row> key, @TimerFamily(EMIT) TimerMap emits) {
      Slices slices = state.read();
      if (slices == null) {
        slices = new Slices();
        key.write(slice.getKey());
      }
      long end = timestamp.getMillis() + 1; // the slice's window ends just after its max timestamp
      slices.pending.merge(end, slice.getValue(), (a, b) -> fn.mergeAccumulators(List.of(a, b)));
      if (slices.nextEnd == Long.MIN_VALUE || end < slices.nextEnd) {
        slices.nextEnd = end;
        arm(KeyTimers.of(emits, slice.getKey()), end);
      }
      state.write(slices);
    }

    /** Fire when the watermark passes {@code end}, holding the output at {@code end - 1}. */
    private static void arm(Timer emit, long end) {
      emit.withOutputTimestamp(new Instant(end - 1)).set(new Instant(end));
    }

    @OnTimerFamily(EMIT)
    public void onEmit(OnTimerContext context, @TimerId String timerId, @StateId(SLICES) ValueState<Slices> state,
        @StateId(KEY) ValueState<Row> keyState, @TimerFamily(EMIT) TimerMap emits) {
      Slices slices = state.read();
      Row key = keyState.read();
      long end = slices.nextEnd;
      // The firing time, not context.timestamp(): that is the timer's output timestamp (end - 1).
      long now = context.fireTimestamp().getMillis();
      // Emit every window whose end the watermark has passed, oldest first.
      while (end != Long.MIN_VALUE && end <= now) {
        for (Iterator<Map.Entry<Long, Object[]>> it = slices.pending.headMap(end, true).entrySet().iterator(); it.hasNext(); ) {
          Map.Entry<Long, Object[]> ready = it.next();
          slices.push(ready.getKey(), ready.getValue(), fn);
          it.remove();
        }
        while (!slices.windowEmpty() && slices.oldestEnd() <= end - size) {
          slices.evictOldest(fn);
        }
        if (!slices.windowEmpty()) {
          context.outputWithTimestamp(KV.of(key, fn.extractOutput(slices.window(fn))), new Instant(end - 1));
          end += slide;
        } else {
          end = slices.pending.isEmpty() ? Long.MIN_VALUE : slices.pending.firstKey();
        }
      }
      slices.nextEnd = end;
      if (end == Long.MIN_VALUE) {
        state.clear();
        keyState.clear();
      } else {
        arm(emits.get(timerId), end);
        state.write(slices);
      }
    }
  }

  /**
   * Encodes the per-key state as its raw slices; the partial merges of the two-stack queue are
   * recomputed when decoding (runners that keep state on the heap, like Flink's default backend,
   * never decode it).
   */
  static final class SlicesCoder extends CustomCoder<Slices> {
    private final Coder<Object[]> accumulatorCoder;
    private final RowAggregateFn fn;

    SlicesCoder(Coder<Object[]> accumulatorCoder, RowAggregateFn fn) {
      this.accumulatorCoder = accumulatorCoder;
      this.fn = fn;
    }

    @Override
    public void encode(Slices slices, OutputStream out) throws IOException {
      VarLongCoder.of().encode(slices.nextEnd, out);
      VarIntCoder.of().encode(slices.pending.size(), out);
      for (Map.Entry<Long, Object[]> e : slices.pending.entrySet()) {
        VarLongCoder.of().encode(e.getKey(), out);
        accumulatorCoder.encode(e.getValue(), out);
      }
      // The window's raw slices, oldest first.
      List<long[]> ends = new ArrayList<>(slices.frontEnds);
      ends.addAll(slices.backEnds);
      List<Object[]> raw = new ArrayList<>(slices.frontSlices);
      raw.addAll(slices.backSlices);
      VarIntCoder.of().encode(ends.size(), out);
      for (int i = 0; i < ends.size(); i++) {
        VarLongCoder.of().encode(ends.get(i)[0], out);
        accumulatorCoder.encode(raw.get(i), out);
      }
    }

    @Override
    public Slices decode(InputStream in) throws IOException {
      Slices slices = new Slices();
      slices.nextEnd = VarLongCoder.of().decode(in);
      int pending = VarIntCoder.of().decode(in);
      for (int i = 0; i < pending; i++) {
        slices.pending.put(VarLongCoder.of().decode(in), accumulatorCoder.decode(in));
      }
      int window = VarIntCoder.of().decode(in);
      for (int i = 0; i < window; i++) {
        slices.push(VarLongCoder.of().decode(in), accumulatorCoder.decode(in), fn);
      }
      return slices;
    }
  }

  /** Assigns a sliding window's result (timestamped end - 1) to the sliding window itself. */
  private static final class SlidingEnd extends org.apache.beam.sdk.transforms.windowing.NonMergingWindowFn<Object, IntervalWindow> {
    private final Duration size;
    private final Duration slide;

    SlidingEnd(Duration size, Duration slide) {
      this.size = size;
      this.slide = slide;
    }

    @Override
    public java.util.Collection<IntervalWindow> assignWindows(AssignContext c) {
      Instant end = c.timestamp().plus(Duration.millis(1));
      return List.of(new IntervalWindow(end.minus(size), end));
    }

    @Override
    public boolean isCompatible(org.apache.beam.sdk.transforms.windowing.WindowFn<?, ?> other) {
      return equals(other);
    }

    @Override
    public Coder<IntervalWindow> windowCoder() {
      return IntervalWindow.getCoder();
    }

    @Override
    public org.apache.beam.sdk.transforms.windowing.WindowMappingFn<IntervalWindow> getDefaultWindowMappingFn() {
      throw new UnsupportedOperationException("sliding-window results cannot be used as a side input");
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof SlidingEnd && ((SlidingEnd) other).size.equals(size) && ((SlidingEnd) other).slide.equals(slide);
    }

    @Override
    public int hashCode() {
      return size.hashCode() * 31 + slide.hashCode();
    }
  }
}
