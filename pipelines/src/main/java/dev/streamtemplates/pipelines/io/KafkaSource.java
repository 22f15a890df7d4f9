package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.pipelines.spec.Durations;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.format.ParseRecords;
import dev.streamtemplates.transforms.format.RecordFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Duration;

/**
 * {@code type: kafka} source: records of one or more topics.
 *
 * <p>Event time: from {@code eventTime.field}, or the record timestamp with {@code
 * eventTime.kafkaTimestamp}, else processing time. The watermark trails the largest event time
 * seen by {@code eventTime.maxOutOfOrderness} (default 0s), so events up to that much out of
 * order are on time, and a partition with no new record for {@code eventTime.idleTimeout}
 * (default 30s) stops holding it back (see {@link KafkaTimestamps}).
 */
public final class KafkaSource implements SourceProvider {
  /** How long a Kafka partition may have no new record before it stops holding the watermark back. */
  public static final String DEFAULT_IDLE_TIMEOUT = "30s";

  @Override
  public String type() {
    return "kafka";
  }

  @Override
  public String description() {
    return "Records of Kafka topics, with event time from a field or the record timestamp and an idle timeout.";
  }

  /** The timestamp policy set event time, unless a field holds it (then it is parsed after the format, as for files). */
  @Override
  public boolean setsEventTime(SpecNode source) {
    return source.child("eventTime").bool("kafkaTimestamp", false) || !source.child("eventTime").has("field");
  }

  @Override
  public Read read(Pipeline pipeline, SpecNode source) {
    String name = source.text("name");
    RecordFormat format = SpecFormats.decoding(source).format();
    KafkaBrokers.requireReachable(source, source.text("bootstrapServers"), source.texts("topics"), source.stringMap("properties"));
    List<PCollection<Row>> deadLetters = new ArrayList<>();
    PCollection<KV<byte[], byte[]>> messages = pipeline.apply(name + "/Kafka", kafkaRead(source, format).withoutMetadata());
    PCollection<Row> rows;
    if (source.has("keyField")) {
      WithFailures.Result<PCollection<Row>, Row> parsed =
          messages.apply(name + "/Parse " + format.name(), ParseRecords.with(format).named(name).withKeyField(source.text("keyField")));
      deadLetters.add(parsed.failures());
      rows = parsed.output();
    } else {
      rows = Sources.parse(name, messages.apply(name + "/Values", Values.<byte[]>create()), format, deadLetters);
    }
    return new Read(rows, deadLetters);
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
}
