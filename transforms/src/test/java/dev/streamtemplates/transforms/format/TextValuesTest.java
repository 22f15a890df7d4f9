package dev.streamtemplates.transforms.format;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;

import dev.streamtemplates.transforms.format.FormatsTest.Collected;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Instant;
import org.junit.Test;

/**
 * XML and CSV rows are made with {@code attachValues}, which checks nothing. These tests make random
 * records of every type the text formats read, build the expected row with Beam's checking
 * {@code Row.Builder.build()} from the values chosen, and require the decoded row to be equal to it
 * and to hold each value in the same class, nested rows and arrays included (a DATETIME kept as a
 * {@code DateTime}, or an INT64 as an {@code Integer}, fails here instead of in a coder or a
 * comparison downstream).
 */
public class TextValuesTest {
  private static final Schema ITEM = Schema.builder().addInt64Field("n").addNullableField("label", FieldType.STRING).build();
  private static final Schema FLAT = Schema.builder()
      .addStringField("s")
      .addByteField("b")
      .addInt16Field("i16")
      .addInt32Field("i32")
      .addInt64Field("i64")
      .addFloatField("f")
      .addDoubleField("d")
      .addDecimalField("dec")
      .addBooleanField("flag")
      .addDateTimeField("at")
      .addByteArrayField("raw")
      .addLogicalTypeField("day", SqlTypes.DATE)
      .addNullableField("opt", FieldType.INT64)
      .build();
  private static final Schema NESTED = Schema.builder()
      .addStringField("id")
      .addDateTimeField("at")
      .addRowField("item", ITEM)
      .addNullableField("maybe", FieldType.row(ITEM))
      .addArrayField("tags", FieldType.STRING)
      .addArrayField("items", FieldType.row(ITEM))
      .build();

  @Test
  public void csvRowsEqualCheckedRowsValueByValue() {
    Random random = new Random(7);
    RecordFormat csv = Formats.csv(FLAT, false, ',');
    for (int i = 0; i < 200; i++) {
      Row expected = flat(random);
      String line = String.join(",", cells(expected));
      Collected out = FormatsTest.decode(csv, line);
      assertThat(line, out.reasons, empty());
      assertThat(out.rows, hasSize(1));
      assertSameValues(out.rows.get(0), expected, "");
    }
  }

  @Test
  public void xmlRowsEqualCheckedRowsValueByValue() {
    Random random = new Random(11);
    RecordFormat flatXml = Formats.xml(FLAT, "r");
    RecordFormat nestedXml = Formats.xml(NESTED, "r");
    for (int i = 0; i < 200; i++) {
      Row flat = flat(random);
      StringBuilder xml = new StringBuilder("<rs><r>");
      List<String> cells = cells(flat);
      for (int f = 0; f < FLAT.getFieldCount(); f++) {
        if (!cells.get(f).isEmpty()) {
          xml.append('<').append(FLAT.getField(f).getName()).append('>').append(cells.get(f))
              .append("</").append(FLAT.getField(f).getName()).append('>');
        }
      }
      Collected out = FormatsTest.decode(flatXml, xml.append("</r></rs>").toString());
      assertThat(xml.toString(), out.reasons, empty());
      assertSameValues(out.rows.get(0), flat, "");

      Row nested = nested(random);
      Collected nestedOut = FormatsTest.decode(nestedXml, "<rs>" + nestedXml(nested) + "</rs>");
      assertThat(nestedOut.reasons, empty());
      assertSameValues(nestedOut.rows.get(0), nested, "");
    }
  }

  /** Equal, and each value of the same class as in {@code expected}, recursively (also used by {@code JsonFastPathTest}). */
  static void assertSameValues(Row actual, Row expected, String path) {
    assertThat(path, actual, equalTo(expected));
    assertThat(path, actual.getSchema(), equalTo(expected.getSchema()));
    for (int f = 0; f < expected.getFieldCount(); f++) {
      String name = path + expected.getSchema().getField(f).getName();
      Object want = expected.getValue(f);
      Object got = actual.getValue(f);
      if (want == null || got == null) {
        assertThat(name, got, equalTo(want));
      } else if (want instanceof Row) {
        assertSameValues((Row) got, (Row) want, name + ".");
      } else if (want instanceof List) {
        List<?> wantList = (List<?>) want;
        List<?> gotList = (List<?>) got;
        assertThat(name, gotList, hasSize(wantList.size()));
        for (int i = 0; i < wantList.size(); i++) {
          if (wantList.get(i) instanceof Row) {
            assertSameValues((Row) gotList.get(i), (Row) wantList.get(i), name + "[" + i + "].");
          } else {
            assertThat(name + "[" + i + "]", gotList.get(i).getClass(), equalTo(wantList.get(i).getClass()));
          }
        }
      } else {
        assertThat(name, got.getClass(), equalTo(want.getClass()));
      }
    }
  }

  private static Row flat(Random random) {
    byte[] raw = new byte[random.nextInt(6)];
    random.nextBytes(raw);
    return Row.withSchema(FLAT).addValues(
        "s" + random.nextInt(1000),
        (byte) (random.nextInt(256) - 128),
        (short) (random.nextInt(65536) - 32768),
        random.nextInt(),
        random.nextLong(),
        (float) (random.nextInt(2000) - 1000) / 8,
        random.nextDouble() * 1e6 - 5e5,
        BigDecimal.valueOf(random.nextLong() % 100000, random.nextInt(4)),
        random.nextBoolean(),
        new Instant(1_700_000_000_000L + random.nextInt(1_000_000_000)),
        raw.length == 0 ? new byte[] {1} : raw,
        LocalDate.of(2000 + random.nextInt(30), 1 + random.nextInt(12), 1 + random.nextInt(28)),
        random.nextBoolean() ? null : random.nextLong()).build();
  }

  /** The row's values as CSV cells (nothing in them needs quoting). */
  private static List<String> cells(Row row) {
    List<String> cells = new ArrayList<>();
    for (int f = 0; f < row.getFieldCount(); f++) {
      Object value = row.getValue(f);
      cells.add(value == null ? "" : value instanceof byte[] ? Base64.getEncoder().encodeToString((byte[]) value)
          // a DATETIME in ISO-8601 or as epoch millis, both spellings read
          : value instanceof Instant ? (((Instant) value).getMillis() % 2 == 0 ? value.toString() : Long.toString(((Instant) value).getMillis()))
          : value.toString());
    }
    return cells;
  }

  private static Row item(Random random) {
    return Row.withSchema(ITEM).addValues(random.nextLong(), random.nextBoolean() ? null : "l" + random.nextInt(9)).build();
  }

  private static Row nested(Random random) {
    List<String> tags = new ArrayList<>();
    List<Row> items = new ArrayList<>();
    for (int i = 1 + random.nextInt(3); i > 0; i--) {
      tags.add("t" + random.nextInt(99));
    }
    for (int i = 2 + random.nextInt(3); i > 0; i--) {
      items.add(item(random));
    }
    return Row.withSchema(NESTED).addValues(
        "id" + random.nextInt(99),
        new Instant(1_700_000_000_000L + random.nextInt(1_000_000)),
        item(random),
        random.nextBoolean() ? null : item(random),
        tags,
        items).build();
  }

  private static String itemXml(String element, Row item) {
    String label = item.getString("label") == null ? "" : "<label>" + item.getString("label") + "</label>";
    return "<" + element + "><n>" + item.getInt64("n") + "</n>" + label + "</" + element + ">";
  }

  private static String nestedXml(Row row) {
    StringBuilder xml = new StringBuilder("<r><id>").append(row.getString("id")).append("</id><at>")
        .append(row.getDateTime("at")).append("</at>").append(itemXml("item", row.getRow("item")));
    if (row.getRow("maybe") != null) {
      xml.append(itemXml("maybe", row.getRow("maybe")));
    }
    xml.append("<tags>");
    for (Object tag : row.getArray("tags")) {
      xml.append("<tag>").append(tag).append("</tag>");
    }
    xml.append("</tags>");
    for (Object item : row.getArray("items")) {
      xml.append(itemXml("items", (Row) item));
    }
    return xml.append("</r>").toString();
  }
}
