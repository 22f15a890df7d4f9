package dev.streamtemplates.transforms.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.transforms.core.Instants;
import dev.streamtemplates.transforms.deadletter.RecordException;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
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
import org.joda.time.DateTime;
import org.joda.time.DateTimeZone;

/**
 * Schema-directed conversion of untyped text (XML element text, CSV cells) to typed Row values.
 *
 * <p>Written by hand because neither Jackson XML nor Commons CSV knows Beam schemas, and Beam's
 * {@code RowJson} rejects a JSON string where a number is expected, which is all XML and CSV have.
 * Every error names the field and the bad value.
 *
 * <ul>
 *   <li>integers: decimal digits, range-checked for the field's width;
 *   <li>FLOAT, DOUBLE, DECIMAL: decimal numbers;
 *   <li>BOOLEAN: {@code true} or {@code false}, any case;
 *   <li>DATETIME: ISO-8601 with an offset ({@code 2024-05-01T10:00:00Z}) or epoch milliseconds;
 *   <li>BYTES: base64;
 *   <li>an empty value is null for a nullable field and an error for a required one.
 * </ul>
 */
public final class TextValues {
  private TextValues() {}

  /** Builds a row of {@code schema} from a tree of text values (an XML element read by Jackson). */
  public static Row fromTree(Schema schema, JsonNode node, String path) {
    if (!node.isObject()) {
      throw new RecordException(
          (path.isEmpty() ? "record" : "field '" + path + "'") + " has no child fields: '" + node.asText() + "'");
    }
    Row.Builder builder = Row.withSchema(schema);
    List<Object> values = new ArrayList<>(schema.getFieldCount());
    for (Schema.Field field : schema.getFields()) {
      String fieldPath = path.isEmpty() ? field.getName() : path + "." + field.getName();
      JsonNode child = node.get(field.getName());
      values.add(fromNode(field.getType(), child, fieldPath));
    }
    return builder.addValues(values).build();
  }

  /** Builds a row of {@code schema} from named text cells (a CSV record). */
  public static Row fromStrings(Schema schema, Map<String, String> cells) {
    List<Object> values = new ArrayList<>(schema.getFieldCount());
    for (Schema.Field field : schema.getFields()) {
      values.add(parse(field.getType(), cells.get(field.getName()), field.getName()));
    }
    return Row.withSchema(schema).addValues(values).build();
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
        return parse(type, node.asText(), path);
    }
  }

  /** Parses one text value into the Beam value of {@code type}. */
  public static @Nullable Object parse(FieldType type, @Nullable String text, String field) {
    if (text == null) {
      return missing(type, field);
    }
    String value = type.getTypeName() == Schema.TypeName.STRING ? text : text.trim();
    if (value.isEmpty() && type.getTypeName() != Schema.TypeName.STRING) {
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
          return Float.parseFloat(value);
        case DOUBLE:
          return Double.parseDouble(value);
        case DECIMAL:
          return new BigDecimal(value);
        case BOOLEAN:
          String lower = value.toLowerCase(Locale.ROOT);
          if (lower.equals("true") || lower.equals("false")) {
            return Boolean.parseBoolean(lower);
          }
          throw new IllegalArgumentException("not a boolean");
        case DATETIME:
          return new DateTime(Instants.parseEpochMillis(value), DateTimeZone.UTC);
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
