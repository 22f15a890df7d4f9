package dev.streamtemplates.transforms.aggregate;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * Running count, sum, min, max, mean and sum of squared deviations (M2) of a stream of numbers.
 * Mean and M2 are updated with Welford's algorithm and merged with Chan et al.'s pairwise
 * formula, which stay accurate where the textbook sum-of-squares formula cancels catastrophically
 * (large values with small spread).
 */
final class Stats {
  long count;
  double sum;
  double min = Double.POSITIVE_INFINITY;
  double max = Double.NEGATIVE_INFINITY;
  double mean;
  double m2;

  void add(double x) {
    count++;
    sum += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
    double delta = x - mean;
    mean += delta / count;
    m2 += delta * (x - mean);
  }

  void merge(Stats other) {
    if (other.count == 0) {
      return;
    }
    if (count == 0) {
      count = other.count;
      sum = other.sum;
      min = other.min;
      max = other.max;
      mean = other.mean;
      m2 = other.m2;
      return;
    }
    long n = count + other.count;
    double delta = other.mean - mean;
    mean += delta * other.count / n;
    m2 += other.m2 + delta * delta * ((double) count * other.count / n);
    count = n;
    sum += other.sum;
    min = Math.min(min, other.min);
    max = Math.max(max, other.max);
  }

  /** The coder of Stats: six numbers. */
  static final class StatsCoder extends AtomicCoder<Stats> {
    static final StatsCoder INSTANCE = new StatsCoder();
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final DoubleCoder DOUBLE = DoubleCoder.of();

    @Override
    public void encode(Stats value, OutputStream out) throws IOException {
      LONG.encode(value.count, out);
      DOUBLE.encode(value.sum, out);
      DOUBLE.encode(value.min, out);
      DOUBLE.encode(value.max, out);
      DOUBLE.encode(value.mean, out);
      DOUBLE.encode(value.m2, out);
    }

    @Override
    public Stats decode(InputStream in) throws IOException {
      Stats stats = new Stats();
      stats.count = LONG.decode(in);
      stats.sum = DOUBLE.decode(in);
      stats.min = DOUBLE.decode(in);
      stats.max = DOUBLE.decode(in);
      stats.mean = DOUBLE.decode(in);
      stats.m2 = DOUBLE.decode(in);
      return stats;
    }
  }
}
