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
import java.util.Iterator;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.Schema.TypeName;
import org.apache.beam.sdk.util.RowJson.RowJsonDeserializer;
import org.apache.beam.sdk.util.RowJson.RowJsonDeserializer.NullBehavior;
import org.apache.beam.sdk.util.RowJson.RowJsonSerializer;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Instant;

/** JSON objects to and from Rows with Beam's own {@code RowJson} (de)serializers. */
final class JsonFormat implements RecordFormat {
  private static final long serialVersionUID = 1L;

  private final Schema schema;
  private transient ObjectMapper reader;
  private transient ObjectMapper writer;
  private static final JsonFactory SCANNER = new JsonFactory();

  private final boolean needsTree;

  JsonFormat(Schema schema) {
    this.schema = schema;
    this.needsTree = needsTree(FieldType.row(schema));
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
