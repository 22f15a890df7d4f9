package dev.streamtemplates.transforms.format;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.junit.Test;

/**
 * What the text writers produce, their readers read back: a NaN or infinite number and (in CSV) an
 * empty string are refused at the writer, naming the field, rather than written as something the
 * reader would reject or read as another value.
 */
public class NonFiniteAndEmptyRoundTripTest {
  static final Schema INNER = Schema.builder().addDoubleField("y").build();
  static final Schema SCHEMA =
      Schema.builder().addStringField("id").addDoubleField("x").addNullableField("f", FieldType.FLOAT)
          .addNullableField("note", FieldType.STRING).addNullableField("inner", FieldType.row(INNER))
          .addNullableField("xs", FieldType.array(FieldType.DOUBLE)).build();

  static Row row(double x, Float f, String note) {
    return Row.withSchema(SCHEMA).addValues("a", x, f, note, null, null).build();
  }

  static List<RecordFormat> textFormats() {
    return List.of(Formats.json(SCHEMA), Formats.xml(SCHEMA, "r"), Formats.csv(
        Schema.builder().addStringField("id").addDoubleField("x").addNullableField("f", FieldType.FLOAT)
            .addNullableField("note", FieldType.STRING).build(), false, ','));
  }

  private static Row flatFor(RecordFormat format, Row row) {
    if (!format.name().equals("csv")) {
      return row;
    }
    return Row.withSchema(format.schema()).addValues(row.getValue("id"), row.getValue("x"), row.getValue("f"), row.getValue("note")).build();
  }

  private static FormatsTest.Collected read(RecordFormat format, byte[] payload) {
    FormatsTest.Collected out = new FormatsTest.Collected();
    String text = new String(payload, java.nio.charset.StandardCharsets.UTF_8);
    if (format.fileHeader() != null && format.name().equals("xml")) {
      text = format.fileHeader() + text + format.fileFooter();
    }
    format.decode(text.getBytes(java.nio.charset.StandardCharsets.UTF_8), out);
    return out;
  }

  @Test
  public void everyTextWriterRefusesNonFiniteNumbersNamingTheField() {
    for (RecordFormat format : textFormats()) {
      for (double bad : new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN}) {
        IllegalArgumentException e =
            assertThrows(IllegalArgumentException.class, () -> format.encode(flatFor(format, row(bad, null, null))));
        assertThat(format.name(), e.getMessage(), containsString("field 'x': " + bad + " is not a finite number"));
      }
      IllegalArgumentException f =
          assertThrows(IllegalArgumentException.class, () -> format.encode(flatFor(format, row(1, Float.NaN, null))));
      assertThat(format.name(), f.getMessage(), containsString("field 'f': NaN is not a finite number"));
    }
  }

  @Test
  public void nestedNonFiniteNumbersAreRefusedWithTheirPath() {
    Row nested = Row.withSchema(SCHEMA).addValues("a", 1.0, null, null, Row.withSchema(INNER).addValue(Double.NaN).build(),
        List.of(1.0, Double.NEGATIVE_INFINITY)).build();
    assertThat(assertThrows(IllegalArgumentException.class, () -> Formats.json(SCHEMA).encode(nested)).getMessage(),
        containsString("field 'inner.y': NaN"));
    Row inList = Row.withSchema(SCHEMA).addValues("a", 1.0, null, null, null, List.of(1.0, Double.NEGATIVE_INFINITY)).build();
    assertThat(assertThrows(IllegalArgumentException.class, () -> Formats.json(SCHEMA).encode(inList)).getMessage(),
        containsString("field 'xs[1]': -Infinity"));
  }

  @Test
  public void extremeFiniteNumbersRoundTripInEveryTextFormat() {
    for (RecordFormat format : textFormats()) {
      for (double x : new double[] {Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE, 0.1, -0.0}) {
        for (Float f : new Float[] {Float.MAX_VALUE, 0.1f, null}) {
        Row row = flatFor(format, row(x, f, "n"));
        FormatsTest.Collected out = read(format, format.encode(row));
        assertThat(format.name() + " " + x + " " + f + " " + out.reasons, out.reasons, empty());
        assertThat(format.name() + " " + x, out.rows, contains(row));
        }
      }
    }
  }

  @Test
  public void csvRefusesAnEmptyStringWhichWouldReadBackAsNull() {
    RecordFormat csv = textFormats().get(2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> csv.encode(flatFor(csv, row(1, null, ""))));
    assertThat(e.getMessage(), containsString("field 'note': an empty string cannot be written to CSV"));
    Row withNull = flatFor(csv, row(1, null, null));
    assertThat(read(csv, csv.encode(withNull)).rows, contains(withNull));
  }

  @Test
  public void xmlKeepsAnEmptyStringApartFromNull() {
    RecordFormat xml = textFormats().get(1);
    for (String note : new String[] {"", null}) {
      Row row = row(1, null, note);
      FormatsTest.Collected out = read(xml, xml.encode(row));
      assertThat(out.reasons, empty());
      assertThat(out.rows.get(0).getString("note"), equalTo(note));
    }
  }
}
