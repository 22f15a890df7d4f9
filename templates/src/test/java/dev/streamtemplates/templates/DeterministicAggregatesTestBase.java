package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamtemplates.pipelines.launcher.Launcher;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Aggregates that must give one answer on every runner, run from a spec: a global window fired
 * every 3 events of a key, count windows of 2 over events with equal event times (ties are taken
 * in the order of their content), quantile and median by linear interpolation, and an exact
 * integer sum. The input file is out of order; the expected rows are computed here from the
 * events, with the documented rules, not by the project's code. Runner modules subclass it.
 */
public abstract class DeterministicAggregatesTestBase {
  @Rule public final TemporaryFolder work = new TemporaryFolder();

  static final ObjectMapper JSON = new ObjectMapper();

  /** key, v, second; several share a second. */
  static final Object[][] EVENTS = {
      {"a", 5, 0}, {"a", 7, 120}, {"b", 8, 30}, {"a", 3, 0}, {"a", 1, 60}, {"a", 9, 0}, {"b", 6, 30}, {"a", 4, 180}, {"a", 2, 120},
  };

  /** The runner and its options. */
  protected abstract List<String> runnerArgs();

  /** A key's events in event-time order, equal times by content (here: by v, as the text of the rows orders them). */
  static Map<String, List<Long>> ordered() {
    List<Object[]> events = new ArrayList<>(List.of(EVENTS));
    events.sort(Comparator.comparingInt((Object[] e) -> (Integer) e[2]).thenComparingInt(e -> (Integer) e[1]));
    Map<String, List<Long>> byKey = new TreeMap<>();
    events.forEach(e -> byKey.computeIfAbsent((String) e[0], k -> new ArrayList<>()).add((long) (Integer) e[1]));
    return byKey;
  }

  static String sum(String key, List<Long> values) {
    return key + " " + values.stream().mapToLong(Long::longValue).sum() + " n=" + values.size();
  }

  /** Linear interpolation between the nearest ranks (NumPy's default). */
  static double quantile(List<Long> values, double q) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(null);
    double h = (sorted.size() - 1) * q;
    int below = (int) Math.floor(h);
    return below + 1 >= sorted.size() ? sorted.get(below) : sorted.get(below) + (h - below) * (sorted.get(below + 1) - sorted.get(below));
  }

  @Test
  public void globalEveryNCountWindowTiesQuantilesAndIntegerSumsAgreeWithTheReference() throws Exception {
    Path dir = work.getRoot().toPath();
    StringBuilder lines = new StringBuilder();
    for (Object[] e : EVENTS) {
      lines.append(String.format(Locale.ROOT, "{\"k\":\"%s\",\"v\":%d,\"at\":%d}%n", e[0], e[1], ((Integer) e[2]) * 1000L));
    }
    Files.writeString(dir.resolve("events.jsonl"), lines);
    Files.writeString(dir.resolve("event.avsc"), "{\"type\":\"record\",\"name\":\"E\",\"fields\":[{\"name\":\"k\",\"type\":\"string\"},"
        + "{\"name\":\"v\",\"type\":\"long\"},{\"name\":\"at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}");
    String spec = "name: deterministic-aggregates\n"
        + "description: Aggregates with one answer on every runner.\n"
        + "sources:\n"
        + "  - {name: events, type: file, format: json, path: '" + dir.resolve("events.jsonl") + "', schema: '" + dir.resolve("event.avsc")
        + "', eventTime: {field: at}}\n"
        + "steps:\n"
        + "  - {name: every3, type: Aggregate, input: events, key: k, window: {type: global, every: 3}, aggregates: {total: {fn: sum, field: v}, n: count}}\n"
        + "  - {name: pairs, type: Aggregate, input: events, key: k, window: {type: count, size: 2}, aggregates: {total: {fn: sum, field: v}, n: count}}\n"
        + "  - {name: hourly, type: Aggregate, input: events, key: k, window: {type: tumbling, size: 1h},"
        + " aggregates: {total: {fn: sum, field: v}, n: count, median: {fn: median, field: v}, p995: {fn: quantile, field: v, q: 0.995}}}\n"
        + "sinks:\n"
        + "  - {name: every3-out, input: every3, type: file, format: json, path: '" + dir.resolve("out/every3") + "'}\n"
        + "  - {name: pairs-out, input: pairs, type: file, format: json, path: '" + dir.resolve("out/pairs") + "'}\n"
        + "  - {name: hourly-out, input: hourly, type: file, format: json, path: '" + dir.resolve("out/hourly") + "'}\n"
        + "deadLetter: {type: file, format: json, path: '" + dir.resolve("out/dead-letter") + "'}\n";
    Path specFile = dir.resolve("deterministic.yaml");
    Files.writeString(specFile, spec);

    List<String> args = new ArrayList<>(List.of(specFile.toString(), "--home=" + ConformanceHarness.repoRoot()));
    args.addAll(runnerArgs());
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Launcher launcher = new Launcher(new PrintStream(log, true, StandardCharsets.UTF_8));
    PipelineResult result = launcher.run(launcher.prepare(args.toArray(new String[0])));
    assertThat(log.toString(StandardCharsets.UTF_8), result.getState(), equalTo(PipelineResult.State.DONE));

    List<String> every3 = new ArrayList<>();
    List<String> pairs = new ArrayList<>();
    List<String> hourly = new ArrayList<>();
    ordered().forEach((key, values) -> {
      for (int from = 0; from < values.size(); from += 3) {
        every3.add(sum(key, values.subList(from, Math.min(values.size(), from + 3))));
      }
      for (int from = 0; from + 2 <= values.size(); from += 2) {
        pairs.add(sum(key, values.subList(from, from + 2)));
      }
      hourly.add(sum(key, values) + String.format(Locale.ROOT, " median=%.6f p995=%.6f", quantile(values, 0.5), quantile(values, 0.995)));
    });
    assertThat(read(dir, "every3", false), containsInAnyOrder(every3.toArray()));
    assertThat(read(dir, "pairs", false), containsInAnyOrder(pairs.toArray()));
    assertThat(read(dir, "hourly", true), containsInAnyOrder(hourly.toArray()));
    assertThat(ConformanceHarness.readRecords(dir.resolve("out/dead-letter").toString(), "json"), equalTo(List.of()));
  }

  /** "key total n=count", with the quantiles for the hourly rows; sums must be integers. */
  private static List<String> read(Path dir, String sink, boolean quantiles) throws Exception {
    List<String> rows = new ArrayList<>();
    for (String line : ConformanceHarness.readRecords(dir.resolve("out").resolve(sink).toString(), "json")) {
      JsonNode row = JSON.readTree(line);
      assertThat(sink + ": an integer sum stays an integer: " + line, row.get("total").isIntegralNumber(), equalTo(true));
      String text = row.get("k").asText() + " " + row.get("total").asLong() + " n=" + row.get("n").asLong();
      if (quantiles) {
        text += String.format(Locale.ROOT, " median=%.6f p995=%.6f", row.get("median").asDouble(), row.get("p995").asDouble());
      }
      rows.add(text);
    }
    return rows;
  }
}
