package dev.streamtemplates.pipelines.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.ReadableFileCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * The non-blank lines of files as raw bytes, ended by {@code \n} or {@code \r\n}, read in byte
 * ranges spread over the workers: a file of {@code 100 MB} is read by every worker at once, not by
 * one.
 *
 * <p>Written by hand because Beam's line readers (TextIO) only hand out decoded strings, and decode
 * UTF-8 leniently (an invalid byte becomes U+FFFD), so a corrupt line would be read as an altered
 * record instead of reaching the record reader, which dead-letters it. The ranges follow TextIO's
 * rule: a line belongs to the range in which its first byte lies, so every line is read exactly once
 * whatever the range boundaries. Compressed files, and files that cannot be read from an offset,
 * are one range.
 */
final class LineRanges extends PTransform<PCollection<FileIO.ReadableFile>, PCollection<byte[]>> {
  /** Ranges of this size keep a 2-core machine busy on a 100 MB file and cost one seek each. */
  static final long DEFAULT_RANGE_BYTES = 8L << 20;

  private static final int BUFFER_BYTES = 64 << 10;

  private final long rangeBytes;

  LineRanges(long rangeBytes) {
    if (rangeBytes <= 0) {
      throw new IllegalArgumentException("rangeBytes must be > 0, got " + rangeBytes);
    }
    this.rangeBytes = rangeBytes;
  }

  @Override
  public PCollection<byte[]> expand(PCollection<FileIO.ReadableFile> files) {
    return files
        .apply("Split into ranges", ParDo.of(new SplitFn(rangeBytes)))
        .setCoder(KvCoder.of(ReadableFileCoder.of(), KvCoder.of(VarLongCoder.of(), VarLongCoder.of())))
        .apply("Spread ranges", Reshuffle.viaRandomKey())
        .apply("Read lines", ParDo.of(new ReadFn()))
        .setCoder(ByteArrayCoder.of());
  }

  /** [start, end) offsets of the ranges of a file of {@code size} bytes; one empty range for an empty file. */
  static List<long[]> ranges(long size, long rangeBytes) {
    List<long[]> ranges = new ArrayList<>();
    long start = 0;
    do {
      long end = Math.min(size, start + rangeBytes);
      ranges.add(new long[] {start, end});
      start = end;
    } while (start < size);
    return ranges;
  }

  private static final class SplitFn extends DoFn<FileIO.ReadableFile, KV<FileIO.ReadableFile, KV<Long, Long>>> {
    private final long rangeBytes;

    SplitFn(long rangeBytes) {
      this.rangeBytes = rangeBytes;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, OutputReceiver<KV<FileIO.ReadableFile, KV<Long, Long>>> out) {
      boolean seekable = file.getCompression() == Compression.UNCOMPRESSED && file.getMetadata().isReadSeekEfficient();
      if (!seekable) {
        out.output(KV.of(file, KV.of(0L, Long.MAX_VALUE)));
        return;
      }
      for (long[] range : ranges(file.getMetadata().sizeBytes(), rangeBytes)) {
        out.output(KV.of(file, KV.of(range[0], range[1])));
      }
    }
  }

  private static final class ReadFn extends DoFn<KV<FileIO.ReadableFile, KV<Long, Long>>, byte[]> {
    @ProcessElement
    public void process(@Element KV<FileIO.ReadableFile, KV<Long, Long>> range, OutputReceiver<byte[]> out) throws IOException {
      FileIO.ReadableFile file = range.getKey();
      long start = range.getValue().getKey();
      long end = range.getValue().getValue();
      if (start == 0) {
        try (InputStream in = Channels.newInputStream(file.open())) {
          read(in, 0, end, out::output);
        }
        return;
      }
      try (SeekableByteChannel channel = file.openSeekable()) {
        channel.position(start - 1);
        read(Channels.newInputStream(channel), start, end, out::output);
      }
    }
  }

  /**
   * Emits the non-blank lines whose first byte lies in [start, end). {@code in} is positioned at
   * offset {@code start - 1} (at 0 when {@code start} is 0): the byte before the range tells whether
   * a line starts at {@code start} or the range begins inside a line that the previous range reads.
   */
  static void read(InputStream in, long start, long end, Consumer<byte[]> out) throws IOException {
    byte[] buffer = new byte[BUFFER_BYTES];
    byte[] line = new byte[256];
    int lineLength = 0;
    boolean skipping = start > 0; // until the first '\n' at or after start - 1
    long offset = start > 0 ? start - 1 : 0; // of buffer[0]
    long lineStart = start;
    int read;
    while ((read = in.read(buffer)) > 0) {
      int i = 0;
      while (i < read) {
        if (skipping) {
          int newline = indexOf(buffer, i, read);
          if (newline < 0) {
            i = read;
            break;
          }
          skipping = false;
          lineStart = offset + newline + 1;
          i = newline + 1;
          continue;
        }
        if (lineLength == 0 && offset + i >= end) {
          return; // the next line starts in the next range
        }
        int newline = indexOf(buffer, i, read);
        if (newline < 0) {
          line = append(line, lineLength, buffer, i, read - i);
          lineLength += read - i;
          i = read;
          break;
        }
        if (lineLength == 0) {
          emit(buffer, i, newline, out);
        } else {
          line = append(line, lineLength, buffer, i, newline - i);
          lineLength += newline - i;
          emit(line, 0, lineLength, out);
          lineLength = 0;
        }
        lineStart = offset + newline + 1;
        i = newline + 1;
      }
      offset += read;
    }
    if (!skipping && lineLength > 0 && lineStart < end) {
      emit(line, 0, lineLength, out);
    }
  }

  private static int indexOf(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static byte[] append(byte[] line, int length, byte[] bytes, int from, int count) {
    if (length + count > line.length) {
      line = Arrays.copyOf(line, Math.max(line.length * 2, length + count));
    }
    System.arraycopy(bytes, from, line, length, count);
    return line;
  }

  /** Emits bytes [from, to) less a final {@code \r}, unless they are only spaces, tabs and {@code \r}. */
  private static void emit(byte[] bytes, int from, int to, Consumer<byte[]> out) {
    int end = to;
    if (end > from && bytes[end - 1] == '\r') {
      end--;
    }
    for (int i = from; i < end; i++) {
      if (bytes[i] != ' ' && bytes[i] != '\t' && bytes[i] != '\r') {
        out.accept(Arrays.copyOfRange(bytes, from, end));
        return;
      }
    }
  }
}
