package dev.streamtemplates.transforms.ml;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Result;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Score with the shipped defect tree ({@code test-data/models/defect.pmml}) and two small test
 * models. Every expected value is computed here from the PMML as written (the leaf counts, the
 * regression coefficients), not by pmml4s.
 */
public class ScoreTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final transient TemporaryFolder folder = new TemporaryFolder();

  static final String DEFECT = Path.of(System.getProperty("repo.root", ".."), "test-data", "models", "defect.pmml").toString();

  static final Schema READING = Schema.builder()
      .addStringField("part")
      .addNullableField("temperature", FieldType.DOUBLE)
      .addNullableField("vib_mm_s", FieldType.DOUBLE)
      .addNullableField("pressure", FieldType.DOUBLE)
      .build();

  static Row reading(String part, Double temperature, Double vibration, Double pressure) {
    return Row.withSchema(READING).addValues(part, temperature, vibration, pressure).build();
  }

  /**
   * The defect tree by hand, from defect.pmml: vibration > 7.1 then (temperature > 85: 45 yes / 5
   * no, else 30 / 20); else pressure < 4: 14 / 6; temperature > 95: 32 / 8; else 3 / 97. The
   * prediction is the class with more records; probabilities are the counts over the leaf total.
   */
  static Row expected(Row r, Schema out) {
    double t = r.getDouble("temperature");
    double v = r.getDouble("vib_mm_s");
    double p = r.getDouble("pressure");
    int yes;
    int no;
    if (v > 7.1) {
      yes = t > 85 ? 45 : 30;
      no = t > 85 ? 5 : 20;
    } else if (p < 4) {
      yes = 14;
      no = 6;
    } else if (t > 95) {
      yes = 32;
      no = 8;
    } else {
      yes = 3;
      no = 97;
    }
    double total = yes + no;
    return Row.withSchema(out).addValues(r.getValues()).addValues(yes > no ? "yes" : "no", yes / total, no / total).build();
  }

  static Score defect() {
    return Score.modelFile(DEFECT).withInputs(Map.of("vibration", "vib_mm_s")).named("defect");
  }

  static PCollection<String> errors(Result result) {
    return result.failures().apply("errors", MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("step") + ": " + r.getString("error")));
  }

  @Test
  public void everyLeafOfTheDefectTreeAndItsBoundariesAsComputedByHand() {
    List<Row> rows = List.of(
        reading("shaking-hot", 90.0, 8.0, 6.0),
        reading("shaking-cool", 70.0, 8.0, 6.0),
        reading("shaking-at-85", 85.0, 9.5, 2.0),        // temperature > 85 is strict: cool leaf, pressure unused
        reading("low-pressure", 99.0, 5.0, 3.0),         // pressure is tested before temperature
        reading("overheated", 99.0, 5.0, 6.0),
        reading("normal", 70.0, 5.0, 6.0),
        reading("vibration-at-7.1", 70.0, 7.1, 4.0),     // vibration > 7.1 strict, pressure < 4 strict: normal
        reading("cold-edge", -40.0, 0.0, 16.0));         // the intervals' closed ends are valid
    Score score = defect();
    Schema out = score.outputSchema(READING);
    List<Row> want = new ArrayList<>();
    rows.forEach(r -> want.add(expected(r, out)));
    Result result = pipeline.apply(Create.of(rows).withRowSchema(READING)).apply(score);
    PAssert.that(result.output()).containsInAnyOrder(want);
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
    // The hand computation gives what the README documents, e.g. 0.9 for shaking-hot, 0.03 for normal.
    assertThat(want.get(0).getDouble("probability_yes"), equalTo(0.9));
    assertThat(want.get(5).getString("prediction"), equalTo("no"));
  }

  @Test
  public void theOutputSchemaIsTheInputAndThePredictionAndOneProbabilityPerClass() {
    Schema out = defect().outputSchema(READING);
    assertThat(out.getFieldNames(), equalTo(List.of("part", "temperature", "vib_mm_s", "pressure", "prediction", "probability_yes", "probability_no")));
    assertThat(out.getField("prediction").getType(), equalTo(FieldType.STRING));
    assertThat(out.getField("probability_yes").getType(), equalTo(FieldType.DOUBLE.withNullable(true)));
    Schema bare = defect().withProbabilities(false).withPredictionField("defective").outputSchema(READING);
    assertThat(bare.getFieldNames(), equalTo(List.of("part", "temperature", "vib_mm_s", "pressure", "defective")));
  }

  @Test
  public void rowsTheModelCannotScoreAreDeadLettersNamingTheInputAndTheField() {
    List<Row> rows = List.of(
        reading("ok", 70.0, 5.0, 6.0),
        reading("no-temperature", null, 5.0, 6.0),       // pmml4s alone would score it as the normal leaf
        reading("no-vibration", 70.0, null, 6.0),
        reading("nan", 70.0, 5.0, Double.NaN),
        reading("negative-vibration", 70.0, -1.0, 6.0),  // outside [0, 50]
        reading("too-hot", 250.0, 5.0, 6.0));            // outside [-40, 200]
    Score score = defect();
    Result result = pipeline.apply(Create.of(rows).withRowSchema(READING)).apply(score);
    PAssert.that(result.output()).containsInAnyOrder(expected(rows.get(0), score.outputSchema(READING)));
    PAssert.that(errors(result)).containsInAnyOrder(
        "defect: model input 'temperature': null; the model needs a value",
        "defect: model input 'vibration' (field 'vib_mm_s'): null; the model needs a value",
        "defect: model input 'pressure': NaN is not a finite number",
        "defect: model input 'vibration' (field 'vib_mm_s'): -1.0 is not a valid value for the model (valid: [[0.0,50.0]])",
        "defect: model input 'temperature': 250.0 is not a valid value for the model (valid: [[-40.0,200.0]])");
    PAssert.that(result.failures().apply("payloads", MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("payload"))))
        .satisfies(payloads -> {
          payloads.forEach(p -> assertThat(p, containsString("\"part\":")));
          return null;
        });
    pipeline.run().waitUntilFinish();
  }

  static final Schema ITEM = Schema.builder()
      .addDoubleField("size").addInt32Field("n").addStringField("colour").addNullableField("price", FieldType.DOUBLE).build();

  @Test
  public void aRegressionAddsItsPredictedValueAsADouble() {
    // price.pmml: 1.5 + 2 * size + 0.5 * count + (10 if red); count is an integer input fed by an INT32 field.
    List<Row> rows = List.of(
        Row.withSchema(ITEM).addValues(2.0, 4, "red", null).build(),          // 1.5 + 4 + 2 + 10 = 17.5
        Row.withSchema(ITEM).addValues(0.25, 0, "blue green", 1.0).build(),   // 1.5 + 0.5 = 2.0
        Row.withSchema(ITEM).addValues(1.0, 1, "pink", null).build());        // not a colour of the model
    Score score = Score.model(resource("price.pmml"), "price.pmml").withInputs(Map.of("count", "n")).withPredictionField("predicted").named("price");
    assertThat(score.isRegression(), equalTo(true));
    Schema out = score.outputSchema(ITEM);
    assertThat(out.getField("predicted").getType(), equalTo(FieldType.DOUBLE));
    Result result = pipeline.apply(Create.of(rows).withRowSchema(ITEM)).apply(score);
    PAssert.that(result.output()).containsInAnyOrder(
        Row.withSchema(out).addValues(2.0, 4, "red", null, 17.5).build(),
        Row.withSchema(out).addValues(0.25, 0, "blue green", 1.0, 2.0).build());
    PAssert.that(errors(result)).containsInAnyOrder("price: model input 'colour': pink is not a valid value for the model (valid: [red, blue green])");
    pipeline.run().waitUntilFinish();
  }

  static final Schema EXAM = Schema.builder().addDoubleField("score").addBooleanField("ok").build();

  @Test
  public void classNamesAreMadeFieldNamesAndAModelWithoutOutputStillGivesProbabilities() {
    Score score = Score.model(resource("grade.pmml"), "grade.pmml");
    assertThat(score.classes(), equalTo(List.of("A+", "b c")));
    Schema out = score.outputSchema(EXAM);
    assertThat(out.getFieldNames(), equalTo(List.of("score", "ok", "prediction", "probability_A_", "probability_b_c")));
    Result result = pipeline.apply(Create.of(
        Row.withSchema(EXAM).addValues(95.0, true).build(),
        Row.withSchema(EXAM).addValues(95.0, false).build(),
        Row.withSchema(EXAM).addValues(89.5, true).build()).withRowSchema(EXAM)).apply(score);
    PAssert.that(result.output()).containsInAnyOrder(
        Row.withSchema(out).addValues(95.0, true, "A+", 0.75, 0.25).build(),
        Row.withSchema(out).addValues(95.0, false, "b c", 0.1, 0.9).build(),
        Row.withSchema(out).addValues(89.5, true, "b c", 0.1, 0.9).build());
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void rowsWithoutAModelInputOrOfTheWrongTypeAreRefusedWhenApplied() {
    Schema noTemperature = Schema.builder().addStringField("part").addDoubleField("vib_mm_s").addDoubleField("pressure").build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> defect().describingRowsAs("the rows of 'readings'").outputSchema(noTemperature));
    assertThat(e.getMessage(), equalTo("the model needs input 'temperature', which the rows of 'readings' do not have;"
        + " map it with inputs: {temperature: <field>} (fields are [part, vib_mm_s, pressure])"));

    Schema textPressure = Schema.builder().addDoubleField("temperature").addDoubleField("vib_mm_s").addStringField("pressure").build();
    e = assertThrows(IllegalArgumentException.class, () -> defect().outputSchema(textPressure));
    assertThat(e.getMessage(), containsString("model input 'pressure' is a double, but field 'pressure' of the rows is a STRING; give it a numeric field"));

    e = assertThrows(IllegalArgumentException.class, () -> Score.modelFile(DEFECT).withInputs(Map.of("vibration", "vib")).outputSchema(READING));
    assertThat(e.getMessage(), containsString("model input 'vibration' is mapped to field 'vib', which the rows do not have"));

    e = assertThrows(IllegalArgumentException.class, () -> Score.modelFile(DEFECT).withInputs(Map.of("humidity", "h")));
    assertThat(e.getMessage(), equalTo("the model has no input 'humidity'; its inputs are [temperature, vibration, pressure]"));

    Schema hasPrediction = Schema.builder().addFields(READING.getFields()).addStringField("prediction").build();
    e = assertThrows(IllegalArgumentException.class, () -> defect().outputSchema(hasPrediction));
    assertThat(e.getMessage(), containsString("the rows already have a field named 'prediction'; rename it first, or name the prediction otherwise"));
  }

  @Test
  public void aMissingOrInvalidModelFileIsRefusedNamingIt() throws IOException {
    String missing = folder.getRoot() + "/none.pmml";
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Score.modelFile(missing));
    assertThat(e.getMessage(), equalTo("model file '" + missing + "' does not exist"));

    e = assertThrows(IllegalArgumentException.class, () -> Score.modelFile(folder.getRoot().toString()));
    assertThat(e.getMessage(), containsString("is not a regular file"));

    e = assertThrows(IllegalArgumentException.class, () -> Score.modelFile(write("broken.pmml", "<PMML version=\"4.4\"><Header>")));
    assertThat(e.getMessage(), containsString("broken.pmml' is not valid XML: line 1, column 29: "));

    e = assertThrows(IllegalArgumentException.class, () -> Score.modelFile(write("html.pmml", "<html><body/></html>")));
    assertThat(e.getMessage(), containsString("html.pmml' is not PMML: its root element is <html>, not <PMML>"));

    e = assertThrows(IllegalArgumentException.class, () -> Score.modelFile(write("dtd.pmml",
        "<?xml version=\"1.0\"?><!DOCTYPE PMML [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><PMML version=\"4.4\">&x;</PMML>")));
    assertThat(e.getMessage(), containsString("dtd.pmml' is not valid XML"));
    assertThat(e.getMessage(), containsString("DOCTYPE"));

    e = assertThrows(IllegalArgumentException.class, () -> Score.modelFile(write("empty.pmml",
        "<PMML xmlns=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\"><Header/><DataDictionary/></PMML>")));
    assertThat(e.getMessage(), containsString("empty.pmml' is a DataModel that neither classifies nor regresses"));

    e = assertThrows(IllegalArgumentException.class, () -> Score.model("<PMML/>".getBytes(StandardCharsets.UTF_8), "bare"));
    assertThat(e.getMessage(), containsString("model 'bare' is not a PMML model pmml4s can read: "));
  }

  private String write(String name, String text) throws IOException {
    Path file = folder.getRoot().toPath().resolve(name);
    Files.writeString(file, text);
    return file.toString();
  }

  static byte[] resource(String name) {
    try (InputStream in = ScoreTest.class.getResourceAsStream("/models/" + name)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
