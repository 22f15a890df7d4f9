package dev.streamtemplates.transforms.aggregate;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.SetCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.values.KV;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The CombineFns behind {@link Aggregation}s that Beam's own ({@code Sum}, {@code Min}, ...) do
 * not cover: they skip nulls as SQL does, return null for no values, and share one numerically
 * stable accumulator ({@link Stats}).
 */
final class AggregateFns {
  private AggregateFns() {}

  /** count, sum, min, max, mean, variances and standard deviations over non-null numbers. */
  static final class StatsFn extends CombineFn<Double, Stats, Object> {
    private final Aggregation.Function function;

    StatsFn(Aggregation.Function function) {
      this.function = function;
    }

    @Override
    public Stats createAccumulator() {
      return new Stats();
    }

    @Override
    public Stats addInput(Stats stats, @Nullable Double value) {
      if (value != null) {
        stats.add(value);
      }
      return stats;
    }

    @Override
    public Stats mergeAccumulators(Iterable<Stats> accumulators) {
      Stats merged = new Stats();
      for (Stats stats : accumulators) {
        merged.merge(stats);
      }
      return merged;
    }

    @Override
    public @Nullable Object extractOutput(Stats stats) {
      if (function == Aggregation.Function.COUNT) {
        return stats.count;
      }
      if (stats.count == 0) {
        return null;
      }
      switch (function) {
        case SUM:
          return stats.sum;
        case MIN:
          return stats.min;
        case MAX:
          return stats.max;
        case MEAN:
          return stats.mean;
        case VAR_POP:
          return stats.m2 / stats.count;
        case STDDEV_POP:
          return Math.sqrt(stats.m2 / stats.count);
        case VAR_SAMP:
          return stats.count < 2 ? null : stats.m2 / (stats.count - 1);
        case STDDEV_SAMP:
          return stats.count < 2 ? null : Math.sqrt(stats.m2 / (stats.count - 1));
        default:
          throw new IllegalStateException("not a numeric aggregate: " + function);
      }
    }

    @Override
    public Coder<Stats> getAccumulatorCoder(CoderRegistry registry, Coder<Double> inputCoder) {
      return Stats.StatsCoder.INSTANCE;
    }
  }

  /** Exact count of distinct non-null values. */
  static final class DistinctFn extends CombineFn<Object, Set<Object>, Long> {
    private final Coder<Object> valueCoder;

    DistinctFn(Coder<Object> valueCoder) {
      this.valueCoder = valueCoder;
    }

    @Override
    public Set<Object> createAccumulator() {
      return new HashSet<>();
    }

    @Override
    public Set<Object> addInput(Set<Object> seen, @Nullable Object value) {
      if (value != null) {
        seen.add(value);
      }
      return seen;
    }

    @Override
    public Set<Object> mergeAccumulators(Iterable<Set<Object>> accumulators) {
      Set<Object> merged = new HashSet<>();
      accumulators.forEach(merged::addAll);
      return merged;
    }

    @Override
    public Long extractOutput(Set<Object> seen) {
      return (long) seen.size();
    }

    @Override
    public Coder<Set<Object>> getAccumulatorCoder(CoderRegistry registry, Coder<Object> inputCoder) {
      return SetCoder.of(valueCoder);
    }
  }

  /**
   * Skips null inputs, for Beam CombineFns that cannot take them. The inner accumulator is created
   * only when the first value arrives (an empty list until then), because some of Beam's
   * accumulators cannot be encoded while empty (ApproximateQuantiles' has a null min and max),
   * and runners that combine partially (Flink) encode every partial accumulator.
   */
  static final class SkipNulls<InputT, AccumT, OutputT> extends CombineFn<InputT, List<AccumT>, OutputT> {
    private final CombineFn<InputT, AccumT, OutputT> fn;
    private final Coder<InputT> nonNullCoder;

    SkipNulls(CombineFn<InputT, AccumT, OutputT> fn, Coder<InputT> nonNullCoder) {
      this.fn = fn;
      this.nonNullCoder = nonNullCoder;
    }

    @Override
    public List<AccumT> createAccumulator() {
      return new ArrayList<>(1);
    }

    @Override
    public List<AccumT> addInput(List<AccumT> accumulator, @Nullable InputT input) {
      if (input == null) {
        return accumulator;
      }
      if (accumulator.isEmpty()) {
        accumulator.add(fn.createAccumulator());
      }
      accumulator.set(0, fn.addInput(accumulator.get(0), input));
      return accumulator;
    }

    @Override
    public List<AccumT> mergeAccumulators(Iterable<List<AccumT>> accumulators) {
      List<AccumT> inner = new ArrayList<>();
      // Some Beam CombineFns merge into their first accumulator; give them a fresh one, so that
      // merging never changes an accumulator that is still in use (e.g. a slice of a sliding window).
      inner.add(fn.createAccumulator());
      for (List<AccumT> accumulator : accumulators) {
        inner.addAll(accumulator);
      }
      List<AccumT> merged = new ArrayList<>(1);
      if (inner.size() > 1) {
        merged.add(fn.mergeAccumulators(inner));
      }
      return merged;
    }

    @Override
    public OutputT extractOutput(List<AccumT> accumulator) {
      return fn.extractOutput(accumulator.isEmpty() ? fn.createAccumulator() : accumulator.get(0));
    }

    @Override
    public Coder<List<AccumT>> getAccumulatorCoder(CoderRegistry registry, Coder<InputT> inputCoder)
        throws org.apache.beam.sdk.coders.CannotProvideCoderException {
      return ListCoder.of(fn.getAccumulatorCoder(registry, nonNullCoder));
    }
  }

  /** What {@link IntegerSumFn} returns when the sum does not fit in a 64-bit integer. */
  static final String OVERFLOW = "overflow";

  /**
   * Exact sum of integer values (INT8 to INT64) as a 64-bit integer: a sum of integers stays an
   * integer (through a double it would lose precision above 2^53). Returns null for no values and
   * {@link #OVERFLOW} when the sum leaves the INT64 range, which the aggregate turns into a dead
   * letter. Beam's {@code Sum.ofLongs} would wrap around silently.
   */
  static final class IntegerSumFn extends CombineFn<Long, IntegerSumFn.Sum, Object> {
    /** The running sum, how many values it has, and whether it overflowed. */
    static final class Sum {
      long total;
      long count;
      boolean overflow;
    }

    @Override
    public Sum createAccumulator() {
      return new Sum();
    }

    @Override
    public Sum addInput(Sum sum, @Nullable Long value) {
      if (value != null) {
        add(sum, value, 1, false);
      }
      return sum;
    }

    private static void add(Sum sum, long total, long count, boolean overflow) {
      sum.count += count;
      sum.overflow |= overflow;
      if (!sum.overflow) {
        try {
          sum.total = Math.addExact(sum.total, total);
        } catch (ArithmeticException e) {
          sum.overflow = true;
        }
      }
    }

    @Override
    public Sum mergeAccumulators(Iterable<Sum> accumulators) {
      Sum merged = new Sum();
      for (Sum sum : accumulators) {
        add(merged, sum.total, sum.count, sum.overflow);
      }
      return merged;
    }

    @Override
    public @Nullable Object extractOutput(Sum sum) {
      return sum.overflow ? OVERFLOW : sum.count == 0 ? null : (Object) sum.total;
    }

    @Override
    public Coder<Sum> getAccumulatorCoder(CoderRegistry registry, Coder<Long> inputCoder) {
      return SumCoder.INSTANCE;
    }

    /** The sum, the count and the overflow flag. */
    static final class SumCoder extends org.apache.beam.sdk.coders.AtomicCoder<Sum> {
      static final SumCoder INSTANCE = new SumCoder();
      private static final VarLongCoder LONG = VarLongCoder.of();

      @Override
      public void encode(Sum value, java.io.OutputStream out) throws java.io.IOException {
        LONG.encode(value.total, out);
        LONG.encode(value.count, out);
        out.write(value.overflow ? 1 : 0);
      }

      @Override
      public Sum decode(java.io.InputStream in) throws java.io.IOException {
        Sum sum = new Sum();
        sum.total = LONG.decode(in);
        sum.count = LONG.decode(in);
        sum.overflow = in.read() == 1;
        return sum;
      }
    }
  }

  /**
   * The value at the earliest ({@code last=false}) or latest event time. Accumulator: (time,
   * value); time {@code Long.MIN_VALUE} means none yet. Ties are broken by the value's text so
   * that every runner, whatever its bundle order, gives the same answer.
   */
  static final class FirstLastFn extends CombineFn<KV<Long, Object>, KV<Long, Object>, Object> {
    private static final long NONE = Long.MIN_VALUE;
    private final boolean last;
    private final Coder<Object> valueCoder;

    FirstLastFn(boolean last, Coder<Object> valueCoder) {
      this.last = last;
      this.valueCoder = valueCoder;
    }

    @Override
    public KV<Long, Object> createAccumulator() {
      return KV.of(NONE, null);
    }

    @Override
    public KV<Long, Object> addInput(KV<Long, Object> best, KV<Long, Object> input) {
      return input.getValue() == null ? best : better(best, input);
    }

    private KV<Long, Object> better(KV<Long, Object> a, KV<Long, Object> b) {
      if (a.getKey() == NONE) {
        return b;
      }
      if (b.getKey() == NONE) {
        return a;
      }
      int byTime = Long.compare(a.getKey(), b.getKey());
      if (byTime == 0) {
        byTime = String.valueOf(a.getValue()).compareTo(String.valueOf(b.getValue()));
      }
      return (last ? byTime >= 0 : byTime <= 0) ? a : b;
    }

    @Override
    public KV<Long, Object> mergeAccumulators(Iterable<KV<Long, Object>> accumulators) {
      KV<Long, Object> best = createAccumulator();
      for (KV<Long, Object> candidate : accumulators) {
        best = better(best, candidate);
      }
      return best;
    }

    @Override
    public @Nullable Object extractOutput(KV<Long, Object> best) {
      return best.getValue();
    }

    @Override
    public Coder<KV<Long, Object>> getAccumulatorCoder(CoderRegistry registry, Coder<KV<Long, Object>> inputCoder) {
      return KvCoder.of(VarLongCoder.of(), NullableCoder.of(valueCoder));
    }
  }
}
