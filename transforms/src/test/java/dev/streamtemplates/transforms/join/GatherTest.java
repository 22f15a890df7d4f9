package dev.streamtemplates.transforms.join;

import dev.streamtemplates.transforms.core.Result;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

public class GatherTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema CHECK = Schema.builder().addStringField("applicationId").addStringField("verdict").build();

  static TimestampedValue<Row> check(String id, String verdict, long minutes) {
    return TimestampedValue.of(Row.withSchema(CHECK).addValues(id, verdict).build(), new Instant(minutes * 60_000));
  }

  /**
   * credit, address, identity: a1 complete in order, a2 complete out of order, a3 missing
   * identity, a4 missing identity and with a second credit check. (Which of several TestStreams
   * the runner reads first is not defined, so each case here holds whatever the interleaving.)
   */
  Result gather(Gather.Timeout onTimeout, Gather.Duplicate onDuplicate) {
    TestStream<Row> credit = TestStream.create(CHECK)
        .addElements(check("a1", "ok", 1), check("a2", "ok", 9), check("a3", "ok", 1), check("a4", "ok", 2))
        .addElements(check("a4", "refused", 3))
        .advanceWatermarkToInfinity();
    TestStream<Row> address = TestStream.create(CHECK)
        .addElements(check("a1", "ok", 2), check("a2", "ok", 5), check("a3", "ok", 4), check("a4", "ok", 2))
        .advanceWatermarkToInfinity();
    TestStream<Row> identity = TestStream.create(CHECK)
        .addElements(check("a1", "ok", 3), check("a2", "ok", 8))
        .advanceWatermarkToInfinity();
    return PCollectionTuple.of("credit", pipeline.apply("credit", credit))
        .and("address", pipeline.apply("address", address))
        .and("identity", pipeline.apply("identity", identity))
        .apply("checks", Gather.on("applicationId").within(Duration.standardMinutes(30))
            .onTimeout(onTimeout).onDuplicate(onDuplicate).named("checks"));
  }

  static PCollection<String> summary(PCollection<Row> rows, String name) {
    return rows.apply(name, MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("key") + " complete=" + r.getBoolean("complete")
        + " missing=" + r.getArray("missing") + " credit=" + (r.getRow("credit") == null ? "-" : r.getRow("credit").getString("verdict"))));
  }

  static PCollection<String> reasons(PCollection<Row> failures) {
    return failures.apply("reasons", MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("error")));
  }

  @Test
  public void completeGroupsAreEmittedAndAMissingPartnerGivesAPartialResult() {
    Result result = gather(Gather.Timeout.PARTIAL, Gather.Duplicate.KEEP_FIRST);
    PAssert.that(summary(result.output(), "gathered")).containsInAnyOrder(
        "a1 complete=true missing=[] credit=ok",
        "a2 complete=true missing=[] credit=ok",
        "a3 complete=false missing=[identity] credit=ok",
        "a4 complete=false missing=[identity] credit=ok");
    PAssert.that(result.output(Gather.REJECTED)).empty();
    PAssert.that(result.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void timeoutCanRejectToItsOwnOutputAndDuplicatesCanBeKeptLastOrDeadLettered() {
    Result rejecting = gather(Gather.Timeout.REJECT, Gather.Duplicate.KEEP_LAST);
    PAssert.that(summary(rejecting.output(Gather.REJECTED), "rejected")).containsInAnyOrder(
        "a3 complete=false missing=[identity] credit=ok", "a4 complete=false missing=[identity] credit=refused");
    PAssert.that(summary(rejecting.output(), "gathered")).containsInAnyOrder(
        "a1 complete=true missing=[] credit=ok", "a2 complete=true missing=[] credit=ok");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void dropPolicyEmitsNothingForTheIncompleteGroupAndDuplicatesMayBeDeadLettered() {
    Result dropping = gather(Gather.Timeout.DROP, Gather.Duplicate.DEAD_LETTER);
    PAssert.that(summary(dropping.output(), "gathered")).containsInAnyOrder(
        "a1 complete=true missing=[] credit=ok", "a2 complete=true missing=[] credit=ok");
    PAssert.that(dropping.output(Gather.REJECTED)).empty();
    PAssert.that(reasons(dropping.failures())).containsInAnyOrder("duplicate 'credit' for id 'a4'");
    pipeline.run().waitUntilFinish();
  }
}
