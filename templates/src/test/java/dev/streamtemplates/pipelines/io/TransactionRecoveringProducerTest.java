package dev.streamtemplates.pipelines.io;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.templates.KafkaBroker;
import dev.streamtemplates.templates.KafkaBrokerRule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * The exactly-once sink's producer against a real broker. The case that matters: a commit whose
 * wait is interrupted (Flink cancelling the writer's task) is still completed by the broker, so
 * the producer must learn that outcome instead of throwing, or Beam's cached writer keeps a stale
 * sequence id and writes the transaction's records again after the restart.
 */
public class TransactionRecoveringProducerTest {
  @ClassRule public static final KafkaBrokerRule KAFKA = new KafkaBrokerRule();

  /** A transactional producer's settings, as Beam's exactly-once sink passes them. */
  private static Map<String, Object> config(String bootstrapServers, String transactionalId) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return config;
  }

  private static Producer<byte[], byte[]> producer(String transactionalId) {
    return TransactionRecoveringProducer.factory().apply(config(KAFKA.broker().bootstrapServers(), transactionalId));
  }

  private static ProducerRecord<byte[], byte[]> record(String topic, String value) {
    return new ProducerRecord<>(topic, value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  public void anInterruptedCommitIsCompletedAndTheInterruptIsKept() throws Exception {
    KAFKA.broker().createTopics("txn-interrupted");
    try (Producer<byte[], byte[]> producer = producer("txn-interrupted-writer")) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(record("txn-interrupted", "first"));
      Thread.currentThread().interrupt(); // as Flink does to a task it cancels
      boolean interruptKept;
      try {
        producer.commitTransaction(); // a plain KafkaProducer throws InterruptException here
      } finally {
        interruptKept = Thread.interrupted();
      }
      assertThat("the thread's interrupt is restored", interruptKept, is(true));

      // the producer is usable: its transaction ended, so the next one needs no recovery
      producer.beginTransaction();
      producer.send(record("txn-interrupted", "second"));
      producer.commitTransaction();
    }
    assertThat(committed("txn-interrupted", 2), contains("first", "second"));
  }

  @Test
  public void aTransactionLeftOpenIsAbortedByTheNextOne() throws Exception {
    KAFKA.broker().createTopics("txn-left-open");
    try (Producer<byte[], byte[]> producer = producer("txn-left-open-writer")) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(record("txn-left-open", "abandoned")).get(); // on the broker, never committed
      // a failed attempt returns the producer still in its transaction; the next attempt begins
      producer.beginTransaction();
      producer.send(record("txn-left-open", "kept"));
      producer.commitTransaction();
    }
    assertThat(committed("txn-left-open", 1), contains("kept"));
  }

  @Test
  public void aCommitWhoseOutcomeStaysUnknownStopsTheProducer() throws Exception {
    KafkaBroker broker = KafkaBroker.start(Files.createTempDirectory("txn-lost-broker"));
    Map<String, Object> config = config(broker.bootstrapServers(), "txn-lost-writer");
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 500);
    Producer<byte[], byte[]> producer = new TransactionRecoveringProducer(config, Duration.ofSeconds(2));
    try {
      broker.createTopics("txn-lost");
      // max.block.ms is short for the commit below; a broker that has just started may take
      // longer than that to load its transaction coordinator, and initTransactions may be retried.
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (true) {
        try {
          producer.initTransactions();
          break;
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
        }
      }
      producer.beginTransaction();
      producer.send(record("txn-lost", "pending")).get();
      broker.close(); // the broker goes away before the commit: its outcome cannot be learned

      IllegalStateException commit = assertThrows(IllegalStateException.class, producer::commitTransaction);
      assertThat(commit.getMessage(), containsString("the outcome of a transaction commit is unknown after 2 s"));
      // the writer must not go on from a sequence id that may be stale
      IllegalStateException next = assertThrows(IllegalStateException.class, producer::beginTransaction);
      assertThat(next.getMessage(), containsString("restart the job's workers"));
    } finally {
      producer.close(Duration.ZERO);
      broker.close();
    }
  }

  /** The values a read_committed consumer sees, once it has {@code count} or after 20 s. */
  private static List<String> committed(String topic, int count) {
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, topic + "-check",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (values.size() < count && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          values.add(record.value());
        }
      }
      // a little longer, so that a record that should not be there would show
      for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofSeconds(1))) {
        values.add(record.value());
      }
    }
    return values;
  }
}
