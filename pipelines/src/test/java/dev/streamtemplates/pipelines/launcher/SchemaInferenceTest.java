package dev.streamtemplates.pipelines.launcher;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@code --infer-schema}: the inline schema of small JSON, CSV and XML files, written by hand, and its one-line refusals. */
public class SchemaInferenceTest {
  @Rule public final TemporaryFolder folder = new TemporaryFolder();

  private final ByteArrayOutputStream output = new ByteArrayOutputStream();

  private int infer(String... args) {
    return SchemaInference.main(args, new PrintStream(output, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return output.toString(StandardCharsets.UTF_8);
  }

  private Path file(String name, String... lines) throws Exception {
    Path path = folder.getRoot().toPath().resolve(name);
    Files.writeString(path, String.join("\n", lines) + "\n");
    return path;
  }

  @Test
  public void jsonValuesAreTypedByWhatTheyAreAndMissingOrNullFieldsAreNullable() throws Exception {
    Path orders = file("orders.jsonl",
        "{\"id\":\"a1\",\"amount\":12,\"ts\":\"2024-05-01T10:00:00Z\",\"paid\":true,\"address\":{\"city\":\"Lyon\",\"zip\":\"69001\"},"
            + "\"tags\":[\"x\",\"y\"],\"lines\":[{\"sku\":\"s1\",\"qty\":2}],\"my field\":1}",
        "{\"id\":\"a2\",\"amount\":3.5,\"ts\":\"2024-05-01T11:00:00+02:00\",\"paid\":false,\"address\":{\"city\":\"Oslo\"},\"tags\":[],"
            + "\"lines\":[],\"note\":null}",
        "not json",
        "{\"id\":\"a3\",\"amount\":7,\"ts\":\"2024-05-01T12:00:00Z\",\"paid\":true,\"address\":{\"city\":\"Rome\",\"zip\":null},\"tags\":[\"z\"],"
            + "\"lines\":[{\"sku\":\"s2\",\"qty\":1}],\"note\":\"gift\"}");
    assertThat(infer("--infer-schema", orders.toString()), equalTo(0));
    assertThat(out(), equalTo(String.join("\n",
        "# inferred from the first 3 records of orders.jsonl (1 skipped: lines that are not JSON objects)",
        "schema: {id: string, amount: double, ts: timestamp, paid: boolean, address: {city: string, zip: 'string?'}, tags: [string],"
            + " lines: [{sku: string, qty: long}], note: 'string?'}",
        "# left out, not legal Avro names (Avro names are a letter or _, then letters, digits and _): 'my field'",
        "")));
  }

  @Test
  public void jsonValuesOfDifferentKindsAreStringsAndANullableRecordTakesTheLongForm() throws Exception {
    Path mixed = file("mixed.json",
        "{\"code\":1,\"when\":1714557600000,\"ship\":{\"carrier\":\"ups\"},\"scores\":[1.5,null]}",
        "{\"code\":\"A\",\"when\":\"2024-05-01T10:00:00Z\"}");
    assertThat(infer("--infer-schema=" + mixed), equalTo(0));
    assertThat(out(), equalTo(String.join("\n",
        "# inferred from the first 2 records of mixed.json",
        "schema: {code: string, when: timestamp, ship: {type: {carrier: string}, nullable: true},"
            + " scores: {type: ['double?'], nullable: true}}",
        "")));
  }

  @Test
  public void csvColumnsAreTheNarrowestTypeEveryNonEmptyCellParsesAs() throws Exception {
    Path readings = file("readings.csv",
        "id;amount;when;ok;note;count",
        "1;2.5;2024-05-01T10:00:00Z;true;;7",
        "2;3;1714557600000;FALSE;hi;",
        "3;4;2024-05-01T10:00:00+02:00;false;x;8;extra");
    assertThat(infer("--infer-schema", readings.toString(), "--delimiter=;"), equalTo(0));
    assertThat(out(), equalTo(String.join("\n",
        "# inferred from the first 2 records of readings.csv (1 skipped: records with a cell count other than the header's 6)",
        "schema: {id: long, amount: double, when: timestamp, ok: boolean, note: 'string?', count: 'long?'}",
        "")));
  }

  @Test
  public void xmlRecordsAreTreesOfTextTypedAsCsvCellsAndARepeatedElementIsAList() throws Exception {
    Path orders = file("orders.xml",
        "<orders>",
        "  <order id=\"o1\"><customer><name>Ann</name></customer><item>a</item><item>b</item><total>12.5</total>"
            + "<placed>2024-05-01T10:00:00Z</placed></order>",
        "  <order id=\"o2\"><customer><name>Bob</name><vip>true</vip></customer><item>c</item><total>3</total>"
            + "<placed>2024-05-02T10:00:00Z</placed><note/></order>",
        "</orders>");
    assertThat(infer("--infer-schema", orders.toString()), equalTo(0));
    assertThat(out(), equalTo(String.join("\n",
        "# inferred from the first 2 <order> records of orders.xml",
        "schema: {id: string, customer: {name: string, vip: 'boolean?'}, item: [string], total: double, placed: timestamp, note: 'string?'}",
        "recordElement: order",
        "")));
  }

  @Test
  public void theFormatOptionOverridesTheExtensionAndTheRecordElementCanBeNamed() throws Exception {
    Path data = file("data.txt", "<r><a><x>1</x></a><b><x>2</x></b><a><x>3</x></a></r>");
    assertThat(infer("--infer-schema", data.toString(), "--format=xml", "--recordElement=a"), equalTo(0));
    assertThat(out(), equalTo("# inferred from the first 2 <a> records of data.txt\nschema: {x: long}\nrecordElement: a\n"));
  }

  @Test
  public void aFileThatCannotBeReadIsOneLineAndExitCodeTwo() throws Exception {
    Path dir = folder.newFolder("dir").toPath();
    Path empty = file("empty.csv");
    Files.write(empty, new byte[0]);
    Path text = file("notes.txt", "hello");
    String[][] cases = {
        {"--infer-schema", dir.resolve("nope.csv").toString()},
        {"--infer-schema", dir.toString()},
        {"--infer-schema", empty.toString()},
        {"--infer-schema", text.toString()},
        {"--infer-schema", text.toString(), "--format=yaml"},
        {"--infer-schema"},
    };
    String[] expected = {
        "infer-schema: no such file '" + dir.resolve("nope.csv") + "'",
        "infer-schema: '" + dir + "' is a directory; give one file",
        "infer-schema: '" + empty + "' is empty",
        "infer-schema: cannot tell the format of '" + text + "' from its name; give --format=csv, --format=json or --format=xml",
        "infer-schema: unknown format 'yaml'; formats are csv, json, xml",
        "infer-schema: name a file: bin/run --infer-schema FILE [--format=csv|json|xml] [--recordElement=NAME] [--delimiter=;]",
    };
    for (int i = 0; i < cases.length; i++) {
      output.reset();
      assertThat(String.join(" ", cases[i]), infer(cases[i]), equalTo(Launcher.USAGE));
      assertThat(out(), equalTo(expected[i] + "\n"));
    }
  }
}
