package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.streamtemplates.pipelines.launcher.Launcher;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Inline schemas end to end through the launcher on Direct: a spec with one, its errors before
 * launch, and the schema {@code --infer-schema} prints, pasted into a spec, reading its own file
 * with no dead letters (JSON, CSV, XML).
 */
public class InlineSchemaTest {
  @Rule public final TemporaryFolder folder = new TemporaryFolder();

  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private final Launcher launcher = new Launcher(new PrintStream(output, true, StandardCharsets.UTF_8));

  private String out() {
    return output.toString(StandardCharsets.UTF_8);
  }

  private Path dir() {
    return folder.getRoot().toPath();
  }

  /** A spec reading {@code input} with {@code source} (its schema and format lines), written to JSON, and its run's exit code. */
  private int run(Path input, String... source) throws Exception {
    Path spec = dir().resolve("inline.yaml");
    Files.writeString(spec, String.join("\n",
        "name: inline",
        "description: A source with an inline schema.",
        "sources:",
        "  - name: in",
        "    type: file",
        "    path: '" + input + "'",
        "    " + String.join("\n    ", source),
        "sinks:",
        "  - {name: out, input: in, type: file, format: json, path: '" + dir().resolve("out/rows") + "'}",
        "deadLetter: {type: file, format: json, path: '" + dir().resolve("dead") + "'}",
        ""));
    return launcher.main(new String[] {spec.toString()});
  }

  private List<String> written() throws Exception {
    return ConformanceHarness.readRecords(dir().resolve("out/rows").toString(), "json");
  }

  /** Records as the harness reads them back (keys sorted), from the readable field order they are written in here. */
  private static String[] canonical(String... records) {
    return ConformanceHarness.canonical(List.of(records)).toArray(new String[0]);
  }

  private List<String> deadLetters() throws Exception {
    return ConformanceHarness.readRecords(dir().resolve("dead").toString(), "json");
  }

  @Test
  public void aSpecWithAnInlineSchemaReadsNestedRecordsListsAndNullsWithoutAnAvscFile() throws Exception {
    Path input = dir().resolve("orders.jsonl");
    Files.writeString(input, String.join("\n",
        "{\"id\":\"o1\",\"amount\":12.5,\"ts\":\"2024-05-01T10:00:00Z\",\"qty\":3,\"address\":{\"city\":\"Lyon\"},\"tags\":[\"a\",\"b\"],"
            + "\"lines\":[{\"k\":\"x\",\"v\":2}]}",
        "{\"id\":\"o2\",\"amount\":1.0,\"ts\":\"2024-05-01T11:00:00Z\",\"qty\":1,\"note\":\"gift\",\"address\":{\"city\":\"Oslo\",\"zip\":\"0150\"},"
            + "\"tags\":[],\"lines\":[]}",
        "{\"id\":\"o3\",\"amount\":\"lots\",\"ts\":\"2024-05-01T12:00:00Z\",\"qty\":1,\"address\":{\"city\":\"Rome\"},\"tags\":[],\"lines\":[]}",
        ""));
    int code = run(input, "format: json",
        "schema:",
        "  id: string",
        "  amount: double",
        "  ts: timestamp",
        "  qty: int",
        "  note: string?",
        "  address: {city: string, zip: 'string?'}",
        "  tags: [string]",
        "  lines: [{k: string, v: long}]",
        "  gift: {type: {wrap: boolean}, nullable: true}",
        "eventTime: {field: ts}");
    assertThat(out(), code, equalTo(0));
    assertThat(written(), containsInAnyOrder(canonical(
        "{\"id\":\"o1\",\"amount\":12.5,\"ts\":\"2024-05-01T10:00:00.000Z\",\"qty\":3,\"note\":null,\"address\":{\"city\":\"Lyon\",\"zip\":null},"
            + "\"tags\":[\"a\",\"b\"],\"lines\":[{\"k\":\"x\",\"v\":2}],\"gift\":null}",
        "{\"id\":\"o2\",\"amount\":1.0,\"ts\":\"2024-05-01T11:00:00.000Z\",\"qty\":1,\"note\":\"gift\",\"address\":{\"city\":\"Oslo\",\"zip\":\"0150\"},"
            + "\"tags\":[],\"lines\":[],\"gift\":null}")));
    List<String> dead = deadLetters();
    assertThat(dead.toString(), dead.size(), equalTo(1));
    assertThat(dead.get(0), containsString("amount"));
    assertThat(out(), containsString("balance: read 3 = written 2 + dead-lettered 1 + dropped on purpose 0: holds"));
  }

  @Test
  public void everyInlineSchemaErrorIsOneLineWithItsPathBeforeLaunch() throws Exception {
    Path input = dir().resolve("in.jsonl");
    Files.writeString(input, "{\"id\":\"a\"}\n");
    int code = run(input, "format: json", "schema: {id: string, amount: dobule, 'my field': long, address: {}}");
    assertThat(out(), code, equalTo(Launcher.USAGE));
    assertThat(out(), containsString("inline: 3 errors\n"
        + "  - sources[0].schema.amount: unknown type 'dobule'; types are string, int, long, float, double, boolean, timestamp, bytes"
        + " (a type name, a trailing ? for nullable, {field: type, ...} for a record, [type] for a list, or {type: ..., nullable: true})\n"
        + "  - sources[0].schema.my field: 'my field' is not a legal field name: Avro names are a letter or _, then letters, digits and _\n"
        + "  - sources[0].schema.address: an empty record; give at least one field, e.g. {id: string}\n"));
    assertThat(out(), not(containsString("Running")));
  }

  @Test
  public void anAvroSinkWritesWithAnInlineSchema() throws Exception {
    Path input = dir().resolve("in.jsonl");
    Files.writeString(input, "{\"id\":\"a\",\"n\":1}\n{\"id\":\"b\",\"n\":2}\n");
    Path spec = dir().resolve("avro-out.yaml");
    Files.writeString(spec, String.join("\n",
        "name: avro-out",
        "description: Inline schemas in and out.",
        "sources:",
        "  - {name: in, type: file, path: '" + input + "', format: json, schema: {id: string, n: long}}",
        "sinks:",
        "  - {name: out, input: in, type: file, format: avro, schema: {id: string, n: long}, path: '" + dir().resolve("out/rows") + "'}",
        "deadLetter: {type: file, format: json, path: '" + dir().resolve("dead") + "'}",
        ""));
    assertThat(out(), launcher.main(new String[] {spec.toString()}), equalTo(0));
    assertThat(ConformanceHarness.readRecords(dir().resolve("out/rows").toString(), "avro"),
        containsInAnyOrder("{\"id\":\"a\",\"n\":1}", "{\"id\":\"b\",\"n\":2}"));
  }

  /** Runs {@code --infer-schema} on {@code input} and returns the lines it printed that are not comments. */
  private List<String> inferred(Path input, String... options) {
    String[] args = new String[options.length + 2];
    args[0] = "--infer-schema";
    args[1] = input.toString();
    System.arraycopy(options, 0, args, 2, options.length);
    assertThat(out(), launcher.main(args), equalTo(0));
    List<String> lines = out().lines().filter(line -> !line.startsWith("#")).toList();
    output.reset();
    return lines;
  }

  @Test
  public void theSchemaInferredFromJsonReadsTheSameFileWithNoDeadLetters() throws Exception {
    Path input = dir().resolve("events.jsonl");
    Files.writeString(input, String.join("\n",
        "{\"id\":\"e1\",\"amount\":12,\"at\":\"2024-05-01T10:00:00Z\",\"ok\":true,\"who\":{\"name\":\"ann\",\"zip\":\"69001\"},\"tags\":[\"x\"],"
            + "\"lines\":[{\"k\":\"a\",\"v\":1}]}",
        "{\"id\":\"e2\",\"amount\":3.5,\"at\":1714557600000,\"ok\":false,\"who\":{\"name\":\"bob\"},\"tags\":[],\"lines\":[],\"note\":null}",
        "{\"id\":\"e3\",\"amount\":7,\"at\":\"2024-05-01T12:00:00+02:00\",\"ok\":true,\"tags\":[\"y\",\"z\"],\"lines\":[{\"k\":\"b\",\"v\":2}],\"note\":\"hi\"}",
        ""));
    List<String> schema = inferred(input);
    assertThat(schema, equalTo(List.of("schema: {id: string, amount: double, at: timestamp, ok: boolean,"
        + " who: {type: {name: string, zip: 'string?'}, nullable: true}, tags: [string], lines: [{k: string, v: long}], note: 'string?'}")));
    assertThat(out(), run(input, "format: json", schema.get(0)), equalTo(0));
    assertThat(deadLetters(), equalTo(List.of()));
    assertThat(written().size(), equalTo(3));
    assertThat(out(), containsString("balance: read 3 = written 3 + dead-lettered 0 + dropped on purpose 0: holds"));
  }

  @Test
  public void theSchemaInferredFromCsvReadsTheSameFileWithNoDeadLetters() throws Exception {
    Path input = dir().resolve("readings.csv");
    Files.writeString(input, String.join("\n",
        "sensor;celsius;at;ok;note;count",
        "t-1;21.5;2024-05-01T10:00:00Z;true;;7",
        "t-2;3;1714557600000;FALSE;\"a;b\";",
        "t-3;-4;2024-05-01T10:00:00+02:00;false;x;8",
        ""));
    List<String> schema = inferred(input, "--delimiter=;");
    assertThat(schema, equalTo(List.of("schema: {sensor: string, celsius: double, at: timestamp, ok: boolean, note: 'string?', count: 'long?'}")));
    assertThat(out(), run(input, "format: csv", "delimiter: ';'", schema.get(0)), equalTo(0));
    assertThat(deadLetters(), equalTo(List.of()));
    assertThat(written().size(), equalTo(3));
  }

  @Test
  public void theSchemaInferredFromXmlReadsTheSameFileWithNoDeadLetters() throws Exception {
    Path input = dir().resolve("orders.xml");
    Files.writeString(input, String.join("\n",
        "<orders>",
        "  <order id=\"o1\"><customer><name>Ann</name></customer><item>a</item><item>b</item><total>12.5</total>"
            + "<placed>2024-05-01T10:00:00Z</placed></order>",
        "  <order id=\"o2\"><customer><name>Bob</name><vip>true</vip></customer><item>c</item><total>3</total>"
            + "<placed>2024-05-02T10:00:00Z</placed><note/></order>",
        "</orders>",
        ""));
    List<String> lines = inferred(input);
    assertThat(lines, equalTo(List.of(
        "schema: {id: string, customer: {name: string, vip: 'boolean?'}, item: [string], total: double, placed: timestamp, note: 'string?'}",
        "recordElement: order")));
    assertThat(out(), run(input, "format: xml", lines.get(0), lines.get(1)), equalTo(0));
    assertThat(deadLetters(), equalTo(List.of()));
    assertThat(written(), containsInAnyOrder(canonical(
        "{\"id\":\"o1\",\"customer\":{\"name\":\"Ann\",\"vip\":null},\"item\":[\"a\",\"b\"],\"total\":12.5,\"placed\":\"2024-05-01T10:00:00.000Z\","
            + "\"note\":null}",
        "{\"id\":\"o2\",\"customer\":{\"name\":\"Bob\",\"vip\":true},\"item\":[\"c\"],\"total\":3.0,\"placed\":\"2024-05-02T10:00:00.000Z\","
            + "\"note\":\"\"}")));
  }
}
