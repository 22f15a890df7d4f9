package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.format.RecordFormat;
import dev.streamtemplates.transforms.format.SerializeRecords;
import java.util.LinkedHashMap;
import java.util.List;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code type: kafka} sink: records to one topic, keyed by {@code keyField} if given; with {@code
 * exactlyOnce}, in Kafka transactions committed when the runner checkpoints.
 */
public final class KafkaSink implements SinkProvider {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KafkaSink.class);

  @Override
  public String type() {
    return "kafka";
  }

  @Override
  public String description() {
    return "Records to a Kafka topic, optionally keyed, optionally exactly once (Kafka transactions).";
  }

  @Override
  public List<PCollection<Row>> write(SpecNode sink, String name, PCollection<Row> rows) {
    String formatName = sink.text("format", "json");
    RecordFormat format = SpecFormats.format(sink, formatName, rows.getSchema(), Sinks.avroSchema(sink, rows.getSchema()));
    String keyField = sink.text("keyField", null);
    if (keyField != null && !rows.getSchema().hasField(keyField)) {
      throw new IllegalArgumentException(sink.childPath("keyField") + ": field '" + keyField + "' is not in the input; fields are "
          + rows.getSchema().getFieldNames());
    }
    WithFailures.Result<PCollection<KV<byte[], byte[]>>, Row> keyed =
        rows.apply(name + "/Encode " + formatName, SerializeRecords.with(format).named(name).keyedBy(keyField));
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
      write = write.withEOS(numShards, eos.text("groupId")).withProducerFactoryFn(TransactionRecoveringProducer.factory());
    }
    keyed.output().apply(name + "/Kafka", write);
    return List.of(keyed.failures());
  }

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
    int partitions;
    try (KafkaConsumer<byte[], byte[]> consumer = KafkaBrokers.launchConsumer(sink.text("bootstrapServers"), sink.stringMap("properties"))) {
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
}
