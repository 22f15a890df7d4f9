package dev.streamtemplates.benchmarks.nexmark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The indices {@code 0 .. events-1} as an unbounded source that ends: split {@code n} ways, split
 * {@code k} reads {@code k, k+n, k+2n, ...} at up to {@code ratePerSecond / n} indices per second of
 * processing time. Index {@code i}'s timestamp, and the split's watermark after it, is the
 * event's nominal time less the out-of-order bound (never after the event's own time, never
 * decreasing); after its last index a split's watermark is the end of time, which is how a runner
 * (Flink's unbounded source reader, the Direct runner) knows the stream is over.
 *
 * <p>Beam's {@code GenerateSequence.to(n).withRate(...)} would do, but with a record limit it is
 * read as a bounded source, which on Flink in streaming mode holds the watermark back until the
 * end: that would not be streaming.
 */
final class UnboundedIndices extends UnboundedSource<Long, UnboundedIndices.Mark> {
  private static final long serialVersionUID = 1L;

  private final NexmarkGenerator generator;
  private final long ratePerSecond;
  private final int split;
  private final int splits;

  UnboundedIndices(GeneratorConfig config, long ratePerSecond) {
    this(new NexmarkGenerator(config), ratePerSecond, 0, 1);
  }

  private UnboundedIndices(NexmarkGenerator generator, long ratePerSecond, int split, int splits) {
    this.generator = generator;
    this.ratePerSecond = ratePerSecond;
    this.split = split;
    this.splits = splits;
  }

  /** The next index a split will read. */
  record Mark(long next) implements UnboundedSource.CheckpointMark, Serializable {
    @Override
    public void finalizeCheckpoint() {}
  }

  @Override
  public List<UnboundedIndices> split(int desiredNumSplits, PipelineOptions options) {
    int n = Math.max(1, desiredNumSplits);
    List<UnboundedIndices> out = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      out.add(new UnboundedIndices(generator, ratePerSecond, k, n));
    }
    return out;
  }

  @Override
  public UnboundedReader<Long> createReader(PipelineOptions options, @Nullable Mark mark) {
    return new Reader(this, mark == null ? split : mark.next());
  }

  @Override
  public Coder<Mark> getCheckpointMarkCoder() {
    return SerializableCoder.of(Mark.class);
  }

  @Override
  public Coder<Long> getOutputCoder() {
    return VarLongCoder.of();
  }

  private static final class Reader extends UnboundedReader<Long> {
    private final UnboundedIndices source;
    private long next;
    private long current = -1;
    private long startNanos;
    private long readSinceStart;

    Reader(UnboundedIndices source, long next) {
      this.source = source;
      this.next = next;
    }

    @Override
    public boolean start() {
      startNanos = System.nanoTime();
      return advance();
    }

    @Override
    public boolean advance() {
      if (next >= source.generator.config().events()) {
        current = -1;
        return false;
      }
      // Rate limit: no more than rate/splits indices per second since this reader started.
      double allowed = (System.nanoTime() - startNanos) / 1e9 * source.ratePerSecond / source.splits;
      if (readSinceStart >= allowed + 1) {
        return false;
      }
      current = next;
      next += source.splits;
      readSinceStart++;
      return true;
    }

    @Override
    public Long getCurrent() {
      if (current < 0) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      return new Instant(lowerBound(getCurrent()));
    }

    private long lowerBound(long i) {
      return source.generator.nominalMillis(i) - source.generator.config().maxOutOfOrderMillis();
    }

    @Override
    public Instant getWatermark() {
      if (next >= source.generator.config().events()) {
        return BoundedWindow.TIMESTAMP_MAX_VALUE;
      }
      return new Instant(lowerBound(next) - 1);
    }

    @Override
    public CheckpointMark getCheckpointMark() {
      return new Mark(next);
    }

    @Override
    public UnboundedIndices getCurrentSource() {
      return source;
    }

    @Override
    public void close() {}
  }
}
