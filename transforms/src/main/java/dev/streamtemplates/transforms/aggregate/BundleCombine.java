package dev.streamtemplates.transforms.aggregate;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;

/**
 * Adds, within a bundle, each key's and window's events into one accumulator of the aggregates,
 * for a {@code Combine.perKey} of {@link Merge} after it. Runners combine partially before the
 * shuffle, but Flink's batch runner does it by serializing every input record into a sort buffer
 * and sorting it (its chained combine driver), and the Direct runner buffers every event in a
 * GroupByKey's in-memory state; here a bundle of a thousand events of one window becomes one
 * accumulator, added to in a hash map. Written by hand because Beam has no per-bundle partial
 * combine of its own (its combiner lifting is the runner's).
 *
 * <p>Correct for any bundling: a combine's result does not depend on how its input is split into
 * accumulators and merged (Beam requires it of every {@code CombineFn}). Each accumulator comes
 * out in its own window, at the timestamp the window's {@link TimestampCombiner} would give its
 * events. For bounded input and windows that do not merge: sessions merge in the GroupByKey, and
 * in streaming, accumulators held to the end of a bundle could be emitted behind a watermark the
 * runner has already passed on. Memory is bounded: past {@value #MAX_GROUPS} groups in a bundle,
 * the events of further groups pass as accumulators of one event each.
 */
final class BundleCombine<K> extends DoFn<KV<K, TimestampedValue<Row>>, KV<K, Object[]>> {
  static final int MAX_GROUPS = 10_000;

  private final RowAggregateFn fn;
  private final TimestampCombiner timestamps;
  private final int maxGroups;
  private transient Map<KV<BoundedWindow, K>, Group> held;

  BundleCombine(RowAggregateFn fn, TimestampCombiner timestamps) {
    this(fn, timestamps, MAX_GROUPS);
  }

  BundleCombine(RowAggregateFn fn, TimestampCombiner timestamps, int maxGroups) {
    this.fn = fn;
    this.timestamps = timestamps;
    this.maxGroups = maxGroups;
  }

  /** One group's accumulator and the range of its events' timestamps. */
  private static final class Group {
    Object[] accumulator;
    long earliest = Long.MAX_VALUE;
    long latest = Long.MIN_VALUE;

    Group(Object[] accumulator) {
      this.accumulator = accumulator;
    }
  }

  @StartBundle
  public void start() {
    held = new HashMap<>();
  }

  @ProcessElement
  public void process(@Element KV<K, TimestampedValue<Row>> event, @Timestamp Instant timestamp, BoundedWindow window,
      OutputReceiver<KV<K, Object[]>> out) {
    KV<BoundedWindow, K> key = KV.of(window, event.getKey());
    Group group = held.get(key);
    if (group == null) {
      if (held.size() >= maxGroups) {
        // Memory is full: this group's event passes on its own, in its own window.
        out.output(KV.of(event.getKey(), fn.addInput(fn.createAccumulator(), event.getValue())));
        return;
      }
      group = new Group(fn.createAccumulator());
      held.put(key, group);
    }
    group.accumulator = fn.addInput(group.accumulator, event.getValue());
    group.earliest = Math.min(group.earliest, timestamp.getMillis());
    group.latest = Math.max(group.latest, timestamp.getMillis());
  }

  @FinishBundle
  public void finish(FinishBundleContext context) {
    for (Map.Entry<KV<BoundedWindow, K>, Group> entry : held.entrySet()) {
      BoundedWindow window = entry.getKey().getKey();
      Group group = entry.getValue();
      Instant at = switch (timestamps) {
        case EARLIEST -> new Instant(group.earliest);
        case LATEST -> new Instant(group.latest);
        case END_OF_WINDOW -> window.maxTimestamp();
      };
      context.output(KV.of(entry.getKey().getValue(), group.accumulator), at, window);
    }
    held.clear();
  }

  /** The aggregates over accumulators that {@link BundleCombine} made: each input is merged in. */
  static final class Merge extends CombineFn<Object[], Object[], Row> {
    private final RowAggregateFn fn;

    Merge(RowAggregateFn fn) {
      this.fn = fn;
    }

    @Override
    public Object[] createAccumulator() {
      return fn.createAccumulator();
    }

    @Override
    public Object[] addInput(Object[] accumulator, Object[] input) {
      return fn.mergeAccumulators(List.of(accumulator, input));
    }

    @Override
    public Object[] mergeAccumulators(Iterable<Object[]> accumulators) {
      return fn.mergeAccumulators(accumulators);
    }

    @Override
    public Row extractOutput(Object[] accumulator) {
      return fn.extractOutput(accumulator);
    }

    @Override
    public Coder<Object[]> getAccumulatorCoder(CoderRegistry registry, Coder<Object[]> inputCoder) {
      return inputCoder;
    }

    @Override
    public Coder<Row> getDefaultOutputCoder(CoderRegistry registry, Coder<Object[]> inputCoder) throws CannotProvideCoderException {
      return fn.getDefaultOutputCoder(registry, null);
    }
  }
}
