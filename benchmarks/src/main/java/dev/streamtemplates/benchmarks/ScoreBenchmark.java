package dev.streamtemplates.benchmarks;

import dev.streamtemplates.transforms.ml.Score;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.pmml4s.model.Model;

/**
 * Scoring throughput of the {@code Score} step against a hand-written DoFn calling the same PMML
 * evaluator (pmml4s) on the same model, in the same JVM, on the same runner and the same generated
 * readings (issue 19):
 *
 * <ol>
 *   <li>ours: {@link Score} with {@code test-data/models/defect.pmml} (the defect-detection
 *       template's model), which checks every input and dead-letters what it cannot score;
 *   <li>baseline: a DoFn that parses the same model bytes in {@code @Setup} and calls {@code
 *       Model.predict} per row, adding the prediction and the two class probabilities, as an
 *       expert would write it with no checks.
 * </ol>
 *
 * <p>Both must score every reading and give the same number of defective parts and the same sum
 * of probabilities, or the run fails. Warm-up on a tenth of the readings, then best of {@code
 * --repeat} timed runs each. Prints a table and appends to {@code benchmarks/results/score.csv}.
 *
 * <pre>
 * bin/bench-score [--events=1000000] [--repeat=2] [--runner=FlinkRunner]
 * </pre>
 */
public final class ScoreBenchmark {
  static final Schema READING = Schema.builder().addStringField("partId").addDoubleField("temperature")
      .addDoubleField("vibration").addDoubleField("pressure").build();
  static final Schema SCORED = Schema.builder().addFields(READING.getFields()).addStringField("prediction")
      .addNullableField("probability_yes", FieldType.DOUBLE).addNullableField("probability_no", FieldType.DOUBLE).build();

  public static void main(String[] args) throws IOException {
    long events = SlidingTopNBenchmark.longArg(args, "events", 1_000_000);
    int repeat = (int) SlidingTopNBenchmark.longArg(args, "repeat", 2);
    String runner = SlidingTopNBenchmark.stringArg(args, "runner", "FlinkRunner");
    Path model = Path.of(SlidingTopNBenchmark.stringArg(args, "model", "test-data/models/defect.pmml"));
    Path results = Path.of(SlidingTopNBenchmark.stringArg(args, "results", "benchmarks/results"));
    byte[] pmml = Files.readAllBytes(model);

    System.out.printf("Score vs a hand-written pmml4s DoFn: %,d readings, model %s, on %s, best of %d%n", events, model, runner, repeat);
    run("warm-up ours", true, pmml, model, Math.max(1000, events / 10), runner);
    run("warm-up baseline", false, pmml, model, Math.max(1000, events / 10), runner);
    Outcome ours = null;
    Outcome baseline = null;
    for (int i = 0; i < repeat; i++) {
      Outcome o = run("Score step", true, pmml, model, events, runner);
      Outcome b = run("hand-written DoFn", false, pmml, model, events, runner);
      ours = ours == null || o.seconds < ours.seconds ? o : ours;
      baseline = baseline == null || b.seconds < baseline.seconds ? b : baseline;
    }
    if (ours.scored != events || ours.defective != baseline.defective || Math.abs(ours.checksum - baseline.checksum) > 1e-6 * Math.max(1, baseline.checksum)) {
      throw new IllegalStateException("the two jobs disagree: " + ours + " vs " + baseline);
    }
    double ratio = baseline.seconds / ours.seconds;
    System.out.printf("%n| job | seconds | readings/s |%n|---|---|---|%n");
    System.out.printf(Locale.ROOT, "| Score step | %.1f | %,.0f |%n", ours.seconds, events / ours.seconds);
    System.out.printf(Locale.ROOT, "| hand-written pmml4s DoFn | %.1f | %,.0f |%n", baseline.seconds, events / baseline.seconds);
    System.out.printf(Locale.ROOT, "%nthroughput ratio Score / hand-written: %.2f%n", ratio);
    Files.createDirectories(results);
    Path csv = results.resolve("score.csv");
    boolean header = !Files.exists(csv);
    String line = String.format(Locale.ROOT, "%s,%s,%d,%.3f,%.3f,%.0f,%.0f,%.2f%n", java.time.Instant.now(), runner, events,
        ours.seconds, baseline.seconds, events / ours.seconds, events / baseline.seconds, ratio);
    Files.writeString(csv, (header ? "when,runner,events,ours_s,baseline_s,ours_per_s,baseline_per_s,ratio\n" : "") + line,
        StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    System.out.println("appended to " + csv);
  }

  record Outcome(double seconds, long scored, long defective, double checksum) {}

  static Outcome run(String name, boolean ours, byte[] pmml, Path model, long events, String runner) {
    PipelineOptions options = PipelineOptionsFactory.fromArgs(
        "--runner=" + runner, "--flinkMaster=[local]", "--parallelism=2", "--objectReuse=true").create();
    Pipeline pipeline = Pipeline.create(options);
    PCollection<Row> readings = pipeline
        .apply("Generate", GenerateSequence.from(0).to(events))
        .apply("Readings", ParDo.of(new ReadingFn()))
        .setRowSchema(READING);
    PCollection<Row> scored = ours
        ? readings.apply("Score", Score.model(pmml, model.toString()).named("score")).output()
        : readings.apply("Hand-written", ParDo.of(new HandScoreFn(pmml))).setRowSchema(SCORED);
    scored.apply("Count", ParDo.of(new CountFn()));
    long start = System.nanoTime();
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    double seconds = (System.nanoTime() - start) / 1e9;
    long rows = 0;
    long defective = 0;
    long checksum = 0;
    for (var counter : result.metrics().queryMetrics(MetricsFilter.builder().build()).getCounters()) {
      switch (counter.getName().getName()) {
        case "scored-rows" -> rows += counter.getAttempted();
        case "defective" -> defective += counter.getAttempted();
        case "probability-micro" -> checksum += counter.getAttempted();
        default -> { }
      }
    }
    System.out.printf(Locale.ROOT, "  %-20s %,10d readings in %6.1f s  (%,.0f readings/s, %,d defective)%n", name, events, seconds, events / seconds, defective);
    return new Outcome(seconds, rows, defective, checksum / 1e6);
  }

  /** Reading i: temperature, vibration and pressure within the model's valid ranges, all functions of i. */
  static final class ReadingFn extends DoFn<Long, Row> {
    @ProcessElement
    public void process(@Element Long i, OutputReceiver<Row> out) {
      long mixed = i * 0x9E3779B97F4A7C15L;
      double temperature = 40 + Math.floorMod(mixed >>> 11, 7_000) / 100.0; // 40 to 110
      double vibration = Math.floorMod(mixed >>> 23, 1_200) / 100.0; // 0 to 12
      double pressure = 1 + Math.floorMod(mixed >>> 37, 900) / 100.0; // 1 to 10
      out.output(Row.withSchema(READING).addValues("p-" + i, temperature, vibration, pressure).build());
    }
  }

  /** The baseline: what an expert writes by hand with pmml4s, without input checks or dead letters. */
  static final class HandScoreFn extends DoFn<Row, Row> {
    private final byte[] pmml;
    private transient Model model;

    HandScoreFn(byte[] pmml) {
      this.pmml = pmml;
    }

    @Setup
    public void setup() {
      model = Model.fromBytes(pmml);
      model.setOutputFields(model.defaultOutputFields());
    }

    @ProcessElement
    public void process(@Element Row row, OutputReceiver<Row> out) {
      Map<String, Object> values = new HashMap<>();
      values.put("temperature", row.getDouble("temperature"));
      values.put("vibration", row.getDouble("vibration"));
      values.put("pressure", row.getDouble("pressure"));
      Map<String, Object> result = model.predict(values);
      out.output(Row.withSchema(SCORED).addValues(row.getValues())
          .addValues(String.valueOf(result.get("predicted_defective")), result.get("probability_yes"), result.get("probability_no")).build());
    }
  }

  static final class CountFn extends DoFn<Row, Void> {
    private final Counter rows = Metrics.counter("bench", "scored-rows");
    private final Counter defective = Metrics.counter("bench", "defective");
    private final Counter probability = Metrics.counter("bench", "probability-micro");

    @ProcessElement
    public void process(@Element Row row) {
      rows.inc();
      if ("yes".equals(row.getString("prediction"))) {
        defective.inc();
      }
      Double p = row.getDouble("probability_yes");
      probability.inc(p == null ? 0 : Math.round(p * 1e6));
    }
  }
}
