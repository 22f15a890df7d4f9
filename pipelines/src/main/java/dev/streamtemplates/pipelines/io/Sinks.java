package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.pipelines.spec.Durations;
import dev.streamtemplates.pipelines.spec.NodeType;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.progress.Progress;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.beam.sdk.extensions.avro.schemas.utils.AvroUtils;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Writes rows to a spec's sinks with the {@link SinkProvider} of each one's type, counting what
 * each sink is given ({@code <sink>-written}) and logging progress on long runs.
 */
public final class Sinks {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Sinks.class);

  private Sinks() {}

  private static final Map<String, SinkProvider> TYPES = load();

  /** The sink types on the classpath, by their {@code type:} name (found once). */
  public static Map<String, SinkProvider> types() {
    return TYPES;
  }

  private static Map<String, SinkProvider> load() {
    Map<String, SinkProvider> types = new TreeMap<>();
    NodeType.all(NodeType.Kind.SINK).forEach((name, type) -> types.put(name, (SinkProvider) type));
    return java.util.Collections.unmodifiableMap(types);
  }

  /** Writes {@code rows} to {@code sink}; returns the dead letters of the writing. */
  public static List<PCollection<Row>> write(SpecNode sink, String name, PCollection<Row> rows) {
    String type = sink.text("type");
    SinkProvider provider = types().get(type);
    if (provider == null) {
      throw new IllegalArgumentException(sink.childPath("type") + ": unknown sink type '" + type + "'; known types are " + types().keySet());
    }
    requireFieldNames(sink, sink.text("format", "json"), rows.getSchema(), "");
    PCollection<Row> counted = rows.apply(name + "/Count", ParDo.of(new CountWritten(name))).setRowSchema(rows.getSchema());
    List<PCollection<Row>> failures = new java.util.ArrayList<>();
    for (PCollection<Row> failed : provider.write(sink, name, counted)) {
      // A record the sink could not encode was counted on its way in: it is not written.
      failures.add(failed.apply(name + "/Not written " + failures.size(), ParDo.of(new Uncount(name))).setRowSchema(failed.getSchema()));
    }
    return failures;
  }

  /** XML element names (NCName, ASCII): a letter or _, then letters, digits, _, - and .; not starting with 'xml'. */
  private static final java.util.regex.Pattern XML_NAME = java.util.regex.Pattern.compile("(?![Xx][Mm][Ll])[A-Za-z_][A-Za-z0-9_.-]*");

  /**
   * Refuses, before launch, a field whose name the sink's format cannot write: a space in an Avro
   * or XML name used to crash the Avro sink and write malformed XML ({@code <my field>}).
   */
  static void requireFieldNames(SpecNode sink, String format, org.apache.beam.sdk.schemas.Schema schema, String prefix) {
    java.util.regex.Pattern rule = "avro".equals(format) ? InlineSchemas.AVRO_NAME : "xml".equals(format) ? XML_NAME : null;
    if (rule == null) {
      return;
    }
    for (org.apache.beam.sdk.schemas.Schema.Field field : schema.getFields()) {
      if (!rule.matcher(field.getName()).matches()) {
        throw new IllegalArgumentException(sink.path() + " ('" + sink.text("name", "deadLetter") + "'): field '" + prefix + field.getName()
            + "' cannot be written as " + format + ": " + format + " names are " + ("avro".equals(format)
                ? "a letter or _, then letters, digits and _" : "a letter or _, then letters, digits, _, - and ., not starting with 'xml'")
            + "; rename it in a MapFields step before the sink (rename: {'" + field.getName() + "': ...})");
      }
      org.apache.beam.sdk.schemas.Schema.FieldType type = field.getType();
      while (type.getCollectionElementType() != null) {
        type = type.getCollectionElementType();
      }
      if (type.getRowSchema() != null) {
        requireFieldNames(sink, format, type.getRowSchema(), prefix + field.getName() + ".");
      }
    }
  }

  /** Takes back the count of a record that a sink dead-lettered instead of writing. */
  private static final class Uncount extends DoFn<Row, Row> {
    private final Counter written;

    Uncount(String sink) {
      this.written = Progress.counter("records", sink + "-written");
    }

    @ProcessElement
    public void process(@Element Row row, OutputReceiver<Row> out) {
      written.dec();
      out.output(row);
    }
  }

  /** The Avro schema a sink writes with: its {@code schema} (inline, or an .avsc file), else one derived from the rows for {@code format: avro}. */
  static @Nullable Schema avroSchema(SpecNode sink, org.apache.beam.sdk.schemas.Schema rows) {
    Schema avroSchema = sink.has("schema") ? InlineSchemas.avroSchema(sink, "schema", sink.text("name", "deadLetter")) : null;
    if ("avro".equals(sink.text("format", "json")) && avroSchema == null) {
      avroSchema = AvroUtils.toAvroSchema(rows);
    }
    return avroSchema;
  }

  /** The fixed event-time window of a file sink on unbounded input: {@code window}, default 1m. */
  static Duration window(SpecNode sink) {
    return Durations.parse(sink.text("window", "1m"), sink.childPath("window"));
  }

  /**
   * Counts what a sink writes, and logs progress on long runs (per worker, at most every 30 s),
   * unless a launcher in this JVM shows the run's progress itself ({@link Progress#watched}): on a
   * remote cluster's workers, this log line is the only progress there is.
   */
  private static final class CountWritten extends DoFn<Row, Row> {
    private static final long PROGRESS_EVERY_MILLIS = 30_000;
    private final String sink;
    private final Counter written;
    private transient long seen;
    private transient long lastLog;

    CountWritten(String sink) {
      this.sink = sink;
      this.written = Progress.counter("records", sink + "-written");
    }

    @Setup
    public void setup() {
      lastLog = System.currentTimeMillis();
    }

    @ProcessElement
    public void process(@Element Row row, OutputReceiver<Row> out) {
      written.inc();
      seen++;
      long now = System.currentTimeMillis();
      if (now - lastLog >= PROGRESS_EVERY_MILLIS) {
        if (!Progress.watched()) {
          LOG.info("sink {}: {} records written by this worker so far", sink, seen);
        }
        lastLog = now;
      }
      out.output(row);
    }
  }
}
