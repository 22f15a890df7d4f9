package dev.streamtemplates.transforms.time;

import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Duration;

/**
 * Takes rows out of the windows a step grouped them in, so that the next step treats them as
 * plain events in event time: the global window, the default trigger, each row keeping its
 * timestamp. Every windowed step's output goes through this, so any step may follow any other
 * (a stateful step keeps its per-key state across them; a Flatten with other inputs agrees).
 */
public final class Rewindow {
  private Rewindow() {}

  /** {@code rows} in the global window with the default trigger; unchanged if they already are. */
  public static PCollection<Row> toGlobal(PCollection<Row> rows, String name) {
    if (rows.getWindowingStrategy().getWindowFn() instanceof GlobalWindows
        && rows.getWindowingStrategy().getTrigger() instanceof DefaultTrigger) {
      return rows;
    }
    return rows
        .apply(name, Window.<Row>into(new GlobalWindows()).triggering(DefaultTrigger.of())
            .withAllowedLateness(Duration.ZERO).discardingFiredPanes())
        .setRowSchema(rows.getSchema());
  }
}
