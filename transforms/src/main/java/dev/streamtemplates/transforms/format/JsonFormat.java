package dev.streamtemplates.transforms.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
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
  private final boolean hasDateTimes;

  JsonFormat(Schema schema) {
    this.schema = schema;
    this.hasDateTimes = hasDateTimes(schema);
  }

  private static boolean hasDateTimes(Schema schema) {
    for (Schema.Field field : schema.getFields()) {
      FieldType type = field.getType();
      if (type.getTypeName() == TypeName.DATETIME
          || (type.getTypeName() == TypeName.ROW && hasDateTimes(type.getRowSchema()))) {
        return true;
      }
    }
    return false;
  }

  private static void epochMillisToIso(Schema schema, JsonNode node) {
    if (!(node instanceof ObjectNode)) {
      return;
    }
    ObjectNode object = (ObjectNode) node;
    for (Schema.Field field : schema.getFields()) {
      JsonNode value = object.get(field.getName());
      if (value == null) {
        continue;
      }
      if (field.getType().getTypeName() == TypeName.DATETIME && value.isIntegralNumber()) {
        object.put(field.getName(), new Instant(value.longValue()).toString());
      } else if (field.getType().getTypeName() == TypeName.ROW) {
        epochMillisToIso(field.getType().getRowSchema(), value);
      }
    }
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
              .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
              .registerModule(
                  new SimpleModule()
                      .addDeserializer(
                          Row.class,
                          RowJsonDeserializer.forSchema(schema)
                              .withNullBehavior(NullBehavior.ACCEPT_MISSING_OR_NULL)));
    }
    Row row;
    try {
      if (hasDateTimes) {
        // RowJson reads DATETIME from ISO-8601 strings only; epoch millis are as common in JSON.
        JsonNode tree = reader.readTree(payload);
        epochMillisToIso(schema, tree);
        row = reader.treeToValue(tree, Row.class);
      } else {
        row = reader.readValue(payload, Row.class);
      }
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
    try {
      return writer.writeValueAsString(row).getBytes(StandardCharsets.UTF_8);
    } catch (Exception e) {
      throw new IllegalArgumentException("cannot write the row as JSON: " + e.getMessage(), e);
    }
  }
}
