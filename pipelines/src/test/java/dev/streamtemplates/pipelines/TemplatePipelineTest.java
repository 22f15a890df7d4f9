package dev.streamtemplates.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A spec built into a pipeline and run on the Direct runner: CSV in, mapped, JSON out. */
public class TemplatePipelineTest {
  @Rule public final TemporaryFolder folder = new TemporaryFolder();
  private Path dir;

  static final String AVSC =
      "{\"type\":\"record\",\"name\":\"Reading\",\"fields\":["
          + "{\"name\":\"sensor\",\"type\":\"string\"},{\"name\":\"celsius\",\"type\":\"double\"},"
          + "{\"name\":\"at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}";

  @Before
  public void files() throws IOException {
    dir = folder.getRoot().toPath();
    Files.writeString(dir.resolve("reading.avsc"), AVSC);
    Files.writeString(dir.resolve("readings.csv"),
        "sensor,celsius,at\ns-1,21.5,2024-05-01T10:00:00Z\ns-2,hot,2024-05-01T10:01:00Z\ns-3,-4,1714557720000\ns-4,1\n");
  }

  String spec(String steps) {
    return "name: csv-demo\n"
        + "description: CSV readings to JSON in Fahrenheit.\n"
        + "sources:\n"
        + "  - {name: readings, type: file, path: '" + dir.resolve("readings.csv") + "', format: csv, header: true,"
        + " schema: '" + dir.resolve("reading.avsc") + "', eventTime: {field: at}}\n"
        + "steps:\n" + steps
        + "sinks:\n"
        + "  - {name: out, input: convert, type: file, format: json, path: '" + dir.resolve("out/readings") + "'}\n"
        + "deadLetter: {type: file, format: json, path: '" + dir.resolve("dlq/dead") + "'}\n";
  }

  static final String STEPS =
      "  - name: convert\n"
          + "    type: MapFields\n"
          + "    input: readings\n"
          + "    fields: {fahrenheit: 'celsius * 9.0 / 5.0 + 32.0'}\n"
          + "    drop: [celsius]\n";

  @Test
  public void csvSpecRunsEndToEndWithDeadLetters() throws IOException {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("csv-demo", spec(STEPS)).resolve(Map.of());
    TemplatePipeline.build(pipeline, root, dir.toString());
    pipeline.run().waitUntilFinish();

    assertThat(lines(dir.resolve("out")), containsInAnyOrder(
        "{\"sensor\":\"s-1\",\"at\":\"2024-05-01T10:00:00.000Z\",\"fahrenheit\":70.7}",
        "{\"sensor\":\"s-3\",\"at\":\"2024-05-01T10:02:00.000Z\",\"fahrenheit\":24.8}"));
    List<String> dead = lines(dir.resolve("dlq"));
    assertThat(dead, hasSize(2));
    assertThat(String.join("\n", dead), containsString("field 'celsius': 'hot' is not a valid DOUBLE"));
    assertThat(String.join("\n", dead), containsString("has 2 cells, expected 3"));
  }

  @Test
  public void jsonLinesWithHostileTextAreEachWrittenOrDeadLetteredWithTheReason() throws IOException {
    java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
    file.writeBytes("{\"sensor\":\"s-1\",\"celsius\":21.5,\"at\":\"2024-05-01T10:00:00Z\"}\r\n   \n\n".getBytes(StandardCharsets.UTF_8));
    file.writeBytes("{\"sensor\":\"s-".getBytes(StandardCharsets.UTF_8));
    file.write(0xff); // not UTF-8: TextIO would have read it as U+FFFD
    file.writeBytes("2\",\"celsius\":1.0,\"at\":\"2024-05-01T10:00:00Z\"}\n".getBytes(StandardCharsets.UTF_8));
    file.writeBytes(("{\"sensor\":\"s-3\",\"celsius\":1e308,\"at\":\"2024-05-01T10:00:00Z\"}\n"
        + "{\"sensor\":\"s-4\",\"celsius\":1e400,\"at\":\"2024-05-01T10:00:00Z\"}\n"
        + "{\"sensor\":\"s-5\",\"celsius\":0,\"at\":\"2024-05-01T10:00:00\"}\n"
        + "{\"sensor\":\"s-6\",\"celsius\":-40,\"at\":\"2024-05-01T10:00:00+02:00\"}").getBytes(StandardCharsets.UTF_8));
    Files.write(dir.resolve("readings.jsonl"), file.toByteArray());
    String spec = spec(STEPS).replace("readings.csv', format: csv, header: true,", "readings.jsonl', format: json,");
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    TemplatePipeline.build(pipeline, TemplateSpec.parse("csv-demo", spec).resolve(Map.of()), dir.toString());
    pipeline.run().waitUntilFinish();

    assertThat(lines(dir.resolve("out")), containsInAnyOrder(
        "{\"sensor\":\"s-1\",\"at\":\"2024-05-01T10:00:00.000Z\",\"fahrenheit\":70.7}",
        "{\"sensor\":\"s-6\",\"at\":\"2024-05-01T08:00:00.000Z\",\"fahrenheit\":-40.0}"));
    List<String> dead = lines(dir.resolve("dlq"));
    String all = String.join("\n", dead);
    assertThat(all, dead, hasSize(4)); // 6 records read = 2 written + 4 dead-lettered
    assertThat(all, containsString("malformed JSON: Invalid UTF-8"));
    assertThat(all, containsString("\"payloadEncoding\":\"base64\""));
    assertThat(all, containsString("field 'fahrenheit': Infinity is not a finite number"));
    assertThat(all, containsString("field 'celsius': '1e400' is not a finite number (outside the DOUBLE range)"));
    assertThat(all, containsString("field 'at': '2024-05-01T10:00:00' has no UTC offset; write e.g. 2024-05-01T10:00:00Z"));
  }

  @Test
  public void graphAndExpressionErrorsAreAllReportedBeforeLaunch() {
    String steps =
        "  - {name: convert, type: MapFields, input: readings, fields: {f: 'celsius * nine'}}\n"
            + "  - {name: loop-a, type: MapFields, input: loop-b}\n"
            + "  - {name: loop-b, type: MapFields, input: loop-a}\n"
            + "  - {name: odd, type: Teleport, input: nowhere}\n"
            + "  - {name: convert2, type: MapFields, input: readings, colour: blue}\n";
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("csv-demo", spec(steps)).resolve(Map.of());
    SpecException e = assertThrows(SpecException.class, () -> TemplatePipeline.build(pipeline, root, dir.toString()));
    String all = String.join("\n", e.errors());
    assertThat(all, containsString("steps[3].type: unknown step type 'Teleport'; known types are ["));
    assertThat(all, containsString("MapFields"));
    assertThat(all, containsString("steps[3].input: 'nowhere' is not a source or step"));
    assertThat(all, containsString("steps form a cycle: loop-a -> loop-b -> loop-a"));
    assertThat(all, containsString("steps[4]: property 'colour' is not defined"));
  }

  @Test
  public void aStepDurationIsIso8601OrShortAndARefusedOneIsOneLine() {
    String steps =
        "  - {name: iso, type: Aggregate, input: readings, key: sensor, window: {type: sliding, size: PT1H30M, slide: PT15M},"
            + " allowedLateness: PT0.5S, aggregates: {n: count}}\n"
            + "  - {name: bad, type: Aggregate, input: readings, key: sensor, window: {type: tumbling, size: 5 minutes}, aggregates: {n: count}}\n"
            + "  - {name: convert, type: MapFields, input: readings}\n";
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("csv-demo", spec(steps)).resolve(Map.of());
    SpecException e = assertThrows(SpecException.class, () -> TemplatePipeline.build(pipeline, root, dir.toString()));
    // Not the oneOf's branches (a string pattern, an integer): the one line Durations gives.
    assertThat(e.errors(), org.hamcrest.Matchers.contains(
        "steps[1].window.size: '5 minutes' is not a duration; write e.g. 5m, 90s, 250ms, 2h, 1d or ISO-8601 PT5M"));
  }

  @Test
  public void badCalendarOffsetRankingAndEmitSettingsAreEachOneLineNamingTheField() {
    // What the schema refuses comes first, all at once: an unknown unit, an unknown emit mode.
    String schemaSteps =
        "  - {name: unit, type: Aggregate, input: readings, key: sensor, window: {type: calendar, unit: fortnight, timeZone: UTC},"
            + " aggregates: {n: count}}\n"
            + "  - {name: often, type: Aggregate, input: readings, key: sensor, window: {type: tumbling, size: 1m}, emit: always,"
            + " aggregates: {n: count}}\n"
            + "  - {name: convert, type: MapFields, input: readings}\n";
    SpecException refused = assertThrows(SpecException.class, () -> TemplatePipeline.build(
        Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create()),
        TemplateSpec.parse("csv-demo", spec(schemaSteps)).resolve(Map.of()), dir.toString()));
    assertThat(refused.errors(), org.hamcrest.Matchers.contains(
        "steps[0].window.unit: does not have a value in the enumeration [\"day\", \"week\", \"month\", \"year\"] (got 'fortnight')",
        "steps[1].emit: does not have a value in the enumeration [\"onClose\", \"onUpdate\"] (got 'always')"));
    // Then what only building finds, each naming its field or step.
    String steps =
        "  - {name: zone, type: Aggregate, input: readings, key: sensor, window: {type: calendar, unit: day, timeZone: Europe/Pariss},"
            + " aggregates: {n: count}}\n"
            + "  - {name: shifted, type: Aggregate, input: readings, key: sensor, window: {type: session, gap: 5m, offset: 1m}, aggregates: {n: count}}\n"
            + "  - {name: weekday, type: Aggregate, input: readings, key: sensor, window: {type: calendar, unit: month, timeZone: UTC,"
            + " startOfWeek: sunday}, aggregates: {n: count}}\n"
            + "  - {name: ranked, type: Aggregate, input: readings, key: sensor, window: {type: tumbling, size: 1m},"
            + " aggregates: {n: count}, top: {n: 2, by: n, per: celsius}}\n"
            + "  - {name: counted, type: Aggregate, input: readings, key: sensor, window: {type: count, size: 3}, emit: {every: 2},"
            + " aggregates: {n: count}}\n"
            + "  - {name: first, type: Aggregate, input: readings, key: sensor, window: {type: sliding, size: 2m, slide: 1m, from: firstEvent},"
            + " aggregates: {n: count}}\n"
            + "  - {name: early, type: Aggregate, input: readings, key: sensor, window: {type: tumbling, size: 1m, from: firstEvent},"
            + " emit: onUpdate, aggregates: {n: count}}\n"
            + "  - {name: convert, type: MapFields, input: readings}\n";
    SpecException e = assertThrows(SpecException.class, () -> TemplatePipeline.build(
        Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create()),
        TemplateSpec.parse("csv-demo", spec(steps)).resolve(Map.of()), dir.toString()));
    String all = String.join("\n", e.errors());
    assertThat(all, e.errors(), hasSize(7));
    assertThat(all, containsString("steps[5].window.from: from: firstEvent starts tumbling windows at each key's first event, not sliding windows"));
    assertThat(all, containsString("steps[6] ('early'): windows from each key's first event come out once, complete"));
    assertThat(all, containsString("steps[0].window.timeZone: time zone 'Europe/Pariss' is not known; write an IANA name such as Europe/Paris"));
    assertThat(all, containsString("steps[1].window.offset: offset shifts tumbling and sliding windows only, not session windows"));
    assertThat(all, containsString("steps[2].window.startOfWeek: startOfWeek belongs to unit: week, not unit: month"));
    assertThat(all, containsString("steps[3] ('ranked'): top: per [celsius] must be key fields"));
    assertThat(all, containsString("steps[4] ('counted'): emit applies to time windows"));
    // An Aggregate with emit revises its results, as with early: a Sequence over it is refused.
    String overPanes = "  - {name: updating, type: Aggregate, input: readings, key: sensor, window: {type: tumbling, size: 1m}, emit: onUpdate,"
        + " aggregates: {n: count}}\n"
        + "  - {name: convert, type: Sequence, input: updating, key: sensor, within: 3m, stages: [{name: a}, {name: b, after: next}]}\n";
    SpecException panes = assertThrows(SpecException.class, () -> TemplatePipeline.build(
        Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create()),
        TemplateSpec.parse("csv-demo", spec(overPanes)).resolve(Map.of()), dir.toString()));
    assertThat(String.join("\n", panes.errors()), containsString("steps[1].input: Sequence 'convert' reads 'updating', an Aggregate whose results"
        + " come out more than once per window"));
  }

  @Test
  public void aStatefulStepOverAnAggregateWithEarlyOrLateFiringsIsRefusedNamingBothSteps() {
    String steps =
        "  - {name: early-means, type: Aggregate, input: readings, key: sensor, window: {type: tumbling, size: 1m}, early: 10s,"
            + " aggregates: {mean: {fn: mean, field: celsius}}}\n"
            + "  - {name: late-means, type: Aggregate, input: readings, key: sensor, window: {type: tumbling, size: 1m},"
            + " allowedLateness: 5m, late: accumulate, aggregates: {mean: {fn: mean, field: celsius}}}\n"
            + "  - {name: streak, type: Sequence, input: early-means, key: sensor, within: 3m,"
            + " stages: [{name: a, where: 'event.mean > 25.0'}, {name: b, after: next, where: 'event.mean > 25.0'}]}\n"
            + "  - {name: hourly, type: Aggregate, input: late-means, window: {type: tumbling, size: 1h}, aggregates: {n: count}}\n"
            + "  - {name: crossing, type: Threshold, input: early-means, field: mean, above: 30, key: sensor, debounce: true}\n"
            // Stateless steps take every pane as it comes; a Filter on the pane makes one row per window.
            + "  - {name: final, type: Filter, input: late-means, condition: \"pane == 'ON_TIME'\"}\n"
            + "  - {name: alert, type: Threshold, input: early-means, field: mean, above: 30}\n"
            + "  - {name: final-streak, type: Sequence, input: final, key: sensor, within: 3m, stages: [{name: a}, {name: b, after: next}]}\n"
            + "  - {name: convert, type: MapFields, input: alert}\n";
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("csv-demo", spec(steps)).resolve(Map.of());
    SpecException e = assertThrows(SpecException.class, () -> TemplatePipeline.build(pipeline, root, dir.toString()));
    assertThat(e.errors().size(), org.hamcrest.Matchers.equalTo(3));
    String all = String.join("\n", e.errors());
    assertThat(all, containsString("steps[2].input: Sequence 'streak' reads 'early-means', an Aggregate whose results come out more than once"
        + " per window (early firings, emit or late updates: EARLY, ON_TIME and LATE panes), and would take each pane for another event."
        + " Remove 'early', 'emit' and 'late' from 'early-means', or put a Filter with condition \"pane == 'ON_TIME'\" between the two steps"));
    assertThat(all, containsString("steps[3].input: Aggregate 'hourly' reads 'late-means'"));
    assertThat(all, containsString("steps[4].input: Threshold 'crossing' reads 'early-means'"));
  }

  @Test
  public void sequenceErrorsSpeakTheSpecsKeysNotThePatternApi() {
    String steps =
        // consecutive on a stage that does not loop
        "  - {name: streak, type: Sequence, input: readings, key: sensor, within: 1h,"
            + " stages: [{name: a}, {name: b, consecutive: true}]}\n"
            // until on a stage that does not loop
            + "  - {name: upto, type: Sequence, input: readings, key: sensor, within: 1h,"
            + " stages: [{name: a}, {name: b, until: 'event.celsius > 30.0'}]}\n"
            // an absence at the end with neither for nor within
            + "  - {name: gap, type: Sequence, input: readings, key: sensor,"
            + " stages: [{name: a}, {name: q, after: notFollowedBy}]}\n"
            + STEPS;
    List<String> errors = launchErrors(steps);
    String all = String.join("\n", errors);
    assertThat(all, errors.size(), org.hamcrest.Matchers.equalTo(3));
    assertThat(all, containsString("steps[0].stages[1]: stage 'b': consecutive: true applies to a looping stage;"
        + " add oneOrMore: true, times: n or timesOrMore: n"));
    assertThat(all, containsString("steps[1].stages[1]: stage 'b': until applies to oneOrMore: true or timesOrMore: n; add one of them"));
    assertThat(all, containsString("after: notFollowedBy only with for: <duration> or within: <duration>"));
    assertThat("no Java method of the pattern API: " + all, all.matches("(?s).*\\w\\((\\.\\.\\.|n)?\\).*"), org.hamcrest.Matchers.equalTo(false));
  }

  @Test
  public void sequenceAbsencesAndBoundsAreCheckedBeforeLaunchNamingTheStage() {
    String steps =
        // A silence that repeats without a duration.
        "  - {name: quiet, type: Sequence, input: readings, key: sensor, within: 1h,"
            + " stages: [{name: last}, {name: q, after: notFollowedBy, repeat: true}]}\n"
            // A partial match that waits for a followedBy stage with no bound at all.
            + "  - {name: pair, type: Sequence, input: readings, key: sensor, stages: [{name: a}, {name: b}]}\n"
            // The first stage with 'after' but no duration: not a leading absence.
            + "  - {name: lead, type: Sequence, input: readings, key: sensor, within: 1h,"
            + " stages: [{name: idle, after: notFollowedBy}, {name: b}]}\n"
            // Fine: a leading absence, and an absence of its own duration at the end, neither needs within.
            + "  - {name: fine, type: Sequence, input: readings, key: sensor,"
            + " stages: [{name: idle, after: notFollowedBy, for: 1d}, {name: b, where: 'event.celsius > 30.0'},"
            + " {name: c, after: notFollowedBy, for: 5m, where: 'event.celsius < 30.0'}]}\n"
            + STEPS;
    List<String> errors = launchErrors(steps);
    String all = String.join("\n", errors);
    assertThat(all, errors.size(), org.hamcrest.Matchers.equalTo(3));
    assertThat(all, containsString("steps[0].stages[1]: repeat: true needs for: <duration>"));
    assertThat(all, containsString("steps[1] ('pair'): pattern 'pair' needs within: <duration>: a partial match waits for stage 'b'"
        + " (followedBy, no withinPrevious), so partial matches could wait forever"));
    assertThat(all, containsString("steps[2].stages[0]: the first stage cannot have 'after' (there is nothing before it), got after:"
        + " notFollowedBy; only a leading absence can, with after: notFollowedBy and for: <duration>"));
  }

  @Test
  public void sequenceGroupsAreCheckedBeforeLaunchNamingTheGroupAndItsStage() {
    String steps =
        // A group with a where of its own.
        "  - {name: g1, type: Sequence, input: readings, key: sensor, within: 1h,"
            + " stages: [{name: s}, {name: g, where: 'true', group: [{name: a}, {name: b}]}]}\n"
            // A negation inside a group.
            + "  - {name: g2, type: Sequence, input: readings, key: sensor, within: 1h,"
            + " stages: [{name: s}, {name: g, group: [{name: a}, {name: n, after: notFollowedBy}, {name: b}]}]}\n"
            // The group's first stage with after: the group's after says it.
            + "  - {name: g3, type: Sequence, input: readings, key: sensor, within: 1h,"
            + " stages: [{name: s}, {name: g, group: [{name: a, after: next}, {name: b}]}]}\n"
            // Fine: (a b){2,} consecutive, conditions reading the group's stages as lists.
            + "  - {name: fine, type: Sequence, input: readings, key: sensor, within: 1h,"
            + " stages: [{name: s}, {name: g, after: next, timesOrMore: 2, consecutive: true, group: ["
            + "{name: a, where: 'event.celsius > prev.celsius'}, {name: b, after: next, where: 'size(a) > 0 && event.celsius < prev.celsius'}]}]}\n"
            + STEPS;
    List<String> errors = launchErrors(steps);
    String all = String.join("\n", errors);
    assertThat(all, errors.size(), org.hamcrest.Matchers.equalTo(3));
    assertThat(all, containsString("steps[0].stages[1]: a group has no where of its own; put the conditions on the stages in group:"));
    assertThat(all, containsString("steps[1].stages[1]: group 'g': stage 'n' is a negation; a group holds only stages that take events"));
    assertThat(all, containsString("steps[2].stages[1]: group[0]: the first stage cannot have 'after' (there is nothing before it), got after: next"));
    // A bad condition inside a group names the stage (checked when the step is built, after the pattern's shape).
    String badCondition = "  - {name: g4, type: Sequence, input: readings, key: sensor, within: 1h,"
        + " stages: [{name: s}, {name: g, oneOrMore: true, group: [{name: a, where: 'event.celsius >'}, {name: b}]}]}\n" + STEPS;
    assertThat(String.join("\n", launchErrors(badCondition)), containsString("steps[0].stages.a.where"));
  }

  /** The errors that stop building a spec with these steps, on the Direct runner. */
  private List<String> launchErrors(String steps) {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("csv-demo", spec(steps)).resolve(Map.of());
    return assertThrows(SpecException.class, () -> TemplatePipeline.build(pipeline, root, dir.toString())).errors();
  }

  @Test
  public void aLearnStepWithAFeatureOrLabelThatIsNotANumberIsRefusedInOneLineNamingTheStepAndField() {
    String steps =
        "  - {name: forecast, type: Learn, input: readings, key: sensor, features: [celsius, sensor], label: celsius2}\n"
            + "  - {name: small, type: Learn, input: readings, key: sensor, features: celsius, label: at, window: 2}\n"
            + "  - {name: convert, type: MapFields, input: readings}\n";
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("csv-demo", spec(steps)).resolve(Map.of());
    SpecException e = assertThrows(SpecException.class, () -> TemplatePipeline.build(pipeline, root, dir.toString()));
    assertThat(e.errors(), org.hamcrest.Matchers.contains(
        "steps[0].features: feature 'sensor' is a STRING, not a number; label 'celsius2' is not in the input; fields are [sensor, celsius, at]",
        "steps[1].window: window must be at least 3 (the features, the intercept and one more), got 2"));
    // Learn treats each record as an event: it cannot read an Aggregate's EARLY/ON_TIME panes.
    String overPanes =
        "  - {name: means, type: Aggregate, input: readings, key: sensor, window: {type: tumbling, size: 1m}, early: 10s,"
            + " aggregates: {mean: {fn: mean, field: celsius}}}\n"
            + "  - {name: over-panes, type: Learn, input: means, key: sensor, features: [mean], label: mean}\n"
            + "  - {name: convert, type: MapFields, input: readings}\n";
    SpecNode panes = TemplateSpec.parse("csv-demo", spec(overPanes)).resolve(Map.of());
    SpecException refused = assertThrows(SpecException.class,
        () -> TemplatePipeline.build(Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create()), panes, dir.toString()));
    assertThat(String.join("\n", refused.errors()), containsString("steps[1].input: Learn 'over-panes' reads 'means', an Aggregate whose results come out more than once"));
  }

  @Test
  public void aFieldNameTheSinkFormatCannotWriteIsRefusedNamingItAndTheRule() {
    for (String format : List.of("avro", "xml")) {
      String yaml = spec("  - {name: convert, type: MapFields, input: readings, rename: {sensor: 'my sensor'}}\n")
          .replace("type: file, format: json, path: '" + dir.resolve("out/readings") + "'",
              "type: file, format: " + format + ", path: '" + dir.resolve("out/readings") + "'" + ("xml".equals(format) ? ", recordElement: reading" : ""));
      Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
      SpecNode root = TemplateSpec.parse("csv-demo", yaml).resolve(Map.of());
      SpecException e = assertThrows(SpecException.class, () -> TemplatePipeline.build(pipeline, root, dir.toString()));
      assertThat(e.errors().get(0), startsWith("sinks[0] ('out'): field 'my sensor' cannot be written as " + format + ": " + format + " names are"));
      assertThat(e.errors().get(0), containsString("rename it in a MapFields step before the sink"));
    }
  }

  @Test
  public void twoOutputsWritingTheSamePathAreRefused() {
    String yaml = spec(STEPS).replace("deadLetter: {type: file, format: json, path: '" + dir.resolve("dlq/dead") + "'}",
        "  - {name: again, input: convert, type: file, format: json, path: '" + dir.resolve("out/../out/readings") + "'}\n"
            + "deadLetter: {type: file, format: json, path: '" + dir.resolve("out/readings") + "'}");
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("csv-demo", yaml).resolve(Map.of());
    SpecException e = assertThrows(SpecException.class, () -> TemplatePipeline.build(pipeline, root, dir.toString()));
    assertThat(e.errors(), org.hamcrest.Matchers.contains(
        "sinks[1].path: sinks[1] ('again') writes to " + dir.resolve("out/readings") + ", as sinks[0] ('out') does; their files would"
            + " replace each other's records. Give each output its own path",
        "deadLetter.path: deadLetter writes to " + dir.resolve("out/readings") + ", as sinks[0] ('out') does; their files would"
            + " replace each other's records. Give each output its own path"));
  }

  @Test
  public void expressionTypeErrorNamesTheSpecPathAndColumn() {
    String steps = "  - {name: convert, type: MapFields, input: readings, fields: {f: 'celsius * nine'}}\n";
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("csv-demo", spec(steps)).resolve(Map.of());
    SpecException e = assertThrows(SpecException.class, () -> TemplatePipeline.build(pipeline, root, dir.toString()));
    assertThat(e.errors().get(0), startsWith("steps[0].fields.f: 1:11: undeclared reference to 'nine'"));
  }

  @Test
  public void badConditionsInFilterAndRouteStepsAreRejectedWithTheirPaths() {
    String steps =
        "  - {name: hot, type: Filter, input: readings, condition: 'sensor > 3'}\n"
            + "  - {name: split, type: Route, input: readings, routes: [{name: a, when: 'true'}, {name: b, when: 'celsius >'}]}\n"
            + "  - {name: convert, type: MapFields, input: split.b}\n";
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("csv-demo", spec(steps)).resolve(Map.of());
    SpecException e = assertThrows(SpecException.class, () -> TemplatePipeline.build(pipeline, root, dir.toString()));
    String all = String.join("\n", e.errors());
    assertThat(all, containsString("steps[0].condition: 1:8: found no matching overload for '_>_' applied to '(string, int)'"));
    assertThat(all, containsString("steps[1].routes[1].when: 1:"));
  }

  @Test
  public void thresholdNeedsExactlyOneLimitAndAKeyToDebounce() {
    String steps =
        "  - {name: convert, type: Threshold, input: readings, field: celsius, above: 1, below: 2, debounce: true}\n";
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("csv-demo", spec(steps)).resolve(Map.of());
    SpecException e = assertThrows(SpecException.class, () -> TemplatePipeline.build(pipeline, root, dir.toString()));
    String all = String.join("\n", e.errors());
    assertThat(all, containsString("steps[0]"));
    assertThat(all, containsString("steps[0]: must be valid to one and only one schema, but 2 are valid"));
    assertThat(all, containsString("steps[0]: has a missing property 'key' which is dependent required because 'debounce' is present"));
  }

  @Test
  public void missingInputFilesAndSchemasAreNamed() throws IOException {
    Files.delete(dir.resolve("reading.avsc"));
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("csv-demo", spec(STEPS)).resolve(Map.of());
    SpecException e = assertThrows(SpecException.class, () -> TemplatePipeline.build(pipeline, root, dir.toString()));
    assertThat(e.errors().get(0), containsString("sources[0].schema: no such schema file"));
  }


  @Test
  public void boundSourcesAndSinksReplaceTheSpecsReadsAndWrites() throws IOException {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("csv-demo", spec(STEPS.replace("celsius * 9.0 / 5.0 + 32.0", "int(100.0 / (celsius - 1.0))")))
        .resolve(Map.of());
    org.apache.beam.sdk.schemas.Schema schema = org.apache.beam.sdk.schemas.Schema.builder().addStringField("sensor")
        .addDoubleField("celsius").addDateTimeField("at").build();
    org.joda.time.Instant at = org.joda.time.Instant.parse("2024-05-01T10:00:00Z");
    PCollection<Row> readings = pipeline.apply(Create.timestamped(
            TimestampedValue.of(Row.withSchema(schema).addValues("s-1", 11.0, at).build(), at),
            TimestampedValue.of(Row.withSchema(schema).addValues("s-2", 1.0, at).build(), at)))
        .setRowSchema(schema);
    TemplatePipeline.build(pipeline, root, dir.toString(), new TemplatePipeline.Bindings(Map.of("readings", readings), Map.of(
        "out", new AssertRows("fahrenheit", "10"),
        TemplatePipeline.DEAD_LETTER_SINK, new AssertRows("step", "convert"))));
    pipeline.run().waitUntilFinish();

    assertThat(Files.exists(dir.resolve("out")), org.hamcrest.Matchers.is(false));
    assertThat(Files.exists(dir.resolve("dlq")), org.hamcrest.Matchers.is(false));
  }

  @Test
  public void aSequenceOverAnAggregateIsBuiltAndMatchesConsecutiveWindows() {
    // Per-minute means of s-1: 30, 35, 20, 40 (minutes 0 to 3); two hot minutes in a row only at 0-1.
    String yaml = "name: hot-streak\n"
        + "description: Two hot minutes in a row.\n"
        + "sources:\n"
        + "  - {name: readings, type: file, path: '" + dir.resolve("readings.csv") + "', format: csv, schema: '" + dir.resolve("reading.avsc") + "'}\n"
        + "steps:\n"
        + "  - {name: per-minute, type: Aggregate, input: readings, key: sensor, window: {type: tumbling, size: 1m},"
        + " aggregates: {mean: {fn: mean, field: celsius}}}\n"
        + "  - {name: streak, type: Sequence, input: per-minute, key: sensor, within: 3m, emit: {from: 'string(a.windowStart)'},"
        + " stages: [{name: a, where: 'event.mean > 25.0'}, {name: b, after: next, where: 'event.mean > 25.0'}]}\n"
        + "sinks:\n"
        + "  - {name: out, input: streak, type: stdout}\n";
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("hot-streak", yaml).resolve(Map.of());
    org.apache.beam.sdk.schemas.Schema schema = org.apache.beam.sdk.schemas.Schema.builder().addStringField("sensor")
        .addDoubleField("celsius").addDateTimeField("at").build();
    List<TimestampedValue<Row>> events = new ArrayList<>();
    double[][] minutes = {{25, 35}, {30, 40}, {15, 25}, {40, 40}};
    for (int minute = minutes.length - 1; minute >= 0; minute--) {
      for (double celsius : minutes[minute]) {
        org.joda.time.Instant at = new org.joda.time.Instant(minute * 60_000L + (long) celsius * 100);
        events.add(TimestampedValue.of(Row.withSchema(schema).addValues("s-1", celsius, at).build(), at));
      }
    }
    PCollection<Row> readings = pipeline.apply(Create.timestamped(events)).setRowSchema(schema);
    TemplatePipeline.build(pipeline, root, dir.toString(), new TemplatePipeline.Bindings(Map.of("readings", readings), Map.of(
        "out", new AssertRows("from", "1970-01-01T00:00:00Z"),
        TemplatePipeline.DEAD_LETTER_SINK, new AssertNone())));
    pipeline.run().waitUntilFinish();
  }

  /** Asserts that there are no rows. */
  private static final class AssertNone extends PTransform<PCollection<Row>, PDone> {
    @Override
    public PDone expand(PCollection<Row> rows) {
      PAssert.that(rows).empty();
      return PDone.in(rows.getPipeline());
    }
  }

  /** Asserts that the rows are exactly one, whose {@code field} reads {@code value}. */
  private static final class AssertRows extends PTransform<PCollection<Row>, PDone> {
    private final String field;
    private final String value;

    AssertRows(String field, String value) {
      this.field = field;
      this.value = value;
    }

    @Override
    public PDone expand(PCollection<Row> rows) {
      PAssert.that(rows.apply(MapElements.into(TypeDescriptors.strings()).via((Row r) -> String.valueOf((Object) r.getValue(field)))))
          .containsInAnyOrder(value);
      return PDone.in(rows.getPipeline());
    }
  }

  /** The non-blank lines of all files in {@code dir} (a file sink's output). */
  public static List<String> lines(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (!line.isBlank()) {
            out.add(line);
          }
        }
      }
    }
    return out;
  }
}
