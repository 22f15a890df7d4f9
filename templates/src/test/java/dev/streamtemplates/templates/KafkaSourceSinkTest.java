package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasSize;

import dev.streamtemplates.pipelines.TemplatePipeline;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A spec reading from and writing to a real Kafka broker, with keys, event time and dead letters. */
public class KafkaSourceSinkTest {
  @ClassRule public static final TemporaryFolder FOLDER = new TemporaryFolder();
  @ClassRule public static final KafkaBrokerRule KAFKA = new KafkaBrokerRule();

  @Test
  public void jsonFromKafkaIsMappedAndWrittenToKafkaWithKeysAndBadRecordsDeadLettered() throws Exception {
    KAFKA.broker().createTopics("payments", "payments-out");
    Path dir = FOLDER.newFolder("run").toPath();
    Files.writeString(dir.resolve("payment.avsc"),
        "{\"type\":\"record\",\"name\":\"Payment\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
            + "{\"name\":\"amount\",\"type\":\"double\"},{\"name\":\"at\",\"type\":\"string\"}]}");
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers(),
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
      producer.send(new ProducerRecord<>("payments", "acct-1", "{\"id\":\"p1\",\"amount\":10.0,\"at\":\"2024-05-01T10:00:00Z\"}"));
      producer.send(new ProducerRecord<>("payments", "acct-2", "{\"id\":\"p2\",\"amount\":2.5,\"at\":\"2024-05-01T10:00:05Z\"}"));
      producer.send(new ProducerRecord<>("payments", "acct-1", "{\"id\":\"p3\",\"amount\":"));
      producer.send(new ProducerRecord<>("payments", "acct-3", "{\"id\":\"p4\",\"amount\":7.0,\"at\":\"whenever\"}"));
      producer.send(new ProducerRecord<>("payments", null, "{\"id\":\"p5\",\"amount\":1.0,\"at\":\"2024-05-01T09:59:58Z\"}"));
      producer.flush();
    }
    String yaml =
        "name: kafka-demo\n"
            + "description: Kafka to Kafka.\n"
            + "sources:\n"
            + "  - {name: payments, type: kafka, bootstrapServers: '" + KAFKA.broker().bootstrapServers() + "', topics: payments,"
            + " groupId: kafka-demo, startOffset: earliest, format: json, schema: '" + dir.resolve("payment.avsc") + "',"
            + " keyField: account, eventTime: {field: at, maxOutOfOrderness: 5s}, maxRecords: 5,"
            + " properties: {sasl.jaas.config: 'never logged'}}\n"
            + "steps:\n"
            + "  - {name: cents, type: MapFields, input: payments, fields: {cents: 'int(amount * 100.0)'}, drop: [amount]}\n"
            + "sinks:\n"
            + "  - {name: out, input: cents, type: kafka, bootstrapServers: '" + KAFKA.broker().bootstrapServers() + "', topic: payments-out,"
            + " format: json, keyField: id}\n"
            + "deadLetter: {type: file, format: json, path: '" + dir.resolve("dlq/dead") + "'}\n";
    // sasl.jaas.config would switch the client to SASL; the broker here is PLAINTEXT, so drop it from the run.
    yaml = yaml.replace(", properties: {sasl.jaas.config: 'never logged'}", "");
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("kafka-demo", yaml).resolve(Map.of());
    TemplatePipeline.build(pipeline, root, dir.toString());
    pipeline.run().waitUntilFinish();

    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "check",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
      consumer.subscribe(List.of("payments-out"));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < 3 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          out.add(record.key() + " " + record.value());
        }
      }
    }
    assertThat(out, containsInAnyOrder(
        "p1 {\"id\":\"p1\",\"at\":\"2024-05-01T10:00:00Z\",\"account\":\"acct-1\",\"cents\":1000}",
        "p2 {\"id\":\"p2\",\"at\":\"2024-05-01T10:00:05Z\",\"account\":\"acct-2\",\"cents\":250}",
        "p5 {\"id\":\"p5\",\"at\":\"2024-05-01T09:59:58Z\",\"account\":null,\"cents\":100}"));

    List<String> dead = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir.resolve("dlq"))) {
      for (Path file : (Iterable<Path>) files::iterator) {
        dead.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
      }
    }
    assertThat(dead, hasSize(2));
    assertThat(String.join("\n", dead), containsString("malformed JSON"));
    assertThat(String.join("\n", dead), containsString("event time field 'at': 'whenever' is not an ISO-8601 time"));
  }

  @Test
  public void exactlyOnceSinkWithMoreShardsThanPartitionsIsRefusedAtLaunch() throws Exception {
    KAFKA.broker().createTopics(2, "two-partitions");
    Path schema = FOLDER.newFile("r.avsc").toPath();
    Files.writeString(schema, "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"}]}");
    String yaml =
        "name: eos-shards\n"
            + "description: More transactional shards than partitions.\n"
            + "sources:\n"
            + "  - {name: in, type: kafka, bootstrapServers: '" + KAFKA.broker().bootstrapServers() + "', topics: in, groupId: g,"
            + " format: json, schema: '" + schema + "'}\n"
            + "sinks:\n"
            + "  - {name: out, input: in, type: kafka, bootstrapServers: '" + KAFKA.broker().bootstrapServers() + "', topic: two-partitions,"
            + " format: json, exactlyOnce: {groupId: eos-shards, numShards: 3}}\n";
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("eos-shards", yaml).resolve(Map.of());
    IllegalArgumentException e = org.junit.Assert.assertThrows(IllegalArgumentException.class,
        () -> TemplatePipeline.build(pipeline, root, FOLDER.getRoot().toString()));
    assertThat(e.getMessage(), containsString("sinks[0].exactlyOnce.numShards: 3 shards, but topic 'two-partitions' has 2 partition(s);"
        + " each shard keeps its commits on its own partition, so use numShards <= 2"));
  }
}
