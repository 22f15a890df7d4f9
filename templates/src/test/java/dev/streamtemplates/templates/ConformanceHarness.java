package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.MapperFeature;
import dev.streamtemplates.pipelines.launcher.Launcher;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.core.Counters;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResult;

/**
 * Runs catalogue templates end to end on a runner, in batch, over their {@code test-data/} input,
 * and compares every file sink and the dead-letter output with {@code
 * test-data/expected/<template>/<sink>.jsonl} and {@code dead-letter.jsonl}, as multisets of
 * parsed records (order-insensitive, field order-insensitive). It also counts the input records
 * itself and checks that each one came out, or was dead-lettered: read = written + dead-lettered.
 *
 * <p>Each runner module calls this with its own runner options. To regenerate the golden files
 * after a deliberate change, run with {@code -Dconformance.update=true} and review the diff.
 */
public final class ConformanceHarness {
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .build();

  /** Step types after which every record is written, dead-lettered or counted as dropped. */
  private static final java.util.Set<String> ONE_TO_ONE = java.util.Set.of("MapFields", "Filter", "Threshold", "Route", "Deduplicate");

  /** Whether a step writes, dead-letters or drops each record once: the types above, and an Aggregate per event (OVER). */
  private static boolean oneToOne(SpecNode step) {
    return ONE_TO_ONE.contains(step.text("type"))
        || ("Aggregate".equals(step.text("type")) && step.has("window") && "perEvent".equals(step.child("window").text("type", "")));
  }

  private ConformanceHarness() {}

  /** The repository root, where test-data/ is; set by Maven as {@code repo.root}. */
  public static Path repoRoot() {
    String root = System.getProperty("repo.root");
    Path path = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
    while (path != null && !Files.isDirectory(path.resolve("test-data"))) {
      path = path.getParent();
    }
    if (path == null) {
      throw new IllegalStateException("cannot find the repository root (a directory with test-data/); set -Drepo.root");
    }
    return path;
  }

  /**
   * The command line of a conformance run: the template, the repository as home, output under
   * {@code workDir/<template>}, the template's own {@code args.txt}, then {@code runnerArgs}.
   */
  static List<String> launchArgs(String template, Path workDir, List<String> runnerArgs) throws IOException {
    Path root = repoRoot();
    List<String> args = new ArrayList<>(List.of(template, "--home=" + root, "--outputDir=" + workDir.resolve(template)));
    // A template may run with other parameters in the conformance run (e.g. a coarser slide, so
    // that its golden output stays small enough to check by hand); they are in args.txt.
    Path extraArgs = root.resolve("test-data/expected").resolve(template).resolve("args.txt");
    if (Files.exists(extraArgs)) {
      Files.readAllLines(extraArgs, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).forEach(args::add);
    }
    args.addAll(runnerArgs);
    return args;
  }

  /** Runs {@code template} with {@code runnerArgs}, writing under {@code workDir}, and checks it. */
  public static void check(String template, List<String> runnerArgs, Path workDir) throws IOException {
    Path root = repoRoot();
    List<String> args = launchArgs(template, workDir, runnerArgs);

    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Launcher launcher = new Launcher(new PrintStream(log, true, StandardCharsets.UTF_8));
    Launcher.Launch launch = launcher.prepare(args.toArray(new String[0]));
    PipelineResult result = launcher.run(launch);
    assertThat(template + " finished\n" + log.toString(StandardCharsets.UTF_8), result.getState(), equalTo(PipelineResult.State.DONE));

    Path expectedDir = root.resolve("test-data/expected").resolve(template);
    boolean update = Boolean.getBoolean("conformance.update");
    long written = 0;
    for (SpecNode sink : launch.root().items("sinks")) {
      if (!"file".equals(sink.text("type"))) {
        continue;
      }
      List<String> actual = readRecords(sink.text("path"), sink.text("format"));
      written += actual.size();
      compare(template + " sink '" + sink.text("name") + "'", actual, expectedDir.resolve(sink.text("name") + ".jsonl"), update);
    }
    SpecNode deadLetter = launch.root().child("deadLetter");
    List<String> deadLetters = readRecords(deadLetter.text("path"), deadLetter.text("format", "json"));
    compare(template + " dead letters", deadLetters, expectedDir.resolve("dead-letter.jsonl"), update);

    long read = 0;
    List<String> sourceNames = new ArrayList<>();
    for (SpecNode source : launch.root().items("sources")) {
      read += countInputRecords(source);
      sourceNames.add(source.text("name"));
    }
    boolean oneToOne = launch.root().items("steps").stream().allMatch(ConformanceHarness::oneToOne);
    if (!oneToOne) {
      // Aggregates and joins are not one record per input record: check that every input record
      // was either read into a row or dead-lettered by its source.
      long decoded = sourceCounters(result, sourceNames, "-records");
      long unreadable = deadLetters.stream().filter(d -> sourceNames.stream().anyMatch(n -> d.contains("\"step\":\"" + n + "\""))).count();
      assertThat(template + ": records read = decoded + dead-lettered by the source (" + decoded + " + " + unreadable + ")",
          decoded + unreadable, equalTo(read));
    } else {
      long dropped = droppedByDesign(result);
      assertThat(template + ": records read = written + dead-lettered + dropped by a filter ("
              + written + " + " + deadLetters.size() + " + " + dropped + ")",
          written + deadLetters.size() + dropped, equalTo(read));
    }
  }

  private static long sourceCounters(PipelineResult result, List<String> sources, String suffix) {
    long total = 0;
    for (MetricResult<Long> counter : Counters.settled(result)) {
      if ("records".equals(counter.getName().getNamespace()) && sources.contains(counter.getName().getName().replace(suffix, ""))
          && counter.getName().getName().endsWith(suffix)) {
        total += counter.getAttempted();
      }
    }
    return total;
  }

  /**
   * Records a step drops on purpose (a filter's non-matches, a threshold's events within limits),
   * from the {@code records/<step>-dropped} counters. Templates whose steps change the number of
   * records otherwise (aggregations, joins) are not 1:1 and report their own counts.
   */
  static long droppedByDesign(PipelineResult result) {
    long dropped = 0;
    for (MetricResult<Long> counter : Counters.settled(result)) {
      if ("records".equals(counter.getName().getNamespace()) && counter.getName().getName().endsWith("-dropped")) {
        dropped += counter.getAttempted();
      }
    }
    return dropped;
  }

  public static void compare(String what, List<String> actual, Path expectedFile, boolean update) throws IOException {
    if (update) {
      Files.createDirectories(expectedFile.getParent());
      Files.write(expectedFile, actual, StandardCharsets.UTF_8);
      return;
    }
    if (!Files.exists(expectedFile)) {
      throw new AssertionError(what + ": no golden file " + expectedFile + "; run with -Dconformance.update=true and review it");
    }
    List<String> expected = canonical(Files.readAllLines(expectedFile, StandardCharsets.UTF_8));
    if (!actual.equals(expected)) {
      List<String> missing = new ArrayList<>(expected);
      actual.forEach(missing::remove);
      List<String> unexpected = new ArrayList<>(actual);
      expected.forEach(unexpected::remove);
      throw new AssertionError(what + " differs from golden " + expectedFile + ": " + expected.size() + " expected, "
          + actual.size() + " written\n  missing (" + missing.size() + "): " + String.join("\n    ", missing.subList(0, Math.min(5, missing.size())))
          + "\n  unexpected (" + unexpected.size() + "): " + String.join("\n    ", unexpected.subList(0, Math.min(5, unexpected.size()))));
    }
  }

  /** Records of all files written under an output prefix, as sorted canonical JSON strings. */
  public static List<String> readRecords(String prefix, String format) throws IOException {
    Path base = Path.of(prefix);
    Path dir = base.getParent();
    String name = base.getFileName().toString();
    List<String> lines = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return lines;
    }
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.getFileName().toString().startsWith(name + "-")).sorted().collect(Collectors.toList());
    }
    for (Path file : files) {
      if ("avro".equals(format)) {
        try (DataFileReader<GenericRecord> reader = new DataFileReader<>(file.toFile(), new GenericDatumReader<>())) {
          for (GenericRecord record : reader) {
            lines.add(GenericData.get().toString(record));
          }
        }
      } else if ("json".equals(format)) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (!line.isBlank()) {
            lines.add(line);
          }
        }
      } else {
        throw new UnsupportedOperationException("the harness compares json and avro sinks; got " + format);
      }
    }
    return canonical(lines);
  }

  public static List<String> canonical(List<String> jsonLines) {
    List<String> out = new ArrayList<>();
    for (String line : jsonLines) {
      if (line.isBlank()) {
        continue;
      }
      try {
        JsonNode node = roundFloats(JSON.readTree(line));
        out.add(JSON.writeValueAsString(JSON.treeToValue(node, Object.class)));
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + line, e);
      }
    }
    out.sort(null);
    return out;
  }

  /**
   * Floating-point aggregates depend on the order a runner adds them in (1061.32 or
   * 1061.3200000000002); compare them to 12 significant digits.
   */
  private static JsonNode roundFloats(JsonNode node) {
    if (node.isFloatingPointNumber()) {
      return com.fasterxml.jackson.databind.node.DecimalNode.valueOf(
          new java.math.BigDecimal(node.asText()).round(new java.math.MathContext(12)).stripTrailingZeros());
    }
    if (node.isObject()) {
      com.fasterxml.jackson.databind.node.ObjectNode copy = JSON.createObjectNode();
      node.fields().forEachRemaining(e -> copy.set(e.getKey(), roundFloats(e.getValue())));
      return copy;
    }
    if (node.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode copy = JSON.createArrayNode();
      node.forEach(item -> copy.add(roundFloats(item)));
      return copy;
    }
    return node;
  }

  /** Counts input records independently of the pipeline's own parsers. */
  static long countInputRecords(SpecNode source) throws IOException {
    if (!"file".equals(source.text("type"))) {
      return 0;
    }
    Path path = Path.of(source.text("path"));
    String text = Files.readString(path, StandardCharsets.UTF_8);
    switch (source.text("format")) {
      case "json":
        return text.lines().filter(l -> !l.isBlank()).count();
      case "xml":
        Matcher m = Pattern.compile("<" + Pattern.quote(source.text("recordElement")) + "[\\s>/]").matcher(text);
        long n = 0;
        while (m.find()) {
          n++;
        }
        return n;
      case "csv":
        return text.lines().filter(l -> !l.isBlank()).count() - (source.bool("header", true) ? 1 : 0);
      default:
        throw new UnsupportedOperationException("count records of " + source.text("format"));
    }
  }
}
