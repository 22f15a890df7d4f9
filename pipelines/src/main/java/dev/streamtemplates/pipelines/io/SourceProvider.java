package dev.streamtemplates.pipelines.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.spec.JsonSchemas;
import dev.streamtemplates.pipelines.spec.NodeType;
import dev.streamtemplates.pipelines.spec.SpecNode;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * A source type of the spec format ({@code type: file}): one class plus one schema file, {@code
 * /source-schemas/<type>.schema.json}, listed in {@code
 * META-INF/services/dev.streamtemplates.pipelines.spec.NodeType}. The spec node has passed the
 * schema before {@link #read} is called.
 */
public interface SourceProvider extends NodeType {
  /** What a source produced: rows, and its dead letters. */
  /** What a source read; {@code timed} when its rows already carry their event time from {@code eventTime.field}. */
  record Read(PCollection<Row> rows, List<PCollection<Row>> deadLetters, boolean timed) {
    public Read(PCollection<Row> rows, List<PCollection<Row>> deadLetters) {
      this(rows, deadLetters, false);
    }
  }

  @Override
  default Kind kind() {
    return Kind.SOURCE;
  }

  @Override
  default JsonNode configSchema() {
    return JsonSchemas.resource("/source-schemas/" + type() + ".schema.json");
  }

  /**
   * Reads the source into rows of its schema. Rows need event-time timestamps only if {@link
   * #setsEventTime} says so; otherwise {@link Sources} sets them from {@code eventTime.field} or
   * ingestion time. Throw {@link IllegalArgumentException} with the spec path on bad config.
   */
  Read read(Pipeline pipeline, SpecNode source);

  /** Whether the source is bounded (files): a runner may not read such a source in a streaming job. */
  default boolean bounded() {
    return false;
  }

  /** Whether {@link #read} already gave the rows their event time (e.g. a Kafka timestamp policy). */
  default boolean setsEventTime(SpecNode source) {
    return false;
  }
}
