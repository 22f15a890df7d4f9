package dev.streamtemplates.pipelines.steps;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.pipelines.TemplatePipeline;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.Rule;
import org.junit.Test;

/** A step type added as templates/README.md says ({@link KeepFieldsStep}) works in a spec like the built-in ones. */
public class AddingAStepTypeTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.fromOptions(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());

  static final Schema READING = Schema.builder().addStringField("sensor").addDoubleField("celsius").addStringField("note").build();

  static String spec(String fields) {
    return "name: keep-demo\n"
        + "description: Readings without their notes.\n"
        + "sources:\n"
        + "  - {name: readings, type: file, path: in.csv, format: csv, schema: reading.avsc}\n"
        + "steps:\n"
        + "  - {name: slim, type: KeepFields, input: readings" + fields + "}\n"
        + "sinks:\n"
        + "  - {name: out, input: slim, type: stdout}\n";
  }

  @Test
  public void newStepTypeRunsInASpecWithItsConfigBound() {
    SpecNode root = TemplateSpec.parse("keep-demo", spec(", fields: 'celsius, sensor'")).resolve(Map.of());
    PCollection<Row> readings = pipeline.apply(Create.of(
            Row.withSchema(READING).addValues("s-1", 21.5, "ok").build(), Row.withSchema(READING).addValues("s-2", -4.0, "cold").build()))
        .setRowSchema(READING);
    TemplatePipeline.build(pipeline, root, ".", new TemplatePipeline.Bindings(Map.of("readings", readings), Map.of(
        "out", new Rendered("[celsius, sensor]=[21.5, s-1]", "[celsius, sensor]=[-4.0, s-2]"),
        TemplatePipeline.DEAD_LETTER_SINK, new Rendered())));
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void newStepTypeConfigErrorsCarryTheSpecPath() {
    SpecNode root = TemplateSpec.parse("keep-demo", spec(", colour: blue")).resolve(Map.of());
    SpecException e = assertThrows(SpecException.class, () -> TemplatePipeline.build(TestPipeline.create(), root, "."));
    assertThat(e.errors(), hasItem("steps[0]: required property 'fields' not found"));
    assertThat(e.errors(), hasItem(startsWith("steps[0]: property 'colour' is not defined")));
  }

  /** Asserts the rows, each rendered as its field names and values, independently of the step's code. */
  private static final class Rendered extends PTransform<PCollection<Row>, PDone> {
    private final String[] expected;

    Rendered(String... expected) {
      this.expected = expected;
    }

    @Override
    public PDone expand(PCollection<Row> input) {
      PCollection<String> rendered = input.apply(MapElements.into(TypeDescriptors.strings())
          .via((Row row) -> row.getSchema().getFieldNames() + "=" + row.getValues()));
      PAssert.that(rendered).containsInAnyOrder(expected);
      return PDone.in(input.getPipeline());
    }
  }
}
