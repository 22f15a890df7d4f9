package dev.streamtemplates.transforms.format;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.joda.time.DateTime;
import org.joda.time.DateTimeZone;
import org.junit.Test;

public class FormatsTest {

  static final Schema ADDRESS = Schema.builder().addStringField("city").addStringField("country").build();
  static final Schema ORDER =
      Schema.builder()
          .addStringField("id")
          .addInt32Field("quantity")
          .addDoubleField("price")
          .addDateTimeField("orderTime")
          .addNullableField("note", FieldType.STRING)
          .addRowField("address", ADDRESS)
          .build();

  static final Row ORDER_ROW =
      Row.withSchema(ORDER)
          .addValues(
              "o-1", 3, 2.5, new DateTime(2024, 5, 1, 10, 0, DateTimeZone.UTC), null,
              Row.withSchema(ADDRESS).addValues("Lyon", "FR").build())
          .build();

  /** Collects what a decode call produced. */
  static final class Collected implements RecordFormat.Receiver {
    final List<Row> rows = new ArrayList<>();
    final List<String> raw = new ArrayList<>();
    final List<String> reasons = new ArrayList<>();

    @Override
    public void record(Row row) {
      rows.add(row);
    }

    @Override
    public void failure(byte[] rawRecord, String reason) {
      raw.add(new String(rawRecord, StandardCharsets.UTF_8));
      reasons.add(reason);
    }
  }

  static Collected decode(RecordFormat format, String payload) {
    Collected collected = new Collected();
    format.decode(payload.getBytes(StandardCharsets.UTF_8), collected);
    return collected;
  }

  @Test
  public void jsonRoundTripKeepsEveryFieldIncludingIsoTimestamps() {
    RecordFormat json = Formats.json(ORDER);
    String text = new String(json.encode(ORDER_ROW), StandardCharsets.UTF_8);
    Collected back = decode(json, text);
    assertThat(back.reasons, is(empty()));
    assertThat(back.rows, contains(ORDER_ROW));
  }

  @Test
  public void jsonWithWrongTypeNamesTheField() {
    Collected out = decode(Formats.json(ORDER),
        "{\"id\":\"o-2\",\"quantity\":\"many\",\"price\":1.0,\"orderTime\":\"2024-05-01T10:00:00Z\",\"address\":{\"city\":\"a\",\"country\":\"b\"}}");
    assertThat(out.rows, is(empty()));
    assertThat(out.reasons.get(0), containsString("quantity"));
  }

  @Test
  public void jsonDateTimeMayBeEpochMillis() {
    Collected out = decode(Formats.json(ORDER),
        "{\"id\":\"o-1\",\"quantity\":3,\"price\":2.5,\"orderTime\":1714557600000,\"address\":{\"city\":\"Lyon\",\"country\":\"FR\"}}");
    assertThat(out.reasons, is(empty()));
    assertThat(out.rows, contains(ORDER_ROW));
  }

  @Test
  public void truncatedJsonIsAFailureWithItsPayload() {
    Collected out = decode(Formats.json(ORDER), "{\"id\":\"o-3\",\"quan");
    assertThat(out.rows, is(empty()));
    assertThat(out.raw, contains("{\"id\":\"o-3\",\"quan"));
    assertThat(out.reasons.get(0), containsString("JSON"));
  }

  @Test
  public void jsonMissingRequiredFieldIsAFailure() {
    Collected out = decode(Formats.json(ORDER), "{\"id\":\"o-4\"}");
    assertThat(out.rows, is(empty()));
    assertThat(out.reasons, hasSize(1));
  }

  @Test
  public void avroBinaryRoundTrip() {
    RecordFormat avro = Formats.avro(ORDER);
    Collected back = new Collected();
    avro.decode(avro.encode(ORDER_ROW), back);
    assertThat(back.reasons, is(empty()));
    assertThat(back.rows, contains(ORDER_ROW));
  }

  @Test
  public void avroGarbageIsAFailure() {
    Collected back = new Collected();
    Formats.avro(ORDER).decode(new byte[] {(byte) 0xff, 0x01}, back);
    assertThat(back.rows, is(empty()));
    assertThat(back.reasons.get(0), containsString("not an Avro record"));
  }

  @Test
  public void xmlDocumentSplitsIntoRecordsAndDeadLettersOnlyTheBadOne() {
    String xml =
        "<orders>\n"
            + "<order><id>o-1</id><quantity>3</quantity><price>2.5</price><orderTime>2024-05-01T10:00:00Z</orderTime>"
            + "<address><city>Lyon</city><country>FR</country></address></order>\n"
            + "<order><id>o-2</id><quantity>lots</quantity><price>1</price><orderTime>2024-05-01T10:00:00Z</orderTime>"
            + "<address><city>Oslo</city><country>NO</country></address></order>\n"
            + "</orders>";
    Collected out = decode(Formats.xml(ORDER, "order"), xml);
    assertThat(out.rows, contains(ORDER_ROW));
    assertThat(out.reasons, contains("field 'quantity': 'lots' is not a valid INT32"));
    assertThat(out.raw.get(0), containsString("<id>o-2</id>"));
  }

  @Test
  public void xmlRoundTrip() {
    RecordFormat xml = Formats.xml(ORDER, "order");
    String element = new String(xml.encode(ORDER_ROW), StandardCharsets.UTF_8);
    Collected back = decode(xml, xml.fileHeader() + element + xml.fileFooter());
    assertThat(back.reasons, is(empty()));
    assertThat(back.rows, contains(ORDER_ROW));
  }

  @Test
  public void brokenXmlKeepsTheGoodRecordsBeforeIt() {
    String xml =
        "<orders><order><id>o-1</id><quantity>3</quantity><price>2.5</price><orderTime>2024-05-01T10:00:00Z</orderTime>"
            + "<address><city>Lyon</city><country>FR</country></address></order>"
            + "<order><id>o-2</quantity></order></orders>";
    Collected out = decode(Formats.xml(ORDER, "order"), xml);
    assertThat(out.rows, contains(ORDER_ROW));
    assertThat(out.reasons, hasSize(1));
    assertThat(out.reasons.get(0), containsString("malformed XML"));
    assertThat(out.raw.get(0), equalTo("<order><id>o-2</quantity></order></orders>"));
  }

  @Test
  public void xmlEntityExpansionBombIsRejectedNotExpanded() {
    String bomb =
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
            + "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
            + "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
            + "<orders><order><id>&lol3;</id></order></orders>";
    Collected out = decode(Formats.xml(ORDER, "order"), bomb);
    assertThat(out.rows, is(empty()));
    assertThat(out.reasons, hasSize(1));
    assertThat(out.reasons.get(0), containsString("XML"));
  }

  static final Schema FLAT =
      Schema.builder().addStringField("id").addInt64Field("n").addNullableField("when", FieldType.DATETIME).build();

  @Test
  public void csvWithHeaderReadsColumnsByNameInAnyOrder() {
    Collected out = decode(Formats.csv(FLAT, true, ','), "n,id,when\n7,\"a,b\",2024-01-01T00:00:00Z\n8,c,\n");
    assertThat(out.reasons, is(empty()));
    assertThat(out.rows, contains(
        Row.withSchema(FLAT).addValues("a,b", 7L, new DateTime(2024, 1, 1, 0, 0, DateTimeZone.UTC)).build(),
        Row.withSchema(FLAT).addValues("c", 8L, null).build()));
  }

  @Test
  public void csvRecordWithWrongCellCountOrTypeIsDeadLetteredAlone() {
    Collected out = decode(Formats.csv(FLAT, false, ','), "a,1,\nb,2,x,y\nc,three,\nd,4,\n");
    assertThat(out.rows, hasSize(2));
    assertThat(out.reasons, hasSize(2));
    assertThat(out.reasons.get(0), containsString("has 4 cells, expected 3"));
    assertThat(out.reasons.get(1), equalTo("field 'n': 'three' is not a valid INT64"));
    assertThat(out.raw.get(1), equalTo("c,three,"));
  }

  @Test
  public void csvRoundTripWithHeader() {
    RecordFormat csv = Formats.csv(FLAT, true, ';');
    Row row = Row.withSchema(FLAT).addValues("x;y", 1L, new DateTime(5L, DateTimeZone.UTC)).build();
    String file = csv.fileHeader() + "\n" + new String(csv.encode(row), StandardCharsets.UTF_8) + "\n";
    Collected back = decode(csv, file);
    assertThat(back.reasons, is(empty()));
    assertThat(back.rows, contains(row));
  }

  /** A receiver that keeps the dead letters' bytes exactly. */
  static final class RawBytes implements RecordFormat.Receiver {
    final List<Row> rows = new ArrayList<>();
    final List<byte[]> raw = new ArrayList<>();

    @Override
    public void record(Row row) {
      rows.add(row);
    }

    @Override
    public void failure(byte[] rawRecord, String reason) {
      raw.add(rawRecord);
    }
  }

  static byte[] bytes(Object... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (Object part : parts) {
      out.writeBytes(part instanceof String ? ((String) part).getBytes(StandardCharsets.UTF_8) : new byte[] {((Integer) part).byteValue()});
    }
    return out.toByteArray();
  }

  @Test
  public void aRecordWithBytesThatAreNotUtf8IsDeadLetteredWithItsOwnBytesAndTheOthersAreRead() {
    Schema flat = Schema.builder().addStringField("id").addStringField("note").build();
    // CSV, behind a byte-order mark, with multi-byte characters before the bad bytes, and a
    // record over two lines: the dead letters hold each bad record's lines as they were.
    RawBytes csv = new RawBytes();
    Formats.csv(flat, true, ',').decode(bytes(0xEF, 0xBB, 0xBF, "id,note\na,é€\nb,x", 0xFF, "y\n\"c\",\"two\n", 0xC3, 0x28, "lines\"\nd,ok\n"), csv);
    assertThat(csv.rows.stream().map(r -> r.getString("id")).toList(), contains("a", "d"));
    assertThat(csv.raw, hasSize(2));
    assertThat(java.util.Arrays.equals(csv.raw.get(0), bytes("b,x", 0xFF, "y")), is(true));
    assertThat(java.util.Arrays.equals(csv.raw.get(1), bytes("\"c\",\"two\n", 0xC3, 0x28, "lines\"")), is(true));
    // XML: the record's own bytes, from its start tag to its end tag.
    RawBytes xml = new RawBytes();
    Formats.xml(flat, "r").decode(bytes("<rs><r><id>é</id><note>1</note></r><r><id>b", 0xFF, "</id><note>2</note></r><r><id>c</id><note>3</note></r></rs>"), xml);
    assertThat(xml.rows.stream().map(r -> r.getString("id")).toList(), contains("é", "c"));
    assertThat(xml.raw, hasSize(1));
    assertThat(java.util.Arrays.equals(xml.raw.get(0), bytes("<r><id>b", 0xFF, "</id><note>2</note></r>")), is(true));
  }
}
