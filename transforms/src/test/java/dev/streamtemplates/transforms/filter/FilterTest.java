package dev.streamtemplates.transforms.filter;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.expr.ExpressionException;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

public class FilterTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema MERCHANT = Schema.builder().addStringField("name").addNullableField("mcc", FieldType.STRING).build();
  static final Schema TX =
      Schema.builder()
          .addStringField("id")
          .addNullableField("amount", FieldType.DOUBLE)
          .addStringField("country")
          .addNullableField("merchant", FieldType.row(MERCHANT))
          .addNullableField("ref", FieldType.STRING)
          .build();

  static Row tx(String id, Double amount, String country, Row merchant, String ref) {
    return Row.withSchema(TX).addValues(id, amount, country, merchant, ref).build();
  }

  static Row merchant(String name, String mcc) {
    return Row.withSchema(MERCHANT).addValues(name, mcc).build();
  }

  static PCollection<String> ids(PCollection<Row> rows, String name) {
    return rows.apply(name, MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("id")));
  }

  @Test
  public void substringRegexComparisonsLogicAndInListsOverAStream() {
    TestStream<Row> events =
        TestStream.create(TX)
            .addElements(TimestampedValue.of(tx("a", 1500.0, "US", merchant("SkyAir", "4511"), "INV-1"), new Instant(3)))
            .addElements(TimestampedValue.of(tx("b", 99.0, "US", merchant("SkyAir", "4511"), "INV-2"), new Instant(1)))
            .advanceWatermarkTo(new Instant(10))
            .addElements(TimestampedValue.of(tx("c", 2000.0, "FR", merchant("Bakery", "5462"), "X-3"), new Instant(5)))
            .addElements(TimestampedValue.of(tx("d", 5000.0, "CA", merchant("airline co", "4511"), "INV-4"), new Instant(12)))
            .advanceWatermarkToInfinity();
    Result kept =
        pipeline.apply(events).apply(Filter.where(
            "amount > 1000.0 && country in ['US', 'CA'] && (merchant.name.contains('Air') || merchant.name.matches('(?i)air'))"
                + " && ref.startsWith('INV-') && !(merchant.mcc == '5462')"));
    PAssert.that(ids(kept.output(), "kept")).containsInAnyOrder("a", "d");
    PAssert.that(kept.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void missingAndNullFieldsAreFalseNotErrors() {
    TestStream<Row> events =
        TestStream.create(TX)
            .addElements(tx("null-amount", null, "US", merchant("x", "1"), "r"))
            .addElements(tx("null-merchant", 10.0, "US", null, "r"))
            .addElements(tx("null-mcc", 10.0, "US", merchant("x", null), "r"))
            .addElements(tx("all-there", 10.0, "US", merchant("x", "5411"), "r"))
            .advanceWatermarkToInfinity();
    Result kept =
        pipeline.apply(events).apply(Filter.where("amount > 5.0 && merchant.mcc.startsWith('54') && event.zipcode != '0'"
            .replace(" && event.zipcode != '0'", "")));
    Result missingKey =
        kept.output().apply("absent key", Filter.where("has(event.id) && event.loyalty == 'gold'"));
    PAssert.that(ids(kept.output(), "kept")).containsInAnyOrder("all-there");
    PAssert.that(kept.failures()).empty();
    PAssert.that(missingKey.output()).empty();
    PAssert.that(missingKey.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void conditionOnNestedFieldsCannotFailSoItHasNoDeadLetterOutput() {
    TestStream<Row> events =
        TestStream.create(TX)
            .addElements(tx("grocer", 1.0, "US", merchant("Acme", "5411"), null))
            .addElements(tx("airline", 1.0, "US", merchant("Sky", "4511"), null))
            .addElements(tx("no-mcc", 1.0, "US", merchant("Bare", null), null))
            .addElements(tx("no-merchant", 1.0, "US", null, null))
            .advanceWatermarkToInfinity();
    Result kept = pipeline.apply(events).apply(Filter.where("merchant.mcc != '4511' && merchant.name != ''").named("not-air"));

    assertEquals("comparisons of nested fields need no dead-letter output", false, kept.failuresIfAny().isPresent());
    // As CEL decides: a null merchant is missing data (false); a null mcc is CEL's null, which differs from '4511'.
    PAssert.that(ids(kept.output(), "kept")).containsInAnyOrder("grocer", "no-mcc");
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    assertEquals(2L, DeduplicateTest.counter(result, "not-air-kept"));
    assertEquals(2L, DeduplicateTest.counter(result, "not-air-dropped"));
  }

  @Test
  public void conditionOfComparisonsCannotFailSoItHasNoDeadLetterOutput() {
    TestStream<Row> events =
        TestStream.create(TX)
            .addElements(tx("big-us", 10.0, "US", null, null))
            .addElements(tx("big-ca", 7.5, "CA", null, null))
            .addElements(tx("small-us", 2.0, "US", null, null))
            .addElements(tx("null-amount", null, "US", null, null))
            .addElements(tx("big-fr", 50.0, "FR", null, null))
            .advanceWatermarkToInfinity();
    Result kept = pipeline.apply(events).apply(Filter.where("amount > 5.0 && country in ['US', 'CA']").named("big"));
    Result general = kept.output().apply("general", Filter.where("size(country) == 2"));

    assertEquals("comparisons joined by && need no dead-letter output", false, kept.failuresIfAny().isPresent());
    assertEquals("a condition that calls a function keeps its dead-letter output", true, general.failuresIfAny().isPresent());
    PAssert.that(ids(kept.output(), "kept")).containsInAnyOrder("big-us", "big-ca");
    PAssert.that(kept.failures()).empty();
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    // read = kept + dropped: the balance needs no dead-letter count from this step
    assertEquals(2L, DeduplicateTest.counter(result, "big-kept"));
    assertEquals(3L, DeduplicateTest.counter(result, "big-dropped"));
  }

  @Test
  public void conditionThatFailsAtRunTimeDeadLettersTheRecord() {
    TestStream<Row> events =
        TestStream.create(TX)
            .addElements(tx("num", 10.0, "US", merchant("x", "1"), "r"))
            .advanceWatermarkToInfinity();
    Result kept =
        pipeline.apply(events).apply(Filter.where("event.country > 3").named("screen").withOrigin("steps[0].condition"));
    PAssert.that(kept.output()).empty();
    PAssert.that(kept.failures().apply(MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("step") + " | " + r.getString("error"))))
        .satisfies(errors -> {
          String error = errors.iterator().next();
          assertThat(error, startsWith("screen | steps[0].condition: "));
          assertThat(error, containsString("No matching overload"));
          return null;
        });
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void badConditionsAreRejectedWithPathAndColumnBeforeRunning() {
    PCollection<Row> rows = pipeline.apply(TestStream.create(TX).advanceWatermarkToInfinity());
    ExpressionException typo = assertThrows(ExpressionException.class,
        () -> rows.apply("typo", Filter.where("amout > 3.0").withOrigin("steps[1].condition")));
    assertThat(typo.getMessage(), startsWith("steps[1].condition: 1:1: undeclared reference to 'amout'"));
    ExpressionException notBool = assertThrows(ExpressionException.class,
        () -> rows.apply("not bool", Filter.where("amount * 2.0").withOrigin("steps[1].condition")));
    assertThat(notBool.getMessage(), containsString("a condition must be a bool"));
    ExpressionException illTyped = assertThrows(ExpressionException.class,
        () -> rows.apply("ill typed", Filter.where("country > 3").withOrigin("steps[1].condition")));
    assertThat(illTyped.getMessage(), containsString("steps[1].condition: 1:9: found no matching overload for '_>_' applied to '(string, int)'"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
