package dev.streamtemplates.benchmarks.soak;

import dev.streamtemplates.pipelines.TemplatePipeline;
import dev.streamtemplates.pipelines.launcher.Catalog;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.avro.schemas.utils.AvroUtils;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Soak: the {@code windowed-metrics} template (count, mean, stddev, min, max, median, p95 and
 * distinct clients per server per window) on Flink {@code [local]} in streaming mode for a fixed
 * time, fed at a fixed rate by a generator whose event time is the wall clock, with checkpoints
 * every 10 s to a local directory. Every 30 s it prints and records:
 *
 * <ul>
 *   <li>throughput in and out over the interval;
 *   <li>p50 and p99 latency of the results emitted in the interval, from the end of their window
 *       (the event time after which the result is determined) to the moment the sink receives it;
 *   <li>state size: the bytes of the latest completed checkpoint on disk.
 * </ul>
 *
 * State must stay bounded: the job exits with 1 if the last checkpoint is more than 25% above the
 * one taken a third of the way in. Results go to {@code benchmarks/results/soak.csv}.
 * Counters are static because Flink {@code [local]} runs the job in this JVM.
 *
 * <pre>
 * bin/bench-soak [--minutes=10] [--rate=20000] [--servers=500] [--window=5s] [--report-late-for=2m]
 * </pre>
 */
public final class SoakJob {
  static final AtomicLong IN = new AtomicLong();
  static final AtomicLong OUT = new AtomicLong();
  /** Latencies (ms) of results since the last report; drained by the reporter. */
  static final List<Long> LATENCIES = new ArrayList<>();

  private SoakJob() {}

  public static void main(String[] args) throws Exception {
    long minutes = longArg(args, "minutes", 10);
    long rate = longArg(args, "rate", 20_000);
    int servers = (int) longArg(args, "servers", 500);
    String window = stringArg(args, "window", "5s");
    String reportLateFor = stringArg(args, "report-late-for", "2m");
    Path home = Path.of(System.getProperty("templates.home", ".")).toAbsolutePath();
    Path checkpoints = Files.createTempDirectory("soak-checkpoints");

    TemplateSpec spec = Catalog.load("windowed-metrics");
    SpecNode root = spec.resolve(Map.of(TemplateSpec.HOME, home.toString(), "size", window, "slide", window, "reportLateFor", reportLateFor,
        "outputDir", Files.createTempDirectory("soak-out").toString()));
    org.apache.avro.Schema avro = new org.apache.avro.Schema.Parser().parse(home.resolve("test-data/schemas/request.avsc").toFile());
    Schema schema = AvroUtils.toBeamSchema(avro);

    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs(
        "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2", "--streaming=true", "--attachedMode=false",
        "--checkpointingInterval=10000", "--stateBackend=filesystem", "--stateBackendStoragePath=" + checkpoints.toUri(),
        "--jobName=soak-windowed-metrics").create());
    PCollection<Row> requests = pipeline
        .apply("Generate", GenerateSequence.from(0).withRate(rate, Duration.standardSeconds(1)).withTimestampFn(i -> Instant.now()))
        .apply("To requests", ParDo.of(new ToRequest(schema, servers)))
        .setRowSchema(schema);
    Map<String, PTransform<PCollection<Row>, ?>> sinks = Map.of("metrics", new Measure(), TemplatePipeline.DEAD_LETTER_SINK, new Measure());
    TemplatePipeline.build(pipeline, root, home.toString(), new TemplatePipeline.Bindings(Map.of("requests", requests), sinks));

    System.out.printf(Locale.ROOT, "soak: windowed-metrics on Flink [local], %d events/s, %d servers, %s windows, late events reported for %s, %d min;"
        + " checkpoints in %s%n", rate, servers, window, reportLateFor, minutes, checkpoints);
    List<String> csv = new ArrayList<>(List.of("elapsed_s,events_in,rows_out,in_per_s,out_per_s,p50_ms,p99_ms,checkpoint_bytes"));
    List<Long> checkpointSizes = new ArrayList<>();
    PipelineResult result = pipeline.run();
    long start = System.nanoTime();
    long lastIn = 0;
    long lastOut = 0;
    System.out.printf("%8s %12s %10s %10s %10s %8s %8s %14s%n", "elapsed", "events in", "rows out", "in/s", "out/s", "p50 ms", "p99 ms", "checkpoint B");
    try {
      for (long elapsed = 30; elapsed <= minutes * 60; elapsed += 30) {
        java.util.concurrent.TimeUnit.NANOSECONDS.sleep(Math.max(0, start + elapsed * 1_000_000_000L - System.nanoTime()));
        long in = IN.get();
        long out = OUT.get();
        long[] latencies;
        synchronized (LATENCIES) {
          latencies = LATENCIES.stream().mapToLong(Long::longValue).sorted().toArray();
          LATENCIES.clear();
        }
        long bytes = latestCheckpointBytes(checkpoints);
        checkpointSizes.add(bytes);
        String p50 = percentile(latencies, 0.50);
        String p99 = percentile(latencies, 0.99);
        System.out.printf("%7ds %12d %10d %10d %10d %8s %8s %14d%n", elapsed, in, out, (in - lastIn) / 30, (out - lastOut) / 30, p50, p99, bytes);
        csv.add(elapsed + "," + in + "," + out + "," + (in - lastIn) / 30 + "," + (out - lastOut) / 30 + "," + p50 + "," + p99 + "," + bytes);
        lastIn = in;
        lastOut = out;
      }
    } finally {
      result.cancel();
    }
    Path results = home.resolve("benchmarks/results/soak.csv");
    Files.createDirectories(results.getParent());
    Files.write(results, csv, StandardCharsets.UTF_8);
    // Bounded means flat after warm-up: the last checkpoint is at most 25% above the one taken a
    // third of the way in. Linear growth (state never released) fails this.
    long early = checkpointSizes.get(checkpointSizes.size() / 3);
    long last = checkpointSizes.get(checkpointSizes.size() - 1);
    boolean bounded = last <= early * 1.25;
    System.out.printf("state %s: last checkpoint %d bytes, %d bytes a third of the way in; results in %s%n",
        bounded ? "bounded" : "GROWING", last, early, results);
    if (!bounded) {
      System.exit(1);
    }
  }

  private static String percentile(long[] sorted, double q) {
    return sorted.length == 0 ? "-" : String.valueOf(sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  }

  /** Bytes of the newest {@code chk-N} directory (Flink keeps the latest completed one). */
  private static long latestCheckpointBytes(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      Path newest = all.filter(p -> p.getFileName().toString().startsWith("chk-") && Files.isDirectory(p))
          .max((a, b) -> Long.compare(number(a), number(b))).orElse(null);
      if (newest == null) {
        return 0;
      }
      try (Stream<Path> files = Files.walk(newest)) {
        return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
      }
    }
  }

  private static long number(Path chk) {
    return Long.parseLong(chk.getFileName().toString().substring(4));
  }

  /** Request i: server, client, status and latency from the index; event time is the wall clock. */
  private static final class ToRequest extends DoFn<Long, Row> {
    private final Schema schema;
    private final int servers;

    ToRequest(Schema schema, int servers) {
      this.schema = schema;
      this.servers = servers;
    }

    @ProcessElement
    public void process(@Element Long i, @Timestamp Instant at, OutputReceiver<Row> out) {
      IN.incrementAndGet();
      out.output(Row.withSchema(schema)
          .addValues("srv-" + (i % servers), "c" + (i % 9973), i % 17 == 0 ? "REJECTED" : "OK", (double) (i % 997), new org.joda.time.DateTime(at.getMillis(), org.joda.time.DateTimeZone.UTC))
          .build());
    }
  }

  /** Counts results and records their latency from window end to arrival here. */
  private static final class Measure extends PTransform<PCollection<Row>, PCollection<Void>> {
    @Override
    public PCollection<Void> expand(PCollection<Row> rows) {
      return rows.apply("Measure", ParDo.of(new DoFn<Row, Void>() {
        @ProcessElement
        public void process(@Element Row row) {
          OUT.incrementAndGet();
          if (row.getSchema().hasField("windowEnd") && row.getValue("windowEnd") != null) {
            long latency = System.currentTimeMillis() - ((org.joda.time.ReadableInstant) row.getValue("windowEnd")).getMillis();
            synchronized (LATENCIES) {
              LATENCIES.add(latency);
            }
          }
        }
      }));
    }
  }

  private static long longArg(String[] args, String name, long fallback) {
    return Long.parseLong(stringArg(args, name, String.valueOf(fallback)));
  }

  private static String stringArg(String[] args, String name, String fallback) {
    return Arrays.stream(args).filter(a -> a.startsWith("--" + name + "=")).map(a -> a.substring(name.length() + 3)).findFirst().orElse(fallback);
  }
}
