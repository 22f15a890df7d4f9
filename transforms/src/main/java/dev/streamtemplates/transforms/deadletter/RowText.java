package dev.streamtemplates.transforms.deadletter;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.util.RowJson.RowJsonSerializer;
import org.apache.beam.sdk.values.Row;

/** A Row rendered as JSON with Beam's RowJson, for dead letters of steps that work on Rows. */
public final class RowText {
  private static final Map<Schema, ObjectMapper> MAPPERS = new ConcurrentHashMap<>();

  private RowText() {}

  public static String json(Row row) {
    ObjectMapper mapper =
        MAPPERS.computeIfAbsent(
            row.getSchema(),
            schema ->
                new ObjectMapper()
                    .registerModule(new SimpleModule().addSerializer(Row.class, RowJsonSerializer.forSchema(schema))));
    try {
      return mapper.writeValueAsString(row);
    } catch (Exception e) {
      return row.toString();
    }
  }
}
