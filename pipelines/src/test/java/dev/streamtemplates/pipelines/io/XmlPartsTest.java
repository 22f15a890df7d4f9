package dev.streamtemplates.pipelines.io;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.streamtemplates.transforms.format.Formats;
import dev.streamtemplates.transforms.format.RecordFormat;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.junit.Test;

public class XmlPartsTest {
  private static final Schema SCHEMA = Schema.builder().addStringField("id").addNullableField("note", Schema.FieldType.STRING).build();
  private static final RecordFormat XML = Formats.xml(SCHEMA, "order");
  private static final String PROLOG = "\uFEFF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- orders > exported -->\n"
      + "<ns:orders xmlns:ns=\"urn:orders\" note=\"a > b, c/>\" other='\"/>'>";

  /** A record's id and note, as written; the expected rows. */
  private record Written(String id, String note) {}

  /**
   * An export with every kind of markup between and inside records: prefixed and plain record
   * elements, CDATA holding end tags and '>', comments, processing instructions, attributes holding
   * '>' and '/>', self-closing and nested non-record elements, records nested below the root's
   * children (not records), and non-ASCII text.
   */
  private static String randomXml(Random random, int records, List<Written> written) {
    StringBuilder text = new StringBuilder(PROLOG);
    for (int i = 0; i < records; i++) {
      String id = "o" + i + (random.nextInt(4) == 0 ? "-é€" : "");
      String element = random.nextBoolean() ? "ns:order" : "order";
      String note;
      String noteXml;
      switch (random.nextInt(6)) {
        case 0 -> {
          note = "</order></ns:orders> > ]]";
          noteXml = "<note><![CDATA[" + note + "]]></note>";
        }
        case 1 -> {
          note = "a < b & c";
          noteXml = "<note>a &lt; b &amp; c</note>";
        }
        case 2 -> {
          note = null;
          noteXml = "<!-- no note --><?pi </order> ?>";
        }
        case 3 -> {
          note = "x";
          noteXml = "<note>x</note><unread kind=\"a>b\" also='/>'/>";
        }
        default -> {
          note = "plain";
          noteXml = "<note>plain</note>";
        }
      }
      text.append("\n  <").append(element).append(" at=\"").append(i).append("\" kind='a>b/>'><id>").append(id).append("</id>").append(noteXml)
          .append("</").append(element).append('>');
      written.add(new Written(id, note));
      switch (random.nextInt(5)) {
        case 0 -> text.append("<meta/>");
        case 1 -> text.append("<batch><order><id>nested, not a record</id></order></batch>");
        case 2 -> text.append("<!-- <order><id>commented out</id></order> -->");
        case 3 -> text.append("<?marker value='>'?>");
        default -> { }
      }
    }
    text.append("\n<meta kind=\"trailer\">no record after this</meta><meta/></ns:orders>\n<!-- end -->\n");
    return text.toString();
  }

  private static List<byte[]> parts(byte[] file, int partBytes) throws IOException {
    List<byte[]> parts = new ArrayList<>();
    XmlParts.split(new ByteArrayInputStream(file), "order", partBytes, parts::add);
    return parts;
  }

  /** Parses payloads with the XML format; dead letters as their reason and raw text. */
  private static List<Row> parse(List<byte[]> payloads, List<String> failures) {
    List<Row> rows = new ArrayList<>();
    for (byte[] payload : payloads) {
      XML.decode(payload, new RecordFormat.Receiver() {
        @Override
        public void record(Row row) {
          rows.add(row);
        }

        @Override
        public void failure(byte[] rawRecord, String reason) {
          failures.add(reason + ": " + new String(rawRecord, StandardCharsets.UTF_8));
        }
      });
    }
    return rows;
  }

  private static List<Written> asWritten(List<Row> rows) {
    return rows.stream().map(row -> new Written(row.getString("id"), row.getString("note"))).toList();
  }

  @Test
  public void partsAreDocumentsThatHoldEveryRecordOnceAndNoPartIsWithoutARecord() throws IOException {
    Random random = new Random(7);
    for (int trial = 0; trial < 40; trial++) {
      List<Written> written = new ArrayList<>();
      byte[] file = randomXml(random, 1 + random.nextInt(200), written).getBytes(StandardCharsets.UTF_8);
      int partBytes = 1 + random.nextInt(2_000);
      List<byte[]> parts = parts(file, partBytes);
      List<String> failures = new ArrayList<>();
      List<Row> rows = parse(parts, failures);
      String trialName = "trial " + trial + ", parts of " + partBytes + " bytes";
      assertEquals(trialName, List.of(), failures);
      assertEquals(trialName, written, asWritten(rows));
      for (int i = 0; i < parts.size(); i++) {
        String part = new String(parts.get(i), StandardCharsets.UTF_8);
        assertTrue(trialName + ": every part starts with the prolog and root", part.startsWith(PROLOG));
        assertTrue(trialName + ": every part but the last ends the root", i == parts.size() - 1 || part.endsWith("</ns:orders>"));
      }
      // A part holds the prolog (under 200 bytes), what reached partBytes, one more record and what follows it (under 300).
      assertTrue(trialName + ": cut into " + parts.size() + " parts", parts.size() >= file.length / (partBytes + 500) - 1);
    }
  }

  @Test
  public void aFileSmallerThanAPartOrWithARecordRootOrADoctypeIsOnePayloadAsItIs() throws IOException {
    List<Written> written = new ArrayList<>();
    byte[] small = randomXml(new Random(1), 20, written).getBytes(StandardCharsets.UTF_8);
    assertEquals(1, parts(small, 1 << 20).size());
    assertArrayEquals(small, parts(small, 1 << 20).get(0));
    byte[] recordRoot = "<order><id>1</id><note>x</note></order>".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(recordRoot, parts(recordRoot, 1).get(0));
    assertEquals(1, parts(recordRoot, 1).size());
    byte[] doctype = ("<!DOCTYPE orders [<!ENTITY a \"x\">]><orders><order><id>1</id></order><order><id>2</id></order></orders>")
        .getBytes(StandardCharsets.UTF_8);
    assertEquals(1, parts(doctype, 1).size());
    assertArrayEquals(new byte[0], parts(new byte[0], 1).get(0));
  }

  @Test
  public void aBrokenRecordCostsItsPartAtMostAndEveryRecordIsReadOrInADeadLetter() throws IOException {
    List<Written> written = new ArrayList<>();
    String good = randomXml(new Random(5), 60, written);
    // Record o30's id element is not closed as it opened: the parser fails there.
    String broken = good.replaceFirst("<id>(o30[^<]*)</id>", "<id>$1</di>");
    assertTrue(!broken.equals(good));
    List<byte[]> parts = parts(broken.getBytes(StandardCharsets.UTF_8), 400);
    assertTrue(parts.size() > 5);
    List<String> failures = new ArrayList<>();
    List<Row> rows = parse(parts, failures);
    List<Written> read = asWritten(rows);
    String deadLetters = String.join("\n", failures);
    assertTrue(deadLetters, deadLetters.contains("</di>") && deadLetters.contains("malformed XML"));
    for (Written record : written) {
      assertTrue(record.id() + " is read or in a dead letter",
          read.contains(record) || deadLetters.contains("<id>" + record.id() + "</id>") || record.id().startsWith("o30"));
    }
    // Only the broken part's records after o30 are lost to the dead letter; whole, the document lost all from o30 on.
    assertTrue("records after the broken part are read: " + read.size(), read.size() > 40 && read.size() < 60);
  }
}
