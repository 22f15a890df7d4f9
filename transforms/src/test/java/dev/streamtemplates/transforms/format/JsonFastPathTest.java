package dev.streamtemplates.transforms.format;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import dev.streamtemplates.transforms.format.FormatsTest.Collected;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.junit.Test;

/**
 * JSON records are read without RowJson when nothing about them is in doubt, and with RowJson
 * otherwise. Over random records mixing good values with every kind of wrong one (a number as
 * text, text as a number, a fraction or an out-of-range number for an integer, an integral number
 * for a DOUBLE, NaN and 1e400, times without offset, missing and null required fields, an array
 * where an object belongs, trailing garbage), both readings must give the same rows, holding the
 * same classes, and the same dead letters with the same reasons.
 */
public class JsonFastPathTest {
  private static final Schema INNER = Schema.builder().addInt64Field("a").addNullableField("at", FieldType.DATETIME).build();
  /** Only types the fast path reads, so that it reads most good records itself. */
  private static final Schema FAST = Schema.builder()
      .addStringField("s")
      .addInt32Field("i")
      .addInt64Field("l")
      .addDoubleField("d")
      .addBooleanField("b")
      .addDateTimeField("t")
      .addNullableField("ns", FieldType.STRING)
      .addNullableField("nl", FieldType.INT64)
      .addRowField("r", INNER)
      .addArrayField("arr", FieldType.INT64)
      .addArrayField("rows", FieldType.row(INNER))
      .build();
  /** With types it leaves to RowJson too. */
  private static final Schema MIXED = Schema.builder()
      .addFields(FAST.getFields())
      .addFloatField("f")
      .addDecimalField("dec")
      .build();

  @Test
  public void fastAndRowJsonReadingsAgree() {
    int readFast = agree(FAST, new Random(2026));
    // The fast path itself read a good share, so the comparison above means something.
    assertThat(readFast, greaterThan(1000));
  }

  @Test
  public void aSchemaWithTypesLeftToRowJsonIsReadByRowJsonAlone() {
    // Else each of its records would be read twice, once in vain.
    assertThat(new JsonFormat(MIXED, true).readsFast(), equalTo(false));
    assertThat(new JsonFormat(FAST, true).readsFast(), equalTo(true));
    assertThat(new JsonFormat(FAST, false).readsFast(), equalTo(false));
    agree(MIXED, new Random(2027));
  }

  /** Decodes random records both ways; returns how many the fast path read itself. */
  private static int agree(Schema schema, Random random) {
    JsonFormat fast = new JsonFormat(schema, true);
    RecordFormat rowJson = new JsonFormat(schema, false);
    int rows = 0;
    int deadLetters = 0;
    int readFast = 0;
    for (int i = 0; i < 3000; i++) {
      String json = record(schema, random, random.nextInt(4) == 0 ? 0.3 : 0.02);
      if (random.nextInt(50) == 0) {
        json += random.nextBoolean() ? " garbage" : " {}";
      }
      Collected a = FormatsTest.decode(fast, json);
      Collected b = FormatsTest.decode(rowJson, json);
      assertThat(json, a.reasons, equalTo(b.reasons));
      assertThat(json, a.raw, equalTo(b.raw));
      assertThat(json, a.rows, equalTo(b.rows));
      for (int r = 0; r < a.rows.size(); r++) {
        TextValuesTest.assertSameValues(a.rows.get(r), b.rows.get(r), json + ": ");
      }
      rows += a.rows.size();
      deadLetters += a.reasons.size();
      readFast += fast.fast(json.getBytes(StandardCharsets.UTF_8)) == null ? 0 : 1;
    }
    // Both kinds occur often enough to mean something.
    assertThat(rows, greaterThan(500));
    assertThat(deadLetters, greaterThan(300));
    return readFast;
  }

  /** A JSON object for the schema; each field wrong (of a random kind) with probability {@code wrong}. */
  private static String record(Schema schema, Random random, double wrong) {
    List<String> fields = new ArrayList<>();
    for (Schema.Field field : schema.getFields()) {
      String value = random.nextDouble() < wrong ? wrongValue(random) : good(random, field.getType());
      if (value != null) {
        fields.add("\"" + field.getName() + "\":" + value);
      }
    }
    return "{" + String.join(",", fields) + "}";
  }

  /** A value of the type, or null for an absent nullable field (sometimes). */
  private static String good(Random random, FieldType type) {
    if (type.getNullable() && random.nextInt(3) == 0) {
      return random.nextBoolean() ? null : "null";
    }
    switch (type.getTypeName()) {
      case STRING:
        return "\"v" + random.nextInt(1000) + (random.nextInt(10) == 0 ? "\\u00e9\\n" : "") + "\"";
      case INT32:
        return Integer.toString(random.nextInt());
      case INT64:
        return Long.toString(random.nextLong() >> random.nextInt(60));
      case DOUBLE:
      case FLOAT:
      case DECIMAL:
        return random.nextInt(5) == 0 ? Integer.toString(random.nextInt(1000)) : Double.toString(random.nextDouble() * 1000 - 500);
      case BOOLEAN:
        return Boolean.toString(random.nextBoolean());
      case DATETIME:
        long millis = 1_700_000_000_000L + random.nextInt(1_000_000_000);
        return switch (random.nextInt(3)) {
          case 0 -> Long.toString(millis);
          case 1 -> "\"" + new org.joda.time.Instant(millis) + "\"";
          default -> "\"" + new org.joda.time.DateTime(millis, org.joda.time.DateTimeZone.forOffsetHours(2)) + "\"";
        };
      case ROW:
        return "{\"a\":" + random.nextInt(100) + ",\"at\":" + good(random, FieldType.DATETIME.withNullable(true)) + "}";
      case ARRAY:
        StringBuilder array = new StringBuilder("[");
        for (int i = random.nextInt(3); i > 0; i--) {
          array.append(good(random, type.getCollectionElementType())).append(i > 1 ? "," : "");
        }
        return array.append("]").toString();
      default:
        throw new IllegalArgumentException(type.toString());
    }
  }

  private static final String[] WRONG = {
    "\"12\"", "12", "12.5", "-0.0", "1e400", "-1e400", "\"NaN\"", "1e30", "123456789012345678901234567890", "2147483648",
    "-9223372036854775809", "true", "\"true\"", "null", null, "[]", "[1,null]", "{}", "{\"a\":\"x\"}", "[{\"a\":1},{\"a\":null}]",
    "\"2024-05-01T10:00:00\"", "\"2024-05-01T10:00:00+02:00\"", "\"2024-05-01\"", "\"+12024-05-01T10:00:00Z\"",
    "253402300800000", "-62135596800001", "9223372036854775807", "\"\"", "0.1", "3.4028236e38",
  };

  private static String wrongValue(Random random) {
    return WRONG[random.nextInt(WRONG.length)];
  }
}
