package dev.streamtemplates.transforms.aggregate;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

/**
 * Top-N per window, largest or smallest first, and per partition ({@code ROW_NUMBER() OVER
 * (PARTITION BY ...)}), with the tie and null rules of {@link Ranking}.
 */
public class RankingTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema BID = Schema.builder().addDoubleField("price").addStringField("item").addStringField("supplier_id").build();

  static TimestampedValue<Row> bid(String hhmm, double price, String item, String supplier) {
    return TimestampedValue.of(Row.withSchema(BID).addValues(price, item, supplier).build(), Instant.parse("2020-04-15T" + hhmm + ":00Z"));
  }

  static PCollection<String> ranks(PCollection<Row> rows, String name, String... keys) {
    return rows.apply(name, MapElements.into(TypeDescriptors.strings()).via(r -> {
      StringBuilder line = new StringBuilder(r.getDateTime("windowStart").toString().substring(11, 16) + " #" + r.getInt32("rank"));
      for (String key : keys) {
        line.append(' ').append(r.getString(key));
      }
      return line.append(' ').append(r.getValue("total") == null ? "null" : r.getDouble("total").toString()).toString();
    }));
  }

  @Test
  public void largestAndSmallestPerWindowAsFlinkSqlWindowTopNDocuments() {
    // The Bid table of Flink 1.19's "Window Top-N" page, in arrival order as listed there.
    TestStream<Row> bids = TestStream.create(BID)
        .addElements(bid("08:05", 4, "A", "supplier1"), bid("08:06", 4, "C", "supplier2"), bid("08:07", 2, "G", "supplier1"),
            bid("08:08", 2, "B", "supplier3"), bid("08:09", 5, "D", "supplier4"), bid("08:11", 2, "B", "supplier3"),
            bid("08:13", 1, "E", "supplier1"), bid("08:15", 3, "H", "supplier2"), bid("08:17", 6, "F", "supplier5"))
        .advanceWatermarkToInfinity();
    PCollection<Row> input = pipeline.apply(bids);
    WindowedAggregate perSupplier = WindowedAggregate.perKey("supplier_id")
        .withWindowing(Windowing.tumbling(Duration.standardMinutes(10)))
        .withAggregations(Aggregation.of("sum", "price").as("total"), Aggregation.count().as("cnt"));
    // Flink's answer for ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) <= 3.
    PAssert.that(ranks(input.apply("largest", perSupplier.withRanking(Ranking.largest(3, "total"))).output(), "desc", "supplier_id"))
        .containsInAnyOrder(
            "08:00 #1 supplier1 6.0", "08:00 #2 supplier4 5.0", "08:00 #3 supplier2 4.0",
            "08:10 #1 supplier5 6.0", "08:10 #2 supplier2 3.0", "08:10 #3 supplier3 2.0");
    // ORDER BY price ASC, by hand: 08:00 totals supplier1 6, supplier2 4, supplier3 2, supplier4 5;
    // 08:10 totals supplier3 2, supplier1 1, supplier2 3, supplier5 6.
    PAssert.that(ranks(input.apply("smallest", perSupplier.withRanking(Ranking.smallest(3, "total"))).output(), "asc", "supplier_id"))
        .containsInAnyOrder(
            "08:00 #1 supplier3 2.0", "08:00 #2 supplier2 4.0", "08:00 #3 supplier4 5.0",
            "08:10 #1 supplier1 1.0", "08:10 #2 supplier3 2.0", "08:10 #3 supplier2 3.0");
    pipeline.run().waitUntilFinish();
  }

  static final Schema SALE = Schema.builder().addStringField("store").addStringField("product").addNullableField("amount", FieldType.DOUBLE).build();

  static TimestampedValue<Row> sale(String store, String product, Double amount, long second) {
    return TimestampedValue.of(Row.withSchema(SALE).addValues(store, product, amount).build(), new Instant(second * 1000));
  }

  @Test
  public void topNPerPartitionBreaksTiesByTheRowsTextAndPutsNullsLast() {
    // One minute. Store A: apple 10 + 5 = 15, pear 15, fig 20, kiwi null (a sum of no values). Store B: apple 3, plum 7.
    TestStream<Row> sales = TestStream.create(SALE)
        .addElements(sale("A", "pear", 15.0, 1), sale("A", "apple", 10.0, 2), sale("B", "plum", 7.0, 3), sale("A", "kiwi", null, 4))
        .addElements(sale("A", "fig", 20.0, 5), sale("A", "apple", 5.0, 6), sale("B", "apple", 3.0, 7))
        .advanceWatermarkToInfinity();
    PCollection<Row> input = pipeline.apply(sales);
    WindowedAggregate perProduct = WindowedAggregate.perKey("store", "product")
        .withWindowing(Windowing.tumbling(Duration.standardMinutes(1)))
        .withAggregations(Aggregation.of("sum", "amount").as("total"));
    // DESC per store: A fig 20, then apple and pear tie at 15 and "[A, apple, ..." sorts before "[A, pear, ...".
    PAssert.that(ranks(input.apply("best", perProduct.withRanking(Ranking.largest(2, "total").per("store"))).output(), "best ranks", "store", "product"))
        .containsInAnyOrder("00:00 #1 A fig 20.0", "00:00 #2 A apple 15.0", "00:00 #1 B plum 7.0", "00:00 #2 B apple 3.0");
    // ASC per store, three each: kiwi's null comes after every value (NULLS LAST), not first.
    PAssert.that(ranks(input.apply("worst", perProduct.withRanking(Ranking.smallest(3, "total").per("store"))).output(), "worst ranks", "store", "product"))
        .containsInAnyOrder("00:00 #1 A apple 15.0", "00:00 #2 A pear 15.0", "00:00 #3 A fig 20.0", "00:00 #1 B apple 3.0", "00:00 #2 B plum 7.0");
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void aRankingThatCannotBeMeantIsRefusedNamingWhy() {
    PCollection<Row> input = pipeline.apply(TestStream.create(SALE).advanceWatermarkToInfinity());
    WindowedAggregate perProduct = WindowedAggregate.perKey("store", "product").withAggregations(Aggregation.of("sum", "amount").as("total"));
    String per = assertThrows(IllegalArgumentException.class, () -> input.apply("per", perProduct
        .withWindowing(Windowing.tumbling(Duration.standardMinutes(1))).withRanking(Ranking.largest(2, "total").per("amount")))).getMessage();
    assertThat(per, containsString("top: per [amount] must be key fields"));
    String sessions = assertThrows(IllegalArgumentException.class, () -> input.apply("sessions", perProduct
        .withWindowing(Windowing.sessions(Duration.standardMinutes(5))).withTopN(2, "total"))).getMessage();
    assertThat(sessions, containsString("top ranks the keys of one window, so it needs tumbling, sliding or calendar windows"));
    String panes = assertThrows(IllegalArgumentException.class, () -> input.apply("panes", perProduct
        .withWindowing(Windowing.tumbling(Duration.standardMinutes(1))).withTopN(2, "total").withEarlyFiringsEvery(10))).getMessage();
    assertThat(panes, containsString("top ranks each window's final result"));
    String by = assertThrows(IllegalArgumentException.class, () -> input.apply("by", perProduct
        .withWindowing(Windowing.tumbling(Duration.standardMinutes(1))).withTopN(2, "sum"))).getMessage();
    assertThat(by, containsString("top: by 'sum' is not an aggregate; aggregates are [total]"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
