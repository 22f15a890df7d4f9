package dev.streamtemplates.benchmarks.nexmark;

import java.io.Serializable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/**
 * The benchmark's sink: counts the results and adds up a digest of each (an order-free
 * checksum, modulo 2^64) into totals kept in this JVM under a run id unique to the run. Both
 * contestants of a query digest the same values of a result the same way, so equal counts and
 * checksums mean equal outputs (up to a hash collision).
 *
 * <p>The totals live in a static map, not in Beam metrics: the Direct runner's metrics, read
 * after {@code waitUntilFinish}, sometimes lack whole bundles. A static map is only correct where
 * the workers share the JVM of the caller, as they do on Direct, Flink {@code [local]} and Spark
 * {@code local[N]}, the only runners the benchmark drives.
 */
public final class Checksum<T> extends PTransform<PCollection<T>, PDone> {
  private static final ConcurrentHashMap<String, Totals> TOTALS = new ConcurrentHashMap<>();

  /** A result's digest; {@code window} for results whose window is not in the value. */
  public interface Digest<T> extends Serializable {
    long of(T value, BoundedWindow window);
  }

  /** Results and checksum counted under one run id. */
  public record Counts(long rows, long checksum) {}

  private final String runId;
  private final Digest<T> digest;

  private Checksum(String runId, Digest<T> digest) {
    this.runId = runId;
    this.digest = digest;
  }

  public static <T> Checksum<T> of(String runId, Digest<T> digest) {
    return new Checksum<>(runId, digest);
  }

  /** The counts under {@code runId} so far (zero if nothing was counted), and forgets them. */
  public static Counts take(String runId) {
    Totals totals = TOTALS.remove(runId);
    return totals == null ? new Counts(0, 0) : new Counts(totals.rows.sum(), totals.sum.sum());
  }

  /**
   * Adds a share of the results under {@code runId}: for sinks outside Beam (the native Flink SQL
   * contestant), which digest their results with the same functions.
   */
  public static void add(String runId, long rows, long checksum) {
    Totals totals = TOTALS.computeIfAbsent(runId, id -> new Totals());
    totals.rows.add(rows);
    totals.sum.add(checksum);
  }

  @Override
  public PDone expand(PCollection<T> input) {
    input.apply("Count and digest", ParDo.of(new ChecksumFn<>(runId, digest)));
    return PDone.in(input.getPipeline());
  }

  /** Mixes values into one digest (SplitMix64 steps): order matters within a result. */
  public static long mix(long... values) {
    long h = 0x9E3779B97F4A7C15L;
    for (long v : values) {
      h = (h ^ v) * 0xBF58476D1CE4E5B9L;
      h ^= h >>> 31;
    }
    return h;
  }

  private static final class Totals {
    final LongAdder rows = new LongAdder();
    final LongAdder sum = new LongAdder();
  }

  private static final class ChecksumFn<T> extends DoFn<T, Void> {
    private final String runId;
    private final Digest<T> digest;
    private transient long bundleRows;
    private transient long bundleSum;

    ChecksumFn(String runId, Digest<T> digest) {
      this.runId = runId;
      this.digest = digest;
    }

    @StartBundle
    public void start() {
      bundleRows = 0;
      bundleSum = 0;
    }

    @ProcessElement
    public void process(@Element T value, BoundedWindow window) {
      bundleRows++;
      bundleSum += digest.of(value, window);
    }

    @FinishBundle
    public void finish() {
      add(runId, bundleRows, bundleSum);
    }
  }
}
