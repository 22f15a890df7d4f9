package dev.streamtemplates.transforms.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.transforms.core.Instants;
import dev.streamtemplates.transforms.deadletter.RecordException;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Schema-directed conversion of untyped text (XML element text, CSV cells) to typed Row values.
 *
 * <p>Written by hand because neither Jackson XML nor Commons CSV knows Beam schemas, and Beam's
 * {@code RowJson} rejects a JSON string where a number is expected, which is all XML and CSV have.
 * Every error names the field and the bad value.
 *
 * <ul>
 *   <li>integers: decimal digits, range-checked for the field's width;
 *   <li>FLOAT, DOUBLE, DECIMAL: decimal numbers; FLOAT and DOUBLE must be finite in the field's
 *       range ({@code NaN}, {@code Infinity} and {@code 1e400} are errors, see {@link #finite});
 *   <li>BOOLEAN: {@code true} or {@code false}, any case;
 *   <li>DATETIME: ISO-8601 with an offset ({@code 2024-05-01T10:00:00Z}) or epoch milliseconds; a
 *       time without an offset is an error, not UTC;
 *   <li>BYTES: base64;
 *   <li>an empty value is null for a nullable field and an error for a required one, STRING
 *       included; only an XML element that is present but empty is the empty string (XML can tell
 *       an absent element, null, from an empty one).
 * </ul>
 *
 * <p>Each value is made in the class a Row stores for its type ({@code Instant} for DATETIME, a
 * {@code List} for an array, a Row for a nested row), so rows are made with {@code attachValues}:
 * {@code Row.Builder.build()} would walk every field again to check and convert what is already
 * right, a quarter of the time of reading a CSV line or an XML record ({@code HotPathBenchmark}).
 * {@code TextValuesTest} checks that {@code build()} would give an equal row of the same classes.
 */
public final class TextValues {
  private TextValues() {}

  /** Builds a row of {@code schema} from a tree of text values (an XML element read by Jackson). */
  public static Row fromTree(Schema schema, JsonNode node, String path) {
    if (!node.isObject()) {
      throw new RecordException(
          (path.isEmpty() ? "record" : "field '" + path + "'") + " has no child fields: '" + node.asText() + "'");
    }
    List<Object> values = new ArrayList<>(schema.getFieldCount());
    for (Schema.Field field : schema.getFields()) {
      String fieldPath = path.isEmpty() ? field.getName() : path + "." + field.getName();
      JsonNode child = node.get(field.getName());
      values.add(fromNode(field.getType(), child, fieldPath));
    }
    return Row.withSchema(schema).attachValues(values);
  }

  /** Builds a row of {@code schema} from named text cells (a CSV record). */
  public static Row fromStrings(Schema schema, Map<String, String> cells) {
    List<Object> values = new ArrayList<>(schema.getFieldCount());
    for (Schema.Field field : schema.getFields()) {
      values.add(parse(field.getType(), cells.get(field.getName()), field.getName()));
    }
    return Row.withSchema(schema).attachValues(values);
  }

  private static @Nullable Object fromNode(FieldType type, @Nullable JsonNode node, String path) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return missing(type, path);
    }
    switch (type.getTypeName()) {
      case ROW:
        if (node.isTextual() && node.asText().isEmpty()) {
          return missing(type, path);
        }
        return fromTree(type.getRowSchema(), node, path);
      case ARRAY:
      case ITERABLE:
        List<Object> items = new ArrayList<>();
        if (node.isArray()) {
          for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
            items.add(fromNode(type.getCollectionElementType(), it.next(), path + "[" + items.size() + "]"));
          }
        } else if (node.isObject() && node.size() == 1 && type.getCollectionElementType().getTypeName() != Schema.TypeName.ROW) {
          // <tags><tag>a</tag><tag>b</tag></tags>: the wrapper holds one repeated child.
          return fromNode(type, node.elements().next(), path);
        } else {
          items.add(fromNode(type.getCollectionElementType(), node, path + "[0]"));
        }
        return items;
      default:
        if (node.isContainerNode()) {
          throw new RecordException("field '" + path + "' must be a single " + describe(type) + ", got nested content " + node);
        }
        if (type.getTypeName() == Schema.TypeName.STRING) {
          return node.asText(); // a present XML element: empty is the empty string, absence is null
        }
        return parse(type, node.asText(), path);
    }
  }

  /** Parses one text value into the Beam value of {@code type}. */
  public static @Nullable Object parse(FieldType type, @Nullable String text, String field) {
    if (text == null) {
      return missing(type, field);
    }
    String value = type.getTypeName() == Schema.TypeName.STRING ? text : text.trim();
    if (value.isEmpty()) {
      return missing(type, field);
    }
    try {
      switch (type.getTypeName()) {
        case STRING:
          return value;
        case BYTE:
          return Byte.parseByte(value);
        case INT16:
          return Short.parseShort(value);
        case INT32:
          return Integer.parseInt(value);
        case INT64:
          return Long.parseLong(value);
        case FLOAT:
          return (float) finite(type, Float.parseFloat(decimal(value, field)), value, field);
        case DOUBLE:
          return finite(type, Double.parseDouble(decimal(value, field)), value, field);
        case DECIMAL:
          return new BigDecimal(value);
        case BOOLEAN:
          String lower = value.toLowerCase(Locale.ROOT);
          if (lower.equals("true") || lower.equals("false")) {
            return Boolean.parseBoolean(lower);
          }
          throw new IllegalArgumentException("not a boolean");
        case DATETIME:
          try {
            return new Instant(Instants.parseEpochMillis(value));
          } catch (Instants.NoOffsetException e) {
            throw new RecordException("field '" + field + "': " + e.getMessage());
          }
        case BYTES:
          return Base64.getDecoder().decode(value);
        case LOGICAL_TYPE:
          if (SqlTypes.DATE.getIdentifier().equals(type.getLogicalType().getIdentifier())) {
            return LocalDate.parse(value);
          }
          throw new IllegalArgumentException("logical type " + type.getLogicalType().getIdentifier() + " is not supported in text formats");
        default:
          throw new IllegalArgumentException(type.getTypeName() + " is not a single value");
      }
    } catch (RecordException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new RecordException("field '" + field + "': '" + abbreviate(value) + "' is not a valid " + describe(type));
    }
  }

  /**
   * The one rule for non-finite numbers, shared by every text format (JSON, XML, CSV): a FLOAT or
   * DOUBLE must be a finite number of the field's range. Reading {@code NaN}, {@code Infinity} or
   * a number outside the range ({@code 1e400}) is a dead letter; writing one is refused too (see
   * {@link #requireFinite}), since JSON has no literal for it and text readers would reject it.
   * Numbers are parsed as {@link BigDecimal} first, so that only decimal notation is accepted
   * ({@code Double.parseDouble} would also take {@code 0x1p3}, {@code 2.5d} and {@code NaN}).
   */
  static double finite(FieldType type, double value, String written, String field) {
    if (Double.isInfinite(value)) {
      throw notFinite(field, written, " (outside the " + type.getTypeName() + " range)");
    }
    return value;
  }

  /** {@code value} if it is in decimal notation (BigDecimal's grammar); the double is parsed apart, keeping -0.0. */
  private static String decimal(String value, String field) {
    String word = value.replaceFirst("^[+-]", "").toLowerCase(Locale.ROOT);
    if (word.equals("nan") || word.equals("inf") || word.equals("infinity")) {
      throw notFinite(field, value, "");
    }
    new BigDecimal(value); // throws NumberFormatException for 0x1p3, 2.5d, ...
    return value;
  }

  private static RecordException notFinite(String field, String written, String why) {
    return new RecordException("field '" + field + "': '" + abbreviate(written) + "' is not a finite number" + why);
  }

  /**
   * Refuses a row holding NaN or an infinite FLOAT or DOUBLE anywhere (nested rows, arrays, maps),
   * naming the field: text formats write only what their readers accept.
   */
  static void requireFinite(Row row) {
    requireFinite(row, "");
  }

  private static void requireFinite(Row row, String prefix) {
    for (Schema.Field field : row.getSchema().getFields()) {
      requireFiniteValue(row.getValue(field.getName()), prefix + field.getName());
    }
  }

  private static void requireFiniteValue(@Nullable Object value, String path) {
    if (value instanceof Double || value instanceof Float) {
      double number = ((Number) value).doubleValue();
      if (!Double.isFinite(number)) {
        throw new IllegalArgumentException(
            "field '" + path + "': " + value + " is not a finite number; text formats write only finite numbers");
      }
    } else if (value instanceof Row) {
      requireFinite((Row) value, path + ".");
    } else if (value instanceof Iterable) {
      int i = 0;
      for (Object item : (Iterable<?>) value) {
        requireFiniteValue(item, path + "[" + i++ + "]");
      }
    } else if (value instanceof Map) {
      for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
        requireFiniteValue(entry.getValue(), path + "[" + entry.getKey() + "]");
      }
    }
  }

  private static @Nullable Object missing(FieldType type, String field) {
    if (type.getNullable()) {
      return null;
    }
    throw new RecordException("required field '" + field + "' is missing or empty");
  }

  static String describe(FieldType type) {
    switch (type.getTypeName()) {
      case DATETIME:
        return "DATETIME (ISO-8601 with offset, or epoch millis)";
      case BOOLEAN:
        return "BOOLEAN (true or false)";
      case BYTES:
        return "BYTES (base64)";
      case LOGICAL_TYPE:
        return type.getLogicalType().getIdentifier();
      default:
        return type.getTypeName().toString();
    }
  }

  static String abbreviate(String value) {
    return value.length() <= 60 ? value : value.substring(0, 57) + "...";
  }
}
