package dev.streamtemplates.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamtemplates.pipelines.TemplatePipeline;
import dev.streamtemplates.pipelines.launcher.Launcher;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.templates.ConformanceHarness;
import dev.streamtemplates.templates.KafkaBroker;
import dev.streamtemplates.templates.KafkaBrokerRule;
import dev.streamtemplates.templates.KafkaConformanceHarness;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Exactly once under failure: the {@code windowed-metrics} template on Flink ([local], streaming,
 * checkpoints every second to disk), Kafka in, Kafka out through transactions ({@code
 * exactlyOnce} on the sink, i.e. {@code KafkaIO.write().withEOS}, 2 shards on a 2-partition
 * topic), over 1,000,000 events produced while it runs. A {@code FailOnce} step inserted after
 * the source throws once, mid-stream, as soon as a checkpoint completes that began after the first
 * committed output (from then on the sink's own state is in the checkpoint). Flink restarts the
 * job from its last completed checkpoint and replays from the checkpointed Kafka offsets; the
 * sink finds the transactions it committed after that checkpoint and skips their records. Reading
 * the output with {@code read_committed}, every (server, window) statistic must appear exactly
 * once, and the request and rejection counts must equal those computed here from the generator:
 * nothing lost, nothing duplicated.
 *
 * <p>The same test with the sink's {@code exactlyOnce} removed fails with 40 duplicated windows
 * (checked by hand), so it does detect replays. Four things had to be right for recovery, each
 * found by this test: a producer left in a transaction by the failed attempt ({@code
 * TransactionRecoveringProducer}); a commit interrupted by Flink's cancellation, which the broker
 * still completes, must be waited for, or Beam's writer (cached in the JVM with its last committed
 * sequence id) writes it again after the restart (one duplicated window in 3 of 7 runs, with the
 * two copies at neighbouring offsets of one partition); no more sink shards than the topic's
 * partitions (now refused at launch); and a broker whose group coordinator answers promptly (a
 * fresh broker's 50-partition group log made the first commit time out after 60 s, which also
 * stalled checkpoints).
 */
public class FlinkExactlyOnceTest {
  @ClassRule public static final KafkaBrokerRule KAFKA = new KafkaBrokerRule();

  private static final int EVENTS = Integer.getInteger("eos.events", 1_000_000);
  private static final int SERVERS = 20;
  private static final Instant BASE = Instant.parse("2024-05-01T00:00:00Z");
  private static final long STEP_MILLIS = 10;

  /** Event i: deterministic server, status, latency; times 10 ms apart, neighbours swapped (out of order). */
  private static String event(int i) {
    long at = BASE.toEpochMilli() + (i ^ 1) * STEP_MILLIS;
    return "{\"server\":\"api-" + (i % SERVERS) + "\",\"client\":\"c" + (i % 97) + "\",\"status\":\""
        + (i % 13 == 0 ? "REJECTED" : "OK") + "\",\"latencyMs\":" + (i % 500) / 2.0 + ",\"at\":" + at + "}";
  }

  @Test
  public void windowedAggregationSurvivesAnInjectedFailureWithNoLossAndNoDuplicates() throws Exception {
    KafkaBroker kafka = KAFKA.broker();
    kafka.createTopics(2, "eos-requests");
    kafka.createTopics(2, "eos-metrics"); // one partition per transactional shard: each keeps its commits there
    kafka.createTopics("eos-dead-letter");
    Map<String, long[]> expected = new HashMap<>(); // server|windowStart -> {requests, rejected}
    for (int i = 0; i < EVENTS; i++) {
      long at = BASE.toEpochMilli() + (i ^ 1) * STEP_MILLIS;
      long[] counts = expected.computeIfAbsent("api-" + (i % SERVERS) + "|" + Instant.ofEpochMilli(at - at % 60_000), k -> new long[2]);
      counts[0]++;
      counts[1] += i % 13 == 0 ? 1 : 0;
    }
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    // Checkpoints on disk, not in the JobManager's memory (which refuses state over 5 MB), and
    // visible to the test: a chk-N directory with its _metadata is a completed checkpoint.
    Path checkpoints = Files.createTempDirectory("eos-checkpoints");
    Launcher.Launch launch = new Launcher(new PrintStream(log, true, StandardCharsets.UTF_8)).prepare(new String[] {
        "windowed-metrics", "--home=" + ConformanceHarness.repoRoot(), "--runner=FlinkRunner", "--flinkMaster=[local]",
        "--parallelism=2", "--streaming=true", "--attachedMode=false", "--checkpointingInterval=1000",
        "--numberOfExecutionRetries=2", "--executionRetryDelay=1000",
        "--stateBackend=filesystem", "--stateBackendStoragePath=" + checkpoints.toUri()});
    ObjectNode spec = launch.root().json().deepCopy();
    ObjectNode source = (ObjectNode) spec.withArray("sources").get(0);
    source.remove("path");
    source.put("type", "kafka").put("bootstrapServers", kafka.bootstrapServers()).put("topics", "eos-requests").put("groupId", "eos");
    ((ObjectNode) source.get("eventTime")).put("maxOutOfOrderness", "1s").put("idleTimeout", "2s");
    ArrayNode steps = spec.withArray("steps");
    ((ObjectNode) steps.get(0)).put("input", "chaos");
    steps.insertObject(0).put("name", "chaos").put("type", "FailOnce").put("input", "requests").put("afterRecords", EVENTS / 10);
    ObjectNode sink = (ObjectNode) spec.withArray("sinks").get(0);
    KafkaConformanceHarness.toKafka(sink, kafka, "eos-metrics");
    sink.putObject("exactlyOnce").put("groupId", "eos-metrics-sink").put("numShards", 2);
    KafkaConformanceHarness.toKafka((ObjectNode) spec.get("deadLetter"), kafka, "eos-dead-letter");

    Pipeline pipeline = Pipeline.create(launch.options());
    TemplatePipeline.build(pipeline, new SpecNode(spec, launch.root().path()), launch.home());
    warmUpTransactions(kafka);
    PipelineResult result = pipeline.run();
    Thread producer = new Thread(() -> produce(kafka), "eos-producer");
    producer.start();
    List<JsonNode> rows = new ArrayList<>();
    List<String> positions = new ArrayList<>(); // partition@offset of each row, to show where a duplicate was written
    List<String> deadLetters = new ArrayList<>();
    try {
      consume(kafka, expected.size(), rows, positions, deadLetters, result, checkpoints);
    } finally {
      result.cancel();
    }

    assertThat("the injected failure happened", FailOnceStep.FAILED.get(), is(true));
    assertThat(deadLetters, empty());
    Map<String, long[]> actual = new HashMap<>();
    Map<String, String> firstAt = new HashMap<>();
    List<String> duplicates = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < rows.size(); i++) {
      JsonNode row = rows.get(i);
      String key = row.get("server").asText() + "|" + Instant.parse(row.get("windowStart").asText());
      if (actual.put(key, new long[] {row.get("requests").asLong(), row.get("rejected").asLong()}) != null) {
        duplicates.add(key + " at " + firstAt.get(key) + " and " + positions.get(i));
      }
      firstAt.putIfAbsent(key, positions.get(i));
      total += row.get("requests").asLong();
    }
    assertThat("duplicated windows", duplicates, empty());
    assertThat("events counted over all windows", total, equalTo((long) EVENTS));
    assertThat("windows", actual.keySet(), equalTo(expected.keySet()));
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      assertThat(e.getKey(), actual.get(e.getKey()), equalTo(e.getValue()));
    }
  }

  /**
   * The number of the latest checkpoint with its metadata written, or 0 (also used by
   * FlinkLearnRestartTest). Flink deletes older checkpoints while the tree is walked: a directory
   * that vanished meanwhile makes it look again.
   */
  static long latestCompletedCheckpoint(Path checkpoints) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try (Stream<Path> files = Files.find(checkpoints, 3, (path, attributes) -> path.getFileName().toString().equals("_metadata"))) {
        return files.map(path -> path.getParent().getFileName().toString())
            .filter(name -> name.startsWith("chk-"))
            .mapToLong(name -> Long.parseLong(name.substring(4)))
            .max().orElse(0);
      } catch (java.io.UncheckedIOException e) {
        if (attempt == 5 || !(e.getCause() instanceof java.nio.file.NoSuchFileException)) {
          throw e;
        }
      }
    }
  }

  /**
   * Makes the broker create its transaction and group logs before the job starts: on a fresh
   * broker the first transaction waits for them, which delays the sink's first commit (by more
   * than the producer's 60 s timeout, before the group log had one partition).
   */
  private static void warmUpTransactions(KafkaBroker kafka) {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, "eos-warm-up",
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>("eos-dead-letter-warm-up", "warm-up"));
      // and the group coordinator, which the sink's commits go through (sendOffsetsToTransaction)
      producer.sendOffsetsToTransaction(Map.of(new TopicPartition("eos-dead-letter-warm-up", 0), new OffsetAndMetadata(0)),
          new ConsumerGroupMetadata("eos-warm-up"));
      producer.commitTransaction();
    }
  }

  /**
   * A live stream: the events are produced while the job runs, at about 25,000 per second, so
   * that the failure can be injected mid-stream.
   */
  private static void produce(KafkaBroker kafka) {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 20,
        ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
      long start = System.nanoTime();
      for (int i = 0; i < EVENTS; i++) {
        producer.send(new ProducerRecord<>("eos-requests", "api-" + (i % SERVERS), event(i)));
        if (i % 4_000 == 0) {
          long due = start + i * 40_000L; // 40 us per event
          long wait = due - System.nanoTime();
          if (wait > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
          }
        }
      }
      producer.flush();
    }
  }

  /**
   * Reads committed output until every window has arrived, then 5 s more, so duplicates would
   * show. Arms the failure once a checkpoint completes that started after the first committed
   * output: from then on the sink's state (its writer id and next sequence id) is in the
   * checkpoint Flink restores.
   */
  private static void consume(KafkaBroker kafka, int windows, List<JsonNode> rows, List<String> positions, List<String> deadLetters,
      PipelineResult job, Path checkpoints) throws IOException {
    ObjectMapper json = new ObjectMapper();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "eos-check",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
      consumer.subscribe(List.of("eos-metrics", "eos-dead-letter"));
      long deadline = System.nanoTime() + Duration.ofMinutes(8).toNanos();
      long settleUntil = Long.MAX_VALUE;
      long armAfter = -1;
      while (System.nanoTime() < Math.min(deadline, settleUntil)) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          if (record.topic().equals("eos-dead-letter")) {
            deadLetters.add(record.value());
          } else {
            rows.add(json.readTree(record.value()));
            positions.add("partition " + record.partition() + " offset " + record.offset());
          }
        }
        if (!rows.isEmpty() && armAfter < 0) {
          armAfter = latestCompletedCheckpoint(checkpoints) + 1; // one that started after the first commits
          System.out.printf("first committed output; arming after checkpoint %d completes%n", armAfter);
        }
        if (armAfter >= 0 && !FailOnceStep.ARMED.get()) {
          long completed = latestCompletedCheckpoint(checkpoints);
          if (completed > armAfter) {
            System.out.printf("checkpoint %d completed; failure armed after %d windows%n", completed, rows.size());
            FailOnceStep.ARMED.set(true);
          }
        }
        if (job.getState().isTerminal()) {
          throw new AssertionError("the job ended early, in state " + job.getState() + ", after " + rows.size() + " of " + windows + " windows");
        }
        if (rows.size() >= windows && settleUntil == Long.MAX_VALUE) {
          settleUntil = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        }
      }
    }
  }
}
