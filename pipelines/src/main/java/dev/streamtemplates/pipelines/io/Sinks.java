package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.pipelines.spec.Durations;
import dev.streamtemplates.pipelines.spec.NodeType;
import dev.streamtemplates.pipelines.spec.SpecNode;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.beam.sdk.extensions.avro.schemas.utils.AvroUtils;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
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
    PCollection<Row> counted = rows.apply(name + "/Count", ParDo.of(new CountWritten(name))).setRowSchema(rows.getSchema());
    return provider.write(sink, name, counted);
  }

  /** The Avro schema a sink writes with: its {@code schema} file, else one derived from the rows for {@code format: avro}. */
  static @Nullable Schema avroSchema(SpecNode sink, org.apache.beam.sdk.schemas.Schema rows) {
    Schema avroSchema = sink.has("schema") ? SpecFormats.avroSchema(sink, "schema") : null;
    if ("avro".equals(sink.text("format", "json")) && avroSchema == null) {
      avroSchema = AvroUtils.toAvroSchema(rows);
    }
    return avroSchema;
  }

  /** The fixed event-time window of a file sink on unbounded input: {@code window}, default 1m. */
  static Duration window(SpecNode sink) {
    return Durations.parse(sink.text("window", "1m"), sink.childPath("window"));
  }

  /** Counts what a sink writes, and logs progress on long runs (per worker, at most every 30 s). */
  private static final class CountWritten extends DoFn<Row, Row> {
    private static final long PROGRESS_EVERY_MILLIS = 30_000;
    private final String sink;
    private final Counter written;
    private transient long seen;
    private transient long lastLog;

    CountWritten(String sink) {
      this.sink = sink;
      this.written = Metrics.counter("records", sink + "-written");
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
        LOG.info("sink {}: {} records written by this worker so far", sink, seen);
        lastLog = now;
      }
      out.output(row);
    }
  }
}
