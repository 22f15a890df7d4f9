package dev.streamtemplates.transforms.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.util.RowJson.RowJsonDeserializer;
import org.apache.beam.sdk.util.RowJson.RowJsonDeserializer.NullBehavior;
import org.apache.beam.sdk.util.RowJson.RowJsonSerializer;
import org.apache.beam.sdk.values.Row;

/** JSON objects to and from Rows with Beam's own {@code RowJson} (de)serializers. */
final class JsonFormat implements RecordFormat {
  private static final long serialVersionUID = 1L;

  private final Schema schema;
  private transient ObjectMapper reader;
  private transient ObjectMapper writer;

  JsonFormat(Schema schema) {
    this.schema = schema;
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
  public void decode(byte[] payload, Receiver receiver) {
    if (reader == null) {
      reader =
          new ObjectMapper()
              .registerModule(
                  new SimpleModule()
                      .addDeserializer(
                          Row.class,
                          RowJsonDeserializer.forSchema(schema)
                              .withNullBehavior(NullBehavior.ACCEPT_MISSING_OR_NULL)));
    }
    Row row;
    try {
      row = reader.readValue(payload, Row.class);
    } catch (Exception e) {
      receiver.failure(payload, JsonErrors.explain(schema, payload, e));
      return;
    }
    if (row == null) {
      receiver.failure(payload, "not a JSON object: the payload is empty or null");
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
