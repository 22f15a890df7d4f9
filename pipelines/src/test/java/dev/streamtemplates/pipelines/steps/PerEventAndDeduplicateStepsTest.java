package dev.streamtemplates.pipelines.steps;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.pipelines.TemplatePipeline;
import dev.streamtemplates.pipelines.TemplatePipelineTest;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A Deduplicate step and an Aggregate with a perEvent window in a spec: run on Direct over a file, and each launch-time refusal as one line. */
public class PerEventAndDeduplicateStepsTest {
  @Rule public final TemporaryFolder folder = new TemporaryFolder();
  private Path dir;

  @Before
  public void files() throws IOException {
    dir = folder.getRoot().toPath();
    Files.writeString(dir.resolve("readings.jsonl"),
        "{\"sensor\":\"s1\",\"seq\":1,\"celsius\":20.0,\"at\":\"2024-05-01T10:00:00Z\"}\n"
            + "{\"sensor\":\"s1\",\"seq\":2,\"celsius\":22.0,\"at\":\"2024-05-01T10:01:00Z\"}\n"
            + "{\"sensor\":\"s1\",\"seq\":2,\"celsius\":22.0,\"at\":\"2024-05-01T10:01:00Z\"}\n"   // sent twice
            + "{\"sensor\":\"s1\",\"seq\":3,\"celsius\":40.0,\"at\":\"2024-05-01T10:02:00Z\"}\n");
  }

  String spec(String steps, String last) {
    return "name: over-demo\n"
        + "description: Readings deduplicated, then a moving average.\n"
        + "sources:\n"
        + "  - {name: readings, type: file, path: '" + dir.resolve("readings.jsonl") + "', format: json,"
        + " schema: {sensor: string, seq: int, celsius: double, at: timestamp}, eventTime: {field: at}}\n"
        + "steps:\n" + steps
        + "sinks:\n"
        + "  - {name: out, input: " + last + ", type: file, format: json, path: '" + dir.resolve("out/rows") + "'}\n"
        + "deadLetter: {type: file, format: json, path: '" + dir.resolve("dlq/dead") + "'}\n";
  }

  List<String> errors(String spec) {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    return assertThrows(SpecException.class,
        () -> TemplatePipeline.build(pipeline, TemplateSpec.parse("over-demo", spec).resolve(Map.of()), dir.toString())).errors();
  }

  /**
   * By hand: the second seq 2 is a duplicate (dead-lettered). Range 5m per sensor: 10:00 {20}: avg
   * 20; 10:01 {20, 22}: avg 21; 10:02 {20, 22, 40}: avg 27.333...; having celsius > 1.2 * avg
   * keeps 40 > 32.8 only.
   */
  @Test
  public void deduplicatedThenAveragedPerEventWithHaving() throws IOException {
    String steps = "  - {name: unique, type: Deduplicate, input: readings, key: 'sensor, seq', within: 1m, duplicates: deadLetter}\n"
        + "  - {name: moving, type: Aggregate, input: unique, key: sensor, window: {type: perEvent, range: 5m},"
        + " aggregates: {avg: {fn: mean, field: celsius}, n: count}, having: 'celsius > 1.2 * avg'}\n";
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    TemplatePipeline.build(pipeline, TemplateSpec.parse("over-demo", spec(steps, "moving")).resolve(Map.of()), dir.toString());
    pipeline.run().waitUntilFinish();
    assertThat(TemplatePipelineTest.lines(dir.resolve("out")), contains(
        "{\"sensor\":\"s1\",\"seq\":3,\"celsius\":40.0,\"at\":\"2024-05-01T10:02:00.000Z\",\"avg\":27.333333333333332,\"n\":3}"));
    List<String> dead = TemplatePipelineTest.lines(dir.resolve("dlq"));
    assertThat(dead.toString(), dead.size() == 1 && dead.get(0).contains("\"step\":\"unique\",\"error\":\"duplicate: key [s1, 2] kept its first"));
  }

  @Test
  public void aPerEventWindowWithWindowOptionsOrWithoutRangeOrRowsIsRefusedInOneLine() {
    String aggregates = " aggregates: {n: count}}\n";
    assertThat(errors(spec("  - {name: moving, type: Aggregate, input: readings, key: sensor, window: {type: perEvent, range: 5m, size: 1m},"
        + " top: {n: 3, by: n}, early: 10s," + aggregates, "moving")), contains(
            "steps[0] ('moving'): window.size, top, early do not apply to a perEvent window (each event is emitted once, when the watermark passes it,"
                + " and a late one is a dead letter); remove them"));
    assertThat(errors(spec("  - {name: moving, type: Aggregate, input: readings, key: sensor, window: {type: perEvent}," + aggregates, "moving")),
        contains("steps[0].window: a perEvent window needs range (a duration, e.g. 10m) or rows (a number of events), got neither"));
    assertThat(errors(spec("  - {name: moving, type: Aggregate, input: readings, key: sensor, window: {type: perEvent, range: 5m, rows: 3},"
        + aggregates, "moving")), contains("steps[0].window: a perEvent window needs range (a duration, e.g. 10m) or rows (a number of events), not both"));
    assertThat(errors(spec("  - {name: moving, type: Aggregate, input: readings, key: sensor, window: {type: tumbling, size: 1m, rows: 3},"
        + aggregates, "moving")), contains("steps[0].window: rows is for type: perEvent, not tumbling; remove it or use type: perEvent"));
    assertThat(errors(spec("  - {name: moving, type: Aggregate, input: readings, key: sensor, window: {type: perEvent, rows: 3},"
        + " aggregates: {celsius: {fn: max, field: celsius}}}\n", "moving")), contains(
            "steps[0] ('moving'): aggregates [celsius] have the names of input fields, and each event keeps its fields; name the aggregates otherwise"));
  }

  @Test
  public void bothAreRefusedWhereTheRunnerHasNoEventTimeTimersInStreaming() {
    String steps = "  - {name: moving, type: Aggregate, input: readings, key: sensor, window: {type: perEvent, rows: 3}, aggregates: {n: count}}\n"
        + "  - {name: unique, type: Deduplicate, input: readings, key: sensor, within: 1m}\n";
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--streaming=true",
        "--eventTimeTimersInStreaming=false").create());
    List<String> errors = assertThrows(SpecException.class,
        () -> TemplatePipeline.build(pipeline, TemplateSpec.parse("over-demo", spec(steps, "moving")).resolve(Map.of()), dir.toString())).errors();
    assertThat(errors, org.hamcrest.Matchers.hasItems(
        "steps[0] ('moving'): per-event windows need event-time timers, which the Spark runner does not support in streaming mode;"
            + " run it on Direct or Flink, or run Spark in batch",
        "steps[1] ('unique'): Deduplicate needs event-time timers, which the Spark runner does not support in streaming mode;"
            + " run it on Direct or Flink, or run Spark in batch"));
  }

  @Test
  public void aDeduplicateWithAMissingKeyOrAnEmptySpanIsRefusedInOneLine() {
    assertThat(errors(spec("  - {name: unique, type: Deduplicate, input: readings, key: [sensor, id], within: 1m}\n", "unique")), contains(
        "steps[0].key: key fields [id] are not in the input; fields are [sensor, seq, celsius, at]"));
    assertThat(errors(spec("  - {name: unique, type: Deduplicate, input: readings, key: sensor, within: 0s}\n", "unique")), contains(
        "steps[0].within: within must be > 0, got within=PT0S"));
    assertThat(errors(spec("  - {name: unique, type: Deduplicate, input: readings, key: sensor, within: 1m, keep: middle}\n", "unique")).get(0),
        org.hamcrest.Matchers.containsString("steps[0].keep"));
  }
}
