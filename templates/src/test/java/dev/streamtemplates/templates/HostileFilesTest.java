package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.streamtemplates.pipelines.launcher.Launcher;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * Hostile input files run end to end through the launcher (file source straight to a file sink,
 * on Direct): each run ends normally, prints no stack trace, its balance holds (read = written +
 * dead-lettered), the good records are written and each bad one is in the dead-letter output with
 * its reason. Expected counts are the test's own, from the files it writes.
 */
@RunWith(Parameterized.class)
public class HostileFilesTest {
  @Rule public final TemporaryFolder folder = new TemporaryFolder();

  /**
   * A file, its format, how many records must be written, a reason the dead letters must contain
   * ("" for none), and the expression of a MapFields step between source and sink ("" for none).
   */
  record Case(String name, String format, byte[] content, int written, int deadLetters, String reason, String expression) {
    Case(String name, String format, byte[] content, int written, int deadLetters, String reason) {
      this(name, format, content, written, deadLetters, reason, "");
    }

    @Override
    public String toString() {
      return name;
    }
  }

  @Parameter public Case hostile;

  static final String AVSC = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
      + "{\"name\":\"amount\",\"type\":\"double\"},{\"name\":\"at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}";

  static final String GOOD_JSON = "{\"id\":\"a\",\"amount\":1.5,\"at\":\"2024-05-01T10:00:00Z\"}\n";

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /** An Avro container file of n records, 10 per block. */
  static byte[] avro(int n) throws IOException {
    Schema schema = new Schema.Parser().parse(AVSC);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DataFileWriter<GenericRecord> writer = new DataFileWriter<>(new GenericDatumWriter<GenericRecord>(schema))) {
      writer.create(schema, out);
      for (int i = 0; i < n; i++) {
        GenericRecord record = new GenericData.Record(schema);
        record.put("id", "r" + i);
        record.put("amount", (double) i);
        record.put("at", 1_714_557_600_000L + i);
        writer.append(record);
        if (i % 10 == 9) {
          writer.sync();
        }
      }
    }
    return out.toByteArray();
  }

  @Parameters(name = "{0}")
  public static List<Case> cases() throws IOException {
    List<Case> cases = new ArrayList<>();
    // JSON lines: one good record and one hostile line each.
    cases.add(new Case("json: invalid UTF-8", "json", concat(bytes(GOOD_JSON), bytes("{\"id\":\""), new byte[] {(byte) 0xC3, (byte) 0x28},
        bytes("\",\"amount\":1,\"at\":\"2024-05-01T10:00:00Z\"}\n")), 1, 1, "Invalid UTF-8"));
    cases.add(new Case("json: a number beyond the double range", "json",
        bytes(GOOD_JSON + "{\"id\":\"b\",\"amount\":1e400,\"at\":\"2024-05-01T10:00:00Z\"}\n"), 1, 1, "is not a finite number"));
    cases.add(new Case("json: NaN", "json", bytes(GOOD_JSON + "{\"id\":\"b\",\"amount\":NaN,\"at\":\"2024-05-01T10:00:00Z\"}\n"), 1, 1, ""));
    cases.add(new Case("json: a datetime without offset", "json",
        bytes(GOOD_JSON + "{\"id\":\"b\",\"amount\":2,\"at\":\"2024-05-01T10:00:00\"}\n"), 1, 1, "has no UTC offset"));
    cases.add(new Case("json: a required field missing", "json", bytes(GOOD_JSON + "{\"id\":\"b\",\"at\":\"2024-05-01T10:00:00Z\"}\n"), 1, 1, "amount"));
    cases.add(new Case("json: a wrong type", "json", bytes(GOOD_JSON + "{\"id\":\"b\",\"amount\":\"ten\",\"at\":\"2024-05-01T10:00:00Z\"}\n"), 1, 1, "amount"));
    cases.add(new Case("json: a line cut short", "json", bytes(GOOD_JSON + "{\"id\":\"b\",\n"), 1, 1, ""));
    cases.add(new Case("json: not an object", "json", bytes(GOOD_JSON + "[1,2,3]\n\"text\"\n"), 1, 2, ""));
    cases.add(new Case("json: blank lines, CRLF and a BOM", "json", concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
        bytes(GOOD_JSON.replace("\n", "\r\n") + "\n   \n" + GOOD_JSON.replace("\"a\"", "\"c\""))), 2, 0, ""));
    cases.add(new Case("json: a 2 MB string", "json", bytes(GOOD_JSON + "{\"id\":\"" + "x".repeat(2_000_000) + "\",\"amount\":1,\"at\":0}\n"), 2, 0, ""));
    // CSV.
    String header = "id,amount,at\n";
    cases.add(new Case("csv: an empty required cell", "csv", bytes(header + "a,1.5,2024-05-01T10:00:00Z\n,2,2024-05-01T10:00:00Z\n"), 1, 1, "id"));
    cases.add(new Case("csv: a header naming a column twice", "csv", bytes("id,amount,id\na,1,b\n"), 0, 1, "twice"));
    cases.add(new Case("csv: the wrong delimiter", "csv", bytes("id;amount;at\na;1;2024-05-01T10:00:00Z\n"), 0, 1, "one column"));
    cases.add(new Case("csv: an extra cell", "csv", bytes(header + "a,1.5,2024-05-01T10:00:00Z\nb,2,2024-05-01T10:00:00Z,extra\n"), 1, 1, ""));
    cases.add(new Case("csv: an unterminated quote", "csv", bytes(header + "a,1.5,2024-05-01T10:00:00Z\n\"b,2,2024-05-01T10:00:00Z\n"), 1, 1, ""));
    cases.add(new Case("csv: invalid UTF-8", "csv", concat(bytes(header + "a,1.5,2024-05-01T10:00:00Z\nb"), new byte[] {(byte) 0xFF},
        bytes(",2,2024-05-01T10:00:00Z\n")), 1, 1, "not UTF-8: byte 0xFF at offset 41 (line 3); the record is not read"));
    // XML.
    String rec = "<rec><id>a</id><amount>1.5</amount><at>2024-05-01T10:00:00Z</at></rec>";
    cases.add(new Case("xml: namespaced records", "xml", bytes("<ns:recs xmlns:ns=\"urn:x\">" + rec.replace("rec>", "ns:rec>").replace("<rec", "<ns:rec")
        + "</ns:recs>"), 1, 0, ""));
    cases.add(new Case("xml: an undefined entity", "xml", bytes("<recs>" + rec + rec.replace(">a<", ">&xxe;<") + "</recs>"), 1, 1, "&xxe;"));
    cases.add(new Case("xml: a DTD with entities", "xml", bytes("<?xml version=\"1.0\"?><!DOCTYPE recs [<!ENTITY a \"aaaaaaaaaa\">"
        + "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><recs>" + rec.replace(">a<", ">&b;<") + "</recs>"), 0, 1, ""));
    cases.add(new Case("xml: an unclosed element", "xml", bytes("<recs>" + rec + "<rec><id>b</id>" + "</recs>"), 1, 1, ""));
    cases.add(new Case("xml: invalid UTF-8 in one record of three", "xml", concat(bytes("<recs>" + rec + "<rec><id>b"), new byte[] {(byte) 0xC0},
        bytes(rec.substring(rec.indexOf("</id>")) + rec.replace(">a<", ">c<") + "</recs>")), 2, 1, "not UTF-8: byte 0xC0"));
    // An export over the 16 MiB payload limit (read in parts of about 4 MiB, cut between records):
    // 180 records of 100 KB, one with a bad value; a whole-document read made it one oversized dead letter.
    StringBuilder export = new StringBuilder("<?xml version=\"1.0\"?>\n<recs xmlns:x=\"urn:x\">\n");
    for (int i = 0; i < 180; i++) {
      export.append(rec.replace(">a<", ">" + i + "-" + "x".repeat(100_000) + "<").replace(">1.5<", i == 90 ? ">ten<" : ">1.5<")).append('\n');
    }
    cases.add(new Case("xml: an 18 MB export with one bad record", "xml", bytes(export.append("</recs>\n").toString()), 179, 1, "amount"));
    // Avro container files.
    byte[] good = avro(50);
    cases.add(new Case("avro: random bytes", "avro", new java.util.Random(1).ints(400, 0, 256).collect(ByteArrayOutputStream::new,
        (out, b) -> out.write(b), (a, b) -> a.writeBytes(b.toByteArray())).toByteArray(), 0, 1, "not an Avro container file"));
    cases.add(new Case("avro: a JSON file named .avro", "avro", bytes(GOOD_JSON), 0, 1, "not an Avro container file"));
    cases.add(new Case("avro: only the magic bytes", "avro", new byte[] {'O', 'b', 'j', 1}, 0, 1, "cut short"));
    cases.add(new Case("avro: a good file", "avro", good, 50, 0, ""));
    cases.add(new Case("avro: a file cut in its last block", "avro", Arrays.copyOf(good, good.length - 20), 40, 1, "truncated"));
    // Expressions that would build huge values from a large field: that record is a dead letter.
    String large = GOOD_JSON + "{\"id\":\"" + "x".repeat(1_000_000) + "\",\"amount\":1,\"at\":\"2024-05-01T10:00:00Z\"}\n";
    cases.add(new Case("cel: joining 3,000 references to a 1 MB field", "json", bytes(large), 1, 1,
        "join() would build a value of 3,000,000,000 characters", "[" + "id, ".repeat(2_999) + "id].join()"));
    cases.add(new Case("cel: concatenating a 1 MB field in a comprehension", "json", bytes(large), 1, 1,
        "more than the 1,048,576 an expression may build", "[1,2,3,4,5,6,7,8,9,10].map(i, id).join(id)"));
    cases.add(new Case("cel: a division by zero", "json", bytes(GOOD_JSON + GOOD_JSON.replace("1.5", "0.0")), 1, 1,
        "by zero", "string(10 / int(amount))"));
    return cases;
  }

  @Test
  public void runsToTheEndWithItsBalanceAndTheBadRecordsDeadLettered() throws IOException {
    Path dir = folder.getRoot().toPath();
    Files.writeString(dir.resolve("r.avsc"), AVSC);
    Path input = dir.resolve("in." + hostile.format());
    Files.write(input, hostile.content());
    Path spec = dir.resolve("hostile.yaml");
    Files.writeString(spec, String.join("\n",
        "name: hostile-file",
        "description: A hostile file, read and written as it is.",
        "sources:",
        "  - {name: in, type: file, path: '" + input + "', format: " + hostile.format() + ", schema: '" + dir.resolve("r.avsc") + "'"
            + ("xml".equals(hostile.format()) ? ", recordElement: rec" : "") + "}",
        hostile.expression().isEmpty() ? "" : "steps:\n  - {name: m, type: MapFields, input: in, fields: {id: \"" + hostile.expression() + "\"}}",
        "sinks:",
        "  - {name: out, input: " + (hostile.expression().isEmpty() ? "in" : "m") + ", type: file, format: json, path: '" + dir.resolve("out/records") + "'}",
        "deadLetter: {type: file, format: json, path: '" + dir.resolve("dead/letters") + "'}",
        ""));
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int code = new Launcher(new PrintStream(output, true, StandardCharsets.UTF_8)).main(new String[] {spec.toString()});
    String out = output.toString(StandardCharsets.UTF_8);
    assertThat(out, code, equalTo(0));
    assertThat(out, not(anyOf(containsString("\tat "), containsString("Exception in thread"))));
    assertThat(out, containsString(": holds"));
    List<String> written = ConformanceHarness.readRecords(dir.resolve("out/records").toString(), "json");
    List<String> dead = ConformanceHarness.readRecords(dir.resolve("dead/letters").toString(), "json");
    assertThat(out + dead, written.size(), equalTo(hostile.written()));
    assertThat(out + dead, dead.size(), equalTo(hostile.deadLetters()));
    assertThat(dead.toString(), containsString(hostile.reason()));
  }
}
