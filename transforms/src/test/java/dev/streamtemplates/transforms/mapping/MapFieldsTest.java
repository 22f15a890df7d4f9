package dev.streamtemplates.transforms.mapping;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.expr.ExpressionException;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

public class MapFieldsTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema IN =
      Schema.builder().addStringField("id").addInt32Field("quantity").addDoubleField("price").addStringField("note").build();

  static Row in(String id, int quantity, double price, String note) {
    return Row.withSchema(IN).addValues(id, quantity, price, note).build();
  }

  static final MapFields MAPPING =
      MapFields.create()
          .withField("total", "double(quantity) * price")
          .withField("code", "int(note)", FieldType.INT32)
          .withDrop("note")
          .withRename("id", "orderId")
          .named("compute");

  @Test
  public void outputSchemaAppliesComputeSelectDropRenameInThatOrder() {
    Schema out = MAPPING.outputSchema(IN);
    assertThat(out.getFieldNames(), equalTo(java.util.List.of("orderId", "quantity", "price", "total", "code")));
    assertThat(out.getField("total").getType(), equalTo(FieldType.DOUBLE));
    assertThat(out.getField("code").getType(), equalTo(FieldType.INT32.withNullable(true)));
  }

  @Test
  public void configurationOrderDoesNotMatter() {
    MapFields reordered =
        MapFields.create().withRename("id", "orderId").withDrop("note")
            .withField("total", "double(quantity) * price").withField("code", "int(note)", FieldType.INT32);
    assertThat(reordered.outputSchema(IN), equalTo(MAPPING.outputSchema(IN)));
  }

  @Test
  public void compileErrorsNameEveryBadFieldBeforeThePipelineRuns() {
    ExpressionException e = assertThrows(ExpressionException.class,
        () -> MapFields.create().withOrigin("steps[1].fields")
            .withField("total", "quantity * amout")
            .withField("half", "price / ")
            .withSelect("total", "missing")
            .outputSchema(IN));
    assertThat(e.getMessage(), startsWith("steps[1].fields.total: 1:12: undeclared reference to 'amout'"));
    assertThat(e.getMessage(), containsString("steps[1].fields.half: 1:"));
    assertThat(e.getMessage(), containsString("selected field 'missing' does not exist"));
  }

  @Test
  public void outOfOrderStreamIsMappedWithTimestampsKeptAndFailuresDeadLettered() {
    Instant t0 = new Instant(0);
    TestStream<Row> events =
        TestStream.create(IN)
            .addElements(TimestampedValue.of(in("b", 2, 1.5, "7"), t0.plus(Duration.standardSeconds(70))))
            .addElements(TimestampedValue.of(in("a", 3, 2.0, "not a number"), t0.plus(Duration.standardSeconds(10))))
            .advanceWatermarkTo(t0.plus(Duration.standardSeconds(30)))
            .addElements(TimestampedValue.of(in("c", 1, 4.0, "12"), t0.plus(Duration.standardSeconds(20))))
            .advanceWatermarkToInfinity();

    Result result = pipeline.apply(events).apply(MAPPING);

    Schema out = MAPPING.outputSchema(IN);
    PAssert.that(result.output())
        .containsInAnyOrder(
            Row.withSchema(out).addValues("b", 2, 1.5, 3.0, 7).build(),
            Row.withSchema(out).addValues("c", 1, 4.0, 4.0, 12).build());
    // Timestamps survive the mapping: one row per minute window, each on time.
    PCollection<Long> perMinute =
        result.output()
            .apply(Window.into(FixedWindows.of(Duration.standardMinutes(1))))
            .apply(Combine.globally(Count.<Row>combineFn()).withoutDefaults());
    PAssert.that(perMinute).inOnTimePane(new IntervalWindow(t0, Duration.standardMinutes(1))).containsInAnyOrder(1L);
    PAssert.that(perMinute)
        .inOnTimePane(new IntervalWindow(t0.plus(Duration.standardMinutes(1)), Duration.standardMinutes(1)))
        .containsInAnyOrder(1L);
    PAssert.that(result.failures().apply(MapElements.into(TypeDescriptors.strings())
            .via(r -> r.getString("step") + "|" + r.getString("error") + "|" + r.getString("payload") + "|" + r.getDateTime("eventTime"))))
        .satisfies(failures -> {
          java.util.List<String> all = new java.util.ArrayList<>();
          failures.forEach(all::add);
          assertThat(all.size(), equalTo(1));
          String only = all.get(0);
          assertThat(only, startsWith("compute|fields.code: "));
          assertThat(only, containsString("\"id\":\"a\""));
          assertThat(only, containsString("1970-01-01T00:00:10.000Z"));
          return null;
        });
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void deadLetterRowsUseTheSharedSchema() {
    PCollection<Row> rows = pipeline.apply(org.apache.beam.sdk.transforms.Create.of(in("x", 1, 1.0, "zz")).withRowSchema(IN));
    Result result = rows.apply(MAPPING);
    assertThat(result.failures().getSchema(), equalTo(DeadLetter.SCHEMA));
    PAssert.that(result.output()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void selectDropAndRenameAloneCannotFailSoThereIsNoDeadLetterOutput() {
    PCollection<Row> rows = pipeline.apply(org.apache.beam.sdk.transforms.Create.of(in("x", 2, 1.5, "n"), in("y", 3, 0.5, "m")).withRowSchema(IN));
    Result result = rows.apply(MapFields.create().withSelect(java.util.List.of("price", "id")).withRename("id", "orderId"));
    assertThat(result.failuresIfAny().isPresent(), equalTo(false));
    assertThat(result.output().getSchema().getFieldNames(), equalTo(java.util.List.of("price", "orderId")));
    Schema out = result.output().getSchema();
    PAssert.that(result.output()).containsInAnyOrder(
        Row.withSchema(out).addValues(1.5, "x").build(), Row.withSchema(out).addValues(0.5, "y").build());
    PAssert.that(result.failures()).empty();
    assertThat(rows.apply("with a computed field", MAPPING).failuresIfAny().isPresent(), equalTo(true));
    pipeline.run().waitUntilFinish();
  }
}
