package dev.streamtemplates.transforms.filter;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Result;
import java.util.List;
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
import org.joda.time.DateTimeZone;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

public class ThresholdTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema READING =
      Schema.builder().addStringField("card").addNullableField("amount", FieldType.DOUBLE).addStringField("country").build();

  static TimestampedValue<Row> reading(String card, Double amount, long at) {
    return TimestampedValue.of(Row.withSchema(READING).addValues(card, amount, "US").build(), new Instant(at));
  }

  /** "key@time=value" for each alert, easy to read in a failure. */
  static PCollection<String> summary(PCollection<Row> alerts) {
    return alerts.apply("summary", MapElements.into(TypeDescriptors.strings())
        .via(a -> a.getString("key") + "@" + a.getDateTime("eventTime").getMillis() + "=" + a.getDouble("value")));
  }

  static final Threshold DEBOUNCED =
      Threshold.above("amount", 100).withKeyField("card").withContextFields("country").withDebounce(true).named("large");

  @Test
  public void debounceAlertsOnceWhenAKeyCrossesTheLimitEvenWhenEventsArriveOutOfOrder() {
    // In event time, card c1 goes 50, 150, 200, 80, 300: it crosses at 20 and again at 50.
    TestStream<Row> events =
        TestStream.create(READING)
            .addElements(reading("c1", 200.0, 30), reading("c1", 50.0, 10), reading("c2", 500.0, 15))
            .addElements(reading("c1", 300.0, 50), reading("c1", 150.0, 20))
            .advanceWatermarkTo(new Instant(25))
            .addElements(reading("c1", 80.0, 40), reading("c2", null, 45))
            .advanceWatermarkToInfinity();
    Result alerts = pipeline.apply(events).apply(DEBOUNCED);
    PAssert.that(summary(alerts.output())).containsInAnyOrder("c1@20=150.0", "c1@50=300.0", "c2@15=500.0");
    PAssert.that(alerts.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void eventOlderThanWhatWasAlreadyDecidedIsLate() {
    TestStream<Row> events =
        TestStream.create(READING)
            .addElements(reading("c1", 50.0, 10), reading("c1", 150.0, 20))
            .advanceWatermarkTo(new Instant(30))
            .addElements(reading("c1", 500.0, 15))
            .advanceWatermarkToInfinity();
    Result alerts = pipeline.apply(events).apply(DEBOUNCED);
    PAssert.that(summary(alerts.output())).containsInAnyOrder("c1@20=150.0");
    PAssert.that(alerts.failures().apply(MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("error"))))
        .satisfies(errors -> {
          assertThat(errors.iterator().next(), containsString("late: event time 1970-01-01T00:00:00.015Z is before 1970-01-01T00:00:00.020Z"));
          return null;
        });
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void debouncedEventWithANullKeyIsADeadLetterNotAKeyOfItsOwn() {
    Schema nullableCard = Schema.builder().addNullableField("card", FieldType.STRING).addNullableField("amount", FieldType.DOUBLE)
        .addStringField("country").build();
    TestStream<Row> events = TestStream.create(nullableCard)
        .addElements(TimestampedValue.of(Row.withSchema(nullableCard).addValues(null, 150.0, "US").build(), new Instant(10)),
            TimestampedValue.of(Row.withSchema(nullableCard).addValues("c1", 150.0, "US").build(), new Instant(20)))
        .advanceWatermarkToInfinity();
    Result alerts = pipeline.apply(events).apply(DEBOUNCED);
    PAssert.that(summary(alerts.output())).containsInAnyOrder("c1@20=150.0");
    PAssert.that(alerts.failures().apply(MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("step") + ": " + r.getString("error"))))
        .containsInAnyOrder("large: key field 'card' is null");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void withoutDebounceEveryEventBeyondTheLimitIsAnAlertWithContext() {
    TestStream<Row> events =
        TestStream.create(READING)
            .addElements(reading("c1", 150.0, 20), reading("c1", 200.0, 30), reading("c1", 50.0, 10))
            .advanceWatermarkToInfinity();
    Result alerts =
        pipeline.apply(events).apply(Threshold.above("amount", 100).withKeyField("card").withContextFields("country"));
    Schema schema = Threshold.above("amount", 100).withKeyField("card").withContextFields("country").alertSchema(READING);
    PAssert.that(alerts.output()).containsInAnyOrder(
        Row.withSchema(schema).addValues("c1", "amount", 150.0, "above", 100.0, null, null, new Instant(20).toDateTime(DateTimeZone.UTC), "US").build(),
        Row.withSchema(schema).addValues("c1", "amount", 200.0, "above", 100.0, null, null, new Instant(30).toDateTime(DateTimeZone.UTC), "US").build());
    assertEquals("nothing can fail without debounce: no dead-letter output", false, alerts.failuresIfAny().isPresent());
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    // read = alerts + dropped, counted per bundle
    assertEquals(2L, DeduplicateTest.counter(result, "threshold-alerts"));
    assertEquals(1L, DeduplicateTest.counter(result, "threshold-dropped"));
  }

  @Test
  public void rangesAlertInsideOrOutsideAndNameTheBoundCrossed() {
    TestStream<Row> events =
        TestStream.create(READING)
            .addElements(reading("low", 5.0, 1), reading("mid", 50.0, 2), reading("high", 500.0, 3), reading("edge", 10.0, 4))
            .advanceWatermarkToInfinity();
    PCollection<Row> input = pipeline.apply(events);
    PCollection<Row> outside = input.apply("outside", Threshold.outside("amount", 10, 100).withKeyField("card")).output();
    PCollection<Row> inside = input.apply("inside", Threshold.inside("amount", 10, 100).withKeyField("card")).output();
    PAssert.that(outside.apply("outside limits", MapElements.into(TypeDescriptors.strings())
            .via(a -> a.getString("key") + ":" + a.getDouble("limit") + ":" + a.getString("direction"))))
        .containsInAnyOrder("low:10.0:outside", "high:100.0:outside");
    PAssert.that(inside.apply("inside keys", MapElements.into(TypeDescriptors.strings()).via(a -> a.getString("key"))))
        .containsInAnyOrder("mid", "edge");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void badConfigurationIsRefusedWithTheParameterNamed() {
    assertThrows(IllegalArgumentException.class, () -> Threshold.inside("amount", 10, 1));
    PCollection<Row> rows = pipeline.apply(TestStream.create(READING).advanceWatermarkToInfinity());
    IllegalArgumentException notNumber = assertThrows(IllegalArgumentException.class,
        () -> rows.apply("a", Threshold.above("country", 1).withContextFields(List.of("nope"))));
    assertThat(notNumber.getMessage(), containsString("field 'country' is a STRING, not a number"));
    assertThat(notNumber.getMessage(), containsString("context field 'nope' is not in the input"));
    IllegalArgumentException noKey = assertThrows(IllegalArgumentException.class,
        () -> rows.apply("b", Threshold.above("amount", 1).withDebounce(true)));
    assertThat(noKey.getMessage(), containsString("debounce needs a key: call withKeyField(field)"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
