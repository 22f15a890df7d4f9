package dev.streamtemplates.transforms.join;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Result;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

public class IntervalJoinTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema SEARCH = Schema.builder().addStringField("session").addStringField("query").build();
  static final Schema CLICK = Schema.builder().addStringField("session").addStringField("url").addInt32Field("position").build();

  static TimestampedValue<Row> search(String session, String query, long seconds) {
    return TimestampedValue.of(Row.withSchema(SEARCH).addValues(session, query).build(), new Instant(seconds * 1000));
  }

  static TimestampedValue<Row> click(String session, String url, int position, long seconds) {
    return TimestampedValue.of(Row.withSchema(CLICK).addValues(session, url, position).build(), new Instant(seconds * 1000));
  }

  /** "query -> url @seconds" for each output row; "-" for a missing side. */
  static PCollection<String> pairs(PCollection<Row> rows) {
    return rows.apply("pairs", MapElements.into(TypeDescriptors.strings()).via(r -> {
      Row left = r.getRow("left");
      Row right = r.getRow("right");
      return (left == null ? "-" : left.getString("query")) + " -> " + (right == null ? "-" : right.getString("url"))
          + " @" + r.getDateTime("eventTime").getMillis() / 1000;
    }));
  }

  Result join(TestStream<Row> searches, TestStream<Row> clicks, IntervalJoin.Type type) {
    return pipeline.apply("searches", searches).apply("join", IntervalJoin.with(pipeline.apply("clicks", clicks))
        .on("session", "session")
        .within(Duration.ZERO, Duration.standardMinutes(10))
        .withType(type));
  }

  @Test
  public void partnersMatchWhicheverArrivesFirstAndOnlyWithinTheBound() {
    TestStream<Row> searches = TestStream.create(SEARCH)
        .addElements(search("s1", "shoes", 100))           // click at 130 arrives before it
        .addElements(search("s2", "hats", 100))            // click exactly at +10 min: inside
        .addElements(search("s3", "gloves", 100))          // click at +10 min + 1 s: outside
        .addElements(search("s4", "socks", 100))           // click 1 s before the search: outside
        .advanceWatermarkToInfinity();
    TestStream<Row> clicks = TestStream.create(CLICK)
        .addElements(click("s1", "/shoe/1", 1, 130))
        .addElements(click("s2", "/hat/9", 2, 700), click("s3", "/glove/2", 1, 701), click("s4", "/sock/1", 1, 99))
        .advanceWatermarkToInfinity();
    Result result = join(searches, clicks, IntervalJoin.Type.INNER);
    PAssert.that(pairs(result.output())).containsInAnyOrder("shoes -> /shoe/1 @130", "hats -> /hat/9 @700");
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void outerJoinEmitsUnmatchedEventsWhenTheirBufferExpiresInEventTime() {
    TestStream<Row> searches = TestStream.create(SEARCH)
        .addElements(search("s1", "shoes", 100), search("s3", "gloves", 100))
        .advanceWatermarkTo(new Instant(650_000))         // before 100 s + 10 min: nothing expired yet
        .addElements(search("s9", "scarf", 640))          // out of order but not late
        .advanceWatermarkToInfinity();
    TestStream<Row> clicks = TestStream.create(CLICK)
        .addElements(click("s1", "/shoe/1", 1, 130), click("s7", "/orphan", 3, 200))
        .advanceWatermarkTo(new Instant(650_000))
        .addElements(click("s3", "/glove/2", 1, 690))     // arrives late in processing time, still inside the bound
        .advanceWatermarkToInfinity();
    Result result = join(searches, clicks, IntervalJoin.Type.FULL);
    PAssert.that(pairs(result.output())).containsInAnyOrder(
        "shoes -> /shoe/1 @130", "gloves -> /glove/2 @690", "- -> /orphan @200", "scarf -> - @640");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void eventWhosePartnersHaveExpiredIsLate() {
    TestStream<Row> searches = TestStream.create(SEARCH)
        .addElements(search("s1", "shoes", 100))
        .advanceWatermarkTo(new Instant(800_000))         // past 100 s + 10 min: s1's buffer has expired
        .advanceWatermarkToInfinity();
    TestStream<Row> clicks = TestStream.create(CLICK)
        .advanceWatermarkTo(new Instant(800_000))
        .addElements(click("s1", "/shoe/1", 1, 100), click("s2", "/fresh", 1, 900))
        .advanceWatermarkToInfinity();
    Result result = join(searches, clicks, IntervalJoin.Type.LEFT);
    PAssert.that(pairs(result.output())).containsInAnyOrder("shoes -> - @100");
    PAssert.that(result.failures().apply(MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("error").split(" arrived")[0])))
        .containsInAnyOrder("late: event time 1970-01-01T00:01:40.000Z on the right");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void conditionOverBothSidesFiltersPairs() {
    TestStream<Row> searches = TestStream.create(SEARCH).addElements(search("s1", "shoes", 100)).advanceWatermarkToInfinity();
    TestStream<Row> clicks = TestStream.create(CLICK)
        .addElements(click("s1", "/shoe/1", 1, 110), click("s1", "/shoe/50", 50, 120))
        .advanceWatermarkToInfinity();
    Result result =
        pipeline.apply("searches", searches).apply("join", IntervalJoin.with(pipeline.apply("clicks", clicks))
            .on("session", "session").within(Duration.ZERO, Duration.standardMinutes(10))
            .withCondition("right.position <= 10 && left.query.size() > 0"));
    PAssert.that(pairs(result.output())).containsInAnyOrder("shoes -> /shoe/1 @110");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void badKeysAndBoundsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> IntervalJoin.with(null).within(Duration.standardMinutes(1), Duration.ZERO));
    PCollection<Row> searches = pipeline.apply("s", TestStream.create(SEARCH).advanceWatermarkToInfinity());
    PCollection<Row> clicks = pipeline.apply("c", TestStream.create(CLICK).advanceWatermarkToInfinity());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> searches.apply(IntervalJoin.with(clicks).on("session", "position")));
    assertThat(e.getMessage(), containsString("key fields 'session' and 'position' have different types"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
