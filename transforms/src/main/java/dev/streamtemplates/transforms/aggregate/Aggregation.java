package dev.streamtemplates.transforms.aggregate;

import java.io.Serializable;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One named aggregate of a window: a function, the field it reads, and its output name.
 *
 * <pre>{@code
 * Aggregation.of("sum", "amount").as("total")
 * Aggregation.count().as("events")
 * Aggregation.quantile("latencyMs", 0.95).as("p95")
 * }</pre>
 *
 * <p>Functions: {@code count} (rows, or non-null values of a field), {@code sum}, {@code min},
 * {@code max}, {@code mean}, {@code var_pop}, {@code var_samp}, {@code stddev_pop}, {@code
 * stddev_samp} (numerically stable: Welford's update and Chan's merge), {@code count_distinct}
 * (exact), {@code approx_count_distinct} (a K-minimum-values sketch, Beam's {@code
 * ApproximateUnique}, about 2% error), {@code quantile} and {@code median} (linear interpolation
 * between the nearest ranks, as NumPy and R's default: the median of 1, 2, 3, 4 is 2.5; exact up
 * to 10,000 values per window and key, then within 0.1% of the count in rank; see {@link
 * QuantileFn}), {@code
 * first} and {@code last} (by event time; ties broken by the value's text, so every runner agrees),
 * {@code largest} and {@code smallest} (the n first values of a field in that order, a list: the
 * sorted, ranked output of a window, e.g. the 3 slowest of each count window of 100 requests).
 * Nulls are skipped, as in SQL; a numeric aggregate of no values is null. {@code sum} of an
 * integer field is a 64-bit integer (INT64), exact; a sum that overflows it sends the window's
 * result to the dead-letter output. Other numeric aggregates are DOUBLE.
 */
public final class Aggregation implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The aggregate functions. */
  public enum Function {
    COUNT, SUM, MIN, MAX, MEAN, VAR_POP, VAR_SAMP, STDDEV_POP, STDDEV_SAMP,
    COUNT_DISTINCT, APPROX_COUNT_DISTINCT, QUANTILE, MEDIAN, FIRST, LAST, LARGEST, SMALLEST;

    /** Whether the function's accumulators merge cheaply and exactly (the sliding-slice path). */
    public boolean mergesExactly() {
      return this != QUANTILE && this != MEDIAN && this != APPROX_COUNT_DISTINCT;
    }

    static Function parse(String name) {
      try {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown aggregate function '" + name + "'; use one of "
            + java.util.Arrays.toString(values()).toLowerCase(Locale.ROOT));
      }
    }
  }

  private final Function function;
  private final @Nullable String field;
  private final double quantile;
  private final int limit;
  private final String name;

  /** The most values {@link #largest} and {@link #smallest} keep: each window's state holds them. */
  public static final int MAX_LIMIT = 1000;

  private Aggregation(Function function, @Nullable String field, double quantile, int limit, String name) {
    this.function = function;
    this.field = field;
    this.quantile = quantile;
    this.limit = limit;
    this.name = name;
  }

  /** {@code function} (by name, e.g. "stddev_samp") over {@code field}; named after both until {@link #as}. */
  public static Aggregation of(String function, @Nullable String field) {
    Function fn = Function.parse(function);
    if (fn == Function.QUANTILE) {
      throw new IllegalArgumentException("quantile needs a fraction: use Aggregation.quantile(field, q)");
    }
    if (fn == Function.LARGEST || fn == Function.SMALLEST) {
      return ranked(fn, field, 1);
    }
    if (field == null && fn != Function.COUNT) {
      throw new IllegalArgumentException(function + " needs a field");
    }
    String name = field == null ? fn.name().toLowerCase(Locale.ROOT) : fn.name().toLowerCase(Locale.ROOT) + "_" + field;
    return new Aggregation(fn, field, fn == Function.MEDIAN ? 0.5 : Double.NaN, 0, name);
  }

  /** The {@code n} largest values of {@code field} (nulls skipped), largest first: a list. */
  public static Aggregation largest(String field, int n) {
    return ranked(Function.LARGEST, field, n);
  }

  /** The {@code n} smallest values of {@code field} (nulls skipped), smallest first: a list. */
  public static Aggregation smallest(String field, int n) {
    return ranked(Function.SMALLEST, field, n);
  }

  private static Aggregation ranked(Function fn, @Nullable String field, int n) {
    String function = fn.name().toLowerCase(Locale.ROOT);
    if (field == null) {
      throw new IllegalArgumentException(function + " needs a field");
    }
    if (n < 1 || n > MAX_LIMIT) {
      throw new IllegalArgumentException(function + " keeps from 1 to " + MAX_LIMIT + " values, got n=" + n);
    }
    return new Aggregation(fn, field, Double.NaN, n, function + "_" + field);
  }

  /** The number of rows. */
  public static Aggregation count() {
    return of("count", null);
  }

  /** The q-quantile (0 <= q <= 1) of a numeric field, see {@link QuantileFn}. */
  public static Aggregation quantile(String field, double q) {
    if (!(q >= 0 && q <= 1)) {
      throw new IllegalArgumentException("q must be between 0 and 1, got q=" + q);
    }
    if (field == null) {
      throw new IllegalArgumentException("quantile needs a field");
    }
    return new Aggregation(Function.QUANTILE, field, q, 0, "quantile_" + field);
  }

  /** The output field name. */
  public Aggregation as(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("aggregate name must be non-empty, got '" + name + "'");
    }
    return new Aggregation(function, field, quantile, limit, name);
  }

  public Function function() {
    return function;
  }

  public @Nullable String field() {
    return field;
  }

  public double quantile() {
    return quantile;
  }

  /** How many values {@code largest} and {@code smallest} keep; 0 for the other functions. */
  public int limit() {
    return limit;
  }

  public String name() {
    return name;
  }

  @Override
  public String toString() {
    return name + " = " + function.name().toLowerCase(Locale.ROOT) + "(" + (field == null ? "*" : field)
        + (function == Function.QUANTILE ? ", " + quantile : "") + (limit > 0 ? ", " + limit : "") + ")";
  }
}
