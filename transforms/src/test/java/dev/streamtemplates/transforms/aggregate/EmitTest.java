package dev.streamtemplates.transforms.aggregate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Result;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

/**
 * Emission control: EARLY rows every N events of a key ({@code AfterPane.elementCountAtLeast(N)},
 * accumulating, as Beam's trigger documents it), at every event ("on update"), then the ON_TIME
 * row when the watermark passes the window's end; once only over bounded input.
 */
public class EmitTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static WindowedAggregate sumPerUser() {
    return WindowedAggregateTest.sumPerUser();
  }

  static PCollection<String> summary(PCollection<Row> rows) {
    return WindowedAggregateTest.summary(rows);
  }

  @Test
  public void everyTwoEventsGivesAnEarlyRowWithTheWindowSoFarThenTheOnTimeRow() {
    // An EARLY row once at least 2 events arrived since the last: the first two arrive together (one
    // row for both), then one at a time; each EARLY row holds the window so far (accumulating).
    TestStream<Row> events = TestStream.create(WindowedAggregateTest.PAYMENT)
        .addElements(WindowedAggregateTest.pay("ann", 1.0, 5), WindowedAggregateTest.pay("ann", 2.0, 10))
        .addElements(WindowedAggregateTest.pay("ann", 3.0, 15))
        .addElements(WindowedAggregateTest.pay("ann", 4.0, 20))
        .addElements(WindowedAggregateTest.pay("ann", 5.0, 25))
        .advanceWatermarkToInfinity();
    PCollection<Row> out = pipeline.apply(events).apply(sumPerUser().withEarlyFiringsEvery(2)).output();
    PAssert.that(summary(out)).containsInAnyOrder("ann [0,60) 3.0 2 EARLY", "ann [0,60) 10.0 4 EARLY", "ann [0,60) 15.0 5 ON_TIME");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void onUpdateGivesARowPerEventPerKeyAndALateEventIsStillADeadLetter() {
    TestStream<Row> events = TestStream.create(WindowedAggregateTest.PAYMENT)
        .addElements(WindowedAggregateTest.pay("bob", 1.0, 5))
        .addElements(WindowedAggregateTest.pay("cy", 8.0, 7))
        .addElements(WindowedAggregateTest.pay("bob", 2.0, 10))
        .advanceWatermarkTo(new Instant(70_000))              // [0,60) closes
        .addElements(WindowedAggregateTest.pay("bob", 9.0, 30)) // late: no update, a dead letter
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(sumPerUser().withEarlyFiringsEvery(1));
    PAssert.that(summary(result.output())).containsInAnyOrder(
        "bob [0,60) 1.0 1 EARLY", "bob [0,60) 3.0 2 EARLY", "bob [0,60) 3.0 2 ON_TIME",
        "cy [0,60) 8.0 1 EARLY", "cy [0,60) 8.0 1 ON_TIME");
    PAssert.that(result.failures().apply("late", MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("error").substring(0, 43))))
        .containsInAnyOrder("late: event time 1970-01-01T00:00:30.000Z a");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void overBoundedInputAWindowComesOutOnceOnTime() {
    PCollection<Row> input = pipeline.apply(Create.timestamped(WindowedAggregateTest.pay("ann", 1.0, 5), WindowedAggregateTest.pay("ann", 2.0, 10),
        WindowedAggregateTest.pay("ann", 3.0, 15))).setRowSchema(WindowedAggregateTest.PAYMENT);
    PAssert.that(summary(input.apply(sumPerUser().withEarlyFiringsEvery(1)).output())).containsInAnyOrder("ann [0,60) 6.0 3 ON_TIME");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void emitThatCannotApplyIsRefusedNamingWhy() {
    assertThrows(IllegalArgumentException.class, () -> sumPerUser().withEarlyFiringsEvery(0));
    PCollection<Row> input = pipeline.apply(TestStream.create(WindowedAggregateTest.PAYMENT).advanceWatermarkToInfinity());
    String count = assertThrows(IllegalArgumentException.class, () -> input.apply("count", sumPerUser()
        .withWindowing(Windowing.countTumbling(3)).withEarlyFiringsEvery(2))).getMessage();
    assertThat(count, containsString("emit applies to time windows; a count window already emits at its N-th event"));
    String both = assertThrows(IllegalArgumentException.class, () -> input.apply("both", sumPerUser()
        .withEarlyFirings(Duration.standardSeconds(10)).withEarlyFiringsEvery(2))).getMessage();
    assertThat(both, containsString("early and emit both ask for early results: keep one"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
