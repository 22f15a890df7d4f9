package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.streamtemplates.pipelines.launcher.Catalog;
import dev.streamtemplates.pipelines.launcher.Launcher;
import dev.streamtemplates.pipelines.spec.ParameterSpec;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * Hostile command lines and specs, as a new user (or an attacker) would write them: every one is
 * refused before anything runs, with exit code 2, a message that names the option, the value or
 * the spec path at fault, and no stack trace. The cases are generated from every catalogue
 * template's parameters (wrong types, values out of range, paths that are not regular files,
 * durations beyond the limits) plus hand-written ones (options, spec files, expressions).
 */
@RunWith(Parameterized.class)
public class HostileLaunchTest {
  /** A command line and a piece of text its output must contain. */
  record Case(String name, List<String> args, String expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  @Parameter public Case hostile;

  static final Path HOME = ConformanceHarness.repoRoot();
  static final Path WORK;

  static {
    try {
      WORK = Files.createTempDirectory("hostile");
      Files.createDirectories(WORK.resolve("a-directory"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Values each parameter type must refuse, with what the message must say. */
  static final Map<String, List<String>> BAD_VALUES = Map.of(
      "integer", List.of("abc", "1.5", "12345678901234567890", "", "0x10", "1e3", "1 || true"),
      "number", List.of("abc", "1e400", "NaN", "Infinity", "", "1,5", "1 || true"));

  static final List<String> BAD_DURATIONS = List.of("5 m", "", "1y", "99999999999d", "forever", "-1d");

  static final List<String> BAD_PATHS = List.of("", "/nonexistent/in.jsonl", "/proc/self/environ", "/dev/null", WORK.resolve("a-directory").toString());

  @Parameters(name = "{0}")
  public static List<Case> cases() throws IOException {
    List<Case> cases = new ArrayList<>();
    for (String template : Catalog.names()) {
      TemplateSpec spec = Catalog.load(template);
      for (ParameterSpec parameter : spec.parameters().values()) {
        String p = parameter.name();
        List<String> values = new ArrayList<>(BAD_VALUES.getOrDefault(parameter.type(), List.of()));
        boolean duration = "duration".equals(parameter.type());
        if (duration) {
          values.addAll(BAD_DURATIONS);
        } else if (parameter.pattern() != null) {
          values.addAll(List.of("", "not valid!"));
        } else if ("string".equals(parameter.type()) && !p.equals("outputDir") && !p.equals("mode")) {
          values.addAll(BAD_PATHS); // the other string parameters of the catalogue are files
        }
        for (String value : values) {
          // The message names the value at fault (an empty one: that it is empty or invalid).
          cases.add(new Case(template + " --" + p + "=" + value, launch(template, "--" + p + "=" + value), value));
        }
      }
    }
    // Options and command lines.
    cases.add(new Case("unknown option", launch("xml-to-json", "--colour=blue"), "--colour is neither a parameter of xml-to-json"));
    cases.add(new Case("option given twice", launch("xml-to-json", "--largeOrder=1", "--largeOrder=2"), "--largeOrder is given more than once"));
    cases.add(new Case("unknown runner", launch("xml-to-json", "--runner=Teleport"), "Teleport"));
    cases.add(new Case("bad pipeline option value", launch("xml-to-json", "--targetParallelism=many"), "--targetParallelism=many is not valid"));
    cases.add(new Case("unknown template", List.of("no-such-template"), "no-such-template"));
    cases.add(new Case("two templates", List.of("xml-to-json", "json-to-avro"), "one template at a time"));
    cases.add(new Case("sliding window of 86,400,000 slides", launch("windowed-metrics", "--size=1d", "--slide=1ms"), "holds each event in 86400000 windows"));
    cases.add(new Case("slide longer than size", launch("windowed-metrics", "--size=1m", "--slide=2m"), "slide must be > 0 and <= size"));
    cases.add(new Case("size not a whole number of slides", launch("windowed-metrics", "--size=1m", "--slide=7s"), "whole number of slides"));
    cases.add(new Case("zero-sized window", launch("windowed-metrics", "--size=0s", "--slide=0s"), "must be > 0"));
    cases.add(new Case("count window of 0", launch("consecutive-rejections", "--inARow=0"), "must have a minimum value of 1 (got 0)"));
    cases.add(new Case("count window of a million", launch("consecutive-rejections", "--inARow=1000000"), "must be at most 100000"));
    cases.add(new Case("top 0", launch("top-n-spenders", "--n=0"), "steps["));
    cases.add(new Case("unknown time zone", launch("daily-report", "--timeZone=Mars/Olympus"),
        "steps[0].window.timeZone: time zone 'Mars/Olympus' is not known; write an IANA name such as Europe/Paris"));
    cases.add(new Case("sequence mode unknown", launch("card-fraud-sequence", "--mode=fast"), "mode"));
    cases.add(new Case("Learn window under features + 2", launch("wait-time-forecast", "--window=3"), "steps[0].window: window must be at least 4"));
    cases.add(new Case("Learn window of a million", launch("wait-time-forecast", "--window=1000000"), "steps[0].window: must have a maximum value of 100000"));
    cases.add(new Case("schema that is JSON data", launch("threshold-alert", "--schema=" + HOME.resolve("test-data/input/transactions.jsonl")), "schema"));
    cases.add(new Case("schema that is a directory", launch("threshold-alert", "--schema=" + WORK.resolve("a-directory")), "a-directory"));
    // Spec files.
    spec(cases, "malformed YAML", "name: bad\nsteps: [\n", "malformed-YAML");
    spec(cases, "no sources", "name: empty\ndescription: nothing\nsinks: []\n", "sources");
    spec(cases, "unknown step type", steps("  - {name: s, type: Teleport, input: in}\n", "s"), "unknown step type 'Teleport'");
    spec(cases, "step reads nothing known", steps("  - {name: s, type: Filter, input: nowhere, condition: 'true'}\n", "s"), "'nowhere' is not a source or step");
    spec(cases, "cycle", steps("  - {name: a, type: Filter, input: b, condition: 'true'}\n  - {name: b, type: Filter, input: a, condition: 'true'}\n", "a"),
        "steps form a cycle");
    spec(cases, "duplicate names", steps("  - {name: in, type: Filter, input: in, condition: 'true'}\n", "in"), "is already the name of");
    spec(cases, "bad regex literal", steps("  - {name: s, type: Filter, input: in, condition: \"id.matches('[a-')\"}\n", "s"),
        "the regular expression '[a-' is not valid");
    spec(cases, "unknown field in CEL", steps("  - {name: s, type: Filter, input: in, condition: 'amout > 1'}\n", "s"), "undeclared reference to 'amout'");
    spec(cases, "CEL syntax error", steps("  - {name: s, type: Filter, input: in, condition: 'x >'}\n", "s"), "steps[0].condition");
    spec(cases, "CEL not a boolean", steps("  - {name: s, type: Filter, input: in, condition: 'id'}\n", "s"), "steps[0]");
    spec(cases, "huge expression", steps("  - {name: s, type: Filter, input: in, condition: '" + "1 + ".repeat(6000) + "1 > 0'}\n", "s"), "steps[0]");
    spec(cases, "two sinks, one path", steps("", "in").replace("deadLetter:", "  - {name: again, input: in, type: file, format: json, path: '"
        + WORK.resolve("out/x") + "'}\ndeadLetter:"), "their files would replace each other's records");
    spec(cases, "unknown window type", steps("  - {name: s, type: Aggregate, input: in, key: id, window: {type: weekly, size: 1d}, aggregates: {n: count}}\n", "s"),
        "steps[0].window.type");
    spec(cases, "aggregate of a text field", steps("  - {name: s, type: Aggregate, input: in, key: id, window: {type: tumbling, size: 1m},"
        + " aggregates: {t: {fn: sum, field: id}}}\n", "s"), "sum needs a numeric field");
    spec(cases, "duration of a century and more", steps("  - {name: s, type: Aggregate, input: in, key: id, window: {type: tumbling, size: 36526d},"
        + " aggregates: {n: count}}\n", "s"), "longer than the longest duration allowed");
    spec(cases, "early firings feeding a sequence", steps("  - {name: a, type: Aggregate, input: in, key: id, window: {type: tumbling, size: 1m},"
        + " early: 1s, aggregates: {n: count}}\n  - {name: s, type: Sequence, input: a, key: id, within: 1h, stages: [{name: x}, {name: y}]}\n", "s"),
        "would take each pane for another event");
    return cases;
  }

  static List<String> launch(String template, String... options) {
    List<String> args = new ArrayList<>(List.of(template, "--home=" + HOME, "--outputDir=" + WORK.resolve("out")));
    args.addAll(List.of(options));
    return args;
  }

  /** A spec over a JSON-lines source {id: string, amount: double}, with these steps and a file sink reading {@code last}. */
  static String steps(String steps, String last) throws IOException {
    Path schema = WORK.resolve("r.avsc");
    Files.writeString(schema, "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"amount\",\"type\":\"double\"}]}");
    Files.writeString(WORK.resolve("in.jsonl"), "{\"id\":\"a\",\"amount\":1.0}\n");
    return "name: hostile\ndescription: A hostile spec.\n"
        + "sources:\n  - {name: in, type: file, format: json, path: '" + WORK.resolve("in.jsonl") + "', schema: '" + schema + "'}\n"
        + (steps.isEmpty() ? "" : "steps:\n" + steps)
        + "sinks:\n  - {name: out, input: " + last + ", type: file, format: json, path: '" + WORK.resolve("out/x") + "'}\n"
        + "deadLetter: {type: file, format: json, path: '" + WORK.resolve("out/dead") + "'}\n";
  }

  static void spec(List<Case> cases, String name, String yaml, String expected) throws IOException {
    Path file = WORK.resolve(name.replaceAll("[^A-Za-z0-9]+", "-") + ".yaml");
    Files.writeString(file, yaml);
    cases.add(new Case("spec: " + name, List.of(file.toString()), expected));
  }

  @Test
  public void isRefusedBeforeLaunchNamingTheProblemWithoutAStackTrace() {
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int code = new Launcher(new PrintStream(output, true, StandardCharsets.UTF_8)).main(hostile.args().toArray(new String[0]));
    String out = output.toString(StandardCharsets.UTF_8);
    assertThat(out, code, equalTo(Launcher.USAGE));
    assertThat(out, containsString(hostile.expected()));
    assertThat(out, not(anyOf(containsString("\tat "), containsString("Exception in thread"), containsString("Running "))));
  }
}
