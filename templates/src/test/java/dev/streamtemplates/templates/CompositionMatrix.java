package dev.streamtemplates.templates;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * The composition matrix of issue 15: for every ordered pair (A, B) of step types, a branch
 * {@code a_<a>_<b> -> b_<a>_<b> -> sink s_<a>_<b>} of a generated spec (a few pairs a job), over a small shared input
 * ({@code ev}, out of order in its file) and a second source ({@code side}) for the other side of
 * the binary steps (IntervalJoin, Gather, Enrich). Each step's config is chosen from the schema
 * its input has (its {@link Shape}), and the expected output of every branch is computed here by
 * a plain-Java reference model written from the documented semantics (templates/README.md), not
 * by the project's transforms.
 *
 * <p>Pairs whose B cannot read A's output are not in the spec; {@link #refusal} gives the message
 * the build must refuse them with.
 */
public final class CompositionMatrix {
  /** The step types, in the order of the matrix. */
  public static final List<String> TYPES =
      List.of("Filter", "MapFields", "Threshold", "Route", "Aggregate", "Sequence", "IntervalJoin", "Gather", "Enrich");

  /** Step types whose config here needs event-time timers (refused on Spark in streaming mode). */
  public static final Set<String> NEEDS_TIMERS = Set.of("Threshold", "IntervalJoin", "Gather", "Enrich");

  static final long BASE = Instant.parse("2024-05-01T10:00:00Z").toEpochMilli();
  static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private CompositionMatrix() {}

  /** One event of a reference stream: its fields (as the JSON sink writes them) and its event time. */
  public record Ev(Map<String, Object> row, long ts) {}

  /**
   * What a step's output offers the next: the path of its numeric field (a dotted path when it is
   * nested, e.g. {@code left.v} in a join row), whether it has a field named {@code value} (which
   * Enrich adds, so refuses in its input), and whether it is an Aggregate's output (the next
   * Aggregate then takes another window).
   */
  public record Shape(String num, boolean hasValue, boolean aggregated) {
    boolean numIsTopLevel() {
      return !num.contains(".");
    }
  }

  /** An ordered pair of step types. */
  public record Pair(String a, String b) {
    public String id() {
      return lower(a) + "_" + lower(b);
    }

    public String aName() {
      return "a_" + id();
    }

    public String bName() {
      return "b_" + id();
    }

    public String sinkName() {
      return "s_" + id();
    }

    @Override
    public String toString() {
      return a + " -> " + b;
    }
  }

  /** One step as built here: its spec text, the name its output is read by, its reference output. */
  record Step(String yaml, String ref, List<Ev> out, Shape shape, Map<String, Integer> deadLetters) {}

  static String lower(String type) {
    return type.toLowerCase(java.util.Locale.ROOT);
  }

  public static List<Pair> pairs() {
    List<Pair> pairs = new ArrayList<>();
    for (String a : TYPES) {
      for (String b : TYPES) {
        pairs.add(new Pair(a, b));
      }
    }
    return pairs;
  }

  static String iso(long millis) {
    return ISO.format(Instant.ofEpochMilli(millis));
  }

  // ---------------------------------------------------------------- input

  /** The main input: 36 readings of three keys over six minutes, one every 30 s per key, values 0 to 99 at random (fixed seed). */
  public static List<Ev> events() {
    List<Ev> events = new ArrayList<>();
    Random values = new Random(7);
    for (int i = 0; i < 36; i++) {
      long ts = BASE + i * 10_000L + (i % 3) * 1000L;
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", "e" + i);
      row.put("key", "k" + (i % 3 + 1));
      row.put("v", (double) values.nextInt(100));
      row.put("ts", iso(ts));
      events.add(new Ev(row, ts));
    }
    return events;
  }

  /**
   * The second source: 12 rows of the same keys, each key every 105 s, at half seconds (no tie
   * with the main input), at varied seconds of the minute (so that some fall near an Aggregate's
   * row at the end of a minute).
   */
  public static List<Ev> side() {
    return side(5_500L, 0);
  }

  /**
   * The second source of the B steps: the same rows a quarter second later and with other values,
   * so that no row of it has the time of a row an A step took from {@link #side()} (a Gather after a
   * Gather would have two arrivals at one time, whose order no runner promises).
   */
  public static List<Ev> side2() {
    return side(5_750L, 1);
  }

  static List<Ev> side(long offset, double extra) {
    List<Ev> side = new ArrayList<>();
    for (int j = 0; j < 12; j++) {
      long ts = BASE + j * 35_000L + offset;
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("key", "k" + (j % 3 + 1));
      row.put("w", 10.0 * (j + 1) + extra);
      row.put("ts", iso(ts));
      side.add(new Ev(row, ts));
    }
    return side;
  }

  /** JSON lines of a stream, shuffled: the file order is not the event-time order. */
  public static List<String> jsonLines(List<Ev> events, long seed) {
    List<String> lines = new ArrayList<>();
    for (Ev event : events) {
      lines.add(json(event.row()));
    }
    Collections.shuffle(lines, new Random(seed));
    return lines;
  }

  static final String EV_SCHEMA = "{\"type\":\"record\",\"name\":\"Ev\",\"namespace\":\"matrix\",\"fields\":["
      + "{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"key\",\"type\":\"string\"},{\"name\":\"v\",\"type\":\"double\"},"
      + "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}";
  static final String SIDE_SCHEMA = "{\"type\":\"record\",\"name\":\"Side\",\"namespace\":\"matrix\",\"fields\":["
      + "{\"name\":\"key\",\"type\":\"string\"},{\"name\":\"w\",\"type\":\"double\"},"
      + "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}]}";

  static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- the steps and their reference

  /** The numeric value at a dotted path of a row. */
  static double num(Map<String, Object> row, String path) {
    Object value = row;
    for (String part : path.split("\\.")) {
      value = ((Map<?, ?>) value).get(part);
    }
    return ((Number) value).doubleValue();
  }

  /** A limit in the middle of a stream's values (one of them), so that a condition keeps some and drops some. */
  static double middle(List<Ev> in, String path) {
    List<Double> values = new ArrayList<>();
    in.forEach(e -> values.add(num(e.row(), path)));
    values.sort(null);
    return values.isEmpty() ? 0 : values.get(values.size() / 2);
  }

  static String literal(double value) {
    String text = BigDecimal.valueOf(value).toPlainString();
    return text.contains(".") ? text : text + ".0";
  }

  /**
   * Why the build must refuse step {@code type} after an input of {@code shape}, as a part of the
   * message; null when it can be built.
   */
  public static String refusal(String type, Shape shape) {
    if (type.equals("Threshold") && !shape.numIsTopLevel()) {
      return "field '" + shape.num() + "' is not in the input";
    }
    if (type.equals("Enrich") && shape.hasValue()) {
      return "the events already have a field named 'value'; rename it first";
    }
    return null;
  }

  static Map<String, Object> row(Object... keysAndValues) {
    Map<String, Object> row = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      row.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return row;
  }

  static Map<String, List<Ev>> byKey(List<Ev> events) {
    Map<String, List<Ev>> keyed = new TreeMap<>();
    for (Ev event : events) {
      keyed.computeIfAbsent((String) event.row().get("key"), k -> new ArrayList<>()).add(event);
    }
    keyed.values().forEach(list -> list.sort(Comparator.comparingLong(Ev::ts)));
    return keyed;
  }

  /** Order-sensitive steps assume no two events of a key at the same time; the input is made so. */
  static void requireNoTies(String step, Map<String, List<Ev>> keyed) {
    keyed.forEach((key, list) -> {
      for (int i = 1; i < list.size(); i++) {
        if (list.get(i).ts() == list.get(i - 1).ts()) {
          throw new IllegalStateException(step + ": two events of key " + key + " at " + iso(list.get(i).ts()) + "; change the test input");
        }
      }
    });
  }

  /**
   * Step {@code type} named {@code name}, reading {@code inputRef} whose reference stream is
   * {@code in} of shape {@code shape}; binary steps read the {@code side} source as their other input.
   */
  static Step step(String type, String name, String inputRef, List<Ev> in, Shape shape, String sideName, List<Ev> side) {
    String p = shape.num();
    double m = middle(in, p);
    String mText = literal(m);
    String head = "  - name: " + name + "\n    type: " + type + "\n";
    String input = "    input: " + inputRef + "\n";
    String binaryInput = "    input: [" + inputRef + ", " + sideName + "]\n";
    List<Ev> out = new ArrayList<>();
    Map<String, Integer> dead = new TreeMap<>();
    switch (type) {
      case "Filter": {
        in.stream().filter(e -> num(e.row(), p) >= m).forEach(out::add);
        return new Step(head + input + "    condition: \"double(" + p + ") >= " + mText + "\"\n", name, out, shape, dead);
      }
      case "MapFields": {
        for (Ev e : in) {
          out.add(new Ev(row("key", e.row().get("key"), "v", num(e.row(), p) + 1.0), e.ts()));
        }
        return new Step(head + input + "    fields:\n      v: {expr: \"double(" + p + ") + 1.0\", type: double}\n    select: [key, v]\n",
            name, out, new Shape("v", false, false), dead);
      }
      case "Threshold": {
        // Debounced: an alert when a key's value goes above the limit (the first event above it included).
        Map<String, List<Ev>> keyed = byKey(in);
        requireNoTies(name, keyed);
        for (List<Ev> list : keyed.values()) {
          boolean above = false;
          for (Ev e : list) {
            double value = num(e.row(), p);
            if (value > m && !above) {
              out.add(new Ev(row("key", e.row().get("key"), "field", p, "value", value, "direction", "above", "limit", m,
                  "lower", null, "upper", null, "eventTime", iso(e.ts())), e.ts()));
            }
            above = value > m;
          }
        }
        return new Step(head + input + "    field: " + p + "\n    above: " + mText + "\n    key: key\n    debounce: true\n",
            name, out, new Shape("value", true, false), dead);
      }
      case "Route": {
        in.stream().filter(e -> num(e.row(), p) >= m).forEach(out::add);
        return new Step(head + input + "    routes:\n      - {name: hi, when: \"double(" + p + ") >= " + mText + "\"}\n    default: lo\n",
            name + ".hi", out, shape, dead);
      }
      case "Aggregate": {
        long size = shape.aggregated() ? 120_000 : 60_000;
        boolean sum = shape.numIsTopLevel();
        Map<String, Map<Long, List<Ev>>> windows = new TreeMap<>();
        for (Ev e : in) {
          windows.computeIfAbsent((String) e.row().get("key"), k -> new TreeMap<>())
              .computeIfAbsent(Math.floorDiv(e.ts(), size) * size, s -> new ArrayList<>()).add(e);
        }
        windows.forEach((key, perWindow) -> perWindow.forEach((start, events) -> {
          Map<String, Object> r = row("key", key, "windowStart", iso(start), "windowEnd", iso(start + size), "n", (long) events.size());
          if (sum) {
            r.put("v", events.stream().mapToDouble(e -> num(e.row(), p)).sum());
          }
          r.put("pane", "ON_TIME");
          out.add(new Ev(r, start + size - 1));
        }));
        String yaml = head + input + "    key: [key]\n    window: {type: tumbling, size: " + (size / 60_000) + "m}\n    aggregates:\n      n: count\n"
            + (sum ? "      v: {fn: sum, field: " + p + "}\n" : "");
        return new Step(yaml, name, out, new Shape(sum ? "v" : "n", false, true), dead);
      }
      case "Sequence": {
        // a (value >= m) followed at once (next) by b (value < m), within 2 minutes: consecutive events of a key.
        Map<String, List<Ev>> keyed = byKey(in);
        requireNoTies(name, keyed);
        keyed.forEach((key, list) -> {
          for (int i = 0; i + 1 < list.size(); i++) {
            Ev a = list.get(i);
            Ev b = list.get(i + 1);
            if (num(a.row(), p) >= m && num(b.row(), p) < m && b.ts() - a.ts() < 120_000) {
              out.add(new Ev(row("key", key, "pattern", name, "v", num(b.row(), p), "firstAt", iso(a.ts()), "lastAt", iso(b.ts())), b.ts()));
            }
          }
        });
        String yaml = head + input + "    key: key\n    within: 2m\n    stages:\n"
            + "      - {name: a, where: \"double(event." + p + ") >= " + mText + "\"}\n"
            + "      - {name: b, after: next, where: \"double(event." + p + ") < " + mText + "\"}\n"
            + "    emit:\n      v: \"double(b." + p + ")\"\n";
        return new Step(yaml, name, out, new Shape("v", false, false), dead);
      }
      case "IntervalJoin": {
        // Inner join on key: right.ts within [left.ts - 20 s, left.ts]; the row's time is the later one, the left's
        // (a right row's time would tie with the same side row in a Gather or Enrich after the join).
        for (Ev l : in) {
          for (Ev r : side) {
            if (l.row().get("key").equals(r.row().get("key")) && r.ts() >= l.ts() - 20_000 && r.ts() <= l.ts()) {
              long at = Math.max(l.ts(), r.ts());
              out.add(new Ev(row("key", l.row().get("key"), "left", l.row(), "right", r.row(), "eventTime", iso(at)), at));
            }
          }
        }
        String yaml = head + binaryInput + "    leftKey: key\n    rightKey: key\n    lower: -20s\n    upper: 0s\n";
        return new Step(yaml, name, out, new Shape("left." + p, false, false), dead);
      }
      case "Gather": {
        String field = inputRef.replace('.', '_');
        gather(name, field, sideName, in, side, 30_000, out, dead);
        String yaml = head + binaryInput + "    key: key\n    timeout: 30s\n    onTimeout: drop\n";
        return new Step(yaml, name, out, new Shape(field + "." + p, false, false), dead);
      }
      case "Enrich": {
        // Each event with the side row of its key last updated at or before its time (null if none).
        Map<String, List<Ev>> table = byKey(side);
        for (Ev e : in) {
          Map<String, Object> value = null;
          for (Ev update : table.getOrDefault((String) e.row().get("key"), List.of())) {
            if (update.ts() <= e.ts()) {
              value = update.row();
            }
          }
          Map<String, Object> r = new LinkedHashMap<>(e.row());
          r.put("value", value);
          out.add(new Ev(r, e.ts()));
        }
        String yaml = head + binaryInput + "    key: key\n    tableKey: key\n";
        return new Step(yaml, name, out, new Shape(p, true, shape.aggregated()), dead);
      }
      default:
        throw new IllegalArgumentException(type);
    }
  }

  /**
   * Gather of [in, side] by key, from the documented semantics: arrivals decided in event-time
   * order; the first starts a group; a group is complete (and emitted, at its last arrival) when
   * both inputs arrived within {@code timeout} of its first; otherwise it times out (dropped). A
   * second arrival from the same input keeps the first. A completed group's id is remembered until
   * first + timeout, a timed-out one's until first + 2 x timeout: arrivals meanwhile are dead letters.
   */
  static void gather(String name, String field, String sideName, List<Ev> in, List<Ev> side, long timeout, List<Ev> out, Map<String, Integer> dead) {
    record Arrival(int input, Ev event) {}
    Map<String, List<Arrival>> keyed = new TreeMap<>();
    in.forEach(e -> keyed.computeIfAbsent((String) e.row().get("key"), k -> new ArrayList<>()).add(new Arrival(0, e)));
    side.forEach(e -> keyed.computeIfAbsent((String) e.row().get("key"), k -> new ArrayList<>()).add(new Arrival(1, e)));
    keyed.forEach((key, arrivals) -> {
      arrivals.sort(Comparator.comparingLong(a -> a.event().ts()));
      for (int i = 1; i < arrivals.size(); i++) {
        if (arrivals.get(i).event().ts() == arrivals.get(i - 1).event().ts()) {
          throw new IllegalStateException(name + ": two arrivals of key " + key + " at the same time; change the test input");
        }
      }
      Arrival[] group = new Arrival[2];
      Long start = null;
      Long closedUntil = null;
      for (Arrival arrival : arrivals) {
        long t = arrival.event().ts();
        if (start != null && t > start + timeout) {
          closedUntil = start + 2 * timeout;
          group = new Arrival[2];
          start = null;
        }
        if (start == null && closedUntil != null && t <= closedUntil) {
          dead.merge(name, 1, Integer::sum);
          continue;
        }
        if (start == null) {
          start = t;
          closedUntil = null;
        }
        if (group[arrival.input()] != null) {
          continue;
        }
        group[arrival.input()] = arrival;
        if (group[0] != null && group[1] != null) {
          out.add(new Ev(row("key", key, field, group[0].event().row(), sideName, group[1].event().row(), "missing", List.of(),
              "complete", true, "firstAt", iso(start), "lastAt", iso(t)), t));
          closedUntil = start + timeout;
          group = new Arrival[2];
          start = null;
        }
      }
    });
  }

  // ---------------------------------------------------------------- the spec

  /** A pair as built: its two steps' spec text, the reference sink output, or the refusal expected. */
  public record Branch(Pair pair, String yaml, String sinkInput, List<Ev> expected, Map<String, Integer> deadLetters, String refusal) {}

  public static Branch branch(Pair pair) {
    List<Ev> ev = events();
    List<Ev> side = side();
    Shape evShape = new Shape("v", false, false);
    Step a = step(pair.a(), pair.aName(), "ev", ev, evShape, "side", side);
    String refused = refusal(pair.b(), a.shape());
    Map<String, Integer> dead = new TreeMap<>(a.deadLetters());
    if (refused != null) {
      // Still write B with the config it would have (the numeric path of A's output), to see the build refuse it.
      String bYaml = pair.b().equals("Threshold")
          ? "  - name: " + pair.bName() + "\n    type: Threshold\n    input: " + a.ref() + "\n    field: " + a.shape().num()
              + "\n    above: 1.0\n    key: key\n    debounce: true\n"
          : "  - name: " + pair.bName() + "\n    type: Enrich\n    input: [" + a.ref() + ", side2]\n    key: key\n    tableKey: key\n";
      return new Branch(pair, a.yaml() + bYaml, pair.bName(), List.of(), dead, refused);
    }
    Step b = step(pair.b(), pair.bName(), a.ref(), a.out(), a.shape(), "side2", side2());
    b.deadLetters().forEach((k, v) -> dead.merge(k, v, Integer::sum));
    return new Branch(pair, a.yaml() + b.yaml(), b.ref(), b.out(), dead, null);
  }

  /** One spec holding these branches, reading {@code dir}/ev.jsonl, side.jsonl and side2.jsonl, writing under {@code dir}/out. */
  public static String spec(List<Branch> branches, java.nio.file.Path dir, String deadLetters) {
    StringBuilder yaml = new StringBuilder();
    yaml.append("name: composition-matrix\ndescription: Every ordered pair of step types, one branch each.\n");
    yaml.append("sources:\n");
    yaml.append("  - {name: ev, type: file, path: '").append(dir.resolve("ev.jsonl")).append("', format: json, schema: '")
        .append(dir.resolve("ev.avsc")).append("', eventTime: {field: ts}}\n");
    yaml.append("  - {name: side, type: file, path: '").append(dir.resolve("side.jsonl")).append("', format: json, schema: '")
        .append(dir.resolve("side.avsc")).append("', eventTime: {field: ts}}\n");
    yaml.append("  - {name: side2, type: file, path: '").append(dir.resolve("side2.jsonl")).append("', format: json, schema: '")
        .append(dir.resolve("side.avsc")).append("', eventTime: {field: ts}}\n");
    yaml.append("steps:\n");
    branches.forEach(b -> yaml.append(b.yaml()));
    yaml.append("sinks:\n");
    for (Branch b : branches) {
      yaml.append("  - {name: ").append(b.pair().sinkName()).append(", input: ").append(b.sinkInput())
          .append(", type: file, format: json, path: '").append(dir.resolve("out").resolve(b.pair().sinkName())).append("'}\n");
    }
    yaml.append("deadLetter: {type: file, format: json, path: '").append(dir.resolve("out").resolve(deadLetters)).append("'}\n");
    return yaml.toString();
  }

  /** Writes the inputs and their schemas into {@code dir}. */
  public static void writeInputs(java.nio.file.Path dir) throws java.io.IOException {
    java.nio.file.Files.createDirectories(dir);
    java.nio.file.Files.write(dir.resolve("ev.jsonl"), jsonLines(events(), 15));
    java.nio.file.Files.write(dir.resolve("side.jsonl"), jsonLines(side(), 16));
    java.nio.file.Files.write(dir.resolve("side2.jsonl"), jsonLines(side2(), 17));
    java.nio.file.Files.writeString(dir.resolve("ev.avsc"), EV_SCHEMA);
    java.nio.file.Files.writeString(dir.resolve("side.avsc"), SIDE_SCHEMA);
  }

  /** The expected sink records of a branch, as canonical JSON lines (the harness's canonical form). */
  public static List<String> expectedLines(Branch branch) {
    List<String> lines = new ArrayList<>();
    branch.expected().forEach(e -> lines.add(json(e.row())));
    return ConformanceHarness.canonical(lines);
  }
}
