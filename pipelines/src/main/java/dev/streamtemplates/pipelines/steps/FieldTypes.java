package dev.streamtemplates.pipelines.steps;

import java.util.Map;
import org.apache.beam.sdk.schemas.Schema.FieldType;

/** Type names a spec may use for a field: {@code string}, {@code int32}, {@code int64}, ... */
public final class FieldTypes {
  private static final Map<String, FieldType> TYPES =
      Map.of(
          "string", FieldType.STRING,
          "int32", FieldType.INT32,
          "int64", FieldType.INT64,
          "float", FieldType.FLOAT,
          "double", FieldType.DOUBLE,
          "decimal", FieldType.DECIMAL,
          "boolean", FieldType.BOOLEAN,
          "datetime", FieldType.DATETIME,
          "bytes", FieldType.BYTES);

  private FieldTypes() {}

  public static FieldType parse(String name, String path) {
    FieldType type = TYPES.get(name);
    if (type == null) {
      throw new IllegalArgumentException(path + ": unknown type '" + name + "'; use one of " + new java.util.TreeSet<>(TYPES.keySet()));
    }
    return type;
  }
}
