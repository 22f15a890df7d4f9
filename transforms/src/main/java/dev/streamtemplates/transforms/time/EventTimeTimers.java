package dev.streamtemplates.transforms.time;

import dev.streamtemplates.transforms.core.RunnerCapabilities;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.values.PCollection;

/**
 * Where event-time timers are missing: the Spark runner has none in streaming mode (Beam's own
 * runner test exclusions), and its bundle says so ({@link RunnerCapabilities}). Transforms that
 * need them call {@link #require} when the pipeline is built, so the job is refused with a
 * message instead of running wrong.
 */
public final class EventTimeTimers {
  private EventTimeTimers() {}

  /** Whether the pipeline of {@code inputs} runs in streaming mode on a runner without event-time timers there. */
  public static boolean missing(PCollection<?>... inputs) {
    PipelineOptions options = inputs[0].getPipeline().getOptions();
    boolean streaming = options.as(StreamingOptions.class).isStreaming();
    for (PCollection<?> input : inputs) {
      streaming |= input.isBounded() == PCollection.IsBounded.UNBOUNDED;
    }
    return streaming && !options.as(RunnerCapabilities.class).getEventTimeTimersInStreaming();
  }

  /**
   * Refuses the pipeline where event-time timers are missing.
   *
   * @param what what needs them, e.g. {@code "the interval join needs"}; the message goes on
   *     {@code " event-time timers, which the Spark runner does not support in streaming mode"}
   */
  public static void require(String what, PCollection<?>... inputs) {
    if (missing(inputs)) {
      throw new IllegalArgumentException(what + " event-time timers, which the Spark runner does not support in streaming mode;"
          + " run it on Direct or Flink, or run Spark in batch");
    }
  }
}
