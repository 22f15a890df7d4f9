package dev.streamtemplates.pipelines.io;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.Test;

public class CsvPartsTest {
  private static final String HEADER = "id,note,amount\r\n";

  /** A CSV text with quoted cells holding newlines, commas and doubled quotes. */
  private static String randomCsv(Random random, int records) {
    StringBuilder text = new StringBuilder(HEADER);
    for (int i = 0; i < records; i++) {
      String note = switch (random.nextInt(5)) {
        case 0 -> "\"two\nlines\"";
        case 1 -> "\"a \"\"quoted\"\" word, and a comma\"";
        case 2 -> "\"ends with a newline\r\n\"";
        case 3 -> "plain";
        default -> "";
      };
      text.append("r").append(i).append(',').append(note).append(',').append(random.nextInt(1000)).append(random.nextBoolean() ? "\r\n" : "\n");
    }
    return text.toString();
  }

  private static List<List<String>> records(byte[] payload, boolean header) throws IOException {
    List<List<String>> records = new ArrayList<>();
    try (CSVParser parser = CSVParser.parse(new String(payload, StandardCharsets.UTF_8), CSVFormat.RFC4180)) {
      for (CSVRecord record : parser) {
        records.add(record.toList());
      }
    }
    return header && !records.isEmpty() ? records.subList(1, records.size()) : records;
  }

  private static List<byte[]> parts(byte[] file, boolean header, int partBytes) throws IOException {
    List<byte[]> parts = new ArrayList<>();
    CsvParts.split(new ByteArrayInputStream(file), header, partBytes, parts::add);
    return parts;
  }

  @Test
  public void partsHoldEveryRecordOnceWithTheHeaderAndNoQuotedNewlineIsCut() throws IOException {
    Random random = new Random(3);
    for (int trial = 0; trial < 30; trial++) {
      byte[] file = randomCsv(random, 1 + random.nextInt(300)).getBytes(StandardCharsets.UTF_8);
      int partBytes = 1 + random.nextInt(400);
      List<byte[]> parts = parts(file, true, partBytes);
      List<List<String>> read = new ArrayList<>();
      for (byte[] part : parts) {
        assertTrue("every part starts with the header", new String(part, StandardCharsets.UTF_8).startsWith(HEADER));
        read.addAll(records(part, true));
      }
      assertEquals("trial " + trial + ", parts of " + partBytes + " bytes", records(file, true), read);
      assertTrue("cut into parts", parts.size() > 1 || file.length < partBytes);
    }
  }

  @Test
  public void withoutAHeaderPartsAreCutBetweenRecordsAndNothingIsAdded() throws IOException {
    byte[] file = "a,\"x\ny\",1\nb,z,2\nc,\"\",3\n".getBytes(StandardCharsets.UTF_8);
    List<byte[]> parts = parts(file, false, 5);
    assertEquals(List.of("a,\"x\ny\",1\n", "b,z,2\n", "c,\"\",3\n"),
        parts.stream().map(p -> new String(p, StandardCharsets.UTF_8)).toList());
  }

  @Test
  public void aFileSmallerThanAPartIsOnePayloadAsItIs() throws IOException {
    byte[] file = (HEADER + "r1,plain,3\nr2,\"open").getBytes(StandardCharsets.UTF_8); // an unterminated quote, for the parser to report
    List<byte[]> parts = parts(file, true, 1 << 20);
    assertEquals(1, parts.size());
    assertArrayEquals(file, parts.get(0));
    List<byte[]> empty = parts(new byte[0], true, 1 << 20);
    assertEquals(1, empty.size());
    assertEquals(0, empty.get(0).length);
  }

  @Test
  public void afterAnUnterminatedQuoteTheRestIsOnePart() throws IOException {
    byte[] file = (HEADER + "r1,plain,1\nr2,\"open,2\nr3,plain,3\nr4,plain,4\n").getBytes(StandardCharsets.UTF_8);
    List<String> parts = parts(file, true, 1).stream().map(p -> new String(p, StandardCharsets.UTF_8)).toList();
    assertEquals(List.of(HEADER + "r1,plain,1\n", HEADER + "r2,\"open,2\nr3,plain,3\nr4,plain,4\n"), parts);
  }
}
