package dev.streamtemplates.transforms.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
