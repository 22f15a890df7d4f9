package dev.streamtemplates.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;

import dev.streamtemplates.transforms.aggregate.Aggregation;
import dev.streamtemplates.transforms.aggregate.WindowedAggregate;
import dev.streamtemplates.transforms.aggregate.Windowing;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.runners.spark.SparkPipelineOptions;
import org.apache.beam.runners.spark.SparkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;

/**
 * {@code emit: {every: N}} on Spark in streaming mode: Beam's Spark runner runs count triggers
 * there (its own {@code CreateStreamTest.testDiscardingMode} fires {@code
 * AfterPane.elementCountAtLeast(2)} early), so it is not refused. A trigger is checked once per
 * micro-batch, so "every N" is "at least N since the last row": two events in one batch give one
 * EARLY row. The expected rows are those of Direct for the same arrivals ({@code EmitTest}).
 */
public class SparkStreamingEmitTest {
  static final Schema SALE = Schema.builder().addStringField("store").addDoubleField("amount").build();
  static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

  static TimestampedValue<Row> sale(double amount, int second) {
    return TimestampedValue.of(Row.withSchema(SALE).addValues("s1", amount).build(), new Instant(second * 1000L));
  }

  @Test
  public void everyTwoEventsGivesEarlyRowsPerMicroBatchThenTheOnTimeRow() {
    SparkPipelineOptions options = PipelineOptionsFactory.as(SparkPipelineOptions.class);
    options.setRunner(SparkRunner.class);
    options.setSparkMaster("local[2]");
    options.setStreaming(true);
    Pipeline pipeline = Pipeline.create(options);
    TestStream<Row> sales = TestStream.create(SALE)
        .advanceWatermarkTo(new Instant(0))
        .addElements(sale(1.0, 5), sale(2.0, 10)) // one batch, 2 events: EARLY 3.0 (2)
        .addElements(sale(3.0, 15))               // 1 since: nothing
        .addElements(sale(4.0, 20))               // 2 since: EARLY 10.0 (4)
        .advanceWatermarkToInfinity();            // ON_TIME 10.0 (4)
    SEEN.clear();
    pipeline.apply(sales)
        .apply(WindowedAggregate.perKey("store").withWindowing(Windowing.tumbling(Duration.standardMinutes(1)))
            .withAggregations(Aggregation.of("sum", "amount").as("total"), Aggregation.count().as("n"))
            .withEarlyFiringsEvery(2))
        .output().apply("Collect", ParDo.of(new CollectFn()));
    // A Spark streaming job does not end by itself: wait for the results (bounded), then stop it.
    org.apache.beam.sdk.PipelineResult run = pipeline.run();
    long deadline = System.currentTimeMillis() + 90_000;
    while (SEEN.size() < 3 && System.currentTimeMillis() < deadline) {
      run.waitUntilFinish(org.joda.time.Duration.millis(500));
    }
    run.waitUntilFinish(org.joda.time.Duration.standardSeconds(2));
    try {
      run.cancel();
    } catch (java.io.IOException | UnsupportedOperationException e) {
      // already stopped
    }
    assertThat(SEEN, containsInAnyOrder("3.0 2 EARLY", "10.0 4 EARLY", "10.0 4 ON_TIME"));
  }

  static final class CollectFn extends DoFn<Row, Void> {
    @ProcessElement
    public void process(@Element Row row) {
      SEEN.add(row.getDouble("total") + " " + row.getInt64("n") + " " + row.getString("pane"));
    }
  }
}
