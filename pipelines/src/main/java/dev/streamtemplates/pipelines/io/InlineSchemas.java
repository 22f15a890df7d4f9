package dev.streamtemplates.pipelines.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.format.Formats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaParseException;

/**
 * The {@code schema:} of a source or sink: the path of an Avro {@code .avsc} file, or an inline
 * map of field name to type, converted to an Avro schema with Avro's {@link SchemaBuilder}:
 *
 * <pre>{@code
 * schema: {id: string, amount: double, ts: timestamp, note: string?,
 *          address: {city: string, zip: string?}, tags: [string],
 *          lines: [{sku: string, qty: int}], shipping: {type: {carrier: string}, nullable: true}}
 * }</pre>
 *
 * <p>A type is a name ({@link #TYPES}), a map (a nested record), a one-element list (a list of
 * that type), or the long form {@code {type: T, nullable: true}}; a trailing {@code ?} on a name
 * makes the field nullable (a union with null, default null). The record is named after the source
 * or sink; a nested record after its field, in its parent's namespace, so names never collide.
 * Every error of an inline schema is reported at once, one line each with its spec path.
 */
public final class InlineSchemas {
  private InlineSchemas() {}

  /** The type names of an inline schema, in the order they are listed in messages. */
  public static final List<String> TYPES = List.of("string", "int", "long", "float", "double", "boolean", "timestamp", "bytes");

  /** Avro names (fields and records): a letter or _, then letters, digits and _. */
  public static final Pattern AVRO_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /** The rule of {@link #AVRO_NAME}, as messages state it. */
  public static final String AVRO_NAME_RULE = "Avro names are a letter or _, then letters, digits and _";

  private static final String FORMS = "a type name, a trailing ? for nullable, {field: type, ...} for a record, [type] for a list,"
      + " or {type: ..., nullable: true}";

  /**
   * The Avro schema at {@code spec.key}: an inline map, converted, or a {@code .avsc} file, read.
   *
   * @param recordName the name of the record, e.g. the source's name; made a legal Avro name
   */
  public static Schema avroSchema(SpecNode spec, String key, String recordName) {
    JsonNode node = spec.json().get(key);
    if (node != null && node.isObject()) {
      return toAvro(spec.child(key), recordName);
    }
    String file = spec.text(key);
    try {
      return Formats.parseAvroSchema(Files.readString(Path.of(file), StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(spec.childPath(key) + ": no such schema file '" + file + "'");
    } catch (IOException e) {
      throw new IllegalArgumentException(spec.childPath(key) + ": cannot read schema file '" + file + "': " + e.getMessage());
    } catch (SchemaParseException e) {
      throw new IllegalArgumentException(spec.childPath(key) + ": '" + file + "' is not a valid Avro schema: " + e.getMessage());
    }
  }

  /**
   * Converts an inline schema (a map of field name to type) to an Avro record named {@code
   * recordName}.
   *
   * @throws SpecException with one line per error, each starting with its spec path
   */
  public static Schema toAvro(SpecNode schema, String recordName) {
    List<String> errors = new ArrayList<>();
    Schema avro = record(schema.json(), schema.path(), avroName(recordName), null, errors);
    if (!errors.isEmpty()) {
      throw new SpecException("spec", errors);
    }
    return avro;
  }

  /** {@code name} made a legal Avro name: each illegal character becomes {@code _}, and a leading digit gets one before it. */
  public static String avroName(String name) {
    String cleaned = name.replaceAll("[^A-Za-z0-9_]", "_");
    return cleaned.isEmpty() || Character.isDigit(cleaned.charAt(0)) ? "_" + cleaned : cleaned;
  }

  private static Schema record(JsonNode fields, String path, String name, String namespace, List<String> errors) {
    if (fields.isEmpty()) {
      errors.add(path + ": an empty record; give at least one field, e.g. {id: string}");
      return null;
    }
    String fullName = namespace == null ? name : namespace + "." + name;
    SchemaBuilder.FieldAssembler<Schema> assembler = SchemaBuilder.record(name).namespace(namespace).fields();
    for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String fieldPath = path + "." + field.getKey();
      if (!AVRO_NAME.matcher(field.getKey()).matches()) {
        errors.add(fieldPath + ": '" + field.getKey() + "' is not a legal field name: " + AVRO_NAME_RULE);
        continue;
      }
      Typed typed = type(field.getValue(), fieldPath, field.getKey(), fullName, errors);
      if (typed == null) {
        continue;
      }
      if (typed.nullable()) {
        assembler = assembler.name(field.getKey()).type(nullable(typed.schema())).withDefault(null);
      } else {
        assembler = assembler.name(field.getKey()).type(typed.schema()).noDefault();
      }
    }
    return assembler.endRecord();
  }

  /** A field's Avro type and whether it may be null. */
  private record Typed(Schema schema, boolean nullable) {}

  private static Typed type(JsonNode type, String path, String fieldName, String namespace, List<String> errors) {
    if (type.isObject() && type.size() == 2 && type.has("type") && type.path("nullable").isBoolean()) {
      Typed inner = type(type.get("type"), path + ".type", fieldName, namespace, errors);
      return inner == null ? null : new Typed(inner.schema(), type.get("nullable").asBoolean());
    }
    if (type.isObject()) {
      Schema nested = record(type, path, fieldName, namespace, errors);
      return nested == null ? null : new Typed(nested, false);
    }
    if (type.isArray()) {
      if (type.size() != 1) {
        errors.add(path + ": a list type has one element, its items' type, e.g. [string]; got " + type.size());
        return null;
      }
      Typed item = type(type.get(0), path + "[0]", fieldName, namespace, errors);
      return item == null ? null : new Typed(SchemaBuilder.array().items(item.nullable() ? nullable(item.schema()) : item.schema()), false);
    }
    String text = type.isTextual() ? type.asText() : type.toString();
    boolean nullable = text.endsWith("?");
    String name = nullable ? text.substring(0, text.length() - 1) : text;
    Schema scalar = type.isTextual() ? scalar(name) : null;
    if (scalar == null) {
      errors.add(path + ": unknown type '" + text + "'; types are " + String.join(", ", TYPES) + " (" + FORMS + ")");
      return null;
    }
    return new Typed(scalar, nullable);
  }

  private static Schema scalar(String name) {
    switch (name) {
      case "string":
        return SchemaBuilder.builder().stringType();
      case "int":
        return SchemaBuilder.builder().intType();
      case "long":
        return SchemaBuilder.builder().longType();
      case "float":
        return SchemaBuilder.builder().floatType();
      case "double":
        return SchemaBuilder.builder().doubleType();
      case "boolean":
        return SchemaBuilder.builder().booleanType();
      case "bytes":
        return SchemaBuilder.builder().bytesType();
      case "timestamp":
        return LogicalTypes.timestampMillis().addToSchema(SchemaBuilder.builder().longType());
      default:
        return null;
    }
  }

  private static Schema nullable(Schema schema) {
    return SchemaBuilder.unionOf().nullType().and().type(schema).endUnion();
  }
}
