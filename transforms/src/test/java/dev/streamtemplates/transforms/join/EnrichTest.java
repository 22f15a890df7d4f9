package dev.streamtemplates.transforms.join;

import dev.streamtemplates.transforms.core.Result;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

public class EnrichTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema TWEET = Schema.builder().addStringField("id").addStringField("company").build();
  static final Schema PRICE = Schema.builder().addStringField("symbol").addNullableField("price", FieldType.DOUBLE).build();

  static TimestampedValue<Row> tweet(String id, String company, long seconds) {
    return TimestampedValue.of(Row.withSchema(TWEET).addValues(id, company).build(), new Instant(seconds * 1000));
  }

  static TimestampedValue<Row> price(String symbol, Double price, long seconds) {
    return TimestampedValue.of(Row.withSchema(PRICE).addValues(symbol, price).build(), new Instant(seconds * 1000));
  }

  static PCollection<String> summary(PCollection<Row> rows) {
    return rows.apply("summary", MapElements.into(TypeDescriptors.strings()).via(r ->
        r.getString("id") + "=" + (r.getRow("value") == null ? "none" : String.valueOf(r.getRow("value").getDouble("price")))));
  }

  @Test
  public void eachEventSeesTheLatestValueAsOfItsTimeAndTombstonesDelete() {
    TestStream<Row> tweets = TestStream.create(TWEET)
        .addElements(tweet("t20", "ACME", 20), tweet("t40", "ACME", 40))
        .addElements(tweet("t60", "ACME", 60), tweet("t5", "ACME", 5))
        .advanceWatermarkToInfinity();
    TestStream<Row> prices = TestStream.create(PRICE)
        .addElements(price("ACME", 110.0, 30))               // arrives first, but is later in event time
        .addElements(price("ACME", 100.0, 10))
        .addElements(price("ACME", null, 50))                // tombstone
        .advanceWatermarkToInfinity();
    Result enriched = pipeline.apply("tweets", tweets)
        .apply("enrich", Enrich.fromChangelog(pipeline.apply("prices", prices), "symbol").withKey("company"));
    PAssert.that(summary(enriched.output())).containsInAnyOrder("t5=none", "t20=100.0", "t40=110.0", "t60=none");
    PAssert.that(enriched.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void anEventWithoutValueCanWaitUpToABoundForTheFirstOne() {
    TestStream<Row> tweets = TestStream.create(TWEET)
        .addElements(tweet("new", "NEWCO", 0), tweet("never", "GHOST", 0), tweet("slow", "SLOWCO", 0))
        .advanceWatermarkToInfinity();
    TestStream<Row> prices = TestStream.create(PRICE)
        .addElements(price("NEWCO", 5.0, 20), price("SLOWCO", 7.0, 45))   // NEWCO within 30 s; SLOWCO too late
        .advanceWatermarkToInfinity();
    Result enriched = pipeline.apply("tweets", tweets)
        .apply("enrich", Enrich.fromChangelog(pipeline.apply("prices", prices), "symbol").withKey("company").waitingUpTo(Duration.standardSeconds(30)));
    PAssert.that(summary(enriched.output())).containsInAnyOrder("new=5.0", "never=none", "slow=none");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void aStaticLookupTableEnrichesWithoutEventTime() {
    PCollection<Row> tweets = pipeline.apply("tweets", Create.timestamped(tweet("a", "ACME", 1), tweet("b", "NOPE", 2)).withCoder(org.apache.beam.sdk.schemas.SchemaCoder.of(TWEET))).setRowSchema(TWEET);
    PCollection<Row> table = pipeline.apply("table", Create.of(Row.withSchema(PRICE).addValues("ACME", 42.0).build()).withRowSchema(PRICE));
    PAssert.that(summary(tweets.apply("enrich", Enrich.fromLookup(table, "symbol").withKey("company")).output())).containsInAnyOrder("a=42.0", "b=none");
    pipeline.run().waitUntilFinish();
  }
}
