package dev.streamtemplates.transforms.filter;

import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Result;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

public class RouteTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema SHIPMENT = Schema.builder().addStringField("id").addStringField("origin").addStringField("destination").build();

  static Row shipment(String id, String origin, String destination) {
    return Row.withSchema(SHIPMENT).addValues(id, origin, destination).build();
  }

  static TestStream<Row> shipments() {
    return TestStream.create(SHIPMENT)
        .addElements(TimestampedValue.of(shipment("s1", "FR", "FR"), new Instant(1_000)))
        .addElements(TimestampedValue.of(shipment("s2", "FR", "DE"), new Instant(61_000)))
        .advanceWatermarkTo(new Instant(30_000))
        .addElements(TimestampedValue.of(shipment("s3", "US", "JP"), new Instant(2_000)))
        .addElements(TimestampedValue.of(shipment("s4", "DE", "DE"), new Instant(62_000)))
        .advanceWatermarkToInfinity();
  }

  static PCollection<String> ids(Result routes, String route) {
    return FilterTest.ids(routes.output(route), route + " ids");
  }

  @Test
  public void firstMatchSendsEachRowToOneRouteAndTheRestToTheDefault() {
    Result routes =
        pipeline.apply(shipments()).apply(Route.firstMatch()
            .when("domestic", "origin == destination")
            .when("eu", "destination in ['FR', 'DE', 'IT']")
            .otherwise("international"));
    PAssert.that(ids(routes, "domestic")).containsInAnyOrder("s1", "s4");
    PAssert.that(ids(routes, "eu")).containsInAnyOrder("s2");
    PAssert.that(ids(routes, "international")).containsInAnyOrder("s3");
    PAssert.that(routes.failures()).empty();
    // Event time is kept: the routed rows fall in the windows of their own timestamps.
    PAssert.that(routes.output("domestic").apply(Window.into(FixedWindows.of(Duration.standardMinutes(1)))))
        .inWindow(new IntervalWindow(new Instant(60_000), Duration.standardMinutes(1)))
        .containsInAnyOrder(shipment("s4", "DE", "DE"));
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void allMatchesSendsARowToEveryMatchingRoute() {
    Result routes =
        pipeline.apply(shipments()).apply(Route.allMatches()
            .when("domestic", "origin == destination")
            .when("eu", "destination in ['FR', 'DE', 'IT']"));
    PAssert.that(ids(routes, "domestic")).containsInAnyOrder("s1", "s4");
    PAssert.that(ids(routes, "eu")).containsInAnyOrder("s1", "s2", "s4");
    PAssert.that(routes.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void failingConditionDeadLettersTheRowAndRoutesItNowhere() {
    Result routes =
        pipeline.apply(shipments()).apply(Route.firstMatch()
            .when("odd", "event.id == 's3' ? int(event.origin) > 1 : false")
            .otherwise("rest"));
    PAssert.that(ids(routes, "odd")).empty();
    PAssert.that(ids(routes, "rest")).containsInAnyOrder("s1", "s2", "s4");
    PAssert.that(routes.failures().apply(org.apache.beam.sdk.transforms.MapElements
            .into(org.apache.beam.sdk.values.TypeDescriptors.strings())
            .via((Row r) -> r.getString("step") + " | " + r.getString("error").startsWith("routes[0].when: ") + " | " + r.getString("payload").contains("s3"))))
        .containsInAnyOrder("route | true | true");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void duplicateAndReservedRouteNamesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Route.firstMatch().when("a", "true").when("a", "false"));
    assertThrows(IllegalArgumentException.class, () -> Route.firstMatch().when(Route.DEAD_LETTER, "true"));
    assertThrows(IllegalArgumentException.class, () -> Route.firstMatch().when("a", "true").otherwise("a"));
  }
}
