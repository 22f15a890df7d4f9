package dev.streamtemplates.transforms.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * A finished run's counters, read once they are final. The Direct runner merges each finished
 * bundle's counters into the job's on a thread of its own ({@code DirectMetrics}), so a query
 * right after {@code waitUntilFinish} can miss the last bundles (a CI run read 0 of a step's 2
 * alerts, and the launcher's balance line reads the same way); there they are read again until two
 * reads 100 ms apart agree, for at most 5 s. Other runners' counters are final when the run is.
 */
public final class Counters {
  private Counters() {}

  static final long PAUSE_MILLIS = 100;
  static final int MAX_READS = 50;

  /** Every counter of the run, attempted values, once they have settled. */
  public static List<MetricResult<Long>> settled(PipelineResult result) {
    List<MetricResult<Long>> last = read(result);
    if (!result.getClass().getName().startsWith("org.apache.beam.runners.direct.")) {
      return last;
    }
    for (int i = 0; i < MAX_READS; i++) {
      try {
        Thread.sleep(PAUSE_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return last;
      }
      List<MetricResult<Long>> now = read(result);
      if (values(now).equals(values(last))) {
        return now;
      }
      last = now;
    }
    return last;
  }

  /** The total of the counters named {@code name} in {@code namespace}, once settled. */
  public static long total(PipelineResult result, String namespace, String name) {
    long total = 0;
    for (MetricResult<Long> counter : settled(result)) {
      if (namespace.equals(counter.getName().getNamespace()) && name.equals(counter.getName().getName())) {
        total += counter.getAttempted();
      }
    }
    return total;
  }

  /** The counter a GroupByKey increments for what it drops as too late (runners-core: droppedDueToLateness; Direct: DroppedDueToLateness). */
  public static final String DROPPED_DUE_TO_LATENESS = "droppedDueToLateness";

  /**
   * The events the runner's GroupByKeys dropped as too late, per step (the first part of the
   * transform's name), from a run's counters: those no step saw, so with no dead letter. Exact for
   * tumbling, calendar and session windows (the aggregation's own GroupByKey reports what it can
   * and drops what is later still). With sliding windows the runner counts an event once per
   * window it leaves it out of, in the aggregation's GroupByKey beside the late-event one, which
   * may also have reported it: there the count is of drops, not of events (docs/bad-input.md).
   */
  public static Map<String, Long> droppedLate(List<MetricResult<Long>> counters) {
    Map<String, Long> dropped = new TreeMap<>();
    for (MetricResult<Long> counter : counters) {
      Long value = counter.getAttempted();
      if (!DROPPED_DUE_TO_LATENESS.equalsIgnoreCase(counter.getName().getName()) || value == null || value <= 0) {
        continue;
      }
      String stepName = counter.getKey().stepName();
      dropped.merge(stepName.contains("/") ? stepName.substring(0, stepName.indexOf('/')) : stepName, value, Long::sum);
    }
    return dropped;
  }

  private static List<MetricResult<Long>> read(PipelineResult result) {
    List<MetricResult<Long>> counters = new ArrayList<>();
    result.metrics().queryMetrics(MetricsFilter.builder().build()).getCounters().forEach(counters::add);
    return counters;
  }

  private static List<String> values(List<MetricResult<Long>> counters) {
    List<String> values = new ArrayList<>(counters.size());
    for (MetricResult<Long> counter : counters) {
      values.add(counter.getKey() + "=" + Objects.toString(counter.getAttempted()));
    }
    values.sort(null);
    return values;
  }
}
