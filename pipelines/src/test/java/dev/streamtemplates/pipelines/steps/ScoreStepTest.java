package dev.streamtemplates.pipelines.steps;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.pipelines.TemplatePipeline;
import dev.streamtemplates.pipelines.TemplatePipelineTest;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.pipelines.spec.SpecNode;
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

/** A Score step in a spec: scored end to end on Direct, and each launch-time refusal as one line. */
public class ScoreStepTest {
  @Rule public final TemporaryFolder folder = new TemporaryFolder();
  private Path dir;

  static final String MODEL = Path.of(System.getProperty("repo.root", ".."), "test-data", "models", "defect.pmml").toString();

  @Before
  public void files() throws IOException {
    dir = folder.getRoot().toPath();
    Files.writeString(dir.resolve("readings.jsonl"),
        "{\"part\":\"a\",\"temperature\":88.9,\"vib\":9.4,\"pressure\":5.8}\n"     // vibration > 7.1, temperature > 85: yes, 45/50
            + "{\"part\":\"b\",\"temperature\":72.4,\"vib\":3.2,\"pressure\":6.1}\n"  // the normal leaf: no, 3/100
            + "{\"part\":\"c\",\"vib\":3.2,\"pressure\":6.1}\n");                      // no temperature: a dead letter
  }

  String spec(String schema, String score) {
    return "name: score-demo\n"
        + "description: Readings scored by the defect tree.\n"
        + "sources:\n"
        + "  - {name: readings, type: file, path: '" + dir.resolve("readings.jsonl") + "', format: json, schema: " + schema + "}\n"
        + "steps:\n"
        + "  - {name: defect, type: Score, input: readings, " + score + "}\n"
        + "sinks:\n"
        + "  - {name: out, input: defect, type: file, format: json, path: '" + dir.resolve("out/scored") + "'}\n"
        + "deadLetter: {type: file, format: json, path: '" + dir.resolve("dlq/dead") + "'}\n";
  }

  static final String SCHEMA = "{part: string, temperature: 'double?', vib: 'double?', pressure: 'double?'}";

  List<String> errors(String spec) {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    return assertThrows(SpecException.class,
        () -> TemplatePipeline.build(pipeline, TemplateSpec.parse("score-demo", spec).resolve(Map.of()), dir.toString())).errors();
  }

  @Test
  public void scoresEachRowAndDeadLettersOneWithoutAModelInput() throws IOException {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    SpecNode root = TemplateSpec.parse("score-demo", spec(SCHEMA, "model: '" + MODEL + "', inputs: {vibration: vib}")).resolve(Map.of());
    TemplatePipeline.build(pipeline, root, dir.toString());
    pipeline.run().waitUntilFinish();
    assertThat(TemplatePipelineTest.lines(dir.resolve("out")), containsInAnyOrder(
        "{\"part\":\"a\",\"temperature\":88.9,\"vib\":9.4,\"pressure\":5.8,\"prediction\":\"yes\",\"probability_yes\":0.9,\"probability_no\":0.1}",
        "{\"part\":\"b\",\"temperature\":72.4,\"vib\":3.2,\"pressure\":6.1,\"prediction\":\"no\",\"probability_yes\":0.03,\"probability_no\":0.97}"));
    List<String> dead = TemplatePipelineTest.lines(dir.resolve("dlq"));
    assertThat(dead.toString(), dead.size() == 1 && dead.get(0).contains("\"step\":\"defect\",\"error\":\"model input 'temperature': null; the model needs a value\""));
  }

  @Test
  public void aModelInputTheRowsDoNotHaveStopsTheLaunchNamingTheStepTheInputAndTheFields() {
    assertThat(errors(spec(SCHEMA, "model: '" + MODEL + "'")), contains(
        "steps[0] ('defect'): the model needs input 'vibration', which the rows of 'readings' do not have;"
            + " map it with inputs: {vibration: <field>} (fields are [part, temperature, vib, pressure])"));
    assertThat(errors(spec(SCHEMA, "model: '" + MODEL + "', inputs: {vibration: vibe}")), contains(
        "steps[0] ('defect'): model input 'vibration' is mapped to field 'vibe', which the rows of 'readings' do not have;"
            + " fields are [part, temperature, vib, pressure]"));
    assertThat(errors(spec(SCHEMA, "model: '" + MODEL + "', inputs: {vibration: vib, humidity: h}")), contains(
        "steps[0].inputs: the model has no input 'humidity'; its inputs are [temperature, vibration, pressure]"));
  }

  @Test
  public void aModelInputOfAnIncompatibleTypeStopsTheLaunch() {
    String textTemperature = "{part: string, temperature: string, vib: 'double?', pressure: 'double?'}";
    assertThat(errors(spec(textTemperature, "model: '" + MODEL + "', inputs: {vibration: vib}")), contains(
        "steps[0] ('defect'): model input 'temperature' is a double, but field 'temperature' of the rows of 'readings' is a STRING;"
            + " give it a numeric field (convert the text first, e.g. with MapFields: double(<field>))"));
  }

  @Test
  public void aMissingOrInvalidModelFileStopsTheLaunch() throws IOException {
    String missing = dir.resolve("none.pmml").toString();
    assertThat(errors(spec(SCHEMA, "model: '" + missing + "'")), contains("steps[0].model: model file '" + missing + "' does not exist"));
    Path broken = dir.resolve("broken.pmml");
    Files.writeString(broken, "<PMML version=\"4.4\"><Header>");
    assertThat(errors(spec(SCHEMA, "model: '" + broken + "'")), contains(
        "steps[0].model: model '" + broken + "' is not valid XML: line 1, column 29: XML document structures must start and end within the same entity."));
    Path notPmml = dir.resolve("model.json");
    Files.writeString(notPmml, "<model/>");
    assertThat(errors(spec(SCHEMA, "model: '" + notPmml + "'")), contains(
        "steps[0].model: model '" + notPmml + "' is not PMML: its root element is <model>, not <PMML>"));
  }

  @Test
  public void theSchemaRefusesUnknownKeysAndAStepWithoutAModel() {
    List<String> errors = errors(spec(SCHEMA, "inputs: {vibration: vib}, threshold: 0.5"));
    assertThat(String.join("\n", errors), errors.stream().anyMatch(e -> e.contains("required property 'model' not found"))
        && errors.stream().anyMatch(e -> e.contains("threshold")));
  }

  @Test
  public void theEvaluatorIsFoundWhereItIsOnTheClasspathAndNotWhereItIsNot() {
    assertThat(ScoreStep.evaluatorPresent(ScoreStep.class.getClassLoader()), equalTo(true));
    // The JDK's own classes only: no pmml4s, as on a classpath put together without it.
    assertThat(ScoreStep.evaluatorPresent(ClassLoader.getPlatformClassLoader()), equalTo(false));
  }

  @Test
  public void aServedModelScoresEachRowOverHttpAndARowItCannotScoreIsADeadLetter() throws IOException {
    // A linear model on loopback: 2 * vibration + temperature / 10, null when an input is null.
    com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    server.createContext("/predict", exchange -> {
      com.fasterxml.jackson.databind.node.ObjectNode answer = json.createObjectNode();
      com.fasterxml.jackson.databind.node.ArrayNode predictions = answer.putArray("predictions");
      for (com.fasterxml.jackson.databind.JsonNode in : json.readTree(exchange.getRequestBody()).get("instances")) {
        if (in.get("temperature").isNull()) {
          predictions.addNull();
        } else {
          predictions.add(2 * in.get("vibration").asDouble() + in.get("temperature").asDouble() / 10);
        }
      }
      byte[] body = json.writeValueAsBytes(answer);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/predict";
    try {
      Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
      SpecNode root = TemplateSpec.parse("score-demo", spec(SCHEMA,
          "service: {url: '" + url + "', batch: 2, timeout: 5s, retries: 0}, inputs: {vibration: vib, temperature: temperature}, prediction: risk"))
          .resolve(Map.of());
      TemplatePipeline.build(pipeline, root, dir.toString());
      pipeline.run().waitUntilFinish();
      // By hand: a: 2 * 9.4 + 8.89 = 27.69; b: 2 * 3.2 + 7.24 = 13.64 (as doubles).
      assertThat(TemplatePipelineTest.lines(dir.resolve("out")), containsInAnyOrder(
          "{\"part\":\"a\",\"temperature\":88.9,\"vib\":9.4,\"pressure\":5.8,\"risk\":" + (2 * 9.4 + 88.9 / 10) + "}",
          "{\"part\":\"b\",\"temperature\":72.4,\"vib\":3.2,\"pressure\":6.1,\"risk\":" + (2 * 3.2 + 72.4 / 10) + "}"));
      List<String> dead = TemplatePipelineTest.lines(dir.resolve("dlq"));
      assertThat(dead.toString(), dead.size() == 1
          && dead.get(0).contains("\"error\":\"the model service at " + url + " gave no prediction for this row\""));
    } finally {
      server.stop(0);
    }
  }

  @Test
  public void aBadServiceStopsTheLaunchNamingTheKey() {
    assertThat(errors(spec(SCHEMA, "service: {url: 'ftp://models/x'}, inputs: {vibration: vib}")), contains(
        "steps[0].service.url: 'ftp://models/x' is not an http:// or https:// URL with a host"));
    assertThat(errors(spec(SCHEMA, "service: {url: 'http://models/x'}, inputs: {vibration: vibe}")), contains(
        "steps[0] ('defect'): model input 'vibration' is mapped to field 'vibe', which the rows do not have; fields are [part, temperature, vib, pressure]"));
    assertThat(String.join("\n", errors(spec(SCHEMA, "service: {url: 'http://models/x', timeout: 5 minutes}, inputs: {vibration: vib}"))),
        org.hamcrest.Matchers.containsString("timeout"));
  }
}
