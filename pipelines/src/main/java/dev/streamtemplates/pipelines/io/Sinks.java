package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.format.RecordFormat;
import dev.streamtemplates.transforms.format.SerializeRecords;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.extensions.avro.io.AvroIO;
import org.apache.beam.sdk.extensions.avro.schemas.utils.AvroUtils;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.joda.time.Duration;

/**
 * Writes rows to a spec's sinks: files (JSON lines, Avro container, XML, CSV), Kafka, or stdout.
 *
 * <p>File sinks write {@code numShards} files (default 1) named {@code <path>-SSSSS-of-NNNNN<suffix>};
 * on unbounded input they write one set of files per fixed {@code window} (default 1m) of event
 * time. Rows a format cannot hold go to the dead-letter output.
 */
public final class Sinks {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Sinks.class);

  /**
   * Beam's exactly-once sink stores each shard's commit metadata against partition {@code shard}
   * of the topic; a shard with no such partition makes every commit of that shard wait for the
   * producer's timeout (60 s) and fail, over and over. So with more than one shard the topic's
   * partitions are counted at launch, if the broker answers within 10 s (launching for a cluster
   * that alone can reach the broker only logs a warning).
   */
  private static void checkShardsFitPartitions(SpecNode sink, int numShards) {
    if (numShards <= 1) {
      return;
    }
    String topic = sink.text("topic");
    Map<String, Object> config = new HashMap<>(sink.stringMap("properties"));
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, sink.text("bootstrapServers"));
    int partitions;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> found = consumer.partitionsFor(topic, java.time.Duration.ofSeconds(10));
      partitions = found == null ? 0 : found.size();
    } catch (KafkaException e) {
      LOG.warn("{}: could not count the partitions of topic '{}' ({}); exactlyOnce.numShards={} must not exceed them",
          sink.childPath("exactlyOnce"), topic, e.getMessage(), numShards);
      return;
    }
    if (partitions > 0 && partitions < numShards) {
      throw new IllegalArgumentException(sink.childPath("exactlyOnce") + ".numShards: " + numShards + " shards, but topic '" + topic
          + "' has " + partitions + " partition(s); each shard keeps its commits on its own partition, so use numShards <= "
          + partitions);
    }
  }

  private Sinks() {}

  /** Writes {@code rows} to {@code sink}; returns the dead letters of the writing. */
  public static List<PCollection<Row>> write(SpecNode sink, String name, PCollection<Row> rows) {
    List<PCollection<Row>> deadLetters = new ArrayList<>();
    String type = sink.text("type");
    String formatName = sink.text("format", "json");
    org.apache.avro.Schema avroSchema = sink.has("schema") ? SpecFormats.avroSchema(sink, "schema") : null;
    if ("avro".equals(formatName) && avroSchema == null) {
      avroSchema = AvroUtils.toAvroSchema(rows.getSchema());
    }
    rows = rows.apply(name + "/Count", ParDo.of(new CountWritten(name))).setRowSchema(rows.getSchema());

    if ("file".equals(type) && "avro".equals(formatName)) {
      TupleTag<GenericRecord> ok = new TupleTag<GenericRecord>() {};
      TupleTag<Row> failed = new TupleTag<Row>() {};
      PCollectionTuple records =
          rows.apply(name + "/To Avro", ParDo.of(new RowToAvro(avroSchema.toString(), name, ok, failed)).withOutputTags(ok, TupleTagList.of(failed)));
      deadLetters.add(records.get(failed).setRowSchema(DeadLetter.SCHEMA));
      PCollection<GenericRecord> generic = records.get(ok).setCoder(AvroCoder.of(avroSchema));
      AvroIO.Write<GenericRecord> write =
          AvroIO.writeGenericRecords(avroSchema).to(sink.text("path")).withSuffix(".avro").withNumShards((int) sink.number("numShards", 1));
      if (generic.isBounded() == PCollection.IsBounded.UNBOUNDED) {
        generic = generic.apply(name + "/Window", Window.into(FixedWindows.of(window(sink))));
        write = write.withWindowedWrites();
      }
      generic.apply(name + "/Write Avro", write);
      return deadLetters;
    }

    RecordFormat format = SpecFormats.format(sink, formatName, rows.getSchema(), avroSchema);
    if ("kafka".equals(type)) {
      String keyField = sink.text("keyField", null);
      if (keyField != null && !rows.getSchema().hasField(keyField)) {
        throw new IllegalArgumentException(sink.childPath("keyField") + ": field '" + keyField + "' is not in the input; fields are "
            + rows.getSchema().getFieldNames());
      }
      WithFailures.Result<PCollection<KV<byte[], byte[]>>, Row> keyed =
          rows.apply(name + "/Encode " + formatName, SerializeRecords.with(format).named(name).keyedBy(keyField));
      deadLetters.add(keyed.failures());
      KafkaIO.Write<byte[], byte[]> write =
          KafkaIO.<byte[], byte[]>write()
              .withBootstrapServers(sink.text("bootstrapServers"))
              .withTopic(sink.text("topic"))
              .withKeySerializer(ByteArraySerializer.class)
              .withValueSerializer(ByteArraySerializer.class)
              .withProducerConfigUpdates(new LinkedHashMap<>(sink.stringMap("properties")));
      if (sink.has("exactlyOnce")) {
        // Kafka transactions committed when the runner checkpoints (@RequiresStableInput).
        SpecNode eos = sink.child("exactlyOnce");
        int numShards = (int) eos.number("numShards", 1);
        checkShardsFitPartitions(sink, numShards);
        write = write.withEOS(numShards, eos.text("groupId"))
            .withProducerFactoryFn(TransactionRecoveringProducer.factory());
      }
      keyed.output().apply(name + "/Kafka", write);
      return deadLetters;
    }
    WithFailures.Result<PCollection<byte[]>, Row> encoded = rows.apply(name + "/Encode " + formatName, SerializeRecords.with(format).named(name));
    deadLetters.add(encoded.failures());
    PCollection<byte[]> payloads = encoded.output();
    switch (type) {
      case "file":
        PCollection<String> lines = payloads.apply(name + "/As text", ParDo.of(new BytesToText())).setCoder(StringUtf8Coder.of());
        TextIO.Write write =
            TextIO.write().to(sink.text("path")).withSuffix(SpecFormats.suffix(formatName)).withNumShards((int) sink.number("numShards", 1));
        if (format.fileHeader() != null) {
          write = write.withHeader(format.fileHeader());
        }
        if (format.fileFooter() != null) {
          write = write.withFooter(format.fileFooter());
        }
        if (lines.isBounded() == PCollection.IsBounded.UNBOUNDED) {
          lines = lines.apply(name + "/Window", Window.into(FixedWindows.of(window(sink))));
          write = write.withWindowedWrites();
        }
        lines.apply(name + "/Write", write);
        break;
      case "stdout":
        payloads.apply(name + "/Print", ParDo.of(new Print(name, format.isText())));
        break;
      default:
        throw new IllegalArgumentException(sink.childPath("type") + ": unknown sink type '" + type + "'");
    }
    return deadLetters;
  }

  private static Duration window(SpecNode sink) {
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

  private static final class BytesToText extends DoFn<byte[], String> {
    @ProcessElement
    public void process(@Element byte[] payload, OutputReceiver<String> out) {
      out.output(new String(payload, StandardCharsets.UTF_8));
    }
  }

  /** Prints each record on its own line of the worker's standard output, for demos. */
  private static final class Print extends DoFn<byte[], Void> {
    private final String sink;
    private final boolean text;

    Print(String sink, boolean text) {
      this.sink = sink;
      this.text = text;
    }

    @ProcessElement
    public void process(@Element byte[] payload) {
      String line = text ? new String(payload, StandardCharsets.UTF_8) : Base64.getEncoder().encodeToString(payload);
      System.out.println(sink + "> " + line);
    }
  }

  private static final class RowToAvro extends DoFn<Row, GenericRecord> {
    private final String avsc;
    private final String step;
    private final TupleTag<GenericRecord> ok;
    private final TupleTag<Row> failed;
    private final Counter failures;
    private transient org.apache.avro.Schema schema;

    RowToAvro(String avsc, String step, TupleTag<GenericRecord> ok, TupleTag<Row> failed) {
      this.avsc = avsc;
      this.step = step;
      this.ok = ok;
      this.failed = failed;
      this.failures = DeadLetter.counter(step);
    }

    @Setup
    public void setup() {
      schema = new org.apache.avro.Schema.Parser().parse(avsc);
    }

    @ProcessElement
    public void process(@Element Row row, MultiOutputReceiver out) {
      try {
        GenericRecord record = AvroUtils.toGenericRecord(row, schema);
        // Validate now: a mismatch found later by the file writer would fail the whole bundle.
        if (!org.apache.avro.generic.GenericData.get().validate(schema, record)) {
          throw new IllegalArgumentException("the row does not fit Avro schema " + schema.getFullName());
        }
        out.get(ok).output(record);
      } catch (RuntimeException e) {
        failures.inc();
        out.get(failed).output(DeadLetter.ofText(step, DeadLetter.reason(e), RowText.json(row), null));
      }
    }
  }
}
