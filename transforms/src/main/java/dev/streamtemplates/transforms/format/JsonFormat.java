package dev.streamtemplates.transforms.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.FloatNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.streamtemplates.transforms.core.Instants;
import dev.streamtemplates.transforms.deadletter.RecordException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.Schema.TypeName;
import org.apache.beam.sdk.util.RowJson.RowJsonDeserializer;
import org.apache.beam.sdk.util.RowJson.RowJsonDeserializer.NullBehavior;
import org.apache.beam.sdk.util.RowJson.RowJsonSerializer;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/** JSON objects to and from Rows with Beam's own {@code RowJson} (de)serializers. */
final class JsonFormat implements RecordFormat {
  private static final long serialVersionUID = 1L;

  private final Schema schema;
  private transient ObjectMapper reader;
  private transient ObjectMapper writer;
  private static final JsonFactory SCANNER = new JsonFactory();

  private final boolean needsTree;
  private final boolean fastPath;

  JsonFormat(Schema schema) {
    this(schema, true);
  }

  /** {@code fastPath} false reads every record with RowJson (tests compare both readings). */
  JsonFormat(Schema schema, boolean fastPath) {
    this.schema = schema;
    this.needsTree = needsTree(FieldType.row(schema));
    this.fastPath = fastPath && fastTypes(FieldType.row(schema));
  }

  /** Whether records are read without RowJson when they can be (see {@link #fast}). */
  boolean readsFast() {
    return fastPath;
  }

  /**
   * Whether every field, however nested, is of a type {@link #fastValue} reads: a schema with any
   * other type would have every record read twice, once in vain.
   */
  private static boolean fastTypes(FieldType type) {
    switch (type.getTypeName()) {
      case STRING:
      case INT32:
      case INT64:
      case DOUBLE:
      case BOOLEAN:
      case DATETIME:
        return true;
      case ROW:
        return type.getRowSchema().getFields().stream().allMatch(f -> fastTypes(f.getType()));
      case ARRAY:
      case ITERABLE:
        return fastTypes(type.getCollectionElementType());
      default:
        return false;
    }
  }

  /** Whether any field, however nested, is a DATETIME, FLOAT or DOUBLE (see {@link #normalize}). */
  private static boolean needsTree(FieldType type) {
    switch (type.getTypeName()) {
      case DATETIME:
      case FLOAT:
      case DOUBLE:
        return true;
      case ROW:
        return type.getRowSchema().getFields().stream().anyMatch(f -> needsTree(f.getType()));
      case ARRAY:
      case ITERABLE:
        return needsTree(type.getCollectionElementType());
      case MAP:
        return needsTree(type.getMapValueType());
      default:
        return false;
    }
  }

  /**
   * Applies to the JSON tree the rules RowJson does not: DATETIME text must be an ISO-8601 time
   * with offset, read by {@link Instants} like every other format (RowJson would take a time
   * without offset as UTC), and epoch milliseconds are accepted; FLOAT and DOUBLE must be finite
   * ({@link TextValues#finite}; Jackson reads {@code 1e400} as Infinity). Returns the node to
   * use in place of {@code node}.
   */
  private static JsonNode normalize(FieldType type, JsonNode node, String path, String pointer, byte[] payload) {
    if (node == null || node.isNull()) {
      return node;
    }
    switch (type.getTypeName()) {
      case DATETIME:
        if (node.isIntegralNumber()) {
          return TextNode.valueOf(new Instant(node.longValue()).toString());
        }
        if (node.isTextual()) {
          try {
            return TextNode.valueOf(new Instant(Instants.parseEpochMillis(node.asText())).toString());
          } catch (IllegalArgumentException e) {
            throw new RecordException("field '" + path + "': " + e.getMessage());
          }
        }
        return node;
      case FLOAT:
      case DOUBLE:
        if (node.isNumber()) {
          double value = node.doubleValue();
          boolean isFloat = type.getTypeName() == TypeName.FLOAT;
          if (Double.isInfinite(isFloat ? (float) value : value)) {
            TextValues.finite(type, Double.POSITIVE_INFINITY, writtenNumber(payload, pointer, node), path);
          }
          // A FLOAT is the float nearest to the number: RowJson alone refuses 0.1 for a FLOAT,
          // as no float equals the double 0.1, and so would not read back what we write.
          return isFloat && node.isFloatingPointNumber() ? FloatNode.valueOf((float) value) : node;
        }
        return node;
      case ROW:
        if (node instanceof ObjectNode) {
          ObjectNode object = (ObjectNode) node;
          for (Schema.Field field : type.getRowSchema().getFields()) {
            JsonNode value = object.get(field.getName());
            if (value != null) {
              object.set(field.getName(),
                  normalize(field.getType(), value, prefixed(path, field.getName()), pointer + "/" + escaped(field.getName()), payload));
            }
          }
        }
        return node;
      case ARRAY:
      case ITERABLE:
        if (node instanceof ArrayNode) {
          ArrayNode array = (ArrayNode) node;
          for (int i = 0; i < array.size(); i++) {
            array.set(i, normalize(type.getCollectionElementType(), array.get(i), path + "[" + i + "]", pointer + "/" + i, payload));
          }
        }
        return node;
      case MAP:
        if (node instanceof ObjectNode) {
          ObjectNode object = (ObjectNode) node;
          for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            object.replace(name, normalize(type.getMapValueType(), object.get(name), path + "[" + name + "]", pointer + "/" + escaped(name), payload));
          }
        }
        return node;
      default:
        return node;
    }
  }

  /**
   * The number at {@code pointer} as written in the payload. Jackson reads a number beyond the
   * double range as Infinity, even into BigDecimal trees, so the reason would show "Infinity"
   * instead of what the record holds; only on this failure path, the payload is scanned again.
   */
  private static String writtenNumber(byte[] payload, String pointer, JsonNode fallback) {
    try (JsonParser parser = SCANNER.createParser(payload)) {
      for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
        if (token.isNumeric() && parser.getParsingContext().pathAsPointer().toString().equals(pointer)) {
          return parser.getText();
        }
      }
    } catch (IOException e) {
      // fall through: the payload was read once already; show the value as Jackson read it
    }
    return fallback.asText();
  }

  private static String escaped(String name) {
    return name.replace("~", "~0").replace("/", "~1");
  }

  private static String prefixed(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  @Override
  public String name() {
    return "json";
  }

  @Override
  public Schema schema() {
    return schema;
  }

  @Override
  public void decode(byte[] original, Receiver receiver) {
    byte[] payload = Boms.strip(original);
    init();
    if (fastPath) {
      Row row = fast(payload);
      if (row != null) {
        receiver.record(row);
        return;
      }
    }
    Row row;
    try {
      if (needsTree) {
        JsonNode tree = reader.readTree(payload);
        if (tree != null && tree.isObject()) {
          normalize(FieldType.row(schema), tree, "", "", payload);
        }
        row = reader.treeToValue(tree, Row.class);
      } else {
        row = reader.readValue(payload, Row.class);
      }
    } catch (RecordException e) {
      receiver.failure(original, e.getMessage());
      return;
    } catch (Exception e) {
      receiver.failure(original, JsonErrors.explain(schema, payload, e));
      return;
    }
    if (row == null) {
      receiver.failure(original, "not a JSON object: the payload is empty or null");
      return;
    }
    receiver.record(row);
  }

  private void init() {
    if (reader == null) {
      reader =
          new ObjectMapper()
              // "{...} garbage" is an error, not a record with the garbage silently dropped.
              .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
              .registerModule(
                  new SimpleModule()
                      .addDeserializer(
                          Row.class,
                          RowJsonDeserializer.forSchema(schema)
                              .withNullBehavior(NullBehavior.ACCEPT_MISSING_OR_NULL)));
    }
  }

  /**
   * The record read without Beam's {@code RowJson}, or null to read it with RowJson. Only values
   * whose reading is not in doubt are read here: text for STRING, an integral number in range for
   * INT32 and INT64, a JSON double for DOUBLE, true or false for BOOLEAN, an ISO-8601 time with
   * offset or epoch millis for DATETIME (as {@link #normalize} reads them), null for a nullable
   * field, nested objects and arrays of those. Anything else (FLOAT, DECIMAL, BYTE, INT16, maps,
   * logical types, a number where text is expected, a missing required field, bad JSON) goes to
   * RowJson, which gives the same rows and says why a record is refused; a schema with a field of
   * another type has all its records read by RowJson. Written by hand because
   * RowJson makes each row with Beam's checking {@code Row.Builder.build()} and reads times twice
   * (after {@link #normalize} wrote them back as text): 4.2 us of a 7-field line
   * ({@code HotPathBenchmark.decodeJsonLineToRow}). {@code JsonFastPathTest} checks both readings
   * agree on random records.
   */
  @Nullable Row fast(byte[] payload) {
    init();
    try {
      JsonNode tree = reader.readTree(payload);
      return tree instanceof ObjectNode ? fastRow(schema, (ObjectNode) tree) : null;
    } catch (IOException | RuntimeException e) {
      return null; // RowJson reads it again and says why
    }
  }

  private static final Object UNSURE = new Object();

  private static @Nullable Row fastRow(Schema schema, ObjectNode object) {
    List<Object> values = new ArrayList<>(schema.getFieldCount());
    for (Schema.Field field : schema.getFields()) {
      Object value = fastValue(field.getType(), object.get(field.getName()));
      if (value == UNSURE) {
        return null;
      }
      values.add(value);
    }
    return Row.withSchema(schema).attachValues(values);
  }

  private static @Nullable Object fastValue(FieldType type, @Nullable JsonNode node) {
    if (node == null || node.isNull()) {
      return type.getNullable() ? null : UNSURE;
    }
    switch (type.getTypeName()) {
      case STRING:
        return node.isTextual() ? node.textValue() : UNSURE;
      case INT64:
        return node.isIntegralNumber() && node.canConvertToLong() ? (Object) node.longValue() : UNSURE;
      case INT32:
        return node.isIntegralNumber() && node.canConvertToInt() ? (Object) node.intValue() : UNSURE;
      case DOUBLE:
        return node.isDouble() && Double.isFinite(node.doubleValue()) ? (Object) node.doubleValue() : UNSURE;
      case BOOLEAN:
        return node.isBoolean() ? (Object) node.booleanValue() : UNSURE;
      case DATETIME:
        long millis;
        if (node.isTextual()) {
          millis = Instants.parseEpochMillis(node.textValue()); // throws on a time without offset: RowJson's turn
        } else if (node.isIntegralNumber() && node.canConvertToLong()) {
          millis = node.longValue();
        } else {
          return UNSURE;
        }
        // Years 1 to 9999, the ones RowJson reads back from normalize's text.
        return millis >= MIN_MILLIS && millis <= MAX_MILLIS ? new Instant(millis) : UNSURE;
      case ROW:
        if (!(node instanceof ObjectNode)) {
          return UNSURE;
        }
        Row row = fastRow(type.getRowSchema(), (ObjectNode) node);
        return row == null ? UNSURE : row;
      case ARRAY:
      case ITERABLE:
        if (!node.isArray()) {
          return UNSURE;
        }
        List<Object> items = new ArrayList<>(node.size());
        for (JsonNode item : node) {
          Object value = fastValue(type.getCollectionElementType(), item);
          if (value == UNSURE) {
            return UNSURE;
          }
          items.add(value);
        }
        return items;
      default:
        return UNSURE;
    }
  }

  private static final long MIN_MILLIS = -62_135_596_800_000L; // 0001-01-01T00:00:00Z
  private static final long MAX_MILLIS = 253_402_300_799_999L; // 9999-12-31T23:59:59.999Z

  @Override
  public byte[] encode(Row row) {
    if (writer == null) {
      writer =
          new ObjectMapper()
              .registerModule(
                  new SimpleModule().addSerializer(Row.class, RowJsonSerializer.forSchema(schema)));
    }
    TextValues.requireFinite(row); // JSON has no literal for NaN or Infinity; see TextValues.finite
    try {
      return writer.writeValueAsString(row).getBytes(StandardCharsets.UTF_8);
    } catch (Exception e) {
      throw new IllegalArgumentException("cannot write the row as JSON: " + e.getMessage(), e);
    }
  }
}
