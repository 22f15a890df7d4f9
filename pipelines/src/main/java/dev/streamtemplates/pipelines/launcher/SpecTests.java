package dev.streamtemplates.pipelines.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.streamtemplates.pipelines.TemplatePipeline;
import dev.streamtemplates.pipelines.io.Sources;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import dev.streamtemplates.transforms.core.Counters;
import dev.streamtemplates.transforms.core.Instants;
import dev.streamtemplates.transforms.format.Formats;
import dev.streamtemplates.transforms.format.RecordFormat;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;
import org.joda.time.ReadableInstant;

/**
 * The {@code tests:} of a spec, run by {@code bin/run SPEC --test}: each case feeds its input
 * records to the spec's sources, in the order written and with the watermark advances written
 * between them, runs the spec on the chosen runner, and compares what each sink and the
 * dead-letter output received with what the case expects.
 *
 * <pre>{@code
 * tests:
 *   - name: a reading that comes after the watermark is late
 *     parameters: {limit: 30}
 *     events:
 *       - readings: {sensor: s-1, celsius: 35.0, at: 2024-05-01T10:00:00Z}
 *       - watermark: 2024-05-01T10:10:00Z
 *       - readings: {sensor: s-1, celsius: 40.0, at: 2024-05-01T10:01:00Z}
 *     expect:
 *       alerts: [{sensor: s-1, celsius: 35.0}]
 *       deadLetters: [{step: readings, error: late}]
 * }</pre>
 *
 * <p>Input records are written in the source's own field names and decoded as JSON against the
 * source's schema, so they read as a file or topic would give them. Expected records are matched
 * one to one, as a multiset: each expected record must match a different actual record on every
 * field it lists (fields it leaves out are not compared), and the counts must be equal. Numbers
 * match within the case's {@code tolerance} (relative, 1e-9 by default), instants match whatever
 * their notation. A sink the case does not list is not checked; dead letters the case does not
 * list must be none. An expected dead letter's {@code error} matches any reason that contains it.
 *
 * <p>Where the runner replays a TestStream (Direct; Flink, in streaming mode), watermarks and
 * arrival order are replayed as written; elsewhere (Spark) the input is one bounded collection,
 * the watermark advances are not replayed, and the report says so.
 *
 * <p>What the sinks received is collected in this JVM, so spec tests run on embedded runners
 * (Direct, Flink {@code [local]}, Spark {@code local[*]}), not on a remote cluster.
 */
final class SpecTests {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String DEAD_LETTERS = "deadLetters";
  static final double DEFAULT_TOLERANCE = 1e-9;

  private final PrintStream out;

  SpecTests(PrintStream out) {
    this.out = out;
  }

  /** One event of a case: a record for a source, or a watermark advance. */
  private record Event(@Nullable String source, @Nullable Row row, byte @Nullable [] json, @Nullable Instant watermark, String path) {}

  /**
   * What a case received, per sink name and under {@link #DEAD_LETTERS}; its problems (a failed
   * case); and notes that do not fail it (late events the runner dropped without a dead letter).
   */
  record Outcome(Map<String, List<JsonNode>> received, List<String> problems, List<String> notes) {
    boolean passed() {
      return problems.isEmpty();
    }
  }

  /**
   * Runs every case of the spec and prints a report; returns the number of cases that failed.
   *
   * @param fix where to write the spec's tests with the actual outputs, or null
   */
  int run(TemplateSpec spec, Map<String, String> parameters, PipelineOptions options, String home, @Nullable Path fix) {
    SpecNode root = spec.resolve(parameters);
    List<SpecNode> cases = root.items("tests");
    if (cases.isEmpty()) {
      throw new SpecException(spec.name(), List.of("tests: the spec has no tests; add a tests: section (see templates/README.md, Testing a spec)"));
    }
    String runner = options.getRunner().getSimpleName();
    boolean stream = replaysTestStream(runner);
    out.printf("%s: %d test%s on %s (%s)%n", spec.name(), cases.size(), cases.size() == 1 ? "" : "s", runner,
        stream ? "TestStream: arrival order and watermarks as written"
            : "one bounded input: arrival order kept, watermark advances not replayed on this runner");
    int failed = 0;
    int passed = 0;
    int skipped = 0;
    ArrayNode fixed = JsonNodeFactory.instance.arrayNode();
    for (int i = 0; i < cases.size(); i++) {
      SpecNode test = cases.get(i);
      Map<String, String> withCase = new LinkedHashMap<>(parameters);
      test.stringMap("parameters").forEach(withCase::put);
      SpecNode caseRoot = test.has("parameters") ? spec.resolve(withCase) : root;
      SpecNode resolved = caseRoot.items("tests").get(i);
      String known = resolved.child("skip").text(runner, null);
      if (known != null) {
        skipped++;
        out.printf("  SKIP %s: known to differ on %s: %s%n", resolved.text("name"), runner, known);
        continue;
      }
      if (!stream && resolved.json().path("events").findValue("watermark") != null) {
        skipped++;
        out.printf("  SKIP %s: it advances the watermark, which %s does not replay; run it with --runner=DirectRunner or FlinkRunner%n",
            resolved.text("name"), runner);
        continue;
      }
      long start = System.nanoTime();
      Outcome outcome = runCase(caseRoot, resolved, options, home, stream);
      double seconds = (System.nanoTime() - start) / 1e9;
      out.printf("  %s %s (%.1f s)%n", outcome.passed() ? "PASS" : "FAIL", resolved.text("name"), seconds);
      outcome.problems().forEach(problem -> out.println("      " + problem.replace("\n", "\n      ")));
      outcome.notes().forEach(note -> out.println("      " + note));
      failed += outcome.passed() ? 0 : 1;
      passed += outcome.passed() ? 1 : 0;
      fixed.add(fixedCase(resolved, outcome));
    }
    out.printf("%d passed, %d failed%s%n", passed, failed, skipped == 0 ? "" : ", " + skipped + " skipped");
    if (fix != null) {
      writeFixed(fix, fixed);
    }
    return failed;
  }

  /** Whether the runner replays a TestStream's watermarks (Beam's own test exclusions say which do). */
  static boolean replaysTestStream(String runner) {
    return runner.startsWith("Direct") || runner.startsWith("Flink");
  }

  private Outcome runCase(SpecNode root, SpecNode test, PipelineOptions options, String home, boolean stream) {
    Map<String, SpecNode> sources = new LinkedHashMap<>();
    root.items("sources").forEach(s -> sources.put(s.text("name"), s));
    List<Event> events = events(test, sources);
    if (stream && options.getRunner().getSimpleName().startsWith("Flink")) {
      options.as(StreamingOptions.class).setStreaming(true); // the Flink runner replays a TestStream only when streaming
    }
    Pipeline pipeline = Pipeline.create(options);
    String run = UUID.randomUUID().toString();
    Map<String, String> eventTimeFields = new LinkedHashMap<>();
    sources.forEach((name, source) -> {
      if (source.child("eventTime").has("field")) {
        eventTimeFields.put(name, source.child("eventTime").text("field"));
      }
    });
    PCollection<KV<String, byte[]>> all = pipeline.apply("Test input", input(events, stream, eventTimeFields));
    Map<String, PCollection<Row>> bound = new LinkedHashMap<>();
    for (Map.Entry<String, SpecNode> source : sources.entrySet()) {
      Schema schema = Sources.schema(source.getValue());
      bound.put(source.getKey(), all.apply(source.getKey() + "/Test records", ParDo.of(new Decode(source.getKey(), Formats.json(schema))))
          .setRowSchema(schema));
    }
    Map<String, PTransform<PCollection<Row>, ?>> sinks = new LinkedHashMap<>();
    for (SpecNode sink : root.items("sinks")) {
      sinks.put(sink.text("name"), new Capture(run, sink.text("name")));
    }
    sinks.put(TemplatePipeline.DEAD_LETTER_SINK, new Capture(run, DEAD_LETTERS));
    TemplatePipeline.build(pipeline, root, home, new TemplatePipeline.Bindings(bound, sinks));
    try {
      PipelineResult result = pipeline.run();
      PipelineResult.State state = result.waitUntilFinish();
      Map<String, List<JsonNode>> received = new LinkedHashMap<>();
      for (String name : sinks.keySet()) {
        String key = TemplatePipeline.DEAD_LETTER_SINK.equals(name) ? DEAD_LETTERS : name;
        received.put(key, Captured.take(run, key));
      }
      List<String> problems = new ArrayList<>();
      if (state != PipelineResult.State.DONE) {
        problems.add("the run ended " + state);
      }
      problems.addAll(compare(test, received));
      // Only a case that advances the watermark between its events can have late events; the
      // counters are read once settled (a tenth of a second or more on Direct), so only then.
      List<String> notes = new ArrayList<>();
      if (stream && events.stream().anyMatch(event -> event != null && event.watermark() != null)) {
        Counters.droppedLate(Counters.settled(result)).forEach((step, count) -> notes.add("note: " + Launcher.droppedLateLine(step, count)));
      }
      return new Outcome(received, problems, notes);
    } finally {
      Captured.forget(run);
    }
  }

  /** The case's events: {@code events:} as written, or {@code input:} source by source. */
  private static List<Event> events(SpecNode test, Map<String, SpecNode> sources) {
    List<String> errors = new ArrayList<>();
    Map<String, RecordFormat> formats = new LinkedHashMap<>(); // each source's schema read once, not per record
    List<Event> events = new ArrayList<>();
    if (test.has("events") == test.has("input")) {
      throw new SpecException(test.path(), List.of(test.path() + ": give either input: (records per source) or events: (records and watermarks in arrival order)"));
    }
    if (test.has("input")) {
      for (Map.Entry<String, SpecNode> entry : test.entries("input").entrySet()) {
        for (int i = 0; i < entry.getValue().json().size(); i++) {
          events.add(record(entry.getKey(), entry.getValue().json().get(i), test.childPath("input") + "." + entry.getKey() + "[" + i + "]",
              sources, formats, errors));
        }
      }
    } else {
      JsonNode list = test.json().get("events");
      for (int i = 0; i < list.size(); i++) {
        JsonNode event = list.get(i);
        String path = test.childPath("events") + "[" + i + "]";
        String key = event.fieldNames().hasNext() ? event.fieldNames().next() : "";
        if (event.size() != 1) {
          errors.add(path + ": an event is one record, {source: {field: value, ...}}, or one watermark advance, {watermark: 2024-05-01T10:00:00Z}");
        } else if ("watermark".equals(key)) {
          try {
            events.add(new Event(null, null, null, new Instant(Instants.parseEpochMillis(event.get(key).asText())), path));
          } catch (IllegalArgumentException e) {
            errors.add(path + ".watermark: " + e.getMessage());
          }
        } else {
          events.add(record(key, event.get(key), path + "." + key, sources, formats, errors));
        }
      }
    }
    if (!errors.isEmpty()) {
      throw new SpecException(test.path(), errors);
    }
    return events;
  }

  /** One input record, decoded as JSON against the source's schema, as the source would read it. */
  private static @Nullable Event record(String source, JsonNode value, String path, Map<String, SpecNode> sources,
      Map<String, RecordFormat> formats, List<String> errors) {
    SpecNode spec = sources.get(source);
    if (spec == null) {
      errors.add(path + ": '" + source + "' is not a source of the spec; sources are " + sources.keySet());
      return null;
    }
    if (!value.isObject()) {
      errors.add(path + ": a record is a map of field to value, e.g. {id: a-1, amount: 2.5}");
      return null;
    }
    RecordFormat format = formats.computeIfAbsent(source, name -> Formats.json(Sources.schema(spec)));
    List<Row> rows = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    format.decode(value.toString().getBytes(StandardCharsets.UTF_8), new RecordFormat.Receiver() {
      @Override
      public void record(Row row) {
        rows.add(row);
      }

      @Override
      public void failure(byte[] raw, String reason) {
        reasons.add(reason);
      }
    });
    if (rows.size() != 1) {
      errors.add(path + ": not a record of source '" + source + "': " + String.join("; ", reasons));
      return null;
    }
    return new Event(source, rows.get(0), format.encode(rows.get(0)), null, path);
  }

  /** The events as a TestStream, or as one bounded collection; each element is (source, JSON), timestamped with its event time. */
  private static PTransform<PBegin, PCollection<KV<String, byte[]>>> input(List<Event> events, boolean stream, Map<String, String> eventTimeFields) {
    KvCoder<String, byte[]> coder = KvCoder.of(StringUtf8Coder.of(), ByteArrayCoder.of());
    Instant watermark = new Instant(0);
    List<TimestampedValue<KV<String, byte[]>>> all = new ArrayList<>();
    TestStream.Builder<KV<String, byte[]>> builder = TestStream.create(coder);
    for (Event event : events) {
      if (event == null) {
        continue;
      }
      if (event.watermark() != null) {
        if (event.watermark().isAfter(watermark)) {
          watermark = event.watermark();
          builder = builder.advanceWatermarkTo(watermark);
        }
        continue;
      }
      Instant time = eventTime(event, watermark, eventTimeFields.get(event.source()));
      TimestampedValue<KV<String, byte[]>> element = TimestampedValue.of(KV.of(event.source(), event.json()), time);
      all.add(element);
      builder = builder.addElements(element);
    }
    if (stream) {
      return builder.advanceWatermarkToInfinity();
    }
    return all.isEmpty() ? Create.empty(coder) : Create.timestamped(all).withCoder(coder);
  }

  /** The event time the source would give the record: its event-time field, or else the watermark so far (ingestion time). */
  private static Instant eventTime(Event event, Instant watermark, @Nullable String field) {
    Row row = event.row();
    if (field == null || !row.getSchema().hasField(field) || row.getValue(field) == null) {
      return watermark;
    }
    Object value = row.getValue(field);
    if (value instanceof ReadableInstant) {
      return new Instant(((ReadableInstant) value).getMillis());
    }
    if (value instanceof Number) {
      return new Instant(((Number) value).longValue());
    }
    return new Instant(Instants.parseEpochMillis(value.toString()));
  }

  /** Decodes one source's elements of the test input; the others are another source's. */
  private static final class Decode extends DoFn<KV<String, byte[]>, Row> {
    private final String source;
    private final RecordFormat format;

    Decode(String source, RecordFormat format) {
      this.source = source;
      this.format = format;
    }

    @ProcessElement
    public void process(@Element KV<String, byte[]> element, OutputReceiver<Row> out) {
      if (!source.equals(element.getKey())) {
        return;
      }
      format.decode(element.getValue(), new RecordFormat.Receiver() {
        @Override
        public void record(Row row) {
          out.output(row);
        }

        @Override
        public void failure(byte[] raw, String reason) {
          throw new IllegalStateException("a test record checked before the run no longer decodes: " + reason);
        }
      });
    }
  }

  /** What the sinks of one run received, as JSON, kept in this JVM for the comparison. */
  static final class Captured {
    private static final Map<String, Queue<String>> RECEIVED = new ConcurrentHashMap<>();

    private Captured() {}

    static void add(String key, String json) {
      RECEIVED.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(json);
    }

    static List<JsonNode> take(String run, String sink) {
      List<JsonNode> rows = new ArrayList<>();
      for (String json : RECEIVED.getOrDefault(run + "/" + sink, new ConcurrentLinkedQueue<>())) {
        try {
          rows.add(JSON.readTree(json));
        } catch (IOException e) {
          throw new IllegalStateException("unreadable captured row: " + e.getMessage(), e);
        }
      }
      return rows;
    }

    static void forget(String run) {
      RECEIVED.keySet().removeIf(key -> key.startsWith(run + "/"));
    }
  }

  /** A sink of a test run: each row, as JSON, into {@link Captured}. */
  private static final class Capture extends PTransform<PCollection<Row>, PDone> {
    private final String key;

    Capture(String run, String sink) {
      this.key = run + "/" + sink;
    }

    @Override
    public PDone expand(PCollection<Row> rows) {
      rows.apply("Capture", ParDo.of(new CaptureFn(key, rows.getSchema())));
      return PDone.in(rows.getPipeline());
    }
  }

  private static final class CaptureFn extends DoFn<Row, Void> {
    private final String key;
    private final RecordFormat json;

    CaptureFn(String key, Schema schema) {
      this.key = key;
      this.json = Formats.json(schema);
    }

    @ProcessElement
    public void process(@Element Row row) {
      Captured.add(key, new String(json.encode(row), StandardCharsets.UTF_8));
    }
  }

  /** The differences between what the case expects and what was received, one entry per sink. */
  static List<String> compare(SpecNode test, Map<String, List<JsonNode>> received) {
    double tolerance = test.has("tolerance") ? test.json().get("tolerance").asDouble() : DEFAULT_TOLERANCE;
    JsonNode expect = test.json().path("expect");
    List<String> problems = new ArrayList<>();
    for (Iterator<String> names = expect.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!received.containsKey(name)) {
        problems.add(test.childPath("expect") + "." + name + ": no such sink; sinks are " + received.keySet());
      }
    }
    for (Map.Entry<String, List<JsonNode>> sink : received.entrySet()) {
      JsonNode expected = expect.get(sink.getKey());
      if (expected == null && !DEAD_LETTERS.equals(sink.getKey())) {
        continue; // a sink the case does not list is not checked
      }
      List<JsonNode> wanted = new ArrayList<>();
      (expected == null ? JsonNodeFactory.instance.arrayNode() : expected).forEach(wanted::add);
      String diff = diff(wanted, sink.getValue(), DEAD_LETTERS.equals(sink.getKey()), tolerance);
      if (!diff.isEmpty()) {
        problems.add((DEAD_LETTERS.equals(sink.getKey()) ? "dead letters" : "sink " + sink.getKey()) + ": " + diff);
      }
    }
    return problems;
  }

  /** "" when {@code actual} matches {@code expected} one to one; else what is missing and what is unexpected. */
  static String diff(List<JsonNode> expected, List<JsonNode> actual, boolean deadLetters, double tolerance) {
    List<JsonNode> unmatched = new ArrayList<>(actual);
    List<JsonNode> missing = new ArrayList<>();
    // The most specific expectations first, so that a loose one does not take a record a precise one needs.
    List<JsonNode> ordered = new ArrayList<>(expected);
    ordered.sort((a, b) -> Integer.compare(b.size(), a.size()));
    for (JsonNode want : ordered) {
      Iterator<JsonNode> it = unmatched.iterator();
      boolean found = false;
      while (it.hasNext()) {
        if (matches(want, it.next(), deadLetters, tolerance)) {
          it.remove();
          found = true;
          break;
        }
      }
      if (!found) {
        missing.add(want);
      }
    }
    if (missing.isEmpty() && unmatched.isEmpty()) {
      return "";
    }
    StringBuilder text = new StringBuilder();
    text.append(String.format("expected %d record%s, got %d", expected.size(), expected.size() == 1 ? "" : "s", actual.size()));
    if (!missing.isEmpty()) {
      text.append("; ").append(missing.size()).append(" expected not received");
    }
    if (!unmatched.isEmpty()) {
      text.append("; ").append(unmatched.size()).append(" received not expected");
    }
    missing.forEach(record -> text.append("\n  - ").append(record));
    unmatched.forEach(record -> text.append("\n  + ").append(record));
    return text.toString();
  }

  /** Whether {@code actual} has every field of {@code expected}, with an equal value. */
  static boolean matches(JsonNode expected, JsonNode actual, boolean deadLetter, double tolerance) {
    for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String name = deadLetter && "reason".equals(field.getKey()) ? "error" : field.getKey();
      JsonNode value = actual.get(name);
      if (deadLetter && "error".equals(name)) {
        if (value == null || !value.asText().contains(field.getValue().asText())) {
          return false;
        }
      } else if (!equal(field.getValue(), value, tolerance)) {
        return false;
      }
    }
    return true;
  }

  static boolean equal(JsonNode expected, @Nullable JsonNode actual, double tolerance) {
    if (expected == null || expected.isNull()) {
      return actual == null || actual.isNull();
    }
    if (actual == null || actual.isNull()) {
      return false;
    }
    if (expected.isNumber() && actual.isNumber()) {
      double a = expected.asDouble();
      double b = actual.asDouble();
      return a == b || Math.abs(a - b) <= tolerance * Math.max(1.0, Math.max(Math.abs(a), Math.abs(b)));
    }
    if (expected.isTextual() && actual.isTextual()) {
      if (expected.asText().equals(actual.asText())) {
        return true;
      }
      try {
        return Instants.parseEpochMillis(expected.asText()) == Instants.parseEpochMillis(actual.asText());
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
    if (expected.isObject() && actual.isObject()) {
      return matches(expected, actual, false, tolerance);
    }
    if (expected.isArray() && actual.isArray()) {
      if (expected.size() != actual.size()) {
        return false;
      }
      for (int i = 0; i < expected.size(); i++) {
        if (!equal(expected.get(i), actual.get(i), tolerance)) {
          return false;
        }
      }
      return true;
    }
    return expected.equals(actual);
  }

  /** The case as written, with what was received as its expectation. */
  private static JsonNode fixedCase(SpecNode test, Outcome outcome) {
    ObjectNode fixed = test.json().deepCopy();
    ObjectNode expect = JsonNodeFactory.instance.objectNode();
    outcome.received().forEach((sink, rows) -> {
      if (DEAD_LETTERS.equals(sink)) {
        if (!rows.isEmpty()) {
          ArrayNode dead = expect.putArray(DEAD_LETTERS);
          rows.forEach(row -> dead.addObject().put("step", row.path("step").asText()).put("error", row.path("error").asText()));
        }
      } else {
        expect.putArray(sink).addAll(rows);
      }
    });
    fixed.set("expect", expect);
    return fixed;
  }

  private void writeFixed(Path file, ArrayNode cases) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.set("tests", cases);
    try {
      ObjectMapper yaml = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
      Files.writeString(file, "# The spec's tests with what the run gave as their expectations: review each record,\n"
          + "# then copy the expect: blocks you agree with into the spec.\n" + yaml.writeValueAsString(root), StandardCharsets.UTF_8);
      out.println("wrote " + file + " (the tests with the actual outputs as expectations, for review)");
    } catch (IOException e) {
      throw new IllegalArgumentException("--fix: cannot write " + file + ": " + e.getMessage());
    }
  }
}
