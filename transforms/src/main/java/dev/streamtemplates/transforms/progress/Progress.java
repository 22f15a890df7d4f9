package dev.streamtemplates.transforms.progress;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.metrics.Metrics;

/**
 * Live counts of a run, readable while it runs: the records each source read, each sink wrote and
 * each step dead-lettered, by the same names as their Beam counters ({@code records/<name>-records},
 * {@code records/<name>-written}, {@code dead-letter/<step>}).
 *
 * <p>Beam's metrics can only be read from a {@code PipelineResult}, and the embedded runners
 * (Direct, Flink {@code [local]}, Spark {@code local[*]}) block in {@code run()} until the end; so
 * the counters that the launcher's progress line needs are also kept here, in one {@link LongAdder}
 * per name in this JVM. A {@link #counter} is a Beam {@link Counter} that increments both; the
 * DoFn holds it in a field and finds its adder once per DoFn instance, so a record costs one
 * {@code LongAdder.increment()} more, no map lookup.
 *
 * <p>On a remote cluster the workers are other JVMs: their increments land in their own registry,
 * which nobody reads, and the launcher shows no progress (the end-of-run account comes from Beam's
 * metrics, as before). Launches in one JVM run one after another; {@link #reset} zeroes the counts
 * at the start of each.
 */
public final class Progress {
  private static final ConcurrentHashMap<String, LongAdder> COUNTS = new ConcurrentHashMap<>();
  private static volatile boolean watched;

  private Progress() {}

  /** A Beam counter {@code namespace/name} whose increments are also counted here, under the same name. */
  public static Counter counter(String namespace, String name) {
    return new Counted(Metrics.counter(namespace, name), key(namespace, name));
  }

  /** The count of {@code namespace/name} in this JVM since the last {@link #reset}; 0 if never counted. */
  public static long value(String namespace, String name) {
    LongAdder adder = COUNTS.get(key(namespace, name));
    return adder == null ? 0 : adder.sum();
  }

  /** The sum of every count in {@code namespace} since the last {@link #reset}. */
  public static long total(String namespace) {
    String prefix = namespace + "/";
    long sum = 0;
    for (java.util.Map.Entry<String, LongAdder> count : COUNTS.entrySet()) {
      if (count.getKey().startsWith(prefix)) {
        sum += count.getValue().sum();
      }
    }
    return sum;
  }

  /** Zeroes every count; the adders stay, so counters already holding one keep counting into it. */
  public static void reset() {
    COUNTS.values().forEach(LongAdder::reset);
  }

  /** Whether a launcher in this JVM shows these counts; DoFns that log their own progress stay quiet then. */
  public static boolean watched() {
    return watched;
  }

  /** Set by the launcher while it shows the counts. */
  public static void watched(boolean value) {
    watched = value;
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  private static LongAdder adder(String key) {
    return COUNTS.computeIfAbsent(key, k -> new LongAdder());
  }

  /** Beam's counter and this JVM's adder; serialized with its DoFn, the adder found again after. */
  private static final class Counted implements Counter {
    private static final long serialVersionUID = 1L;
    private final Counter beam;
    private final String key;
    private transient LongAdder adder;

    Counted(Counter beam, String key) {
      this.beam = beam;
      this.key = key;
    }

    private LongAdder adder() {
      LongAdder found = adder;
      if (found == null) {
        found = Progress.adder(key);
        adder = found;
      }
      return found;
    }

    @Override
    public void inc() {
      beam.inc();
      adder().increment();
    }

    @Override
    public void inc(long n) {
      beam.inc(n);
      adder().add(n);
    }

    @Override
    public void dec() {
      beam.dec();
      adder().decrement();
    }

    @Override
    public void dec(long n) {
      beam.dec(n);
      adder().add(-n);
    }

    @Override
    public MetricName getName() {
      return beam.getName();
    }
  }
}
