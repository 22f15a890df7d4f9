package dev.streamtemplates.pipelines.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.spec.JsonSchemas;
import dev.streamtemplates.pipelines.spec.NodeType;
import dev.streamtemplates.pipelines.spec.SpecNode;
import java.util.List;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * A sink type of the spec format ({@code type: kafka}): one class plus one schema file, {@code
 * /sink-schemas/<type>.schema.json}, listed in {@code
 * META-INF/services/dev.streamtemplates.pipelines.spec.NodeType}. The same types write the
 * dead-letter sink.
 */
public interface SinkProvider extends NodeType {
  @Override
  default Kind kind() {
    return Kind.SINK;
  }

  @Override
  default JsonNode configSchema() {
    return JsonSchemas.resource("/sink-schemas/" + type() + ".schema.json");
  }

  /**
   * Writes {@code rows} (already counted by {@link Sinks}) as {@code sink} says, under step names
   * starting with {@code name}; returns the dead letters of rows that could not be written.
   */
  List<PCollection<Row>> write(SpecNode sink, String name, PCollection<Row> rows);
}
