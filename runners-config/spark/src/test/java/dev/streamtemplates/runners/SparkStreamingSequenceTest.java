package dev.streamtemplates.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.pipelines.launcher.Launcher;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.templates.ConformanceHarness;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import dev.streamtemplates.transforms.cep.Pattern;
import dev.streamtemplates.transforms.cep.Sequence;
import dev.streamtemplates.transforms.core.Result;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.runners.spark.SparkPipelineOptions;
import org.apache.beam.runners.spark.SparkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Sequence detection on Spark in streaming mode, where Spark has no event-time timers: the same
 * spec runs in the timer-free (windowed) mode, chosen automatically, and gives the golden output
 * of the timer mode; a skip strategy that needs the key's whole history is refused.
 */
public class SparkStreamingSequenceTest {
  @Rule public final TemporaryFolder work = new TemporaryFolder();

  static final Schema GARAGE = Schema.builder().addStringField("garage").addStringField("event").build();
  static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

  static TimestampedValue<Row> event(String garage, String what, int second) {
    return TimestampedValue.of(Row.withSchema(GARAGE).addValues(garage, what).build(), new Instant(second * 1000L));
  }

  @Test
  public void absenceRunsTimerFreeOnSparkStreamingWithTheMatchesOfTheTimerMode() {
    SparkPipelineOptions options = PipelineOptionsFactory.as(SparkPipelineOptions.class);
    options.setRunner(SparkRunner.class);
    options.setSparkMaster("local[2]");
    options.setStreaming(true);
    Pipeline pipeline = Pipeline.create(options);
    Pattern doorLeftOpen = Pattern.begin("left").where("event.event == 'car-left'")
        .notFollowedBy("closed").where("event.event == 'door-closed'")
        .within(Duration.standardMinutes(5));
    // g1 closes in time, g2 never, g3 exactly at 5 minutes (too late); events arrive out of order.
    TestStream<Row> events = TestStream.create(GARAGE)
        .advanceWatermarkTo(new Instant(0))
        .addElements(event("g1", "door-closed", 120), event("g2", "car-left", 30), event("g1", "car-left", 0))
        .addElements(event("g3", "car-left", 60), event("g3", "door-closed", 360))
        .advanceWatermarkTo(new Instant(200_000))
        .addElements(event("g4", "car-left", 400), event("g4", "door-closed", 500))
        .advanceWatermarkToInfinity();
    PCollection<Row> input = pipeline.apply(events);
    Sequence detect = Sequence.detect(doorLeftOpen).perKey("garage").named("garage");
    assertThat(detect.resolvedMode(input), equalTo(Sequence.Mode.WINDOWS));
    Result result = input.apply(detect);
    SEEN.clear();
    result.output().apply("Collect", ParDo.of(new CollectFn("match")));
    result.output(Sequence.TIMED_OUT).apply("Collect timed out", ParDo.of(new CollectFn("timed-out")));
    result.failures().apply("Collect failures", ParDo.of(new CollectFn("failure")));
    // A Spark streaming job does not end by itself: wait for the results (bounded), then stop it.
    org.apache.beam.sdk.PipelineResult run = pipeline.run();
    long deadline = System.currentTimeMillis() + 90_000;
    while (SEEN.size() < 2 && System.currentTimeMillis() < deadline) {
      run.waitUntilFinish(org.joda.time.Duration.millis(500));
    }
    run.waitUntilFinish(org.joda.time.Duration.standardSeconds(3));
    try {
      run.cancel();
    } catch (java.io.IOException | UnsupportedOperationException e) {
      // already stopped
    }
    assertThat(SEEN, containsInAnyOrder("match:g2", "match:g3"));
  }

  static final class CollectFn extends DoFn<Row, Void> {
    private final String what;

    CollectFn(String what) {
      this.what = what;
    }

    @ProcessElement
    public void process(@Element Row row) {
      SEEN.add(what + ":" + (row.getSchema().hasField("key") ? row.getString("key") : row.toString()));
    }
  }

  @Test
  public void skipPastLastEventIsRefusedTimerFree() {
    Launcher launcher = new Launcher(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    Launcher.Launch launch = launcher.prepare(new String[] {
        "card-fraud-sequence", "--home=" + ConformanceHarness.repoRoot(), "--outputDir=" + work.getRoot(),
        "--runner=SparkRunner", "--sparkMaster=local[1]", "--streaming=true"});
    String message = assertThrows(SpecException.class, () -> launcher.run(launch)).getMessage();
    assertThat(message, containsString("skip strategy skipPastLastEvent needs the key's whole history"));
    assertThat(message, containsString("steps[0]"));
  }
}
