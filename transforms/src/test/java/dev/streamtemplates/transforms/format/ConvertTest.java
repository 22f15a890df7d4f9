package dev.streamtemplates.transforms.format;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.beam.sdk.coders.ByteArrayCoder;
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

public class ConvertTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  public void oversizedPayloadIsDeadLetteredUnreadWithItsFirstKilobyte() {
    byte[] huge = new byte[ParseRecords.MAX_RECORD_BYTES + 1];
    java.util.Arrays.fill(huge, (byte) 'x');
    PCollection<byte[]> payloads = pipeline.apply(org.apache.beam.sdk.transforms.Create.of(List.of(huge, utf8("{\"id\":1}"))).withCoder(ByteArrayCoder.of()));
    WithFailures.Result<PCollection<Row>, Row> parsed = payloads.apply(ParseRecords.with(Formats.json(
        org.apache.beam.sdk.schemas.Schema.builder().addInt32Field("id").build())).named("in"));
    PAssert.that(parsed.output().apply(MapElements.into(TypeDescriptors.integers()).via(r -> r.getInt32("id")))).containsInAnyOrder(1);
    PAssert.that(parsed.failures().apply("sizes", MapElements.into(TypeDescriptors.strings())
            .via(r -> r.getString("error").substring(0, 40) + " " + r.getString("payload").length())))
        .containsInAnyOrder("oversized: the payload has 16777217 byte 1024");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void xmlMessagesBecomeJsonLinesAndBadMessagesAreDeadLettered() {
    String good =
        "<order><id>o-1</id><quantity>3</quantity><price>2.5</price><orderTime>2024-05-01T10:00:00Z</orderTime>"
            + "<address><city>Lyon</city><country>FR</country></address></order>";
    TestStream<byte[]> messages =
        TestStream.create(ByteArrayCoder.of())
            .addElements(TimestampedValue.of(utf8(good), new Instant(2000)))
            .addElements(TimestampedValue.of(utf8("<order><id>o-9"), new Instant(1000)))
            .advanceWatermarkTo(new Instant(5000))
            .addElements(TimestampedValue.of(utf8("<order><id>o-2</id></order>"), new Instant(3000)))
            .advanceWatermarkToInfinity();

    WithFailures.Result<PCollection<byte[]>, Row> json =
        pipeline.apply(messages)
            .apply(Convert.from(Formats.xml(FormatsTest.ORDER, "order")).to(Formats.json(FormatsTest.ORDER)).named("xml-to-json"));

    PAssert.that(json.output().apply(MapElements.into(TypeDescriptors.strings()).via(b -> new String(b, StandardCharsets.UTF_8))))
        .containsInAnyOrder(new String(Formats.json(FormatsTest.ORDER).encode(FormatsTest.ORDER_ROW), StandardCharsets.UTF_8));
    PAssert.that(json.failures().apply("reasons", MapElements.into(TypeDescriptors.strings())
            .via(r -> r.getString("step") + ": " + r.getString("error").split(":")[0])))
        .containsInAnyOrder("xml-to-json: malformed XML", "xml-to-json: required field 'quantity' is missing or empty");
    pipeline.run().waitUntilFinish();
  }
}
