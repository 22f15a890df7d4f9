package dev.streamtemplates.transforms.expr;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.cel.common.types.CelKind;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.values.CelByteString;
import dev.cel.common.values.NullValue;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.Schema.TypeName;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.joda.time.ReadableInstant;

/**
 * Maps Beam schema types and values to CEL types and values, and back.
 *
 * <p>Integers of every width are CEL {@code int}; FLOAT, DOUBLE and DECIMAL are {@code double}
 * (DECIMAL loses precision beyond 15-17 digits); DATETIME is {@code timestamp}; a nested ROW is a
 * {@code map(string, dyn)}; arrays are lists. Logical types other than DATETIME are seen as their
 * string form.
 */
final class CelTypes {
  private CelTypes() {}

  static CelType toCel(FieldType type) {
    switch (type.getTypeName()) {
      case BYTE:
      case INT16:
      case INT32:
      case INT64:
        return SimpleType.INT;
      case FLOAT:
      case DOUBLE:
      case DECIMAL:
        return SimpleType.DOUBLE;
      case STRING:
        return SimpleType.STRING;
      case BOOLEAN:
        return SimpleType.BOOL;
      case BYTES:
        return SimpleType.BYTES;
      case DATETIME:
        return SimpleType.TIMESTAMP;
      case ROW:
        return MapType.create(SimpleType.STRING, SimpleType.DYN);
      case ARRAY:
      case ITERABLE:
        return ListType.create(toCel(type.getCollectionElementType()));
      case MAP:
        return MapType.create(toCel(type.getMapKeyType()), toCel(type.getMapValueType()));
      case LOGICAL_TYPE:
      default:
        return SimpleType.STRING;
    }
  }

  /** The Beam type for a CEL result type, or null when CEL cannot tell (dyn) or Beam has none. */
  static @Nullable FieldType toBeam(CelType type) {
    if (type instanceof dev.cel.common.types.NullableType nullable) {
      // A wrapper type (e.g. what sum(list, field) returns): its value type, or null.
      return toBeam(nullable.targetType());
    }
    CelKind kind = type.kind();
    switch (kind) {
      case INT:
      case UINT:
        return FieldType.INT64;
      case DOUBLE:
        return FieldType.DOUBLE;
      case STRING:
        return FieldType.STRING;
      case BOOL:
        return FieldType.BOOLEAN;
      case BYTES:
        return FieldType.BYTES;
      case TIMESTAMP:
        return FieldType.DATETIME;
      case LIST:
        FieldType element = toBeam(type.parameters().get(0));
        return element == null ? null : FieldType.array(element);
      default:
        return null;
    }
  }

  /** The CEL value of a Beam field value of the given type. */
  static Object toCelValue(@Nullable Object value, FieldType type) {
    if (value == null) {
      return NullValue.NULL_VALUE;
    }
    switch (type.getTypeName()) {
      case BYTE:
      case INT16:
      case INT32:
      case INT64:
        return ((Number) value).longValue();
      case FLOAT:
      case DOUBLE:
      case DECIMAL:
        return ((Number) value).doubleValue();
      case STRING:
      case BOOLEAN:
        return value;
      case BYTES:
        return CelByteString.of((byte[]) value);
      case DATETIME:
        long millis = ((ReadableInstant) value).getMillis();
        return Timestamp.newBuilder()
            .setSeconds(Math.floorDiv(millis, 1000L))
            .setNanos((int) Math.floorMod(millis, 1000L) * 1_000_000)
            .build();
      case ROW:
        return rowToMap((Row) value);
      case ARRAY:
      case ITERABLE:
        List<Object> list = new ArrayList<>();
        for (Object item : (Iterable<?>) value) {
          list.add(toCelValue(item, type.getCollectionElementType()));
        }
        return list;
      case MAP:
        Map<Object, Object> map = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
          map.put(
              toCelValue(e.getKey(), type.getMapKeyType()),
              toCelValue(e.getValue(), type.getMapValueType()));
        }
        return map;
      default:
        return value.toString();
    }
  }

  static Map<String, Object> rowToMap(Row row) {
    Schema schema = row.getSchema();
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < schema.getFieldCount(); i++) {
      Schema.Field field = schema.getField(i);
      map.put(field.getName(), toCelValue(row.getValue(i), field.getType()));
    }
    return map;
  }

  /**
   * Converts a CEL result to a value of the Beam field type, in Beam's in-memory representation
   * (DATETIME as a joda {@link Instant}), or throws a readable error.
   */
  static @Nullable Object toBeamValue(@Nullable Object value, FieldType type) {
    if (value == null || value instanceof NullValue || value instanceof com.google.protobuf.NullValue) {
      return null;
    }
    TypeName name = type.getTypeName();
    switch (name) {
      case BYTE:
        return ((Number) requireNumber(value, type)).byteValue();
      case INT16:
        return ((Number) requireNumber(value, type)).shortValue();
      case INT32:
        return Math.toIntExact(((Number) requireNumber(value, type)).longValue());
      case INT64:
        return value instanceof com.google.common.primitives.UnsignedLong
            ? ((com.google.common.primitives.UnsignedLong) value).longValue()
            : ((Number) requireNumber(value, type)).longValue();
      case FLOAT:
        return ((Number) requireNumber(value, type)).floatValue();
      case DOUBLE:
        return ((Number) requireNumber(value, type)).doubleValue();
      case DECIMAL:
        return new BigDecimal(requireNumber(value, type).toString());
      case STRING:
        return value.toString();
      case BOOLEAN:
        if (value instanceof Boolean) {
          return value;
        }
        break;
      case BYTES:
        if (value instanceof CelByteString) {
          return ((CelByteString) value).toByteArray();
        }
        if (value instanceof ByteString) {
          return ((ByteString) value).toByteArray();
        }
        break;
      case DATETIME:
        if (value instanceof Timestamp) {
          Timestamp ts = (Timestamp) value;
          return new Instant(ts.getSeconds() * 1000L + ts.getNanos() / 1_000_000);
        }
        if (value instanceof java.time.Instant) {
          return new Instant(((java.time.Instant) value).toEpochMilli());
        }
        break;
      case ARRAY:
      case ITERABLE:
        if (value instanceof List) {
          List<Object> out = new ArrayList<>();
          for (Object item : (List<?>) value) {
            out.add(toBeamValue(item, type.getCollectionElementType()));
          }
          return out;
        }
        break;
      default:
        break;
    }
    throw new IllegalArgumentException(
        "expression result " + value + " (" + value.getClass().getSimpleName() + ") is not a " + type);
  }

  private static Object requireNumber(Object value, FieldType type) {
    if (value instanceof Number) {
      return value;
    }
    if (value instanceof com.google.common.primitives.UnsignedLong) {
      return ((com.google.common.primitives.UnsignedLong) value).longValue();
    }
    throw new IllegalArgumentException(
        "expression result " + value + " (" + value.getClass().getSimpleName() + ") is not a number for " + type);
  }
}
