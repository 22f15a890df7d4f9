package dev.streamtemplates.pipelines.io;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import dev.streamtemplates.pipelines.TemplatePipeline;
import dev.streamtemplates.pipelines.TemplatePipelineTest;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import dev.streamtemplates.transforms.core.Counters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.avro.file.CodecFactory;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Hostile Avro container files: each unreadable file or block is a dead letter naming the file,
 * the block's byte offset and what was not read, and every readable block still comes out.
 *
 * <p>One pipeline reads all the files below (a glob); file {@code f} holds ids {@code f*100000 +
 * i}, so each test checks its own file's records and dead letters.
 */
public class AvroContainerFilesTest {
  @ClassRule public static final TemporaryFolder FOLDER = new TemporaryFolder();

  static final org.apache.avro.Schema READER = schema(
      "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},"
          + "{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"tag\",\"type\":\"string\",\"default\":\"none\"}]}");
  /** Compatible: id as int (promoted to long), an extra field, no tag (the reader's default). */
  static final org.apache.avro.Schema OTHER = schema(
      "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"},"
          + "{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"extra\",\"type\":\"boolean\"}]}");
  /** Incompatible: id is a string. */
  static final org.apache.avro.Schema INCOMPATIBLE = schema(
      "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
          + "{\"name\":\"name\",\"type\":\"string\"}]}");

  static final int BLOCKS = 10;
  static final int PER_BLOCK = 100;

  static Path dir;
  static List<Long> truncatedBlocks;
  static List<Long> corruptBlocks;
  static List<Long> badSyncBlocks;
  static List<Long> hugeSizeBlocks;
  static final Map<Integer, String> FILES = new java.util.TreeMap<>();
  static final TreeSet<Long> ids = new TreeSet<>();
  static List<String> deadLetters;
  static long recordsCounter;
  static long unreadCounter;

  private static org.apache.avro.Schema schema(String json) {
    return new org.apache.avro.Schema.Parser().parse(json);
  }

  @BeforeClass
  public static void run() throws Exception {
    dir = FOLDER.getRoot().toPath();
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(dir.resolve("r.avsc"), READER.toString());

    write(data.resolve(name(0, "good")), READER, 0, CodecFactory.nullCodec());
    write(data.resolve(name(1, "deflate")), READER, 1, CodecFactory.deflateCodec(6));
    write(data.resolve(name(2, "compatible")), OTHER, 2, CodecFactory.nullCodec());
    write(data.resolve(name(3, "incompatible")), INCOMPATIBLE, 3, CodecFactory.nullCodec());
    byte[] random = new byte[5000];
    new Random(42).nextBytes(random);
    Files.write(data.resolve(name(4, "random")), random);
    Files.writeString(data.resolve(name(5, "json")), "{\"id\":500000,\"name\":\"n\",\"tag\":\"t\"}\n");
    Files.write(data.resolve(name(6, "magic")), new byte[] {'O', 'b', 'j', 1});
    Files.write(data.resolve(name(7, "empty")), new byte[0]);

    // Cut in the middle of block 6: blocks 0..5 come out.
    Path truncated = data.resolve(name(8, "truncated"));
    truncatedBlocks = write(truncated, READER, 8, CodecFactory.nullCodec());
    byte[] bytes = Files.readAllBytes(truncated);
    Files.write(truncated, Arrays.copyOf(bytes, (int) ((truncatedBlocks.get(6) + truncatedBlocks.get(7)) / 2)));

    // 40 bytes 0xFF in the middle of block 3's data: no Avro long can be read there.
    Path corrupt = data.resolve(name(9, "corrupt"));
    corruptBlocks = write(corrupt, READER, 9, CodecFactory.nullCodec());
    bytes = Files.readAllBytes(corrupt);
    Arrays.fill(bytes, (int) (corruptBlocks.get(3) + corruptBlocks.get(4)) / 2 - 20, (int) (corruptBlocks.get(3) + corruptBlocks.get(4)) / 2 + 20, (byte) 0xFF);
    Files.write(corrupt, bytes);

    // The sync marker after block 4 damaged: blocks 4 and 5 are skipped up to the next marker.
    Path badSync = data.resolve(name(10, "badsync"));
    badSyncBlocks = write(badSync, READER, 10, CodecFactory.nullCodec());
    bytes = Files.readAllBytes(badSync);
    bytes[(int) (long) badSyncBlocks.get(5) - 3] ^= 0x55;
    Files.write(badSync, bytes);

    // Block 2 declares 2^30 bytes (more than the file): skipped to the next marker, not allocated.
    Path huge = data.resolve(name(11, "hugesize"));
    hugeSizeBlocks = write(huge, READER, 11, CodecFactory.nullCodec());
    bytes = Files.readAllBytes(huge);
    int at = (int) (long) hugeSizeBlocks.get(2);
    int countLength = 2; // 100 records: zig-zag 200 is two bytes; so is the block size it replaces
    byte[] size = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08}; // 2^30, zig-zag varint (2^31)
    byte[] patched = new byte[bytes.length + size.length - 2];
    System.arraycopy(bytes, 0, patched, 0, at + countLength);
    System.arraycopy(size, 0, patched, at + countLength, size.length);
    System.arraycopy(bytes, at + countLength + 2, patched, at + countLength + size.length, bytes.length - at - countLength - 2);
    Files.write(huge, patched);

    // A valid file with a header and no records.
    write(data.resolve(name(12, "norecords")), READER, 12, CodecFactory.nullCodec(), 0);

    String yaml = "name: hostile-avro\ndescription: Reads hostile Avro files.\n"
        + "sources:\n  - {name: in, type: file, path: '" + data + "/*.avro', format: avro, schema: '" + dir.resolve("r.avsc") + "'}\n"
        + "sinks:\n  - {name: out, input: in, type: file, format: json, path: '" + dir.resolve("out/records") + "'}\n"
        + "deadLetter: {type: file, format: json, path: '" + dir.resolve("dlq/dead") + "'}\n";
    SpecNode root = TemplateSpec.parse("hostile-avro", yaml).resolve(Map.of());
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    TemplatePipeline.build(pipeline, root, dir.toString());
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();

    Pattern id = Pattern.compile("\"id\":(\\d+)");
    for (String line : TemplatePipelineTest.lines(dir.resolve("out"))) {
      Matcher m = id.matcher(line);
      if (!m.find()) {
        throw new AssertionError("no id in " + line);
      }
      if (!ids.add(Long.parseLong(m.group(1)))) {
        throw new AssertionError("id read twice: " + line);
      }
      if (Long.parseLong(m.group(1)) / 100_000 == 2 && !line.contains("\"tag\":\"none\"")) {
        throw new AssertionError("the reader's default is missing: " + line);
      }
    }
    deadLetters = TemplatePipelineTest.lines(dir.resolve("dlq"));
    for (MetricResult<Long> counter : Counters.settled(result)) {
      if (counter.getName().getName().equals("in-records")) {
        recordsCounter += counter.getAttempted();
      } else if (counter.getName().getName().equals("in-unread-records")) {
        unreadCounter += counter.getAttempted();
      }
    }
  }

  private static String name(int index, String what) {
    String file = String.format("f%02d-%s.avro", index, what);
    FILES.put(index, file);
    return file;
  }

  private static List<Long> write(Path file, org.apache.avro.Schema writer, int index, CodecFactory codec) throws IOException {
    return write(file, writer, index, codec, BLOCKS);
  }

  /** Writes {@code blocks} blocks of {@link #PER_BLOCK} records; returns where each block starts, then the file's length. */
  private static List<Long> write(Path file, org.apache.avro.Schema writer, int index, CodecFactory codec, int blocks) throws IOException {
    List<Long> starts = new ArrayList<>();
    try (DataFileWriter<GenericRecord> out = new DataFileWriter<>(new GenericDatumWriter<GenericRecord>(writer))) {
      out.setCodec(codec);
      out.setSyncInterval(1 << 20); // blocks are cut by sync() below only
      out.create(writer, file.toFile());
      starts.add(out.sync());
      for (int b = 0; b < blocks; b++) {
        for (int i = 0; i < PER_BLOCK; i++) {
          long id = index * 100_000L + b * PER_BLOCK + i;
          GenericRecord record = new GenericData.Record(writer);
          for (org.apache.avro.Schema.Field field : writer.getFields()) {
            switch (field.schema().getType()) {
              case LONG: record.put(field.name(), id); break;
              case INT: record.put(field.name(), (int) id); break;
              case BOOLEAN: record.put(field.name(), true); break;
              default: record.put(field.name(), field.name().equals("id") ? String.valueOf(id) : field.name() + "-" + id);
            }
          }
          out.append(record);
        }
        starts.add(out.sync());
      }
    }
    return starts;
  }

  private static List<Long> idsOf(int file) {
    return ids.subSet(file * 100_000L, (file + 1) * 100_000L).stream().collect(Collectors.toList());
  }

  private static List<Long> expected(int file, int fromBlock, int toBlock) {
    return LongStream.range(file * 100_000L + fromBlock * PER_BLOCK, file * 100_000L + toBlock * PER_BLOCK).boxed().collect(Collectors.toList());
  }

  private static List<String> deadLettersOf(int file) {
    return deadLetters.stream().filter(d -> d.contains("/" + FILES.get(file) + ": ")).collect(Collectors.toList());
  }

  private static String onlyDeadLetterOf(int file) {
    List<String> dead = deadLettersOf(file);
    assertThat(FILES.get(file) + ": " + dead, dead, hasSize(1));
    return dead.get(0);
  }

  @Test
  public void aGoodFileIsReadWhole() {
    assertThat(idsOf(0), equalTo(expected(0, 0, BLOCKS)));
    assertThat(deadLettersOf(0), empty());
  }

  @Test
  public void aDeflatedFileIsReadWhole() {
    assertThat(idsOf(1), equalTo(expected(1, 0, BLOCKS)));
    assertThat(deadLettersOf(1), empty());
  }

  @Test
  public void aCompatibleWriterSchemaIsResolvedAgainstTheReaderSchema() {
    assertThat(idsOf(2), equalTo(expected(2, 0, BLOCKS)));
    assertThat(deadLettersOf(2), empty());
  }

  @Test
  public void anIncompatibleWriterSchemaIsOneDeadLetterNamingBothSchemas() {
    assertThat(idsOf(3), empty());
    String dead = onlyDeadLetterOf(3);
    assertThat(dead, containsString("the file's writer schema t.R cannot be read with the reader schema t.R"));
    assertThat(dead, containsString("the first: TYPE_MISMATCH at /fields/0/type"));
  }

  @Test
  public void randomBytesAreNotAnAvroFile() {
    assertThat(onlyDeadLetterOf(4), containsString("not an Avro container file (no 'Obj\\\\1' magic at its start; 5000 bytes)"
        + " [the payload holds its first 1024 of 5000 bytes]"));
  }

  @Test
  public void jsonNamedAvroIsNotAnAvroFile() {
    String dead = onlyDeadLetterOf(5);
    assertThat(dead, containsString("not an Avro container file"));
    assertThat(idsOf(5), empty());
  }

  @Test
  public void onlyTheMagicBytesIsACutHeader() {
    assertThat(onlyDeadLetterOf(6), containsString("the Avro header is cut short: the file ends after 4 bytes, inside the header"));
  }

  @Test
  public void anEmptyFileIsNotAnAvroFile() {
    assertThat(onlyDeadLetterOf(7), containsString("not an Avro container file (no 'Obj\\\\1' magic at its start; 0 bytes)"));
  }

  @Test
  public void aTruncatedFileGivesEveryRecordBeforeTheCutAndSaysWhatWasLost() {
    assertThat(idsOf(8), equalTo(expected(8, 0, 6)));
    long start = truncatedBlocks.get(6);
    long cut = (truncatedBlocks.get(6) + truncatedBlocks.get(7)) / 2;
    assertThat(onlyDeadLetterOf(8), containsString("truncated: the block at byte offset " + start + " (100 records in "));
    assertThat(onlyDeadLetterOf(8), containsString("the last " + (cut - start) + " bytes, 100 records, were not read"));
  }

  @Test
  public void aCorruptBlockIsSkippedAndTheOthersAreRead() {
    List<Long> expected = expected(9, 0, 3);
    expected.addAll(expected(9, 4, BLOCKS));
    assertThat(idsOf(9), equalTo(expected));
    String dead = onlyDeadLetterOf(9);
    assertThat(dead, containsString("the block at byte offset " + corruptBlocks.get(3) + " (100 records in "));
    assertThat(dead, containsString("cannot be read (InvalidNumberEncodingException"));
    assertThat(dead, containsString("skipped " + (corruptBlocks.get(4) - corruptBlocks.get(3)) + " bytes, 100 records, up to the next sync marker (offset "
        + corruptBlocks.get(4) + ") and read on from there"));
  }

  @Test
  public void aDamagedSyncMarkerSkipsToTheNextOne() {
    List<Long> expected = expected(10, 0, 4);
    expected.addAll(expected(10, 6, BLOCKS));
    assertThat(idsOf(10), equalTo(expected));
    String dead = onlyDeadLetterOf(10);
    assertThat(dead, containsString("the block at byte offset " + badSyncBlocks.get(4) + " (100 records in "));
    assertThat(dead, containsString("cannot be read (IOException: Invalid sync!)"));
    assertThat(dead, containsString("skipped " + (badSyncBlocks.get(6) - badSyncBlocks.get(4)) + " bytes, 200 records, up to the next sync marker"));
  }

  @Test
  public void aBlockDeclaringMoreBytesThanTheFileHasIsSkipped() {
    List<Long> expected = expected(11, 0, 2);
    expected.addAll(expected(11, 3, BLOCKS));
    assertThat(idsOf(11), equalTo(expected));
    String dead = onlyDeadLetterOf(11);
    assertThat(dead, containsString("the block at byte offset " + hugeSizeBlocks.get(2) + " (100 records in 1073741824 bytes)"));
    assertThat(dead, containsString("the file ends inside the block"));
    assertThat(dead, containsString("up to the next sync marker"));
  }

  @Test
  public void aFileWithNoRecordsIsReadAsEmpty() {
    assertThat(idsOf(12), empty());
    assertThat(deadLettersOf(12), empty());
  }

  @Test
  public void recordsReadPlusRecordsInDeadLetteredBlocksAreAllTheRecordsWritten() {
    // Files 0, 1, 2, 8, 9, 10, 11 were written with BLOCKS * PER_BLOCK records each; the 3 blocks
    // after the cut of file 8 are not in it at all, so nothing can count them.
    assertThat(recordsCounter, equalTo((long) ids.size()));
    assertThat(recordsCounter + unreadCounter, equalTo(7L * BLOCKS * PER_BLOCK - 3 * PER_BLOCK));
    assertThat(deadLetters.toString(), deadLetters, hasSize(9));
  }
}
