package dev.streamtemplates.transforms.aggregate;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.transforms.ApproximateQuantiles.ApproximateQuantilesCombineFn;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The q-quantile (0 &lt;= q &lt;= 1) of a window's non-null values, by linear interpolation
 * between the two nearest ranks: with the n values sorted as x[0..n-1] and h = (n - 1) q, the
 * result is x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]). This is Hyndman and Fan's
 * definition 7, the default of NumPy ({@code numpy.quantile}), R ({@code quantile(type = 7)}) and
 * spreadsheets' {@code PERCENTILE.INC}: the median of 1, 2, 3, 4 is 2.5, and q = 0.995 of 1 to
 * 1,000 is 995.005.
 *
 * <p>Exact for up to {@link #EXACT_LIMIT} values per window and key (they are kept and sorted).
 * Beyond that the values go into Beam's {@code ApproximateQuantiles} sketch with {@link #GRID}
 * quantiles (rank error at most 1/1000 of the count, Beam's epsilon 0.001), and q is interpolated
 * the same way between the two neighbouring grid quantiles.
 *
 * <p>Written here because Beam's {@code ApproximateQuantiles} alone is approximate at every size
 * and returns a fixed grid, so it cannot give an exact answer for any q (the project used to round
 * q to the nearest percent).
 */
@SuppressWarnings({"rawtypes", "unchecked"})
final class QuantileFn extends CombineFn<Double, QuantileFn.Accumulator, Double> {
  /** Up to this many values per window and key, the quantile is exact. */
  static final int EXACT_LIMIT = 10_000;

  /** Grid of the approximate sketch beyond the limit: quantiles 0, 0.001, ..., 1. */
  static final int GRID = 1001;

  private final double q;
  private final CombineFn sketchFn = ApproximateQuantilesCombineFn.<Double>create(GRID);

  QuantileFn(double q) {
    if (!(q >= 0 && q <= 1)) {
      throw new IllegalArgumentException("quantile must be between 0 and 1, got " + q);
    }
    this.q = q;
  }

  /** Either the values themselves (exact) or, past the limit, a sketch. */
  static final class Accumulator {
    @Nullable List<Double> values = new ArrayList<>();
    @Nullable Object sketch;
  }

  @Override
  public Accumulator createAccumulator() {
    return new Accumulator();
  }

  @Override
  public Accumulator addInput(Accumulator accumulator, @Nullable Double value) {
    if (value == null) {
      return accumulator;
    }
    if (accumulator.sketch != null) {
      accumulator.sketch = sketchFn.addInput(accumulator.sketch, value);
    } else {
      accumulator.values.add(value);
      if (accumulator.values.size() > EXACT_LIMIT) {
        toSketch(accumulator);
      }
    }
    return accumulator;
  }

  private void toSketch(Accumulator accumulator) {
    Object sketch = sketchFn.createAccumulator();
    for (Double value : accumulator.values) {
      sketch = sketchFn.addInput(sketch, value);
    }
    accumulator.sketch = sketch;
    accumulator.values = null;
  }

  /** Merges into a new accumulator, so that no accumulator still in use (a slice) is changed. */
  @Override
  public Accumulator mergeAccumulators(Iterable<Accumulator> accumulators) {
    Accumulator merged = new Accumulator();
    List<Object> sketches = new ArrayList<>();
    for (Accumulator accumulator : accumulators) {
      if (accumulator.sketch != null) {
        sketches.add(accumulator.sketch);
      } else {
        merged.values.addAll(accumulator.values);
      }
    }
    if (sketches.isEmpty() && merged.values.size() <= EXACT_LIMIT) {
      return merged;
    }
    // The sketch merges into its first argument: start from an empty one.
    List<Object> all = new ArrayList<>();
    all.add(sketchFn.createAccumulator());
    if (!merged.values.isEmpty()) {
      toSketch(merged);
      all.add(merged.sketch);
    }
    all.addAll(sketches);
    Accumulator result = new Accumulator();
    result.values = null;
    result.sketch = sketchFn.mergeAccumulators(all);
    return result;
  }

  @Override
  public @Nullable Double extractOutput(Accumulator accumulator) {
    List<Double> sorted;
    if (accumulator.sketch != null) {
      sorted = (List<Double>) sketchFn.extractOutput(accumulator.sketch);
    } else {
      sorted = new ArrayList<>(accumulator.values);
      Collections.sort(sorted);
    }
    return interpolate(sorted, q);
  }

  /** Linear interpolation between the nearest ranks of sorted values; null for none. */
  static @Nullable Double interpolate(List<Double> sorted, double q) {
    if (sorted.isEmpty()) {
      return null;
    }
    double h = (sorted.size() - 1) * q;
    int below = (int) Math.floor(h);
    if (below >= sorted.size() - 1) {
      return sorted.get(sorted.size() - 1);
    }
    double low = sorted.get(below);
    return low + (h - below) * (sorted.get(below + 1) - low);
  }

  @Override
  public Coder<Accumulator> getAccumulatorCoder(CoderRegistry registry, Coder<Double> inputCoder) throws CannotProvideCoderException {
    return new AccumulatorCoder(sketchFn.getAccumulatorCoder(registry, DoubleCoder.of()));
  }

  /** A flag, then the values or the sketch. */
  private static final class AccumulatorCoder extends CustomCoder<Accumulator> {
    private static final ListCoder<Double> VALUES = ListCoder.of(DoubleCoder.of());
    private final Coder sketchCoder;

    AccumulatorCoder(Coder sketchCoder) {
      this.sketchCoder = sketchCoder;
    }

    @Override
    public void encode(Accumulator value, OutputStream out) throws IOException {
      boolean sketched = value.sketch != null;
      BooleanCoder.of().encode(sketched, out);
      if (sketched) {
        sketchCoder.encode(value.sketch, out);
      } else {
        VALUES.encode(value.values, out);
      }
    }

    @Override
    public Accumulator decode(InputStream in) throws IOException {
      Accumulator accumulator = new Accumulator();
      if (BooleanCoder.of().decode(in)) {
        accumulator.values = null;
        accumulator.sketch = sketchCoder.decode(in);
      } else {
        accumulator.values = new ArrayList<>(VALUES.decode(in));
      }
      return accumulator;
    }
  }
}
