package dev.streamtemplates.transforms.core;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Rows made per event without Beam's checking builder. {@code Row.Builder.build()} walks every
 * field (nested rows and arrays too) to check and convert the values; for values taken from a row
 * that was already built, plus one value of the field's own class, that work is wasted on every
 * event, so these attach the values as they are.
 */
public final class Rows {
  private Rows() {}

  /**
   * {@code row}'s values followed by {@code value}, as a row of {@code schema}: {@code row}'s fields
   * and then one more, whose Beam class {@code value} must already have (a Row, String, Instant...).
   */
  public static Row appended(Schema schema, Row row, @Nullable Object value) {
    List<Object> values = new ArrayList<>(row.getFieldCount() + 1);
    values.addAll(row.getValues());
    values.add(value);
    return Row.withSchema(schema).attachValues(values);
  }
}
