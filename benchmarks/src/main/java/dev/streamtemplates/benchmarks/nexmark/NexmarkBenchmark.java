package dev.streamtemplates.benchmarks.nexmark;

import static dev.streamtemplates.benchmarks.SlidingTopNBenchmark.longArg;
import static dev.streamtemplates.benchmarks.SlidingTopNBenchmark.stringArg;

import dev.streamtemplates.benchmarks.nexmark.NexmarkQueries.Query;
import dev.streamtemplates.pipelines.TemplatePipeline;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;

/**
 * Nexmark queries Q0, Q1, Q2, Q3, Q5, Q7 and Q11, each as our template spec and as a hand-written
 * Beam pipeline, side by side on one runner in one JVM, on the same generated events.
 *
 * <p>For each query: a warm-up run of each contestant on a tenth of the events, then timed runs
 * (wall clock from {@code run()} to the end of {@code waitUntilFinish()}, job start-up and event
 * generation included, best of {@code --repeat}). Both contestants must produce the same number
 * of results and the same checksum, and the template no dead letters, or the run fails. Prints a
 * table and appends to {@code benchmarks/results/nexmark.csv}.
 *
 * <pre>
 * java ... NexmarkBenchmark --runner=FlinkRunner [--mode=batch|streaming] [--events=1000000]
 *     [--queries=q0,q1,q2,q3,q5,q7,q11] [--repeat=1] [--rate=100000000] [--outOfOrder=1000] [--home=.]
 *     [--flinkSql=true]
 * </pre>
 *
 * <p>{@code --flinkSql=true} (Flink runner, batch): a third contestant, the same query in native
 * Flink SQL 1.19 ({@link NexmarkSql}) on a local mini cluster of the same parallelism, warmed up
 * and timed the same way; it must give the template's results and checksum too. Its rows in the
 * CSV have runner {@code FlinkSQL}, with native Flink SQL in the baseline columns.
 *
 * <p>Runners: {@code DirectRunner} (immutability and encodability checks off: they copy and
 * re-encode every element, a test aid that no production runner has), {@code FlinkRunner}
 * ({@code [local]}, parallelism 2, object reuse), {@code SparkRunner} ({@code local[2]}, one
 * Spark context for the whole run, its cached collections released after each run, and the Spark
 * bundle's storage level, as {@code bin/run} gives it; {@code -Dspark.storageLevel=...} overrides).
 * {@code --mode=streaming} reads the generator as an unbounded source (see {@link
 * UnboundedIndices}) with {@code --streaming=true}.
 *
 * <p>For comparisons, both contestants alike: {@code -Dflink.disableMetrics=true} (no Beam
 * metrics on Flink), {@code -Dflink.dataStreamForBatch=true} (Flink batch on the DataStream API;
 * Q3 fails there), {@code -Dnexmark.indices=sequence} (the generator read from {@code
 * GenerateSequence}).
 */
public final class NexmarkBenchmark {
  private static int runs;
  /** The Spark bundle's default storage level (runners-config/spark's runner-defaults.properties), null if none. */
  private static String sparkStorageLevel;

  public static void main(String[] args) throws Exception {
    String runner = stringArg(args, "runner", "FlinkRunner");
    boolean streaming = stringArg(args, "mode", "batch").equals("streaming");
    long events = longArg(args, "events", 1_000_000);
    int repeat = (int) longArg(args, "repeat", 1);
    long rate = longArg(args, "rate", 100_000_000);
    String home = stringArg(args, "home", System.getProperty("user.dir"));
    sparkStorageLevel = sparkBundleStorageLevel(Path.of(home));
    Path results = Path.of(stringArg(args, "results", "benchmarks/results"));
    GeneratorConfig config = GeneratorConfig.of(events).withMaxOutOfOrderMillis(longArg(args, "outOfOrder", 1000));
    List<Query> queries = new ArrayList<>();
    for (String id : stringArg(args, "queries", String.join(",", NexmarkQueries.ids())).split(",")) {
      queries.add(NexmarkQueries.byId(id.trim()));
    }
    String mode = streaming ? "streaming" : "batch";
    boolean flinkSql = Boolean.parseBoolean(stringArg(args, "flinkSql", "false"));
    if (flinkSql && (!runner.equals("FlinkRunner") || streaming)) {
      throw new IllegalArgumentException("--flinkSql=true runs native Flink SQL beside the Flink runner in batch; got --runner="
          + runner + " --mode=" + mode + ". Use --runner=FlinkRunner --mode=batch, or leave --flinkSql out");
    }
    System.out.printf(Locale.ROOT, "Nexmark on %s (%s): %,d events, %,d events/s of event time, out of order up to %d ms%n",
        runner, mode, events, config.eventsPerSecond(), config.maxOutOfOrderMillis());

    List<String[]> table = new ArrayList<>();
    List<String> sqlTable = new ArrayList<>();
    for (Query query : queries) {
      GeneratorConfig warm = config.withEvents(Math.max(10_000, events / 10));
      run(query, true, runner, streaming, rate, warm, home, "warm-up");
      run(query, false, runner, streaming, rate, warm, home, "warm-up");
      if (flinkSql) {
        runSql(query, warm, "warm-up");
      }
      Result template = null;
      Result hand = null;
      Result sql = null;
      for (int r = 0; r < repeat; r++) {
        template = best(template, run(query, true, runner, streaming, rate, config, home, "template"));
        hand = best(hand, run(query, false, runner, streaming, rate, config, home, "hand-written"));
        if (flinkSql) {
          sql = best(sql, runSql(query, config, "Flink SQL"));
        }
      }
      if (template.rows != hand.rows || template.checksum != hand.checksum) {
        throw new IllegalStateException(query.id() + " on " + runner + ": the contestants disagree: template " + template.rows
            + " results (checksum " + Long.toHexString(template.checksum) + "), hand-written " + hand.rows + " (checksum "
            + Long.toHexString(hand.checksum) + ")");
      }
      if (template.deadLetters != 0) {
        throw new IllegalStateException(query.id() + ": the template dead-lettered " + template.deadLetters + " records");
      }
      double ratio = hand.seconds / template.seconds;
      table.add(new String[] {query.id(), String.format(Locale.ROOT, "%.0f", events / template.seconds),
          String.format(Locale.ROOT, "%.0f", events / hand.seconds), String.format(Locale.ROOT, "%.2f", ratio),
          Long.toString(template.rows)});
      append(results.resolve("nexmark.csv"), String.format(Locale.ROOT, "%s,%s,%s,%s,%d,%.3f,%.3f,%.0f,%.0f,%.3f,%d,%s%n",
          java.time.Instant.now(), runner, mode, query.id(), events, template.seconds, hand.seconds, events / template.seconds,
          events / hand.seconds, ratio, template.rows, Long.toHexString(template.checksum)));
      if (sql != null) {
        if (sql.rows != template.rows || sql.checksum != template.checksum) {
          throw new IllegalStateException(query.id() + ": native Flink SQL disagrees with the template: " + sql.rows + " results (checksum "
              + Long.toHexString(sql.checksum) + "), template " + template.rows + " (checksum " + Long.toHexString(template.checksum) + ")");
        }
        double vsSql = sql.seconds / template.seconds;
        sqlTable.add(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %s%.2f%s | %,d |", query.id(), template.seconds, hand.seconds,
            sql.seconds, vsSql < 0.5 ? "" : "**", vsSql, vsSql < 0.5 ? "" : "**", template.rows));
        // Runner FlinkSQL: the template on the Flink runner against native Flink SQL, in the baseline (hand_written) columns.
        append(results.resolve("nexmark.csv"), String.format(Locale.ROOT, "%s,%s,%s,%s,%d,%.3f,%.3f,%.0f,%.0f,%.3f,%d,%s%n",
            java.time.Instant.now(), FLINK_SQL, mode, query.id(), events, template.seconds, sql.seconds, events / template.seconds,
            events / sql.seconds, vsSql, template.rows, Long.toHexString(template.checksum)));
      }
    }
    System.out.printf("%n| query | runner | mode | template events/s | hand-written events/s | template / hand-written | results |%n");
    System.out.println("|---|---|---|---|---|---|---|");
    for (String[] row : table) {
      System.out.printf(Locale.ROOT, "| %s | %s | %s | %,d | %,d | %s | %,d |%n", row[0], runner, mode, Long.parseLong(row[1]),
          Long.parseLong(row[2]), row[3], Long.parseLong(row[4]));
    }
    if (!sqlTable.isEmpty()) {
      System.out.printf(Locale.ROOT, "%n%,d events, Flink [local] batch, best of %d, seconds:%n", events, repeat);
      System.out.println("| query | template | hand-written Beam | native Flink SQL | template ÷ native (throughput) | results |");
      System.out.println("|---|---|---|---|---|---|");
      sqlTable.forEach(System.out::println);
    }
    System.out.println("appended to " + results.resolve("nexmark.csv"));
    SparkContexts.stop();
  }

  /** The runner column of rows that compare the template on the Flink runner with native Flink SQL. */
  static final String FLINK_SQL = "FlinkSQL";

  record Result(double seconds, long rows, long checksum, long deadLetters) {}

  /** The query in native Flink SQL on the same events (see {@link NexmarkSql}). */
  static Result runSql(Query query, GeneratorConfig config, String label) throws Exception {
    NexmarkSql.Run run = NexmarkSql.run(query.id(), config, "bench-" + (++runs));
    return report(query, label, "native", config, new Result(run.seconds(), run.rows(), run.checksum(), 0));
  }

  private static Result report(Query query, String label, String contestant, GeneratorConfig config, Result result) {
    System.out.printf(Locale.ROOT, "  %-4s %-13s %-8s %,10d events in %6.1f s (%,9.0f events/s) %,9d results, checksum %016x%n",
        query.id(), label, contestant, config.events(), result.seconds, config.events() / result.seconds, result.rows, result.checksum);
    return result;
  }

  private static Result best(Result a, Result b) {
    return a == null || b.seconds < a.seconds ? b : a;
  }

  static Result run(Query query, boolean template, String runner, boolean streaming, long rate, GeneratorConfig config, String home,
      String label) {
    String runId = "bench-" + (++runs);
    Pipeline pipeline = Pipeline.create(options(runner, streaming));
    PCollection<Long> indices = NexmarkSource.indices(pipeline, config, streaming ? rate : null);
    if (template) {
      PCollectionTuple rows = NexmarkSource.rows(indices, config, query.inputs());
      Map<String, PCollection<Row>> sources = new HashMap<>();
      sources.put("persons", rows.get(NexmarkSource.PERSON_ROWS));
      sources.put("auctions", rows.get(NexmarkSource.AUCTION_ROWS));
      sources.put("bids", rows.get(NexmarkSource.BID_ROWS));
      SpecNode root = TemplateSpec.parse(query.id(), resource(query.spec())).resolve(Map.of(TemplateSpec.HOME, home));
      Map<String, PTransform<PCollection<Row>, ?>> sinks = Map.of(
          "out", Checksum.of(runId, (Row r, BoundedWindow w) -> query.digest(r)),
          TemplatePipeline.DEAD_LETTER_SINK, Checksum.of(runId + "-dead-letters", (Row r, BoundedWindow w) -> 0L));
      TemplatePipeline.build(pipeline, root, home, new TemplatePipeline.Bindings(sources, sinks));
    } else {
      query.handWritten(NexmarkSource.pojos(indices, config, query.inputs()), runId);
    }
    long start = System.nanoTime();
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    double seconds = (System.nanoTime() - start) / 1e9;
    if (runner.equals("SparkRunner")) {
      // The runner leaves what it cached in the shared context; kept, it slowed each next run (Q1: 2.7, 4.1, 5.9 s).
      SparkContexts.releaseCached();
    }
    Checksum.Counts counts = Checksum.take(runId);
    long rows = counts.rows();
    long checksum = counts.checksum();
    long deadLetters = Checksum.take(runId + "-dead-letters").rows();
    return report(query, label, template ? "template" : "", config, new Result(seconds, rows, checksum, deadLetters));
  }

  static PipelineOptions options(String runner, boolean streaming) {
    List<String> args = new ArrayList<>(List.of("--runner=" + runner));
    switch (runner) {
      case "DirectRunner" -> args.addAll(List.of("--enforceImmutability=false", "--enforceEncodability=false", "--targetParallelism=2"));
      case "FlinkRunner" -> {
        args.addAll(List.of("--flinkMaster=[local]", "--parallelism=2", "--objectReuse=true", "--fasterCopy=true"));
        // -Dflink.disableMetrics=true: what Beam's metrics cost on Flink (both contestants; the template's
        // counters then read zero, so a template job cannot run this way).
        if (Boolean.getBoolean("flink.disableMetrics")) {
          args.add("--disableMetrics=true");
        }
        // -Dflink.dataStreamForBatch=true: batch through Flink's DataStream API instead of DataSet (both contestants).
        if (Boolean.getBoolean("flink.dataStreamForBatch")) {
          args.add("--useDataStreamForBatch=true");
        }
      }
      case "SparkRunner" -> {
        args.addAll(List.of("--sparkMaster=local[2]", "--enableSparkMetricSinks=false"));
        // Both contestants alike: how Spark caches a collection that several steps read, as the bundle sets it
        // (or -Dspark.storageLevel=MEMORY_ONLY_SER).
        String storageLevel = System.getProperty("spark.storageLevel", sparkStorageLevel);
        if (storageLevel != null) {
          args.add("--storageLevel=" + storageLevel);
        }
      }
      default -> throw new IllegalArgumentException("--runner must be DirectRunner, FlinkRunner or SparkRunner, got " + runner);
    }
    if (streaming) {
      args.add("--streaming=true");
    }
    PipelineOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).create();
    if (runner.equals("SparkRunner")) {
      SparkContexts.provide(options);
    }
    return options;
  }

  static String sparkBundleStorageLevel(Path home) throws IOException {
    Path defaults = home.resolve("runners-config/spark/src/main/resources/runner-defaults.properties");
    if (!Files.exists(defaults)) {
      return null;
    }
    Properties properties = new Properties();
    try (InputStream in = Files.newInputStream(defaults)) {
      properties.load(in);
    }
    return properties.getProperty("storageLevel");
  }

  static String resource(String name) {
    try (InputStream in = NexmarkBenchmark.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("no " + name + " on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void append(Path csv, String line) throws IOException {
    Files.createDirectories(csv.getParent());
    boolean header = !Files.exists(csv);
    Files.writeString(csv, (header ? "when,runner,mode,query,events,template_s,hand_written_s,template_events_per_s,"
        + "hand_written_events_per_s,template_over_hand_written,results,checksum\n" : "") + line,
        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }
}
