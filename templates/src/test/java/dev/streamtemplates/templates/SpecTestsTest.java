package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
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
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code bin/run SPEC --test}: a user's spec with its own {@code tests:}, run through the launcher.
 * The expected records are this test's own, worked out from the spec: a Filter keeps amounts
 * above the limit and a MapFields doubles them and divides by (amount - 20), in integers.
 */
public class SpecTestsTest {
  @Rule public final TemporaryFolder folder = new TemporaryFolder();
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private final Launcher launcher = new Launcher(new PrintStream(output, true, StandardCharsets.UTF_8));

  private String out() {
    return output.toString(StandardCharsets.UTF_8);
  }

  static final String SPEC = String.join("\n",
      "name: doubled",
      "description: Amounts above a limit, doubled.",
      "parameters:",
      "  limit: {type: number, default: '10', description: Keep amounts above this.}",
      "sources:",
      "  - {name: orders, type: file, path: /nowhere/orders.jsonl, format: json, schema: '%s', eventTime: {field: at}}",
      "steps:",
      "  - {name: big, type: Filter, input: orders, condition: 'amount > ${limit}'}",
      "  - {name: doubled, type: MapFields, input: big, fields: {twice: 'amount * 2.0', ratio: 'int(amount) / (int(amount) - 20)'}}",
      "sinks:",
      "  - {name: out, input: doubled, type: stdout}",
      "tests:",
      "%s",
      "");

  private Path spec(String tests) throws IOException {
    Path dir = folder.getRoot().toPath();
    Files.writeString(dir.resolve("order.avsc"), "{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
        + "{\"name\":\"amount\",\"type\":\"double\"},{\"name\":\"at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}");
    Path spec = dir.resolve("doubled.yaml");
    Files.writeString(spec, String.format(SPEC, dir.resolve("order.avsc"), tests));
    return spec;
  }

  static final String PASSING = String.join("\n",
      "  - name: only amounts above the limit, doubled",
      "    input:",
      "      orders:",
      "        - {id: a, amount: 5.0, at: '2024-05-01T10:00:00Z'}",
      "        - {id: b, amount: 12.5, at: '2024-05-01T10:01:00Z'}",
      "        - {id: c, amount: 30.0, at: '2024-05-01T10:02:00Z'}",
      "    expect:",
      "      out:",
      "        - {id: c, twice: 60.0, ratio: 3}",
      "        - {id: b, twice: 25.0, ratio: -1, at: '2024-05-01T10:01:00.000+00:00'}",
      "  - name: a parameter of the case, and a dead letter",
      "    parameters: {limit: 15}",
      "    events:",
      "      - orders: {id: d, amount: 20.0, at: '2024-05-01T10:00:00Z'}",
      "      - watermark: '2024-05-01T11:00:00Z'",
      "      - orders: {id: e, amount: 14.0, at: '2024-05-01T10:30:00Z'}",
      "    expect:",
      "      out: []",
      "      deadLetters: [{step: doubled, error: 'ratio'}]");

  @Test
  public void passingCasesExitZeroAndSayWhichRanHow() throws IOException {
    int code = launcher.main(new String[] {spec(PASSING).toString(), "--test"});
    assertThat(out(), code, equalTo(0));
    assertThat(out(), containsString("doubled: 2 tests on DirectRunner (TestStream: arrival order and watermarks as written)"));
    assertThat(out(), containsString("  PASS only amounts above the limit, doubled ("));
    assertThat(out(), containsString("  PASS a parameter of the case, and a dead letter ("));
    assertThat(out(), containsString("2 passed, 0 failed"));
    assertThat(out(), not(containsString("\tat ")));
  }

  @Test
  public void aFailingCaseShowsWhatWasMissingAndWhatCameInsteadAndExitsOne() throws IOException {
    String wrong = PASSING.replace("twice: 60.0", "twice: 61.0").replace("error: 'ratio'", "error: 'overflow'");
    int code = launcher.main(new String[] {spec(wrong).toString(), "--test"});
    assertThat(out(), code, equalTo(Launcher.FAILED));
    assertThat(out(), containsString("  FAIL only amounts above the limit, doubled ("));
    assertThat(out(), containsString("sink out: expected 2 records, got 2; 1 expected not received; 1 received not expected"));
    assertThat(out(), containsString("  - {\"id\":\"c\",\"twice\":61.0,\"ratio\":3}"));
    assertThat(out(), containsString("  + {\"id\":\"c\",\"amount\":30.0,\"at\":\"2024-05-01T10:02:00.000Z\",\"twice\":60.0,\"ratio\":3}"));
    assertThat(out(), containsString("dead letters: expected 1 record, got 1; 1 expected not received; 1 received not expected"));
    assertThat(out(), containsString("0 passed, 2 failed"));
  }

  @Test
  public void fixWritesTheActualOutputsForReview() throws IOException {
    Path dir = folder.getRoot().toPath();
    String before = System.getProperty("user.dir");
    int code = launcher.main(new String[] {spec(PASSING.replace("twice: 60.0", "twice: 61.0")).toString(), "--test", "--fix"});
    assertThat(out(), code, equalTo(Launcher.FAILED));
    Path fixed = Path.of("doubled.tests-actual.yaml");
    try {
      String yaml = Files.readString(fixed);
      assertThat(yaml, containsString("twice: 60.0"));
      assertThat(yaml, containsString("- step: doubled"));
      assertThat(out(), containsString("wrote doubled.tests-actual.yaml"));
    } finally {
      Files.deleteIfExists(fixed);
    }
    assertThat(before, equalTo(System.getProperty("user.dir")));
    assertThat(Files.exists(dir.resolve("doubled.tests-actual.yaml")), equalTo(false));
  }

  @Test
  public void aBadCaseIsRefusedInOneLineNamingIt() throws IOException {
    int code = launcher.main(new String[] {spec(PASSING.replace("      orders:\n", "      order:\n")).toString(), "--test"});
    assertThat(out(), code, equalTo(Launcher.USAGE));
    assertThat(out(), containsString("tests[0].input.order[0]: 'order' is not a source of the spec; sources are [orders]"));
    output.reset();
    code = launcher.main(new String[] {spec(PASSING.replace("amount: 5.0", "amount: five")).toString(), "--test"});
    assertThat(out(), code, equalTo(Launcher.USAGE));
    assertThat(out(), containsString("tests[0].input.orders[0]: not a record of source 'orders': "));
    assertThat(out(), containsString("amount"));
    assertThat(out(), not(containsString("\tat ")));
  }

  @Test
  public void aSpecWithoutTestsSaysHowToAddThem() throws IOException {
    Path spec = spec("");
    Files.writeString(spec, Files.readString(spec).replace("tests:\n", ""));
    int code = launcher.main(new String[] {spec.toString(), "--test"});
    assertThat(out(), code, equalTo(Launcher.USAGE));
    assertThat(out(), containsString("the spec has no tests; add a tests: section"));
  }

  /**
   * A case whose watermark passes a window by more than the step reports late events for: the
   * event later still is dropped by the runner, with no dead letter, and the case says so (it
   * passes: a note is not a failure). The event within the period is a dead letter, not noted.
   */
  @Test
  public void aCaseSaysWhichLateEventsTheRunnerDroppedWithoutADeadLetter() throws IOException {
    Path spec = spec(String.join("\n",
        "  - name: one late event reported, one dropped by the runner",
        "    events:",
        "      - orders: {id: a, amount: 1.0, at: '2024-05-01T10:00:10Z'}",
        "      - watermark: '2024-05-01T10:01:30Z'",
        "      - orders: {id: b, amount: 2.0, at: '2024-05-01T10:00:20Z'}",
        "      - watermark: '2024-05-01T10:05:00Z'",
        "      - orders: {id: c, amount: 3.0, at: '2024-05-01T10:00:30Z'}",
        "    expect:",
        "      out: [{id: a, n: 1}]",
        "      deadLetters: [{step: per-minute, error: 'late'}]"));
    Files.writeString(spec, Files.readString(spec)
        .replace("  - {name: big, type: Filter, input: orders, condition: 'amount > ${limit}'}\n", "")
        .replace("  - {name: doubled, type: MapFields, input: big, fields: {twice: 'amount * 2.0', ratio: 'int(amount) / (int(amount) - 20)'}}",
            "  - {name: per-minute, type: Aggregate, input: orders, key: id, window: {type: tumbling, size: 1m}, aggregates: {n: count},"
                + " reportLateFor: 1m}")
        .replace("input: doubled", "input: per-minute"));
    int code = launcher.main(new String[] {spec.toString(), "--test"});
    assertThat(out(), code, equalTo(0));
    assertThat(out(), containsString("  PASS one late event reported, one dropped by the runner ("));
    assertThat(out(), containsString("      note: 1 late event dropped by the runner in 'per-minute' without a dead letter"
        + " (its droppedDueToLateness counter); see docs/bad-input.md, late data"));
  }
}
