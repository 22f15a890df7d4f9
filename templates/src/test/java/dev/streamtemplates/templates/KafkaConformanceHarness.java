package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamtemplates.pipelines.TemplatePipeline;
import dev.streamtemplates.pipelines.io.InlineSchemas;
import dev.streamtemplates.pipelines.launcher.Launcher;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.format.Formats;
import dev.streamtemplates.transforms.format.RecordFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.avro.schemas.utils.AvroUtils;
import org.apache.beam.sdk.values.Row;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Runs a catalogue template in streaming mode with Kafka in and Kafka out, against a real broker,
 * and compares what it writes with the same golden output as the file-based conformance run.
 *
 * <p>The template's resolved spec is rewritten: each file source becomes a topic, into which the
 * harness first produces the source's test-data records (one message per JSON line; a whole XML
 * or CSV document per message), with event time from the same payload field, a bounded
 * out-of-orderness of one day (the test data spans less) and an idle timeout of 2 s; each file sink
 * and the dead-letter output become topics. Avro sinks are written in the Confluent wire format
 * and decoded here with the sink's schema. Once the input is read, the partitions go idle, the
 * watermark moves to wall-clock time, and every window and timer fires; the harness consumes the
 * output topics with {@code read_committed} until the golden number of records has arrived (or a
 * timeout passes), waits 2 s for duplicates, cancels the job and compares record by record.
 *
 * <p>Variants: event time from the Kafka record timestamp instead of the field (the harness sets
 * each message's timestamp from the field), and Avro input (plain or Confluent wire format),
 * where records that are not valid JSON cannot be converted and are produced as they are, so
 * only the number of dead letters is compared.
 */
public final class KafkaConformanceHarness {
  private static final Duration MAX_WAIT = Duration.ofSeconds(Long.getLong("kafka.conformance.timeoutSeconds", 180));
  private static final int SCHEMA_ID = 1;
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** How the input is carried. */
  public enum Variant {
    /** JSON/XML/CSV payloads as in test-data; event time from the payload field. */
    FIELD_TIME,
    /** As FIELD_TIME, but event time is the Kafka record timestamp. */
    KAFKA_TIMESTAMP,
    /** Each JSON record converted to plain Avro binary, read with the source's schema. */
    AVRO_IN,
    /** Each JSON record converted to Avro in the Confluent wire format (magic byte, schema id). */
    CONFLUENT_AVRO_IN,
    /**
     * Topics of 3 partitions, all records in partition 0: the two empty partitions would hold the
     * watermark at its minimum for ever without the idle timeout, and no window would fire.
     */
    IDLE_PARTITIONS
  }

  private KafkaConformanceHarness() {}

  public static void check(String template, List<String> runnerArgs, Path workDir, KafkaBroker kafka) throws Exception {
    check(template, runnerArgs, workDir, kafka, Variant.FIELD_TIME);
  }

  public static void check(String template, List<String> runnerArgs, Path workDir, KafkaBroker kafka, Variant variant) throws Exception {
    Path root = ConformanceHarness.repoRoot();
    List<String> args = ConformanceHarness.launchArgs(template, workDir, runnerArgs);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Launcher.Launch launch = new Launcher(new PrintStream(log, true, StandardCharsets.UTF_8)).prepare(args.toArray(new String[0]));

    String prefix = template + "-" + variant.name().toLowerCase() + "-" + UUID.randomUUID().toString().substring(0, 8);
    ObjectNode spec = (ObjectNode) launch.root().json().deepCopy();
    Path expectedDir = root.resolve("test-data/expected").resolve(template);

    // Sources: produce the test data, then read the topic instead of the file.
    List<SpecNode> sources = launch.root().items("sources");
    for (int i = 0; i < sources.size(); i++) {
      SpecNode source = sources.get(i);
      String topic = prefix + "." + source.text("name");
      kafka.createTopics(variant == Variant.IDLE_PARTITIONS ? 3 : 1, topic);
      produce(kafka, topic, source, variant);
      ObjectNode node = (ObjectNode) spec.withArray("sources").get(i);
      node.remove("path");
      node.put("type", "kafka").put("bootstrapServers", kafka.bootstrapServers()).put("topics", topic)
          .put("groupId", prefix).put("startOffset", "earliest");
      ObjectNode eventTime = node.has("eventTime") ? (ObjectNode) node.get("eventTime") : node.putObject("eventTime");
      if (eventTime.has("field")) {
        eventTime.put("maxOutOfOrderness", "1d").put("idleTimeout", System.getProperty("kafka.idleTimeout", "2s"));
        if (variant == Variant.KAFKA_TIMESTAMP) {
          eventTime.remove("field");
          eventTime.put("kafkaTimestamp", true);
        }
      }
      if (variant == Variant.AVRO_IN || variant == Variant.CONFLUENT_AVRO_IN) {
        node.put("format", "avro");
        if (variant == Variant.CONFLUENT_AVRO_IN) {
          node.put("wireFormat", "confluent").put("schemaId", SCHEMA_ID);
        }
      }
    }

    // Sinks and the dead-letter output: topics, with the golden record counts to wait for.
    Map<String, Output> outputs = new LinkedHashMap<>();
    List<SpecNode> sinks = launch.root().items("sinks");
    for (int i = 0; i < sinks.size(); i++) {
      SpecNode sink = sinks.get(i);
      if (!"file".equals(sink.text("type"))) {
        continue;
      }
      String topic = prefix + "." + sink.text("name");
      ObjectNode node = (ObjectNode) spec.withArray("sinks").get(i);
      toKafka(node, kafka, topic);
      org.apache.avro.Schema avro = null;
      if ("avro".equals(sink.text("format", "json"))) {
        node.put("wireFormat", "confluent").put("schemaId", SCHEMA_ID);
        avro = InlineSchemas.avroSchema(sink, "schema", sink.text("name"));
      }
      outputs.put(topic, new Output("sink '" + sink.text("name") + "'", expectedDir.resolve(sink.text("name") + ".jsonl"), avro));
    }
    String deadLetterTopic = prefix + ".dead-letter";
    toKafka((ObjectNode) spec.get("deadLetter"), kafka, deadLetterTopic);
    ((ObjectNode) spec.get("deadLetter")).put("format", "json");
    outputs.put(deadLetterTopic, new Output("dead letters", expectedDir.resolve("dead-letter.jsonl"), null));
    kafka.createTopics(outputs.keySet().toArray(new String[0]));

    Pipeline pipeline = Pipeline.create(launch.options());
    TemplatePipeline.build(pipeline, new SpecNode(spec, launch.root().path()), launch.home());
    PipelineResult result = pipeline.run();
    Map<String, List<String>> received;
    try {
      received = consume(kafka, outputs);
    } finally {
      try {
        result.cancel();
      } catch (IOException | UnsupportedOperationException e) {
        // already finished
      }
    }

    Set<String> sourceNames = sources.stream().map(source -> source.text("name")).collect(Collectors.toSet());
    boolean inputConverted = variant == Variant.AVRO_IN || variant == Variant.CONFLUENT_AVRO_IN;
    for (Map.Entry<String, Output> output : outputs.entrySet()) {
      List<String> actual = ConformanceHarness.canonical(withoutKafkaEventTime(received.get(output.getKey()), sourceNames));
      String what = template + " on Kafka (" + variant + ") " + output.getValue().what;
      if (inputConverted && output.getKey().equals(deadLetterTopic)) {
        // Records that were not JSON could not be converted to Avro; their reasons differ.
        long expected = Files.readAllLines(output.getValue().expected, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).count();
        assertThat(what + " count", (long) actual.size(), equalTo(expected));
      } else {
        ConformanceHarness.compare(what, actual, output.getValue().expected, false);
      }
    }
  }

  private record Output(String what, Path expected, org.apache.avro.Schema avro) {}

  /** Rewrites a sink (or the dead-letter output) spec to write to {@code topic} instead of files. */
  public static void toKafka(ObjectNode node, KafkaBroker kafka, String topic) {
    node.remove(List.of("path", "numShards", "window"));
    node.put("type", "kafka").put("bootstrapServers", kafka.bootstrapServers()).put("topic", topic);
  }

  /**
   * A dead letter read from Kafka carries the record's Kafka timestamp as its event time, where
   * the file run had none: the golden files have null there for records that a source could not
   * read (whose {@code step} is the source's name).
   */
  private static List<String> withoutKafkaEventTime(List<String> records, Set<String> sourceNames) throws IOException {
    List<String> out = new ArrayList<>();
    for (String record : records) {
      com.fasterxml.jackson.databind.JsonNode node = JSON.readTree(record);
      if (node.has("step") && node.has("error") && node.has("payloadEncoding") && sourceNames.contains(node.get("step").asText())) {
        ((ObjectNode) node).putNull("eventTime");
      }
      out.add(node.toString());
    }
    return out;
  }

  /** Produces a source's test-data records to {@code topic}. */
  private static void produce(KafkaBroker kafka, String topic, SpecNode source, Variant variant) throws IOException {
    Path path = Path.of(source.text("path"));
    List<byte[]> payloads = new ArrayList<>();
    if ("json".equals(source.text("format"))) {
      for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          payloads.add(line.getBytes(StandardCharsets.UTF_8));
        }
      }
    } else {
      payloads.add(Files.readAllBytes(path));
    }
    RecordFormat json = null;
    RecordFormat avro = null;
    if (variant == Variant.AVRO_IN || variant == Variant.CONFLUENT_AVRO_IN) {
      org.apache.avro.Schema schema = InlineSchemas.avroSchema(source, "schema", source.text("name"));
      json = Formats.json(AvroUtils.toBeamSchema(schema));
      avro = variant == Variant.AVRO_IN ? Formats.avro(schema) : Formats.confluentAvro(schema, SCHEMA_ID, null);
    }
    String timeField = source.child("eventTime").text("field", null);
    long lastTime = 0;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
      for (byte[] payload : payloads) {
        Long timestamp = null;
        if (variant == Variant.KAFKA_TIMESTAMP && timeField != null) {
          Long fieldTime = fieldTime(payload, timeField);
          lastTime = fieldTime != null ? fieldTime : lastTime;
          timestamp = fieldTime != null ? fieldTime : lastTime;
        }
        byte[] value = payload;
        if (json != null) {
          List<Row> rows = new ArrayList<>();
          json.decode(payload, new RecordFormat.Receiver() {
            @Override
            public void record(Row row) {
              rows.add(row);
            }

            @Override
            public void failure(byte[] raw, String reason) {}
          });
          value = rows.isEmpty() ? payload : avro.encode(rows.get(0));
        }
        producer.send(new ProducerRecord<>(topic, variant == Variant.IDLE_PARTITIONS ? 0 : null, timestamp, null, value));
      }
      producer.flush();
    }
  }

  private static Long fieldTime(byte[] payload, String field) {
    try {
      com.fasterxml.jackson.databind.JsonNode node = JSON.readTree(payload);
      if (node != null && node.hasNonNull(field)) {
        return node.get(field).isNumber() ? node.get(field).asLong() : java.time.Instant.parse(node.get(field).asText()).toEpochMilli();
      }
    } catch (IOException | java.time.DateTimeException e) {
      // not a readable record: the previous record's time
    }
    return null;
  }

  /** Reads every output topic until each has its golden count, then a little longer for extras. */
  private static Map<String, List<String>> consume(KafkaBroker kafka, Map<String, Output> outputs) throws IOException {
    Map<String, Long> expected = new LinkedHashMap<>();
    Map<String, List<String>> received = new LinkedHashMap<>();
    for (Map.Entry<String, Output> output : outputs.entrySet()) {
      expected.put(output.getKey(), Files.readAllLines(output.getValue().expected, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).count());
      received.put(output.getKey(), new ArrayList<>());
    }
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "check-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
      consumer.subscribe(outputs.keySet());
      long deadline = System.nanoTime() + MAX_WAIT.toNanos();
      long settleUntil = Long.MAX_VALUE;
      while (System.nanoTime() < Math.min(deadline, settleUntil)) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          org.apache.avro.Schema avro = outputs.get(record.topic()).avro;
          received.get(record.topic()).add(avro == null ? new String(record.value(), StandardCharsets.UTF_8) : confluentToJson(record.value(), avro));
        }
        boolean complete = expected.entrySet().stream().allMatch(e -> received.get(e.getKey()).size() >= e.getValue());
        if (complete && settleUntil == Long.MAX_VALUE) {
          settleUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos(); // duplicates would show up now (no checkpoints here: output is not held for a commit)
        }
      }
    }
    return received;
  }

  private static String confluentToJson(byte[] value, org.apache.avro.Schema schema) throws IOException {
    assertThat("magic byte", value[0], equalTo((byte) 0));
    assertThat("schema id", java.nio.ByteBuffer.wrap(value, 1, 4).getInt(), equalTo(SCHEMA_ID));
    GenericRecord record = new GenericDatumReader<GenericRecord>(schema).read(null, DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
    return org.apache.avro.generic.GenericData.get().toString(record);
  }
}
