package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.format.ParseRecords;
import dev.streamtemplates.transforms.format.RecordFormat;
import dev.streamtemplates.transforms.time.EventTime;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.avro.io.AvroIO;
import org.apache.beam.sdk.extensions.avro.schemas.utils.AvroUtils;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.joda.time.Duration;

/**
 * Reads a spec's {@code sources}: files (a glob; JSON lines, Avro container files, XML or CSV
 * documents) and Kafka topics, into schema Rows with event time set.
 *
 * <p>Event time: from {@code eventTime.field} when given, else from the Kafka record timestamp
 * when {@code eventTime.kafkaTimestamp} is true, else ingestion time. For Kafka, the watermark
 * trails the largest event time seen by {@code eventTime.maxOutOfOrderness} (default 0s), so
 * events up to that much out of order are on time, and a partition with no new record for {@code
 * eventTime.idleTimeout} (default 30s) stops holding it back (see {@link KafkaTimestamps}).
 */
public final class Sources {
  /** How long a Kafka partition may have no new record before it stops holding the watermark back. */
  public static final String DEFAULT_IDLE_TIMEOUT = "30s";

  private Sources() {}

  /** What a source produced: rows with event time, and its dead letters. */
  public record Read(PCollection<Row> rows, List<PCollection<Row>> deadLetters) {}

  public static Read read(Pipeline pipeline, SpecNode source) {
    String name = source.text("name");
    org.apache.avro.Schema avroSchema = SpecFormats.avroSchema(source, "schema");
    Schema schema = SpecFormats.beamSchema(avroSchema);
    RecordFormat format = SpecFormats.format(source, source.text("format"), schema, avroSchema);
    List<PCollection<Row>> deadLetters = new ArrayList<>();
    PCollection<Row> rows;
    boolean kafka = "kafka".equals(source.text("type"));
    if (kafka) {
      PCollection<KV<byte[], byte[]>> messages = pipeline.apply(name + "/Kafka", kafkaRead(source, format).withoutMetadata());
      if (source.has("keyField")) {
        WithFailures.Result<PCollection<Row>, Row> parsed =
            messages.apply(name + "/Parse " + format.name(), ParseRecords.with(format).named(name).withKeyField(source.text("keyField")));
        deadLetters.add(parsed.failures());
        rows = parsed.output();
      } else {
        rows = parse(name, messages.apply(name + "/Values", Values.<byte[]>create()), format, deadLetters);
      }
    } else {
      String path = source.text("path");
      requireMatch(source, path);
      if ("avro".equals(format.name())) {
        rows = readAvroFiles(pipeline, name, path, avroSchema, schema, deadLetters);
      } else if ("json".equals(format.name())) {
        PCollection<byte[]> lines =
            pipeline.apply(name + "/Read lines", TextIO.read().from(path))
                .apply(name + "/Non-blank lines", ParDo.of(new LinesToBytes()))
                .setCoder(ByteArrayCoder.of());
        rows = parse(name, lines, format, deadLetters);
      } else {
        PCollection<byte[]> files =
            pipeline.apply(name + "/Match", FileIO.match().filepattern(path))
                .apply(name + "/Open", FileIO.readMatches())
                .apply(name + "/Read files", ParDo.of(new ReadFully()))
                .setCoder(ByteArrayCoder.of());
        rows = parse(name, files, format, deadLetters);
      }
    }
    SpecNode eventTime = source.child("eventTime");
    boolean kafkaTime = kafka && eventTime.bool("kafkaTimestamp", false);
    if (!kafkaTime && !(kafka && !eventTime.has("field"))) {
      WithFailures.Result<PCollection<Row>, Row> timed =
          rows.apply(
              name + "/Event time",
              (eventTime.has("field") ? EventTime.fromField(eventTime.text("field")) : EventTime.ingestion()).named(name + ".event-time"));
      rows = timed.output();
      deadLetters.add(timed.failures());
    }
    return new Read(rows, deadLetters);
  }

  private static PCollection<Row> parse(String name, PCollection<byte[]> payloads, RecordFormat format, List<PCollection<Row>> deadLetters) {
    WithFailures.Result<PCollection<Row>, Row> parsed = payloads.apply(name + "/Parse " + format.name(), ParseRecords.with(format).named(name));
    deadLetters.add(parsed.failures());
    return parsed.output();
  }

  /** Fails before launch, naming the source, when a local glob matches nothing. */
  private static void requireMatch(SpecNode source, String path) {
    try {
      MatchResult match = FileSystems.match(path, EmptyMatchTreatment.ALLOW);
      if (match.status() == MatchResult.Status.OK && match.metadata().isEmpty()) {
        throw new IllegalArgumentException(source.childPath("path") + ": no file matches '" + path + "'");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(source.childPath("path") + ": cannot list '" + path + "': " + e.getMessage());
    }
  }

  private static PCollection<Row> readAvroFiles(
      Pipeline pipeline, String name, String path, org.apache.avro.Schema avroSchema, Schema schema, List<PCollection<Row>> deadLetters) {
    TupleTag<Row> ok = new TupleTag<Row>() {};
    TupleTag<Row> failed = new TupleTag<Row>() {};
    PCollectionTuple converted =
        pipeline.apply(name + "/Read Avro", AvroIO.readGenericRecords(avroSchema).from(path))
            .apply(name + "/To rows", ParDo.of(new AvroToRow(schema, name, ok, failed)).withOutputTags(ok, TupleTagList.of(failed)));
    deadLetters.add(converted.get(failed).setRowSchema(DeadLetter.SCHEMA));
    return converted.get(ok).setRowSchema(schema);
  }

  private static KafkaIO.Read<byte[], byte[]> kafkaRead(SpecNode source, RecordFormat format) {
    Map<String, Object> consumer = new LinkedHashMap<>(source.stringMap("properties"));
    if (source.has("groupId")) {
      consumer.put("group.id", source.text("groupId"));
    }
    consumer.putIfAbsent("auto.offset.reset", source.text("startOffset", "earliest"));
    KafkaIO.Read<byte[], byte[]> read =
        KafkaIO.readBytes()
            .withBootstrapServers(source.text("bootstrapServers"))
            .withTopics(source.texts("topics"))
            .withConsumerConfigUpdates(consumer);
    SpecNode eventTime = source.child("eventTime");
    Duration maxDelay = Durations.parse(eventTime.text("maxOutOfOrderness", "0s"), eventTime.childPath("maxOutOfOrderness"));
    Duration idleTimeout = Durations.parse(eventTime.text("idleTimeout", DEFAULT_IDLE_TIMEOUT), eventTime.childPath("idleTimeout"));
    if (eventTime.has("field")) {
      read = read.withTimestampPolicyFactory(KafkaTimestamps.fromField(format, eventTime.text("field"), maxDelay, idleTimeout));
    } else if (eventTime.bool("kafkaTimestamp", false)) {
      read = read.withTimestampPolicyFactory(KafkaTimestamps.fromRecordTimestamp(maxDelay, idleTimeout));
    } else {
      read = read.withProcessingTime();
    }
    if (source.has("maxRecords")) {
      read = read.withMaxNumRecords(source.number("maxRecords", Long.MAX_VALUE));
    }
    if (source.has("maxReadTime")) {
      read = read.withMaxReadTime(Durations.parse(source.text("maxReadTime"), source.childPath("maxReadTime")));
    }
    return read;
  }

  private static final class LinesToBytes extends DoFn<String, byte[]> {
    @ProcessElement
    public void process(@Element String line, OutputReceiver<byte[]> out) {
      if (!line.isBlank()) {
        out.output(line.getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private static final class ReadFully extends DoFn<FileIO.ReadableFile, byte[]> {
    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, OutputReceiver<byte[]> out) throws IOException {
      out.output(file.readFullyAsBytes());
    }
  }

  private static final class AvroToRow extends DoFn<GenericRecord, Row> {
    private final Schema schema;
    private final String step;
    private final TupleTag<Row> ok;
    private final TupleTag<Row> failed;
    private final Counter in;
    private final Counter failures;

    AvroToRow(Schema schema, String step, TupleTag<Row> ok, TupleTag<Row> failed) {
      this.schema = schema;
      this.step = step;
      this.ok = ok;
      this.failed = failed;
      this.in = Metrics.counter("records", step + "-records");
      this.failures = DeadLetter.counter(step);
    }

    @ProcessElement
    public void process(@Element GenericRecord record, MultiOutputReceiver out) {
      in.inc();
      try {
        out.get(ok).output(AvroUtils.toBeamRowStrict(record, schema));
      } catch (RuntimeException e) {
        failures.inc();
        out.get(failed).output(DeadLetter.ofText(step, DeadLetter.reason(e), record.toString(), null));
      }
    }
  }
}
