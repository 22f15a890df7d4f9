package dev.streamtemplates.transforms.core;

import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The one keying rule of every keyed transform (Threshold's debounce, Sequence, IntervalJoin,
 * Gather, Enrich): a key is the text of its fields' values, joined by {@code U+0001} when there
 * are several; <b>an event with a null key field has no key</b> and goes to the dead-letter output
 * with the reason {@link #nullReason}. A null is never confused with the text {@code "null"}, and
 * nothing is matched, joined or debounced under a made-up key.
 *
 * <pre>{@code
 * Keys keys = Keys.of(List.of("cardId"));
 * String key = keys.of(row);       // null when cardId is null: dead-letter the row
 * }</pre>
 */
public final class Keys implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final char SEPARATOR = '\u0001';

  private final List<String> fields;

  private Keys(List<String> fields) {
    this.fields = List.copyOf(fields);
  }

  /** Keys made of {@code fields}, in order. */
  public static Keys of(List<String> fields) {
    fields.forEach(f -> Names.require(f, "key field"));
    return new Keys(fields);
  }

  /** Keys made of one field. */
  public static Keys of(String field) {
    return of(List.of(field));
  }

  /** The key of {@code row}, or null when a key field is null (the row has no key: dead-letter it). */
  public @Nullable String of(Row row) {
    if (fields.size() == 1) {
      Object value = row.getValue(fields.get(0));
      return value == null ? null : value.toString();
    }
    StringBuilder key = new StringBuilder();
    for (String field : fields) {
      Object value = row.getValue(field);
      if (value == null) {
        return null;
      }
      if (key.length() > 0) {
        key.append(SEPARATOR);
      }
      key.append(value);
    }
    return key.toString();
  }

  /** Why a row has no key: names the null field. */
  public String nullReason(Row row) {
    for (String field : fields) {
      if (row.getValue(field) == null) {
        return "key field '" + field + "' is null";
      }
    }
    return "key is null";
  }
}
