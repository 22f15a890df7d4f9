package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.progress.Progress;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.file.DataFileConstants;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.SeekableInput;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.beam.sdk.extensions.avro.schemas.utils.AvroUtils;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Reads Avro container files block by block into Rows, turning every file or block that cannot be
 * read into a dead letter instead of a failed job or a silent loss.
 *
 * <p>Avro's {@link DataFileReader} reads the header, loads each block (decompressing it with the
 * file's codec and checking the sync marker after it) and finds the next sync marker after a bad
 * block ({@link DataFileReader#sync}). Two things it does not do are done here: it treats an end
 * of file inside a block as the clean end of the file ({@code hasNext()} swallows the
 * {@link EOFException}), which lost the rest of a truncated file with rc 0; and it trusts a
 * block's declared size (a damaged size allocates up to 2 GiB). So before each block its two
 * header numbers (record count, byte size) are read here with Avro's decoder and checked against
 * the file's length. A block is all or nothing: its records are decoded from the block's bytes
 * ({@link DataFileReader#nextBlock}) and must end exactly where the block ends, else the whole
 * block is one dead letter (file, byte offset, bytes skipped, records declared) and reading goes
 * on at the next sync marker.
 *
 * <p>The writer schema of each file (its header) is resolved against the reader schema (the spec's
 * {@code schema}) with {@link SchemaCompatibility}; a file that cannot be resolved is one dead
 * letter naming both schemas and the first incompatibility.
 *
 * <p>Each file is read by one call, from a seekable channel (streamed block by block, never held
 * whole in memory): unlike {@code AvroIO}, a single large file is not split between workers.
 *
 * <p>Counters: {@code records/<step>-records} rows read, {@code records/<step>-unread-records}
 * records declared by blocks that were dead-lettered (a lower bound when a damaged sync marker hid
 * the framing of the blocks after it), {@code dead-letter/<step>} dead letters.
 */
final class AvroContainerFiles extends DoFn<FileIO.ReadableFile, Row> {
  /** How much of an unreadable file or block a dead letter carries. */
  static final int PAYLOAD_BYTES = 1024;

  private static final int SYNC_SIZE = DataFileConstants.SYNC_SIZE;

  private final String readerAvsc;
  private final Schema schema;
  private final String step;
  private final TupleTag<Row> ok;
  private final TupleTag<Row> failed;
  private final Counter records;
  private final Counter unread;
  private final Counter deadLetters;
  private transient org.apache.avro.Schema readerSchema;

  AvroContainerFiles(org.apache.avro.Schema readerSchema, Schema schema, String step, TupleTag<Row> ok, TupleTag<Row> failed) {
    this.readerAvsc = readerSchema.toString();
    this.schema = schema;
    this.step = step;
    this.ok = ok;
    this.failed = failed;
    this.records = Progress.counter("records", step + "-records");
    this.unread = Metrics.counter("records", step + "-unread-records");
    this.deadLetters = DeadLetter.counter(step);
  }

  @Setup
  public void setup() {
    readerSchema = new org.apache.avro.Schema.Parser().parse(readerAvsc);
  }

  @ProcessElement
  public void process(@Element FileIO.ReadableFile file, MultiOutputReceiver out) throws IOException {
    String name = file.getMetadata().resourceId().toString();
    try (ChannelInput in = new ChannelInput(file.openSeekable())) {
      new OneFile(name, in, out).read();
    } catch (UncheckedIOException e) {
      // An I/O error of the file system, not bad data: fail the bundle so that the runner retries it.
      throw e.getCause();
    }
  }

  /** The state of reading one file. */
  private final class OneFile {
    private final String name;
    private final ChannelInput in;
    private final MultiOutputReceiver out;
    private final long length;

    OneFile(String name, ChannelInput in, MultiOutputReceiver out) throws IOException {
      this.name = name;
      this.in = in;
      this.out = out;
      this.length = in.length();
    }

    void read() throws IOException {
      byte[] magic = bytes(0, DataFileConstants.MAGIC.length);
      if (!Arrays.equals(magic, DataFileConstants.MAGIC)) {
        deadLetter(0, "not an Avro container file (no 'Obj\\1' magic at its start; " + length + " bytes)", 0);
        return;
      }
      DataFileReader<GenericRecord> blocks;
      in.seek(0);
      try {
        blocks = new DataFileReader<>(in, new GenericDatumReader<>());
      } catch (EOFException e) {
        deadLetter(0, "the Avro header is cut short: the file ends after " + length + " bytes, inside the header, so it has no records", 0);
        return;
      } catch (UncheckedIOException e) {
        throw e; // the file system's, not the file's: see ChannelInput
      } catch (IOException | RuntimeException e) {
        deadLetter(0, "the Avro header cannot be read (" + DeadLetter.reason(e) + ")", 0);
        return;
      }
      org.apache.avro.Schema writerSchema = blocks.getSchema();
      SchemaCompatibility.SchemaPairCompatibility compatibility =
          SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writerSchema);
      if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
        deadLetterText(incompatible(writerSchema, compatibility), writerSchema.toString());
        return;
      }
      GenericDatumReader<GenericRecord> datums = new GenericDatumReader<>(writerSchema, readerSchema);
      BinaryDecoder decoder = null;
      long start = blocks.previousSync();
      while (start < length) {
        BlockHeader header = BlockHeader.at(in, start, length);
        List<GenericRecord> read = null;
        String problem = header.problem(length);
        if (problem == null) {
          try {
            if (!blocks.hasNext()) {
              throw new EOFException("the block could not be loaded");
            }
            ByteBuffer data = blocks.nextBlock();
            decoder = DecoderFactory.get().binaryDecoder(data.array(), data.arrayOffset() + data.position(), data.remaining(), decoder);
            read = new ArrayList<>((int) Math.min(header.count, 10_000));
            for (long i = 0; i < header.count; i++) {
              read.add(datums.read(null, decoder));
            }
            if (!decoder.isEnd()) {
              throw new IOException("its " + header.count + " records end before the block's " + header.size + " bytes do");
            }
          } catch (UncheckedIOException e) {
            throw e; // the file system's, not the block's: see ChannelInput
          } catch (IOException | RuntimeException e) {
            read = null;
            // DataFileReader wraps the IOException of a block it cannot load in an AvroRuntimeException.
            problem = DeadLetter.reason(e instanceof AvroRuntimeException && e.getCause() instanceof IOException ? e.getCause() : e);
          }
        }
        if (read != null) {
          for (GenericRecord record : read) {
            emit(record);
          }
          start = blocks.previousSync();
          continue;
        }
        // Avro's own recovery: a fresh reader (the old one may hold a half-read block) that skips to
        // the first sync marker after the start of the bad block.
        in.seek(start);
        blocks = DataFileReader.openReader(in, new GenericDatumReader<>(), blocks.getHeader(), true);
        long next = Math.max(blocks.previousSync(), Math.min(length, start + 1));
        skipped(start, next, header, problem);
        start = next;
      }
    }

    private void emit(GenericRecord record) {
      Row row;
      try {
        row = AvroUtils.toBeamRowStrict(record, schema);
      } catch (RuntimeException e) {
        deadLetters.inc();
        out.get(failed).output(DeadLetter.ofText(step, name + ": " + DeadLetter.reason(e), record.toString(), null));
        return;
      }
      records.inc();
      out.get(ok).output(row);
    }

    /** One dead letter for the bytes from {@code start} to {@code next} that could not be read. */
    private void skipped(long start, long next, BlockHeader header, String problem) throws IOException {
      long[] declared = declaredRecords(start, next);
      String lost = (next - start) + " bytes, " + (declared[1] == 0 ? "" : "at least ") + declared[0] + " record" + (declared[0] == 1 ? "" : "s");
      String what = "the block at byte offset " + start
          + (header.count >= 0 && header.size >= 0 ? " (" + header.count + " records in " + header.size + " bytes)" : "");
      String reason;
      if (next >= length && problem.startsWith("the file ends")) {
        reason = "truncated: " + what + ": " + problem + "; the last " + lost + ", were not read";
      } else if (next >= length) {
        reason = what + " cannot be read (" + problem + ") and no sync marker follows it: the last " + lost + ", were not read";
      } else {
        reason = what + " cannot be read (" + problem + "): skipped " + lost + ", up to the next sync marker (offset " + next
            + ") and read on from there";
      }
      unread.inc(declared[0]);
      deadLetter(start, reason, next - start);
    }

    /**
     * The records the blocks between two offsets declare, following their headers, and 1 when the
     * framing broke before {@code to} (the count is then a lower bound).
     */
    private long[] declaredRecords(long from, long to) throws IOException {
      long count = 0;
      long at = from;
      while (at < to) {
        BlockHeader header = BlockHeader.at(in, at, length);
        if (header.count < 0 || header.size < 0) {
          return new long[] {count, 1};
        }
        count += header.count;
        long end = header.end();
        if (end > to || end <= at) {
          // A last block cut short by the end of the file still declares how many records it had.
          return new long[] {count, to == length && end > length ? 0 : 1};
        }
        at = end;
      }
      return new long[] {count, 0};
    }

    private String incompatible(org.apache.avro.Schema writerSchema, SchemaCompatibility.SchemaPairCompatibility compatibility) {
      List<SchemaCompatibility.Incompatibility> all = compatibility.getResult().getIncompatibilities();
      String first = all.isEmpty() ? compatibility.getDescription()
          : all.get(0).getType() + " at " + all.get(0).getLocation() + ": " + all.get(0).getMessage();
      return "the file's writer schema " + writerSchema.getFullName() + " cannot be read with the reader schema "
          + readerSchema.getFullName() + " (" + all.size() + " incompatibilit" + (all.size() == 1 ? "y" : "ies")
          + ", the first: " + first + "); no record of the file was read (the payload is the writer schema)";
    }

    /** A dead letter for {@code unreadBytes} bytes at {@code offset} (0: up to the end of the file), with their first kilobyte. */
    private void deadLetter(long offset, String reason, long unreadBytes) throws IOException {
      long total = unreadBytes == 0 ? length - offset : unreadBytes;
      long shown = Math.min(PAYLOAD_BYTES, total);
      deadLetters.inc();
      out.get(failed).output(DeadLetter.of(step, name + ": " + reason + payloadNote(shown, total), bytes(offset, (int) shown), null));
    }

    private void deadLetterText(String reason, String payload) {
      deadLetters.inc();
      out.get(failed).output(DeadLetter.ofText(step, name + ": " + reason, payload, null));
    }

    private String payloadNote(long shown, long total) {
      return shown < total ? " [the payload holds its first " + shown + " of " + total + " bytes]" : "";
    }

    private byte[] bytes(long offset, int count) throws IOException {
      return BlockHeader.read(in, offset, (int) Math.max(0, Math.min(count, length - offset)));
    }
  }

  /**
   * A block's two leading numbers (record count and byte size), read with Avro's decoder without
   * moving the reader: {@link DataFileReader} keeps them private, and it must not be asked to load a
   * block that the file is too short for (it would report the end of the file as a clean end).
   */
  private static final class BlockHeader {
    final long offset;
    final long count;
    final long size;
    final int length;
    final String unreadable;

    private BlockHeader(long offset, long count, long size, int length, String unreadable) {
      this.offset = offset;
      this.count = count;
      this.size = size;
      this.length = length;
      this.unreadable = unreadable;
    }

    static BlockHeader at(ChannelInput in, long offset, long fileLength) throws IOException {
      byte[] head = read(in, offset, (int) Math.min(20, fileLength - offset));
      ByteArrayInputStream stream = new ByteArrayInputStream(head);
      BinaryDecoder decoder = DecoderFactory.get().directBinaryDecoder(stream, null);
      try {
        long count = decoder.readLong();
        long size = decoder.readLong();
        return new BlockHeader(offset, count, size, head.length - stream.available(), null);
      } catch (EOFException e) {
        return new BlockHeader(offset, -1, -1, head.length, "the file ends inside the block's header (" + head.length + " bytes)");
      } catch (IOException e) {
        return new BlockHeader(offset, -1, -1, 0, "its header is not two Avro longs (" + DeadLetter.reason(e) + ")");
      }
    }

    /** Where the block ends: after its header, its bytes and its 16-byte sync marker. */
    long end() {
      return offset + length + size + SYNC_SIZE;
    }

    /** Why the block cannot be loaded, or null when its header fits the file. */
    String problem(long fileLength) {
      if (unreadable != null) {
        return unreadable;
      }
      if (count < 0 || size < 0 || size > Integer.MAX_VALUE) {
        return "its header declares " + count + " records in " + size + " bytes";
      }
      if (end() > fileLength) {
        return "the file ends inside the block, " + (fileLength - offset) + " of its " + (end() - offset) + " bytes are there";
      }
      return null;
    }

    /** Reads {@code count} bytes at {@code offset} and puts the position back where it was. */
    static byte[] read(ChannelInput in, long offset, int count) throws IOException {
      long position = in.tell();
      byte[] bytes = new byte[Math.max(0, count)];
      in.seek(offset);
      int done = 0;
      while (done < bytes.length) {
        int n = in.read(bytes, done, bytes.length - done);
        if (n < 0) {
          break;
        }
        done += n;
      }
      in.seek(position);
      return done == bytes.length ? bytes : Arrays.copyOf(bytes, done);
    }
  }

  /**
   * Avro's {@link SeekableInput} over a Beam channel (Avro has one only for local files, Beam none).
   * An I/O error is rethrown unchecked: Avro's readers take an {@link IOException} for bad data (and
   * an {@link EOFException} for the end), which would hide it; unchecked, it fails the bundle and
   * the runner retries it.
   */
  static final class ChannelInput implements SeekableInput {
    private final SeekableByteChannel channel;

    ChannelInput(SeekableByteChannel channel) {
      this.channel = channel;
    }

    @Override
    public void seek(long p) {
      unchecked(() -> channel.position(p));
    }

    @Override
    public long tell() {
      return unchecked(channel::position);
    }

    @Override
    public long length() {
      return unchecked(channel::size);
    }

    @Override
    public int read(byte[] b, int off, int len) {
      return unchecked(() -> channel.read(ByteBuffer.wrap(b, off, len)));
    }

    private interface Io<T> {
      T call() throws IOException;
    }

    private static <T> T unchecked(Io<T> call) {
      try {
        return call.call();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
