package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.pipelines.spec.NodeType;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.format.ParseRecords;
import dev.streamtemplates.transforms.format.RecordFormat;
import dev.streamtemplates.transforms.time.EventTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * Reads a spec's {@code sources} with the {@link SourceProvider} of each one's type, into schema
 * Rows with event time set.
 *
 * <p>Event time: from {@code eventTime.field} when given; else whatever the provider set (the
 * Kafka record timestamp with {@code eventTime.kafkaTimestamp}); else ingestion time.
 */
public final class Sources {
  private Sources() {}

  private static final Map<String, SourceProvider> TYPES = load();

  /** The source types on the classpath, by their {@code type:} name (found once). */
  public static Map<String, SourceProvider> types() {
    return TYPES;
  }

  private static Map<String, SourceProvider> load() {
    Map<String, SourceProvider> types = new TreeMap<>();
    NodeType.all(NodeType.Kind.SOURCE).forEach((name, type) -> types.put(name, (SourceProvider) type));
    return java.util.Collections.unmodifiableMap(types);
  }

  /**
   * The schema of the rows a source gives: its decoding schema, plus the message key field of a
   * Kafka source with {@code keyField}. Spec tests bind sources to rows of this schema.
   */
  public static org.apache.beam.sdk.schemas.Schema schema(SpecNode source) {
    org.apache.beam.sdk.schemas.Schema schema = SpecFormats.decoding(source).schema();
    if (!source.has("keyField")) {
      return schema;
    }
    return org.apache.beam.sdk.schemas.Schema.builder().addFields(schema.getFields())
        .addNullableField(source.text("keyField"), org.apache.beam.sdk.schemas.Schema.FieldType.STRING).build();
  }

  /**
   * The format a source's payloads are decoded with (its {@code format}, options and schema):
   * what a generator of the source's input writes with, so that the source reads it back.
   */
  public static RecordFormat format(SpecNode source) {
    return SpecFormats.decoding(source).format();
  }

  public static SourceProvider.Read read(Pipeline pipeline, SpecNode source) {
    String type = source.text("type");
    SourceProvider provider = types().get(type);
    if (provider == null) {
      throw new IllegalArgumentException(source.childPath("type") + ": unknown source type '" + type + "'; known types are " + types().keySet());
    }
    String name = source.text("name");
    SourceProvider.Read read = provider.read(pipeline, source);
    if (provider.setsEventTime(source) || read.timed()) {
      return read;
    }
    SpecNode eventTime = source.child("eventTime");
    WithFailures.Result<PCollection<Row>, Row> timed =
        read.rows().apply(
            name + "/Event time",
            (eventTime.has("field") ? EventTime.fromField(eventTime.text("field")) : EventTime.ingestion()).named(name + ".event-time"));
    List<PCollection<Row>> deadLetters = new ArrayList<>(read.deadLetters());
    deadLetters.add(timed.failures());
    return new SourceProvider.Read(timed.output(), deadLetters);
  }

  /** Parses payloads with {@code format}, adding the parse failures to {@code deadLetters}. */
  static PCollection<Row> parse(String name, PCollection<byte[]> payloads, RecordFormat format, List<PCollection<Row>> deadLetters) {
    return parse(name, payloads, format, deadLetters, null);
  }

  /**
   * Parses payloads and, with {@code timeField}, gives each record its event time in the same
   * step (as {@link #read} would after it, with the same step name and dead letters); a source
   * that does so returns a {@code timed} Read.
   */
  static PCollection<Row> parse(String name, PCollection<byte[]> payloads, RecordFormat format, List<PCollection<Row>> deadLetters,
      @org.checkerframework.checker.nullness.qual.Nullable String timeField) {
    ParseRecords parse = ParseRecords.with(format).named(name);
    if (timeField != null) {
      parse = parse.withEventTimeFrom(timeField, name + ".event-time");
    }
    WithFailures.Result<PCollection<Row>, Row> parsed = payloads.apply(name + "/Parse " + format.name(), parse);
    deadLetters.add(parsed.failures());
    return parsed.output();
  }

  /** The field {@code eventTime.field} of a source, or null for ingestion time. */
  static @org.checkerframework.checker.nullness.qual.Nullable String eventTimeField(SpecNode source) {
    SpecNode eventTime = source.child("eventTime");
    return eventTime.has("field") ? eventTime.text("field") : null;
  }
}
