package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.pipelines.spec.SpecNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Asks the brokers of a Kafka source for its topics before launch, within a bounded time, so that
 * an unreachable broker is one line naming the address, not a minute of the client's reconnection
 * warnings and then a stack trace from inside the runner.
 */
final class KafkaBrokers {
  private KafkaBrokers() {}

  /** How long the brokers have to answer at launch. */
  static final Duration ANSWER_WITHIN = Duration.ofSeconds(10);

  /**
   * A consumer for questions asked at launch (topics, partitions) with the node's own client
   * properties; it retries a connection once a second at most, not the client's every 50 ms.
   */
  static KafkaConsumer<byte[], byte[]> launchConsumer(String bootstrapServers, Map<String, String> properties) {
    Map<String, Object> config = new HashMap<>(properties);
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.RECONNECT_BACKOFF_MS_CONFIG, 1000);
    config.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
    return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  static void requireReachable(SpecNode node, String bootstrapServers, List<String> topics, Map<String, String> properties) {
    String where = node.path() + " ('" + node.text("name") + "')";
    try (KafkaConsumer<byte[], byte[]> consumer = launchConsumer(bootstrapServers, properties)) {
      for (String topic : topics) {
        consumer.partitionsFor(topic, ANSWER_WITHIN);
      }
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw new IllegalArgumentException(where + ": the Kafka broker at " + bootstrapServers + " did not answer within "
          + ANSWER_WITHIN.toSeconds() + " s; is it running, and reachable from here (address, port, listeners, security settings)?");
    } catch (KafkaException e) {
      throw new IllegalArgumentException(where + ": cannot ask the Kafka broker at " + bootstrapServers + " for its topics: " + e.getMessage());
    }
  }
}
