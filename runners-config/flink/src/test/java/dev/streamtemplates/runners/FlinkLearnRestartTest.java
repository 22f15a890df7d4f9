package dev.streamtemplates.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
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

/**
 * A Learn job restarted from a checkpoint predicts exactly what an uninterrupted job predicts.
 * The {@code wait-time-forecast} template's Learn step (window 50) on Flink ([local], streaming,
 * parallelism 2, checkpoints every second to disk), Kafka in and out, over events produced while
 * it runs; a {@code FailOnce} step before Learn throws once, mid-stream, after a checkpoint that
 * completed after the first output. Flink restarts the job from that checkpoint: Learn's state
 * (each lane's window of observations, its count and the events waiting for the watermark) and the
 * Kafka offsets come back from it, and the events since are read again. The sink is at least once,
 * so outputs after the checkpoint come out twice; every copy of every event's output must equal the
 * uninterrupted model's, computed here in plain Java (least squares by the normal equations, per
 * lane, in event-time order). A state that was lost or not restored would restart a lane's
 * {@code learnedFrom} at 0 and change its predictions.
 */
public class FlinkLearnRestartTest {
  @ClassRule public static final KafkaBrokerRule KAFKA = new KafkaBrokerRule();

  private static final int EVENTS = Integer.getInteger("learn.events", 60_000);
  private static final int LANES = 8;
  private static final int WINDOW = 50;
  private static final Instant BASE = Instant.parse("2024-06-01T06:00:00Z");

  /** Event i: lane i % 8, queue and staffing varying per lane, a noisy wait on two events of three; times 10 ms apart, neighbours swapped. */
  static long at(int i) {
    return BASE.toEpochMilli() + (i ^ 1) * 10L;
  }

  static int queue(int i) {
    return (i * 7919) % 41;
  }

  static int staffed(int i) {
    return 1 + (i / LANES) % 4;
  }

  static Double label(int i) {
    return i % 3 == 2 ? null : 30.0 + 20 * queue(i) - 45 * staffed(i) + ((i * 13) % 51 - 25);
  }

  static String event(int i) {
    Double y = label(i);
    return "{\"lane\":\"L" + (i % LANES) + "\",\"queueLength\":" + queue(i) + ",\"staffed\":" + staffed(i)
        + (y == null ? "" : ",\"waitSeconds\":" + y) + ",\"at\":" + at(i) + "}";
  }

  /** The uninterrupted model's output per "lane|at": {prediction or NaN, error or NaN, learnedFrom}. */
  static Map<String, double[]> reference() {
    Map<String, double[]> expected = new HashMap<>();
    for (int lane = 0; lane < LANES; lane++) {
      List<Integer> events = new ArrayList<>();
      for (int i = lane; i < EVENTS; i += LANES) {
        events.add(i);
      }
      events.sort((a, b) -> Long.compare(at(a), at(b)));
      Deque<double[]> window = new ArrayDeque<>(); // {queue, staffed, wait, squared error or NaN}
      long learned = 0;
      for (int i : events) {
        double prediction = Double.NaN;
        if (window.size() >= 4) {
          double[] beta = leastSquares(window);
          prediction = beta[0] + beta[1] * queue(i) + beta[2] * staffed(i);
        }
        double sum = 0;
        int n = 0;
        for (double[] o : window) {
          if (!Double.isNaN(o[3])) {
            sum += o[3];
            n++;
          }
        }
        expected.put("L" + lane + "|" + Instant.ofEpochMilli(at(i)), new double[] {prediction, n == 0 ? Double.NaN : Math.sqrt(sum / n), learned});
        Double y = label(i);
        if (y != null) {
          window.addLast(new double[] {queue(i), staffed(i), y, Double.isNaN(prediction) ? Double.NaN : (y - prediction) * (y - prediction)});
          if (window.size() > WINDOW) {
            window.removeFirst();
          }
          learned++;
        }
      }
    }
    return expected;
  }

  /** [intercept, b1, b2] solving the 3x3 normal equations X'X b = X'y by Cramer's rule. */
  static double[] leastSquares(Deque<double[]> window) {
    double[][] a = new double[3][3];
    double[] c = new double[3];
    for (double[] o : window) {
      double[] x = {1, o[0], o[1]};
      for (int r = 0; r < 3; r++) {
        for (int k = 0; k < 3; k++) {
          a[r][k] += x[r] * x[k];
        }
        c[r] += x[r] * o[2];
      }
    }
    double det = det(a);
    if (Math.abs(det) < 1e-6) {
      throw new AssertionError("the test's data must not be collinear");
    }
    double[] beta = new double[3];
    for (int col = 0; col < 3; col++) {
      double[][] m = new double[3][];
      for (int r = 0; r < 3; r++) {
        m[r] = a[r].clone();
        m[r][col] = c[r];
      }
      beta[col] = det(m) / det;
    }
    return beta;
  }

  static double det(double[][] m) {
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  }

  @Test
  public void aJobRestartedFromACheckpointPredictsWhatAnUninterruptedJobPredicts() throws Exception {
    resetFailOnce(); // FailOnce's counters are static, shared with FlinkExactlyOnceTest in the same JVM
    KafkaBroker kafka = KAFKA.broker();
    kafka.createTopics(2, "learn-queue");
    kafka.createTopics("learn-forecasts", "learn-dead-letter");
    Path checkpoints = Files.createTempDirectory("learn-checkpoints");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Launcher.Launch launch = new Launcher(new PrintStream(log, true, StandardCharsets.UTF_8)).prepare(new String[] {
        "wait-time-forecast", "--home=" + ConformanceHarness.repoRoot(), "--window=" + WINDOW, "--runner=FlinkRunner", "--flinkMaster=[local]",
        "--parallelism=2", "--streaming=true", "--attachedMode=false", "--checkpointingInterval=1000",
        "--numberOfExecutionRetries=2", "--executionRetryDelay=1000",
        "--stateBackend=filesystem", "--stateBackendStoragePath=" + checkpoints.toUri()});
    ObjectNode spec = launch.root().json().deepCopy();
    ObjectNode source = (ObjectNode) spec.withArray("sources").get(0);
    source.remove("path");
    source.put("type", "kafka").put("bootstrapServers", kafka.bootstrapServers()).put("topics", "learn-queue").put("groupId", "learn");
    ((ObjectNode) source.get("eventTime")).put("maxOutOfOrderness", "1s").put("idleTimeout", "2s");
    ArrayNode steps = spec.withArray("steps");
    steps.remove(1); // the per-minute Aggregate: the test reads every event's prediction
    ((ObjectNode) steps.get(0)).put("input", "chaos");
    steps.insertObject(0).put("name", "chaos").put("type", "FailOnce").put("input", "queue").put("afterRecords", EVENTS / 10);
    ObjectNode sink = (ObjectNode) spec.withArray("sinks").get(0);
    sink.put("input", "forecast");
    KafkaConformanceHarness.toKafka(sink, kafka, "learn-forecasts");
    KafkaConformanceHarness.toKafka((ObjectNode) spec.get("deadLetter"), kafka, "learn-dead-letter");

    Pipeline pipeline = Pipeline.create(launch.options());
    TemplatePipeline.build(pipeline, new SpecNode(spec, launch.root().path()), launch.home());
    PipelineResult result = pipeline.run();
    Thread producer = new Thread(() -> produce(kafka), "learn-producer");
    producer.start();
    Map<String, List<JsonNode>> outputs = new HashMap<>();
    List<String> deadLetters = new ArrayList<>();
    try {
      consume(kafka, outputs, deadLetters, result, checkpoints);
    } finally {
      result.cancel();
    }

    boolean failed = FailOnceStep.FAILED.get();
    resetFailOnce();
    assertThat("the injected failure happened", failed, is(true));
    assertThat(deadLetters, empty());
    Map<String, double[]> expected = reference();
    assertThat("events with an output", outputs.keySet(), equalTo(expected.keySet()));
    long copies = 0;
    long predicted = 0;
    for (Map.Entry<String, List<JsonNode>> e : outputs.entrySet()) {
      double[] want = expected.get(e.getKey());
      predicted += Double.isNaN(want[0]) ? 0 : 1;
      for (JsonNode row : e.getValue()) {
        copies++;
        assertThat(e.getKey() + " learnedFrom", row.get("learnedFrom").asLong(), equalTo((long) want[2]));
        assertValue(e.getKey() + " prediction", row.get("prediction"), want[0]);
        assertValue(e.getKey() + " error", row.get("error"), want[1]);
      }
    }
    System.out.printf("%d events, %d outputs (%d written again after the restart), %d predicted%n", outputs.size(), copies, copies - outputs.size(), predicted);
    assertThat("most events are predicted", predicted > EVENTS * 9L / 10, is(true));
  }

  private static void resetFailOnce() {
    FailOnceStep.SEEN.set(0);
    FailOnceStep.FAILED.set(false);
    FailOnceStep.ARMED.set(false);
  }

  private static void assertValue(String what, JsonNode actual, double expected) {
    if (Double.isNaN(expected)) {
      assertThat(what + " is null", actual == null || actual.isNull(), is(true));
    } else {
      assertThat(what, actual.asDouble(), closeTo(expected, 1e-6 * Math.max(1, Math.abs(expected))));
    }
  }

  /** A live stream: about 10,000 events a second, keyed by lane, so that the failure comes mid-stream. */
  private static void produce(KafkaBroker kafka) {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 20,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
      long start = System.nanoTime();
      for (int i = 0; i < EVENTS; i++) {
        producer.send(new ProducerRecord<>("learn-queue", "L" + (i % LANES), event(i)));
        if (i % 1_000 == 0) {
          long wait = start + i * 100_000L - System.nanoTime(); // 100 us per event
          if (wait > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
          }
        }
      }
      producer.flush();
    }
  }

  /**
   * Reads the output until every event has one, then 3 s more. Arms the failure once a checkpoint
   * completes that started after the first output: Learn's state is then in it.
   */
  private static void consume(KafkaBroker kafka, Map<String, List<JsonNode>> outputs, List<String> deadLetters, PipelineResult job, Path checkpoints)
      throws IOException {
    ObjectMapper json = new ObjectMapper();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "learn-check",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
      consumer.subscribe(List.of("learn-forecasts", "learn-dead-letter"));
      long deadline = System.nanoTime() + Duration.ofMinutes(6).toNanos();
      long settleUntil = Long.MAX_VALUE;
      long armAfter = -1;
      while (System.nanoTime() < Math.min(deadline, settleUntil)) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
          if (record.topic().equals("learn-dead-letter")) {
            deadLetters.add(record.value());
          } else {
            JsonNode row = json.readTree(record.value());
            String key = row.get("lane").asText() + "|" + Instant.parse(row.get("at").asText());
            outputs.computeIfAbsent(key, k -> new ArrayList<>()).add(row);
          }
        }
        if (!outputs.isEmpty() && armAfter < 0) {
          armAfter = FlinkExactlyOnceTest.latestCompletedCheckpoint(checkpoints) + 1;
          System.out.printf("first output; arming after checkpoint %d completes%n", armAfter);
        }
        if (armAfter >= 0 && !FailOnceStep.ARMED.get() && FlinkExactlyOnceTest.latestCompletedCheckpoint(checkpoints) > armAfter) {
          System.out.printf("checkpoint completed; failure armed after %d events' outputs%n", outputs.size());
          FailOnceStep.ARMED.set(true);
        }
        if (job.getState().isTerminal()) {
          throw new AssertionError("the job ended early, in state " + job.getState() + ", after " + outputs.size() + " of " + EVENTS + " outputs");
        }
        if (outputs.size() >= EVENTS && settleUntil == Long.MAX_VALUE) {
          settleUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        }
      }
    }
  }
}
