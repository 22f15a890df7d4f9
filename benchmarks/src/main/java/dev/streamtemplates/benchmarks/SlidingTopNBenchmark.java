package dev.streamtemplates.benchmarks;

import dev.streamtemplates.transforms.aggregate.Aggregation;
import dev.streamtemplates.transforms.aggregate.WindowedAggregate;
import dev.streamtemplates.transforms.aggregate.Windowing;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The top-N spenders job, 10-minute windows sliding every second, top 10 per window, measured
 * twice in the same JVM on the same runner and the same generated events:
 *
 * <ol>
 *   <li>ours: {@link WindowedAggregate} with sliding windows (the slice path) and top-N;
 *   <li>baseline: the same job hand-written with Beam's {@code SlidingWindows}, {@code
 *       Sum.doublesPerKey()} and {@code Top.of}.
 * </ol>
 *
 * <p>Events are generated deterministically from their index (key, amount and time are functions
 * of it), so both jobs read identical input. Each job runs once to warm up on a smaller input,
 * then is timed. Both must produce the same number of ranking rows and the same checksum, or the
 * run fails. Prints a table and writes {@code benchmarks/results/sliding-top-n.csv}.
 *
 * <pre>
 * bin/bench-sliding [--events=200000] [--keys=500] [--hours=1] [--runner=FlinkRunner]
 * </pre>
 */
public final class SlidingTopNBenchmark {
  static final Schema EVENT = Schema.builder().addStringField("user").addDoubleField("amount").build();

  public static void main(String[] args) throws IOException {
    long events = longArg(args, "events", 200_000);
    int keys = (int) longArg(args, "keys", 500);
    long hours = longArg(args, "hours", 1);
    String runner = stringArg(args, "runner", "FlinkRunner");
    Path results = Path.of(stringArg(args, "results", "benchmarks/results"));

    System.out.printf("Sliding top-10, 10 min every 1 s: %,d events, %d keys, over %d h, on %s%n", events, keys, hours, runner);
    run("warm-up ours", true, Math.max(1000, events / 20), keys, hours, runner);
    run("warm-up baseline", false, Math.max(1000, events / 20), keys, hours, runner);
    Result ours = run("ours (slices)", true, events, keys, hours, runner);
    Result baseline = run("Beam SlidingWindows", false, events, keys, hours, runner);
    if (ours.rows != baseline.rows || Math.abs(ours.checksum - baseline.checksum) > 1e-6 * Math.abs(baseline.checksum)) {
      throw new IllegalStateException("the two jobs disagree: " + ours + " vs " + baseline);
    }
    double ratio = ours.eventsPerSecond(events) / baseline.eventsPerSecond(events);
    System.out.printf("%n| job | seconds | events/s | ranking rows |%n|---|---|---|---|%n");
    System.out.printf(Locale.ROOT, "| ours (slices) | %.1f | %,.0f | %,d |%n", ours.seconds, ours.eventsPerSecond(events), ours.rows);
    System.out.printf(Locale.ROOT, "| Beam SlidingWindows + Combine | %.1f | %,.0f | %,d |%n", baseline.seconds, baseline.eventsPerSecond(events), baseline.rows);
    System.out.printf(Locale.ROOT, "%nthroughput ratio ours / SlidingWindows: %.1fx%n", ratio);
    Files.createDirectories(results);
    Path csv = results.resolve("sliding-top-n.csv");
    boolean header = !Files.exists(csv);
    String line = String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%.3f,%.3f,%.0f,%.0f,%.2f%n", java.time.Instant.now(), runner, events, keys, hours,
        ours.seconds, baseline.seconds, ours.eventsPerSecond(events), baseline.eventsPerSecond(events), ratio);
    Files.writeString(csv, (header ? "when,runner,events,keys,hours,ours_s,baseline_s,ours_events_per_s,baseline_events_per_s,ratio\n" : "") + line,
        StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    System.out.println("appended to " + csv);
  }

  record Result(double seconds, long rows, double checksum) {
    double eventsPerSecond(long events) {
      return events / seconds;
    }
  }

  static Result run(String name, boolean ours, long events, int keys, long hours, String runner) {
    PipelineOptions options = PipelineOptionsFactory.fromArgs(
        "--runner=" + runner, "--flinkMaster=[local]", "--parallelism=2", "--objectReuse=true", "--fasterCopy=true").create();
    Pipeline pipeline = Pipeline.create(options);
    long spanMillis = hours * 3_600_000L;
    PCollection<Row> input = pipeline
        .apply("Generate", GenerateSequence.from(0).to(events))
        .apply("Events", ParDo.of(new EventFn(events, keys, spanMillis)))
        .setRowSchema(EVENT);
    PCollection<KV<String, Double>> ranking;
    if (ours) {
      ranking = input.apply("Top spenders", WindowedAggregate.perKey("user")
              .withWindowing(Windowing.sliding(Duration.standardMinutes(10), Duration.standardSeconds(1)))
              .withAggregations(Aggregation.of("sum", "amount").as("total"))
              .withTopN(10, "total"))
          .output()
          .apply("As KV", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.doubles()))
              .via(r -> KV.of(r.getString("user"), r.getDouble("total"))));
    } else {
      ranking = input
          .apply("As KV", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.doubles()))
              .via(r -> KV.of(r.getString("user"), r.getDouble("amount"))))
          .apply("Sliding", Window.into(SlidingWindows.of(Duration.standardMinutes(10)).every(Duration.standardSeconds(1))))
          .apply("Sum", Sum.doublesPerKey())
          .apply("Top 10", Top.of(10, new ByValue()).withoutDefaults())
          .apply("Flatten lists", ParDo.of(new FlattenFn()));
    }
    ranking.apply("Count", ParDo.of(new CountFn()));
    long start = System.nanoTime();
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    double seconds = (System.nanoTime() - start) / 1e9;
    long rows = 0;
    double checksum = 0;
    for (var counter : result.metrics().queryMetrics(MetricsFilter.builder().build()).getCounters()) {
      if (counter.getName().getName().equals("rows")) {
        rows += counter.getAttempted();
      } else if (counter.getName().getName().equals("checksum-cents")) {
        checksum += counter.getAttempted() / 100.0;
      }
    }
    System.out.printf(Locale.ROOT, "  %-22s %,10d events in %6.1f s  (%,.0f events/s, %,d ranking rows)%n", name, events, seconds, events / seconds, rows);
    return new Result(seconds, rows, checksum);
  }

  /** Event i: a key, an amount and a time, all functions of i. */
  static final class EventFn extends DoFn<Long, Row> {
    private final long events;
    private final int keys;
    private final long spanMillis;

    EventFn(long events, int keys, long spanMillis) {
      this.events = events;
      this.keys = keys;
      this.spanMillis = spanMillis;
    }

    @ProcessElement
    public void process(@Element Long i, OutputReceiver<Row> out) {
      long mixed = i * 0x9E3779B97F4A7C15L;
      String user = "user-" + Math.floorMod(mixed >>> 17, keys);
      double amount = 1 + Math.floorMod(mixed >>> 33, 50_000) / 100.0;
      Instant at = new Instant(i * spanMillis / events);
      out.outputWithTimestamp(Row.withSchema(EVENT).addValues(user, amount).build(), at);
    }
  }

  static final class ByValue implements Comparator<KV<String, Double>>, Serializable {
    @Override
    public int compare(KV<String, Double> a, KV<String, Double> b) {
      int byValue = Double.compare(a.getValue(), b.getValue());
      return byValue != 0 ? byValue : b.getKey().compareTo(a.getKey());
    }
  }

  static final class FlattenFn extends DoFn<List<KV<String, Double>>, KV<String, Double>> {
    @ProcessElement
    public void process(@Element List<KV<String, Double>> top, OutputReceiver<KV<String, Double>> out) {
      top.forEach(out::output);
    }
  }

  static final class CountFn extends DoFn<KV<String, Double>, Void> {
    private final Counter rows = Metrics.counter("bench", "rows");
    private final Counter checksum = Metrics.counter("bench", "checksum-cents");

    @ProcessElement
    public void process(@Element KV<String, Double> row) {
      rows.inc();
      checksum.inc(Math.round(row.getValue() * 100));
    }
  }

  public static long longArg(String[] args, String name, long fallback) {
    String value = stringArg(args, name, null);
    return value == null ? fallback : Long.parseLong(value);
  }

  public static String stringArg(String[] args, String name, String fallback) {
    for (String arg : args) {
      if (arg.startsWith("--" + name + "=")) {
        return arg.substring(name.length() + 3);
      }
    }
    return fallback;
  }

}
