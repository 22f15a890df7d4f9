package dev.streamtemplates.transforms.format;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/**
 * Malformed and hostile input, one case per row: no case may throw, every record comes out as a
 * row or as a dead letter (in = out + dead-lettered), and each dead letter's reason says what was
 * wrong.
 */
@RunWith(Parameterized.class)
public class BadInputTest {
  static final Schema ADDRESS = Schema.builder().addStringField("city").addStringField("country").build();
  static final Schema ORDER =
      Schema.builder().addStringField("id").addInt32Field("quantity").addDoubleField("price").addDateTimeField("orderTime")
          .addNullableField("note", FieldType.STRING).addRowField("address", ADDRESS).build();
  static final Schema FLAT =
      Schema.builder().addStringField("id").addInt64Field("n").addNullableField("when", FieldType.DATETIME).build();

  static final String GOOD_JSON =
      "{\"id\":\"o-1\",\"quantity\":3,\"price\":2.5,\"orderTime\":\"2024-05-01T10:00:00Z\",\"address\":{\"city\":\"Lyon\",\"country\":\"FR\"}}";
  static final String GOOD_XML_ORDER =
      "<order><id>o-1</id><quantity>3</quantity><price>2.5</price><orderTime>2024-05-01T10:00:00Z</orderTime>"
          + "<address><city>Lyon</city><country>FR</country></address></order>";

  record Case(String name, RecordFormat format, byte[] payload, int records, int out, String reason) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Case json(String name, String payload, int out, String reason) {
    return new Case(name, Formats.json(ORDER), payload.getBytes(StandardCharsets.UTF_8), 1, out, reason);
  }

  static Case xml(String name, String payload, int records, int out, String reason) {
    return new Case(name, Formats.xml(ORDER, "order"), payload.getBytes(StandardCharsets.UTF_8), records, out, reason);
  }

  static Case csv(String name, String payload, int records, int out, String reason) {
    return new Case(name, Formats.csv(FLAT, true, ','), payload.getBytes(StandardCharsets.UTF_8), records, out, reason);
  }

  static final Schema NUMBERS =
      Schema.builder().addStringField("id").addDoubleField("x").addNullableField("f", FieldType.FLOAT).build();

  static Case csvNumbers(String name, String row, int out, String reason) {
    return new Case(name, Formats.csv(NUMBERS, true, ','), ("id,x,f\n" + row + "\n").getBytes(StandardCharsets.UTF_8), 1, out, reason);
  }

  static Case avro(String name, byte[] payload, int out, String reason) {
    return new Case(name, Formats.avro(ORDER), payload, 1, out, reason);
  }

  static String replace(String what, String with) {
    return GOOD_JSON.replace(what, with);
  }

  @Parameters(name = "{0}")
  public static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    // JSON
    cases.add(json("json truncated", GOOD_JSON.substring(0, 30), 0, "malformed JSON"));
    cases.add(json("json empty payload", "", 0, "malformed JSON: No content"));
    cases.add(json("json null literal", "null", 0, "not a JSON object"));
    cases.add(json("json array instead of object", "[1,2]", 0, "not a JSON object"));
    cases.add(json("json string instead of object", "\"order\"", 0, "not a JSON object"));
    cases.add(json("json int field holds a string", replace("\"quantity\":3", "\"quantity\":\"three\""), 0, "field 'quantity'"));
    cases.add(json("json int overflow", replace("\"quantity\":3", "\"quantity\":99999999999"), 0, "field 'quantity'"));
    cases.add(json("json double field holds a boolean", replace("\"price\":2.5", "\"price\":true"), 0, "field 'price'"));
    cases.add(json("json missing required field", replace("\"price\":2.5,", ""), 0, "required field 'price'"));
    cases.add(json("json extra fields are ignored", replace("{", "{\"coupon\":\"X\",\"tags\":[1,2],"), 1, null));
    cases.add(json("json nested record holds a string", replace("{\"city\":\"Lyon\",\"country\":\"FR\"}", "\"Lyon\""), 0, "field 'address'"));
    cases.add(json("json nested required field missing", replace("\"city\":\"Lyon\",", ""), 0, "required field 'address.city'"));
    cases.add(json("json bad time", replace("2024-05-01T10:00:00Z", "tomorrow"), 0, "field 'orderTime'"));
    cases.add(json("json time as epoch millis", replace("\"2024-05-01T10:00:00Z\"", "1714557600000"), 1, null));
    cases.add(new Case("json non-UTF-8 bytes", Formats.json(ORDER), new byte[] {'{', (byte) 0xff, (byte) 0xfe, '}'}, 1, 0, "JSON"));
    cases.add(new Case("json with a byte-order mark", Formats.json(ORDER),
        concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, GOOD_JSON.getBytes(StandardCharsets.UTF_8)), 1, 1, null));
    cases.add(json("json nested 5000 deep", "[".repeat(5000) + "]".repeat(5000), 0, "JSON"));
    cases.add(json("json NaN literal", replace("2.5", "NaN"), 0, "JSON"));
    cases.add(json("json leading zeros", replace("\"quantity\":3", "\"quantity\":007"), 0, "JSON"));
    cases.add(json("json trailing garbage", GOOD_JSON + " {\"id\":\"o-2\"}", 0, "JSON"));
    cases.add(json("json raw newline in a string", replace("o-1", "o-\n1"), 0, "JSON"));
    cases.add(json("json duplicate key, last wins", replace("\"id\":\"o-1\"", "\"id\":\"o-0\",\"id\":\"o-1\""), 1, null));
    cases.add(json("json null for a required field", replace("\"price\":2.5", "\"price\":null"), 0, "required field 'price'"));
    // JSON: hostile text
    cases.add(json("json number beyond the double range", replace("2.5", "1e400"), 0,
        "field 'price': '1e400' is not a finite number (outside the DOUBLE range)"));
    cases.add(json("json negative number beyond the double range", replace("2.5", "-2e308"), 0, "field 'price': '-2e308' is not a finite"));
    cases.add(json("json Infinity literal", replace("2.5", "Infinity"), 0, "malformed JSON"));
    cases.add(json("json largest double is fine", replace("2.5", "1.7976931348623157e308"), 1, null));
    cases.add(json("json time without offset", replace("2024-05-01T10:00:00Z", "2024-05-01T10:00:00"), 0,
        "field 'orderTime': '2024-05-01T10:00:00' has no UTC offset; write e.g. 2024-05-01T10:00:00Z"));
    cases.add(json("json time with a +02:00 offset", replace("2024-05-01T10:00:00Z", "2024-05-01T12:00:00+02:00"), 1, null));
    cases.add(json("json date alone is not a time", replace("2024-05-01T10:00:00Z", "2024-05-01"), 0,
        "field 'orderTime': '2024-05-01' is not an ISO-8601 time with offset"));
    cases.add(new Case("json invalid UTF-8 inside a string", Formats.json(ORDER), withByte(GOOD_JSON, "Lyon", (byte) 0xE9), 1, 0, "Invalid UTF-8"));
    // XML
    cases.add(xml("xml entity expansion bomb", "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>"
        + "<orders><order><id>&lol2;</id></order></orders>", 1, 0, "DOCTYPE declarations are not allowed"));
    cases.add(xml("xml external entity", "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
        + "<orders><order><id>&xxe;</id></order></orders>", 1, 0, "DOCTYPE declarations are not allowed"));
    cases.add(xml("xml unclosed tag", "<orders>" + GOOD_XML_ORDER + "<order><id>o-2</id>", 2, 1, "malformed XML"));
    cases.add(xml("xml wrong type", "<orders>" + GOOD_XML_ORDER.replace(">3<", ">three<") + "</orders>", 1, 0, "field 'quantity'"));
    cases.add(xml("xml missing element", "<orders>" + GOOD_XML_ORDER.replace("<price>2.5</price>", "") + "</orders>", 1, 0, "required field 'price'"));
    cases.add(xml("xml extra elements ignored", "<orders>" + GOOD_XML_ORDER.replace("<id>", "<coupon>X</coupon><id>") + "</orders>", 1, 1, null));
    cases.add(xml("xml CDATA value", "<orders>" + GOOD_XML_ORDER.replace("<id>o-1</id>", "<id><![CDATA[o-1]]></id>") + "</orders>", 1, 1, null));
    cases.add(new Case("xml non-UTF-8 bytes", Formats.xml(ORDER, "order"), new byte[] {'<', 'a', '>', (byte) 0xff, '<', '/', 'a', '>'}, 1, 0,
        "not UTF-8: byte 0xFF at offset 3 (line 1)"));
    cases.add(xml("xml empty document", "", 1, 0, "malformed XML"));
    cases.add(xml("xml plain text", "hello there", 1, 0, "malformed XML"));
    cases.add(xml("xml without any record element", "<orders><purchase><id>o-1</id></purchase></orders>", 1, 0, "no <order> record"));
    cases.add(xml("xml nested element where a value belongs", "<orders>" + GOOD_XML_ORDER.replace("<id>o-1</id>", "<id><x>1</x></id>") + "</orders>", 1, 0, "field 'id'"));
    // XML: hostile text
    String namespaced = "<ns:orders xmlns:ns=\"urn:shop\">" + GOOD_XML_ORDER.replaceAll("<(/?)([a-zA-Z]+)>", "<$1ns:$2>") + "</ns:orders>";
    cases.add(xml("xml namespaced records, namespace declared on the root", namespaced, 1, 1, null));
    cases.add(new Case("xml namespaced records named with their prefix", Formats.xml(ORDER, "ns:order"),
        namespaced.getBytes(StandardCharsets.UTF_8), 1, 1, null));
    cases.add(xml("xml default namespace on the root", "<orders xmlns=\"urn:shop\">" + GOOD_XML_ORDER + "</orders>", 1, 1, null));
    cases.add(xml("xml undefined entity without a DTD", "<orders>" + GOOD_XML_ORDER.replace(">o-1<", ">&xxe;<") + GOOD_XML_ORDER + "</orders>", 2, 1,
        "entity '&xxe;' in element 'id' is not defined"));
    cases.add(xml("xml predefined entities and character references", "<orders>" + GOOD_XML_ORDER.replace(">o-1<", ">o&amp;1&#65;&lt;<") + "</orders>", 1, 1, null));
    cases.add(xml("xml number beyond the double range", "<orders>" + GOOD_XML_ORDER.replace(">2.5<", ">1e400<") + "</orders>", 1, 0,
        "field 'price': '1e400' is not a finite number (outside the DOUBLE range)"));
    cases.add(xml("xml NaN", "<orders>" + GOOD_XML_ORDER.replace(">2.5<", ">NaN<") + "</orders>", 1, 0, "field 'price': 'NaN' is not a finite number"));
    cases.add(xml("xml time without offset", "<orders>" + GOOD_XML_ORDER.replace("10:00:00Z", "10:00:00") + "</orders>", 1, 0,
        "field 'orderTime': '2024-05-01T10:00:00' has no UTC offset"));
    cases.add(xml("xml empty element for a required string is the empty string", "<orders>" + GOOD_XML_ORDER.replace("<id>o-1</id>", "<id></id>") + "</orders>", 1, 1, null));
    // CSV
    cases.add(csv("csv wrong cell count", "id,n,when\na,1,\nb,2,,extra\n", 2, 1, "has 4 cells, expected 3"));
    cases.add(csv("csv unterminated quote", "id,n,when\na,1,\n\"b,2,\n", 2, 1, "malformed CSV"));
    cases.add(csv("csv bad number", "id,n,when\na,one,\n", 1, 0, "field 'n'"));
    cases.add(csv("csv header without a required column", "id,when\na,\nb,\n", 2, 0, "required field 'n'"));
    cases.add(csv("csv with a byte-order mark", "\uFEFFid,n,when\na,1,\n", 1, 1, null));
    cases.add(csv("csv bad time", "id,n,when\na,1,noon\n", 1, 0, "field 'when'"));
    cases.add(new Case("xml invalid UTF-8 in a value", Formats.xml(ORDER, "order"),
        withByte("<orders>" + GOOD_XML_ORDER + "\n" + GOOD_XML_ORDER + "</orders>", "\n<order><id>o-", (byte) 0xFF), 2, 1,
        "not UTF-8: byte 0xFF at offset 189 (line 2); the record is not read"));
    cases.add(new Case("xml invalid UTF-8 between records", Formats.xml(ORDER, "order"),
        withByte("<orders>" + GOOD_XML_ORDER + "\n" + GOOD_XML_ORDER + "</orders>", "</order>\n", (byte) 0x80), 3, 2,
        "not UTF-8: byte 0x80 at offset 176 (line 2); outside any record, so no record is lost"));
    cases.add(new Case("xml invalid UTF-8 in the root's attribute and after the last record", Formats.xml(ORDER, "order"),
        concat(withByte("<orders note=\"x\">" + GOOD_XML_ORDER + "</orders>\n<!---->", "note=\"", (byte) 0xFE), new byte[] {(byte) 0xFF}), 3, 1,
        "not UTF-8: byte 0xFE at offset 14 (line 1); outside any record, so no record is lost | not UTF-8: byte 0xFF at offset 202 (line 2); the rest of the document is not read (malformed XML"));
    // CSV: hostile text
    cases.add(new Case("csv invalid UTF-8 in a cell", Formats.csv(FLAT, true, ','), withByte("id,n,when\na,1,\nb", "\nb", (byte) 0xC3), 2, 1,
        "not UTF-8: byte 0xC3 at offset 16 (line 3); the record is not read"));
    cases.add(new Case("csv invalid UTF-8 in two records, one over two lines", Formats.csv(FLAT, true, ','),
        concat(concat("id,n,when\na,1,\n\"b\n".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xFF}),
            concat(concat("b\",2,\nc,3,\nd".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xFE}), ",4,\ne,5,\n".getBytes(StandardCharsets.UTF_8))),
        5, 3, "not UTF-8: byte 0xFF at offset 18 (line 4); the record is not read | not UTF-8: byte 0xFE at offset 31 (line 6); the record is not read"));
    cases.add(new Case("csv invalid UTF-8 in the header", Formats.csv(FLAT, true, ','), withByte("id,n,when\na,1,\n", "id,", (byte) 0xFF), 1, 0,
        "not UTF-8: byte 0xFF at offset 3 (line 1); the header is not read, so neither is the file"));
    cases.add(csv("csv empty required string", "id,n,when\n,1,\nb,2,\n", 2, 1, "required field 'id' is missing or empty"));
    cases.add(csv("csv quoted empty required string", "id,n,when\n\"\",1,\n", 1, 0, "required field 'id' is missing or empty"));
    cases.add(csv("csv duplicate header", "id,n,id,when\na,1,b,\n", 1, 0, "the CSV header names column 'id' twice (columns 1 and 3)"));
    cases.add(csv("csv wrong delimiter", "id;n;when\na;1;\nb;2;\n", 1, 0,
        "the CSV header has one column, 'id;n;when', with the delimiter ','; the file seems delimited by ';' (set delimiter)"));
    cases.add(new Case("csv wrong delimiter, tab expected", Formats.csv(FLAT, true, '\t'), "id,n,when\na,1,\n".getBytes(StandardCharsets.UTF_8), 1, 0,
        "one column, 'id,n,when', with the delimiter tab ('\\t'); the file seems delimited by ','"));
    cases.add(csv("csv time without offset", "id,n,when\na,1,2024-05-01T10:00:00\n", 1, 0, "field 'when': '2024-05-01T10:00:00' has no UTC offset"));
    cases.add(csvNumbers("csv number beyond the double range", "a,1e400,", 0, "field 'x': '1e400' is not a finite number (outside the DOUBLE range)"));
    cases.add(csvNumbers("csv number beyond the float range", "a,1,1e39", 0, "field 'f': '1e39' is not a finite number (outside the FLOAT range)"));
    cases.add(csvNumbers("csv NaN", "a,NaN,", 0, "field 'x': 'NaN' is not a finite number"));
    cases.add(csvNumbers("csv -Infinity", "a,-Infinity,", 0, "field 'x': '-Infinity' is not a finite number"));
    cases.add(csvNumbers("csv hexadecimal float", "a,0x1p3,", 0, "field 'x': '0x1p3' is not a valid DOUBLE"));
    cases.add(csvNumbers("csv Java float suffix", "a,2.5d,", 0, "field 'x': '2.5d' is not a valid DOUBLE"));
    cases.add(csvNumbers("csv plain numbers", "a,-1.5e3,2.5", 1, null));
    // Avro
    byte[] good = Formats.avro(ORDER).encode(org.apache.beam.sdk.values.Row.withSchema(ORDER).addValues("o-1", 3, 2.5,
        new org.joda.time.Instant(0), null, org.apache.beam.sdk.values.Row.withSchema(ADDRESS).addValues("Lyon", "FR").build()).build());
    cases.add(avro("avro garbage bytes", new byte[] {(byte) 0xff, 0x01, 0x02}, 0, "not an Avro record"));
    cases.add(avro("avro truncated record", java.util.Arrays.copyOf(good, good.length / 2), 0, "not an Avro record"));
    cases.add(avro("avro empty payload", new byte[0], 0, "not an Avro record"));
    cases.add(avro("avro valid record", good, 1, null));
    return cases;
  }

  private final Case test;

  public BadInputTest(Case test) {
    this.test = test;
  }

  @Test
  public void noCrashAndEveryRecordIsWrittenOrDeadLetteredWithAReason() {
    FormatsTest.Collected out = new FormatsTest.Collected();
    test.format().decode(test.payload(), out);
    assertThat(test.name() + ": in = out + dead-lettered", out.rows.size() + out.reasons.size(), equalTo(test.records()));
    assertThat(test.name() + ": rows out " + out.reasons, out.rows.size(), equalTo(test.out()));
    if (test.reason() != null) {
      assertThat(test.name(), String.join(" | ", out.reasons), containsString(test.reason()));
    }
  }

  /** {@code text} as UTF-8 with the byte {@code bad} inserted after the first {@code after}. */
  static byte[] withByte(String text, String after, byte bad) {
    int at = text.indexOf(after) + after.length();
    return concat(concat(text.substring(0, at).getBytes(StandardCharsets.UTF_8), new byte[] {bad}),
        text.substring(at).getBytes(StandardCharsets.UTF_8));
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }
}
