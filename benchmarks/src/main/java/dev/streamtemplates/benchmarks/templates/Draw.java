package dev.streamtemplates.benchmarks.templates;

import java.util.SplittableRandom;

/**
 * The random draws of one generator run: a seeded {@link SplittableRandom} consumed in event
 * order, so the same seed and the same number of events give the same files, byte for byte.
 */
final class Draw {
  private final long seed;
  private final SplittableRandom random;

  Draw(long seed) {
    this.seed = seed;
    this.random = new SplittableRandom(seed);
  }

  /**
   * A value in {@code [0, 1)} fixed for {@code (key, period)} in this run, not drawn from the
   * sequence: the same for every event of that key in that period (is this server overloaded in
   * this five minutes?).
   */
  double phase(long key, long period) {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + key * 1_000_003L + period * 998_244_353L).nextDouble();
  }

  /** True with probability {@code p}. */
  boolean chance(double p) {
    return random.nextDouble() < p;
  }

  /** Uniform in {@code [0, n)}. */
  int below(int n) {
    return random.nextInt(n);
  }

  /** Uniform in {@code [from, to]}. */
  int between(int from, int to) {
    return random.nextInt(from, to + 1);
  }

  /** Uniform in {@code [0, 1)}. */
  double unit() {
    return random.nextDouble();
  }

  /** One of {@code values}, uniformly. */
  <T> T pick(T[] values) {
    return values[random.nextInt(values.length)];
  }

  /** Normal with the given mean and standard deviation. */
  double gaussian(double mean, double sd) {
    // Box-Muller by hand rather than RandomGenerator.nextGaussian(), whose algorithm is the JDK's
    // to change: the files must stay the same for the same seed on every JDK.
    double u = 1.0 - random.nextDouble();
    double v = random.nextDouble();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Log-uniform in {@code [low, high]}: as many values in each decade. */
  double logUniform(double low, double high) {
    return low * Math.pow(high / low, random.nextDouble());
  }

  /** {@code value} rounded to {@code digits} decimals, as a sensor or a price is written. */
  static double round(double value, int digits) {
    double scale = Math.pow(10, digits);
    return Math.round(value * scale) / scale;
  }

  /** {@code value} kept within {@code [low, high]}. */
  static double clamp(double value, double low, double high) {
    return Math.max(low, Math.min(high, value));
  }
}
