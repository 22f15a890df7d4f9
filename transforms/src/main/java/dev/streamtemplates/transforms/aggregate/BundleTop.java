package dev.streamtemplates.transforms.aggregate;

import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;

/**
 * Keeps, within a bundle, only the best {@code n} rows of each key and window, for Beam's {@code
 * Top.perKey} after it. {@code Top} is a combine, and runners combine partially before the
 * shuffle, but Flink's batch runner does it by serializing every input record into a sort buffer
 * and sorting it (its chained combine driver): a sliding ranking has one row per key, window and
 * slide (8.4 million for {@code top-n-spenders} over an hour), and that sort took half of the job
 * (JFR). Here the rows that cannot be in their group's top {@code n} are dropped on the spot.
 *
 * <p>Correct for any bundling: {@code Top} still ranks what comes out, and a row dropped here has
 * {@code n} rows of its own group and bundle that rank before it (the order is total). Kept rows
 * keep their timestamps and windows. Memory is bounded: past {@value #MAX_GROUPS} groups in a
 * bundle, the rows of further groups pass through as they are. For bounded input only: in streaming,
 * rows held to the end of a bundle would be emitted after the watermark that the runner may
 * already have passed on (not checked on every runner), and a streaming bundle is small anyway.
 */
final class BundleTop<K> extends DoFn<KV<K, Row>, KV<K, Row>> {
  static final int MAX_GROUPS = 10_000;

  private final int n;
  private final Comparator<Row> order;
  private final int maxGroups;
  private transient Map<KV<BoundedWindow, K>, PriorityQueue<TimestampedValue<Row>>> held;

  BundleTop(int n, Comparator<Row> order) {
    this(n, order, MAX_GROUPS);
  }

  BundleTop(int n, Comparator<Row> order, int maxGroups) {
    this.n = n;
    this.order = order;
    this.maxGroups = maxGroups;
  }

  @StartBundle
  public void start() {
    held = new HashMap<>();
  }

  @ProcessElement
  public void process(@Element KV<K, Row> row, @Timestamp Instant timestamp, BoundedWindow window, OutputReceiver<KV<K, Row>> out) {
    KV<BoundedWindow, K> group = KV.of(window, row.getKey());
    PriorityQueue<TimestampedValue<Row>> top = held.get(group);
    if (top == null) {
      if (held.size() >= maxGroups) {
        out.output(row); // memory is full: this group's rows pass as they are
        return;
      }
      // The head is the row that ranks last, the first to go.
      top = new PriorityQueue<>(n + 1, (a, b) -> order.compare(a.getValue(), b.getValue()));
      held.put(group, top);
    }
    if (top.size() < n) {
      top.add(TimestampedValue.of(row.getValue(), timestamp));
    } else if (order.compare(row.getValue(), top.peek().getValue()) > 0) {
      top.poll();
      top.add(TimestampedValue.of(row.getValue(), timestamp));
    }
  }

  @FinishBundle
  public void finish(FinishBundleContext context) {
    for (Map.Entry<KV<BoundedWindow, K>, PriorityQueue<TimestampedValue<Row>>> entry : held.entrySet()) {
      for (TimestampedValue<Row> row : entry.getValue()) {
        context.output(KV.of(entry.getKey().getValue(), row.getValue()), row.getTimestamp(), entry.getKey().getKey());
      }
    }
    held.clear();
  }
}
