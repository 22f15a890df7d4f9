package dev.streamtemplates.transforms.core;

import static org.junit.Assert.assertEquals;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.junit.Test;

/**
 * Counters read after a Direct run are complete: the count of records through a step equals the
 * records sent, run after run, with the work spread over many bundles and threads.
 */
public class CountersTest {
  static final class CountFn extends DoFn<Integer, Integer> {
    private final Counter seen = Metrics.counter("records", "seen");

    @ProcessElement
    public void process(@Element Integer n, OutputReceiver<Integer> out) {
      seen.inc();
      out.output(n);
    }
  }

  @Test
  public void everyBundlesCountsAreInTheTotal() {
    java.util.List<Integer> numbers = new java.util.ArrayList<>();
    for (int i = 0; i < 500; i++) {
      numbers.add(i);
    }
    for (int run = 0; run < 3; run++) {
      Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
      pipeline.apply(Create.of(numbers)).apply(Reshuffle.viaRandomKey()).apply(ParDo.of(new CountFn()));
      PipelineResult result = pipeline.run();
      result.waitUntilFinish();
      assertEquals("run " + run, 500L, Counters.total(result, "records", "seen"));
    }
  }
}
