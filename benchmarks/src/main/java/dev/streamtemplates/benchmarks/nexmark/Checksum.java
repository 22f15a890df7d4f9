package dev.streamtemplates.benchmarks.nexmark;

import java.io.Serializable;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/**
 * The benchmark's sink: counts the results and adds up a digest of each (an order-free
 * checksum, modulo 2^64), in two counters of a namespace unique to the run. Both contestants of a
 * query digest the same values of a result the same way, so equal counts and checksums mean equal
 * outputs (up to a hash collision).
 */
public final class Checksum<T> extends PTransform<PCollection<T>, PDone> {
  public static final String ROWS = "rows";
  public static final String SUM = "checksum";

  /** A result's digest; {@code window} for results whose window is not in the value. */
  public interface Digest<T> extends Serializable {
    long of(T value, BoundedWindow window);
  }

  private final String namespace;
  private final Digest<T> digest;

  private Checksum(String namespace, Digest<T> digest) {
    this.namespace = namespace;
    this.digest = digest;
  }

  public static <T> Checksum<T> of(String namespace, Digest<T> digest) {
    return new Checksum<>(namespace, digest);
  }

  @Override
  public PDone expand(PCollection<T> input) {
    input.apply("Count and digest", ParDo.of(new ChecksumFn<>(namespace, digest)));
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

  private static final class ChecksumFn<T> extends DoFn<T, Void> {
    private final Counter rows;
    private final Counter sum;
    private final Digest<T> digest;
    private transient long bundleRows;
    private transient long bundleSum;

    ChecksumFn(String namespace, Digest<T> digest) {
      this.rows = Metrics.counter(namespace, ROWS);
      this.sum = Metrics.counter(namespace, SUM);
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
      rows.inc(bundleRows);
      sum.inc(bundleSum);
    }
  }
}
