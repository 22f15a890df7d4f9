package dev.streamtemplates.transforms.time;

import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.format.Formats;
import dev.streamtemplates.transforms.format.ParseRecords;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

public class EventTimeTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema SCHEMA = Schema.builder().addStringField("id").addNullableField("ts", FieldType.STRING).build();

  @Test
  public void isoStringsAndEpochMillisBecomeTimestampsAndBadValuesAreDeadLettered() {
    PCollection<Row> rows =
        pipeline.apply(
            Create.of(
                    Row.withSchema(SCHEMA).addValues("iso", "2024-05-01T10:00:00+02:00").build(),
                    Row.withSchema(SCHEMA).addValues("millis", "1714550400000").build(),
                    Row.withSchema(SCHEMA).addValues("bad", "yesterday").build(),
                    Row.withSchema(SCHEMA).addValues("null", null).build(),
                    Row.withSchema(SCHEMA).addValues("far", "+999999-01-01T00:00:00Z").build(),
                    Row.withSchema(SCHEMA).addValues("huge", "99999999999999999999").build())
                .withRowSchema(SCHEMA));
    WithFailures.Result<PCollection<Row>, Row> timed = rows.apply(EventTime.fromField("ts"));

    PCollection<String> stamps =
        timed.output().apply(ParDo.of(new StampFn()));
    PAssert.that(stamps).containsInAnyOrder("iso@1714550400000", "millis@1714550400000");
    PAssert.that(timed.failures().apply(MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("error"))))
        .containsInAnyOrder(
            "event time field 'ts': 'yesterday' is not an ISO-8601 time with offset (2024-05-01T10:00:00Z) or epoch milliseconds",
            "event time field 'ts' is null",
            "event time field 'ts': +999999-01-01T00:00:00Z is outside the range of times Beam can carry",
            "event time field 'ts': For input string: \"99999999999999999999\"");
    pipeline.run().waitUntilFinish();
  }

  static final class StampFn extends DoFn<Row, String> {
    @ProcessElement
    public void process(@Element Row row, @Timestamp Instant ts, OutputReceiver<String> out) {
      out.output(row.getString("id") + "@" + ts.getMillis());
    }
  }

  @Test
  public void unknownFieldIsRejectedAtConstruction() {
    PCollection<Row> rows = pipeline.apply(Create.empty(SCHEMA));
    assertThrows(IllegalArgumentException.class, () -> rows.apply(EventTime.fromField("when")));
    pipeline.enableAbandonedNodeEnforcement(false);
  }

  @Test
  public void parsingWithEventTimeStampsAndDeadLettersAsTheEventTimeStepDoes() {
    java.util.List<byte[]> lines = java.util.stream.Stream.of(
            "{\"id\": \"iso\", \"ts\": \"2024-05-01T10:00:00+02:00\"}",
            "{\"id\": \"millis\", \"ts\": \"1714550400000\"}",
            "{\"id\": \"bad\", \"ts\": \"yesterday\"}",
            "{\"id\": \"null\"}",
            "{\"id\": \"far\", \"ts\": \"+999999-01-01T00:00:00Z\"}",
            "not json")
        .map(line -> line.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toList();
    WithFailures.Result<PCollection<Row>, Row> parsed =
        pipeline.apply(Create.of(lines).withCoder(org.apache.beam.sdk.coders.ByteArrayCoder.of()))
            .apply(ParseRecords.with(Formats.json(SCHEMA)).named("src").withEventTimeFrom("ts", "src.event-time"));

    PAssert.that(parsed.output().apply(ParDo.of(new StampFn()))).containsInAnyOrder("iso@1714550400000", "millis@1714550400000");
    PAssert.that(parsed.failures().apply(MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("step") + ": " + r.getString("error"))))
        .satisfies(errors -> {
          java.util.List<String> all = new java.util.ArrayList<>();
          errors.forEach(all::add);
          java.util.Collections.sort(all);
          org.junit.Assert.assertEquals(4, all.size());
          org.junit.Assert.assertTrue(all.get(3), all.get(3).startsWith("src: malformed JSON"));
          org.junit.Assert.assertEquals(java.util.List.of(
              "src.event-time: event time field 'ts' is null",
              "src.event-time: event time field 'ts': 'yesterday' is not an ISO-8601 time with offset (2024-05-01T10:00:00Z) or epoch milliseconds",
              "src.event-time: event time field 'ts': +999999-01-01T00:00:00Z is outside the range of times Beam can carry"),
              all.subList(0, 3));
          return null;
        });
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void parsingWithAnUnknownTimeFieldIsRejectedAtConstruction() {
    assertThrows(IllegalArgumentException.class, () -> ParseRecords.with(Formats.json(SCHEMA)).withEventTimeFrom("when", "src.event-time"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
