package dev.streamtemplates.transforms.aggregate;

import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.core.Names;
import java.io.Serializable;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.joda.time.ReadableInstant;

/**
 * Which results of a window an {@link WindowedAggregate} keeps and how it numbers them: the
 * {@code n} rows with the largest (or smallest) value of one aggregate, in each window, or in each
 * window and partition.
 *
 * <pre>{@code
 * Ranking.largest(3, "total")                       // the 3 largest totals of each window
 * Ranking.smallest(5, "meanLatency")                // the 5 smallest
 * Ranking.largest(2, "sales").per("store")          // per window and store: the 2 best products
 * }</pre>
 *
 * <p>The semantics are Flink SQL's Window Top-N (Flink 1.19 docs, "Window Top-N": {@code
 * ROW_NUMBER() OVER (PARTITION BY window_start, window_end [, per...] ORDER BY by [ASC|DESC]) <=
 * n}, only the final result of each window): each kept row gets {@code rank} 1..n, consecutive,
 * as {@code ROW_NUMBER} numbers rows (not {@code RANK}: equal values get different numbers).
 *
 * <p>SQL leaves the order of equal values to the engine; here it is fixed, so that every run and
 * runner gives the same ranks: among rows with equal values, the row whose field values, as text
 * in schema order (its key fields first), sort first ranks first. A null value ranks after every
 * value, in both orders ({@code NULLS LAST}). Numbers compare by value (integers exactly), text by
 * character code, times by instant, {@code false} before {@code true}.
 */
public final class Ranking implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Which end of the order is kept. */
  public enum Order {
    /** The smallest values first ({@code ORDER BY by ASC}). */
    ASC,
    /** The largest values first ({@code ORDER BY by DESC}); the default. */
    DESC
  }

  private final int n;
  private final String by;
  private final Order order;
  private final List<String> per;

  private Ranking(int n, String by, Order order, List<String> per) {
    if (n < 1) {
      throw new IllegalArgumentException("top n must be >= 1, got n=" + n);
    }
    this.n = n;
    this.by = Names.require(by, "top-N aggregate");
    this.order = order;
    this.per = List.copyOf(per);
  }

  /** The {@code n} rows with the largest {@code by} per window. */
  public static Ranking largest(int n, String by) {
    return new Ranking(n, by, Order.DESC, List.of());
  }

  /** The {@code n} rows with the smallest {@code by} per window. */
  public static Ranking smallest(int n, String by) {
    return new Ranking(n, by, Order.ASC, List.of());
  }

  /** The {@code n} rows of each order ({@code ASC}: smallest first) per window. */
  public static Ranking of(int n, String by, Order order) {
    if (order == null) {
      throw new IllegalArgumentException("order must be asc or desc, got order=null");
    }
    return new Ranking(n, by, order, List.of());
  }

  /** Ranks within each window and each value of these key fields ({@code PARTITION BY}). */
  @CheckReturnValue
  public Ranking per(String... fields) {
    return per(Arrays.asList(fields));
  }

  @CheckReturnValue
  public Ranking per(List<String> fields) {
    fields.forEach(f -> Names.require(f, "per field"));
    return new Ranking(n, by, order, fields);
  }

  public int n() {
    return n;
  }

  public String by() {
    return by;
  }

  public Order order() {
    return order;
  }

  public List<String> per() {
    return per;
  }

  /**
   * What is wrong with ranking rows of these aggregates and keys, or null: {@code by} must be an
   * aggregate of a type that orders, {@code per} a subset of the key fields.
   */
  String problem(Schema aggregates, List<String> keyFields) {
    if (!aggregates.hasField(by)) {
      return "top: by '" + by + "' is not an aggregate; aggregates are " + aggregates.getFieldNames();
    }
    FieldType type = aggregates.getField(by).getType();
    Schema.TypeName name = type.getTypeName();
    if (!name.isNumericType() && name != Schema.TypeName.STRING && name != Schema.TypeName.DATETIME && name != Schema.TypeName.BOOLEAN) {
      return "top: by '" + by + "' is a " + name + ", which has no order; rank by a number, a text, a time or a boolean";
    }
    List<String> notKeys = per.stream().filter(field -> !keyFields.contains(field)).toList();
    if (!notKeys.isEmpty()) {
      return "top: per " + notKeys + " must be key fields (the rows of a window are one per key); key fields are " + keyFields;
    }
    if (per.size() == keyFields.size() && !per.isEmpty()) {
      return "top: per " + per + " is every key field, so each partition holds one row; leave out at least one key field";
    }
    return null;
  }

  /** Orders rows so that the row that ranks first is the greatest, as Beam's {@code Top} keeps the greatest. */
  RankOrder comparator() {
    return new RankOrder(by, order == Order.ASC);
  }

  @Override
  public String toString() {
    return (order == Order.DESC ? "largest " : "smallest ") + n + " by " + by + (per.isEmpty() ? "" : " per " + per);
  }

  /** Greater = ranks before: non-null before null, then by value in the order, then by the row's text. */
  static final class RankOrder implements Comparator<Row>, Serializable {
    private static final long serialVersionUID = 1L;
    private final String field;
    private final boolean ascending;

    RankOrder(String field, boolean ascending) {
      this.field = field;
      this.ascending = ascending;
    }

    /** The field's index in the last schema seen (every row of a ranking has the same schema). */
    private transient Resolved resolved;

    /** One reference, so that a comparator shared by threads never pairs a schema with another's index. */
    private record Resolved(Schema schema, int index) {}

    @Override
    public int compare(Row a, Row b) {
      Object x = a.getValue(indexIn(a.getSchema()));
      Object y = b.getValue(indexIn(b.getSchema()));
      if (x == null || y == null) {
        if (x != y) {
          return x == null ? -1 : 1; // nulls last, in both orders
        }
      } else {
        int byValue = compareValues(x, y);
        if (byValue != 0) {
          return ascending ? -byValue : byValue;
        }
      }
      // Equal values: the smaller text ranks before (Top keeps the greater, so invert).
      return b.getValues().toString().compareTo(a.getValues().toString());
    }

    /** A lookup by name hashes the name: this comparator runs for every row of every window. */
    private int indexIn(Schema rows) {
      Resolved last = resolved;
      if (last == null || last.schema() != rows) {
        last = new Resolved(rows, rows.indexOf(field));
        resolved = last;
      }
      return last.index();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compareValues(Object x, Object y) {
      if (x instanceof Number && y instanceof Number) {
        if (isIntegral(x) && isIntegral(y)) {
          return Long.compare(((Number) x).longValue(), ((Number) y).longValue());
        }
        if (x instanceof BigDecimal && y instanceof BigDecimal) {
          return ((BigDecimal) x).compareTo((BigDecimal) y);
        }
        return Double.compare(((Number) x).doubleValue(), ((Number) y).doubleValue());
      }
      if (x instanceof ReadableInstant && y instanceof ReadableInstant) {
        return Long.compare(((ReadableInstant) x).getMillis(), ((ReadableInstant) y).getMillis());
      }
      return ((Comparable) x).compareTo(y);
    }

    private static boolean isIntegral(Object value) {
      return value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte;
    }
  }
}
