package dev.streamtemplates.pipelines.spec;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.pipelines.TemplatePipeline;
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
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Parameter values are data, never code: in a CEL expression a reference becomes a literal of the
 * value, escaped inside a string literal and quoted outside one, so hostile values cannot change
 * what an expression computes. Elsewhere (paths, field names) values are pasted as they are.
 */
public class ParametersAreDataTest {
  @Rule public final TemporaryFolder folder = new TemporaryFolder();

  static String spec(String condition, String parameterType) {
    return "name: demo\n"
        + "description: Filter by a parameter.\n"
        + "parameters:\n"
        + "  wanted: {type: " + parameterType + ", description: What to keep.}\n"
        + "  out: {type: string, default: /tmp/out, description: Where.}\n"
        + "sources:\n"
        + "  - {name: readings, type: file, path: /nowhere/readings.csv, format: csv, schema: /nowhere/reading.avsc}\n"
        + "steps:\n"
        + "  - {name: keep, type: Filter, input: readings, condition: \"" + condition.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}\n"
        + "sinks:\n"
        + "  - {name: kept, input: keep, type: file, format: json, path: \"${out}/kept\"}\n";
  }

  static String condition(String condition, String type, String value) {
    return TemplateSpec.parse("demo", spec(condition, type)).resolve(Map.of("wanted", value)).items("steps").get(0).text("condition");
  }

  @Test
  public void insideAStringLiteralTheValueIsEscapedAndCannotEndIt() {
    assertThat(condition("sensor == '${wanted}'", "string", "x' || true || '' == '"), equalTo("sensor == 'x\\' || true || \\'\\' == \\''"));
    assertThat(condition("sensor == \"${wanted}\"", "string", "a\"b\\c\nd"), equalTo("sensor == \"a\\\"b\\\\c\\nd\""));
    assertThat(condition("sensor == '''${wanted}'''", "string", "''' || true || '''"), equalTo("sensor == '''\\'\\'\\' || true || \\'\\'\\''''"));
    assertThat(condition("sensor == 's-${wanted}'", "string", "1"), equalTo("sensor == 's-1'"));
  }

  @Test
  public void outsideAStringLiteralAStringValueIsAQuotedLiteralAndNumbersAreChecked() {
    assertThat(condition("sensor == ${wanted}", "string", "s-1"), equalTo("sensor == \"s-1\""));
    assertThat(condition("sensor == ${wanted}", "string", "'s-1' || true"), equalTo("sensor == \"\\'s-1\\' || true\""));
    assertThat(condition("celsius > ${wanted}", "number", "-2.5e1"), equalTo("celsius > -2.5e1"));
    SpecException e = assertThrows(SpecException.class, () -> condition("celsius > ${wanted}", "number", "1 || true"));
    assertThat(e.errors(), hasItem("--wanted=1 || true is not valid: expected a number"));
    SpecException big = assertThrows(SpecException.class, () -> condition("celsius > ${wanted}", "integer", "123456789012345678901"));
    assertThat(big.errors(), hasItem(containsString("--wanted=123456789012345678901 is not valid: expected an integer from")));
  }

  @Test
  public void aConditionInsideASequenceGroupIsAnExpressionToo() {
    // Group stages are stages (the schema refers back to the stage schema): their where is escaped the same way.
    String yaml = spec("true", "string").replace("  - {name: keep, type: Filter, input: readings, condition: \"true\"}\n",
        "  - {name: keep, type: Sequence, input: readings, within: 1m, stages: [{name: s}, {name: g, group: ["
            + "{name: a, where: \"event.sensor == '${wanted}'\"}, {name: b, until: \"event.sensor == '${wanted}'\", oneOrMore: true}]}]}\n");
    SpecNode step = TemplateSpec.parse("demo", yaml).resolve(Map.of("wanted", "x' || true || '")).items("steps").get(0);
    SpecNode group = step.items("stages").get(1).items("group").get(0);
    assertThat(group.text("where"), equalTo("event.sensor == 'x\\' || true || \\''"));
    assertThat(step.items("stages").get(1).items("group").get(1).text("until"), equalTo("event.sensor == 'x\\' || true || \\''"));
  }

  @Test
  public void aRawStringCannotHoldAQuoteAndSaysSo() {
    SpecException e = assertThrows(SpecException.class, () -> condition("sensor.matches(r'${wanted}')", "string", "a'b"));
    assertThat(e.errors(), hasItem(containsString("steps[0].condition: ${wanted} stands in a raw CEL string")));
    assertThat(condition("sensor.matches(r'^${wanted}$')", "string", "s-\\d"), equalTo("sensor.matches(r'^s-\\d$')"));
  }

  @Test
  public void valuesOutsideExpressionsArePastedAsTheyAre() {
    SpecNode root = TemplateSpec.parse("demo", spec("true", "string")).resolve(Map.of("wanted", "x", "out", "/tmp/it's here"));
    assertThat(root.items("sinks").get(0).text("path"), equalTo("/tmp/it's here/kept"));
  }

  @Test
  public void aHostileValueFiltersAsTextOnARealRun() throws IOException {
    Path dir = folder.getRoot().toPath();
    Files.writeString(dir.resolve("reading.avsc"), "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"sensor\",\"type\":\"string\"}]}");
    Files.writeString(dir.resolve("readings.csv"), "sensor\ns-1\ns-2\n\"x' || true || '' == '\"\n");
    String yaml = spec("sensor == '${wanted}'", "string").replace("/nowhere", dir.toString());
    SpecNode root = TemplateSpec.parse("demo", yaml).resolve(Map.of("wanted", "x' || true || '' == '", "out", dir.toString()));
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    TemplatePipeline.build(pipeline, root, dir.toString());
    pipeline.run().waitUntilFinish();
    // Before: the value became code, "sensor == 'x' || true || '' == ''", and kept every record.
    assertThat(lines(dir), containsInAnyOrder("{\"sensor\":\"x' || true || '' == '\"}"));
  }

  private static List<String> lines(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        if (file.getFileName().toString().startsWith("kept")) {
          out.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }
}
