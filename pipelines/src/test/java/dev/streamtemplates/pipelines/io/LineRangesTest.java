package dev.streamtemplates.pipelines.io;

import static org.junit.Assert.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class LineRangesTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final transient TemporaryFolder folder = new TemporaryFolder();

  /** The lines as a reader of the whole text sees them: split at '\n', less a final '\r', blank ones left out. */
  private static List<String> expectedLines(byte[] text) {
    List<String> lines = new ArrayList<>();
    for (String line : new String(text, StandardCharsets.ISO_8859_1).split("\n", -1)) {
      String withoutReturn = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
      if (!withoutReturn.replace(" ", "").replace("\t", "").replace("\r", "").isEmpty()) {
        lines.add(withoutReturn);
      }
    }
    return lines;
  }

  private static List<String> readInRanges(byte[] text, long rangeBytes) throws IOException {
    List<String> lines = new ArrayList<>();
    for (long[] range : LineRanges.ranges(text.length, rangeBytes)) {
      int from = (int) Math.max(0, range[0] - 1);
      LineRanges.read(new ByteArrayInputStream(text, from, text.length - from), range[0], range[1],
          bytes -> lines.add(new String(bytes, StandardCharsets.ISO_8859_1)));
    }
    return lines;
  }

  private static byte[] randomText(Random random, int lines, boolean longLines) {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    for (int i = 0; i < lines; i++) {
      int kind = random.nextInt(10);
      if (kind == 0) {
        text.writeBytes(" \t".getBytes(StandardCharsets.ISO_8859_1)); // blank
      } else if (kind == 1 && longLines) {
        text.writeBytes(("{\"long\":\"" + "x".repeat(70_000 + random.nextInt(1000)) + "\"}").getBytes(StandardCharsets.ISO_8859_1));
      } else if (kind != 2) { // kind 2: an empty line
        byte[] line = new byte[1 + random.nextInt(60)];
        for (int b = 0; b < line.length; b++) {
          line[b] = (byte) ('a' + random.nextInt(26));
        }
        text.writeBytes(line);
      }
      text.writeBytes(random.nextInt(4) == 0 ? new byte[] {'\r', '\n'} : new byte[] {'\n'});
    }
    if (random.nextBoolean()) {
      text.writeBytes("last line without a newline".getBytes(StandardCharsets.ISO_8859_1));
    }
    return text.toByteArray();
  }

  @Test
  public void everyLineIsReadOnceWhateverTheRangeBoundaries() throws IOException {
    Random random = new Random(7);
    for (int trial = 0; trial < 60; trial++) {
      boolean tinyRanges = trial % 3 == 0; // every range boundary inside short lines
      byte[] text = randomText(random, 1 + random.nextInt(tinyRanges ? 40 : 200), !tinyRanges);
      List<String> expected = expectedLines(text);
      long rangeBytes = tinyRanges ? 1 + random.nextInt(8) : 1 + random.nextInt(text.length + 10);
      assertEquals("trial " + trial + ", ranges of " + rangeBytes + " bytes over " + text.length, expected, readInRanges(text, rangeBytes));
    }
  }

  @Test
  public void rangeBoundaryRightAfterANewlineGivesTheNextLineToTheNextRange() throws IOException {
    byte[] text = "ab\ncd\nef".getBytes(StandardCharsets.ISO_8859_1);
    // ranges [0,3) [3,6) [6,8): each holds exactly one line's first byte
    assertEquals(List.of("ab", "cd", "ef"), readInRanges(text, 3));
    assertEquals(List.of("ab", "cd", "ef"), readInRanges(text, 2));
    assertEquals(List.of("ab", "cd", "ef"), readInRanges(text, 1));
  }

  @Test
  public void emptyFileIsOneEmptyRangeWithNoLines() throws IOException {
    assertEquals(1, LineRanges.ranges(0, 10).size());
    assertEquals(List.of(), readInRanges(new byte[0], 10));
  }

  @Test
  public void aFileLargerThanARangeIsReadInRangesByThePipeline() throws IOException {
    Random random = new Random(11);
    byte[] text = randomText(random, 300, true);
    Path file = folder.getRoot().toPath().resolve("events.jsonl");
    Files.write(file, text);
    Path gzip = folder.getRoot().toPath().resolve("events.jsonl.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gzip))) {
      out.write(text);
    }
    List<String> expected = expectedLines(text);
    List<String> twice = new ArrayList<>(expected);
    twice.addAll(expected);

    PCollection<String> lines =
        pipeline.apply(FileIO.match().filepattern(folder.getRoot() + "/events.jsonl*"))
            .apply(FileIO.readMatches())
            .apply(new LineRanges(64 << 10))
            .apply(MapElements.into(TypeDescriptors.strings()).via(bytes -> new String(bytes, StandardCharsets.ISO_8859_1)));

    PAssert.that(lines).containsInAnyOrder(twice);
    pipeline.run();
    assertEquals("the plain file is more than ten ranges", true, text.length > (64 << 10) * 10);
  }
}
