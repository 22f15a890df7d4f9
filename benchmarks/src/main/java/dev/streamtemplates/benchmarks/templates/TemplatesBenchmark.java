package dev.streamtemplates.benchmarks.templates;

import dev.streamtemplates.pipelines.launcher.Catalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Times catalogue templates as a user runs them: {@code bin/run TEMPLATE --runner=R} over
 * generated input, wall clock from starting {@code bin/run} to its exit (JVM start-up, the runner's
 * start-up, reading, processing and writing included). One run per call, so that a shell script can
 * hold the machine's build lock for each run alone ({@code bin/bench-templates}).
 *
 * <pre>
 * TemplatesBenchmark cases [--templates=a,b]
 * TemplatesBenchmark run --case='top-n-spenders --slide=10s' --runner=direct --events=100000
 *     [--seed=42] [--timeout=900] [--home=.] [--work=target/bench-templates]
 *     [--csv=benchmarks/results/templates.csv] [--run=ID] [--commit=SHA]
 * </pre>
 *
 * <p>A run's input is generated once per template, size and seed under {@code work/inputs} and
 * reused by the other runners. Its result is one CSV row: {@code ok} with the events per second,
 * {@code timeout} (the run is killed at {@code --timeout} seconds), {@code refused} (the launcher
 * refused the template on that runner, with its one-line reason), {@code failed}, or
 * {@code skipped} (a smaller size of the same case timed out on that runner earlier in the same
 * run, so a larger one would too). A run that reads fewer records than generated, or dead-letters
 * any, is marked in the note: the generated records are all valid.
 */
public final class TemplatesBenchmark {
  private TemplatesBenchmark() {}

  /** The CSV's columns; the note is last and may hold commas. */
  static final String HEADER = "run,commit,case,runner,events,status,wall_s,events_per_s,job_s,read,written,dead_lettered,note";

  /** Extra cases beyond each template's defaults, by template: the issue's own measurement. */
  private static final Map<String, List<String>> VARIANTS = Map.of("top-n-spenders", List.of("--slide=10s"));

  /** The runners, by the short name {@code bin/run --runner=} takes. */
  static final Map<String, String> RUNNERS = Map.of("direct", "DirectRunner", "flink", "FlinkRunner", "spark", "SparkRunner");

  public static void main(String[] args) throws IOException, InterruptedException {
    try {
      Map<String, String> options = options(args);
      String command = args.length > 0 ? args[0] : "";
      switch (command) {
        case "cases":
          cases(options.get("templates")).forEach(System.out::println);
          break;
        case "run":
          run(options);
          break;
        default:
          throw new IllegalArgumentException("usage: TemplatesBenchmark cases [--templates=a,b] | run --case=C --runner=R --events=N [...]");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("bin/bench-templates: " + e.getMessage());
      System.exit(2);
    }
  }

  /**
   * The cases to run, in catalogue order: each template with its defaults, then its variants
   * ({@code top-n-spenders --slide=10s}). {@code templates} (comma-separated, or null for all)
   * selects templates, and with them their variants; a case name selects that case alone.
   */
  static List<String> cases(String templates) {
    List<String> all = new ArrayList<>();
    for (String template : Catalog.names()) {
      all.add(template);
      VARIANTS.getOrDefault(template, List.of()).forEach(variant -> all.add(template + " " + variant));
    }
    if (templates == null || templates.isBlank()) {
      return all;
    }
    List<String> chosen = new ArrayList<>();
    for (String wanted : templates.split(",")) {
      String name = wanted.trim();
      List<String> matching = all.stream().filter(c -> c.equals(name) || c.startsWith(name + " ")).toList();
      if (matching.isEmpty()) {
        throw new IllegalArgumentException("--templates: no template '" + name + "'; the catalogue has " + Catalog.names());
      }
      matching.stream().filter(c -> !chosen.contains(c)).forEach(chosen::add);
    }
    return chosen;
  }

  /** One timed run; appends its row to the CSV and prints it. */
  static void run(Map<String, String> options) throws IOException, InterruptedException {
    String name = required(options, "case");
    String runner = required(options, "runner");
    if (!RUNNERS.containsKey(runner)) {
      throw new IllegalArgumentException("--runner: '" + runner + "' is not one of " + RUNNERS.keySet());
    }
    long events = Long.parseLong(required(options, "events"));
    long seed = Long.parseLong(options.getOrDefault("seed", "42"));
    long timeout = Long.parseLong(options.getOrDefault("timeout", "900"));
    Path home = Path.of(options.getOrDefault("home", ".")).toAbsolutePath().normalize();
    Path work = home.resolve(options.getOrDefault("work", "target/bench-templates"));
    Path csv = home.resolve(options.getOrDefault("csv", "benchmarks/results/templates.csv"));
    String runId = options.getOrDefault("run", "");
    String commit = options.getOrDefault("commit", "");
    String[] caseWords = name.split(" ");
    String template = caseWords[0];
    String slug = name.replaceAll("[^A-Za-z0-9.-]+", "_");

    Result result;
    String earlier = timedOutEarlier(csv, runId, name, runner, events);
    if (earlier != null) {
      result = Result.skipped("not run: timed out at " + earlier + " events earlier in this run");
    } else {
      Map<String, String> parameters = inputs(template, events, seed, work.resolve("inputs").resolve(template).resolve(events + "-seed" + seed), home);
      Path output = work.resolve("output").resolve(slug + "-" + runner + "-" + events);
      Path log = work.resolve("logs").resolve(slug + "-" + runner + "-" + events + ".log");
      deleteTree(output);
      Files.createDirectories(log.getParent());
      List<String> command = new ArrayList<>(List.of(home.resolve("bin/run").toString(), template, "--runner=" + RUNNERS.get(runner)));
      parameters.forEach((key, value) -> command.add("--" + key + "=" + value));
      command.add("--outputDir=" + output);
      command.addAll(List.of(caseWords).subList(1, caseWords.length));
      result = time(command, log, timeout);
      deleteTree(output);
      if (result.status().equals("ok")) {
        result = result.checked(events);
      }
    }
    String row = String.join(",", runId, commit, name, runner, Long.toString(events), result.status(),
        format(result.wallSeconds()), result.wallSeconds() > 0 && result.status().equals("ok") ? format(events / result.wallSeconds()) : "",
        format(result.jobSeconds()), count(result.read()), count(result.written()), count(result.deadLettered()),
        result.note().replace('\n', ' '));
    Files.createDirectories(csv.getParent());
    if (!Files.exists(csv)) {
      Files.writeString(csv, HEADER + "\n", StandardCharsets.UTF_8);
    }
    Files.writeString(csv, row + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    System.out.printf(Locale.ROOT, "%-34s %-6s %,10d  %-8s %s%n", name, runner, events, result.status(),
        result.status().equals("ok") ? String.format(Locale.ROOT, "%7.1f s  %,9.0f events/s%s", result.wallSeconds(), events / result.wallSeconds(),
            result.note().isEmpty() ? "" : "  (" + result.note() + ")") : result.note());
  }

  /** The generated input of {@code template}, written once per size and seed; its parameters. */
  private static Map<String, String> inputs(String template, long events, long seed, Path dir, Path home) throws IOException {
    Path done = dir.resolve("parameters.properties");
    if (Files.exists(done)) {
      java.util.Properties saved = new java.util.Properties();
      try (var in = Files.newBufferedReader(done)) {
        saved.load(in);
      }
      Map<String, String> parameters = new LinkedHashMap<>();
      saved.stringPropertyNames().stream().sorted().forEach(key -> parameters.put(key, saved.getProperty(key)));
      return parameters;
    }
    deleteTree(dir);
    long start = System.nanoTime();
    Map<String, String> parameters = TemplateInputs.write(template, events, seed, dir, home.toString());
    java.util.Properties saved = new java.util.Properties();
    saved.putAll(parameters);
    try (var out = Files.newBufferedWriter(done)) {
      saved.store(out, "bin/bench-templates input: " + template + ", " + events + " events, seed " + seed);
    }
    System.out.printf(Locale.ROOT, "  (generated %,d events for %s in %.1f s)%n", events, template, (System.nanoTime() - start) / 1e9);
    return parameters;
  }

  /** Runs {@code command}, its output to {@code log}, killing it after {@code timeoutSeconds}. */
  static Result time(List<String> command, Path log, long timeoutSeconds) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    long start = System.nanoTime();
    Process process = builder.start();
    boolean finished = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    double wall = (System.nanoTime() - start) / 1e9;
    if (!finished) {
      kill(process);
      return new Result("timeout", wall, 0, -1, -1, -1, "killed after " + timeoutSeconds + " s");
    }
    return parse(process.exitValue(), wall, Files.readString(log, StandardCharsets.UTF_8));
  }

  private static void kill(Process process) throws InterruptedException {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    children.forEach(ProcessHandle::destroy);
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      children.forEach(ProcessHandle::destroyForcibly);
      process.waitFor();
    }
  }

  private static final Pattern FINISHED = Pattern.compile("(?m)^\\S+ (\\w+) on \\w+ in ([0-9.]+) s$");
  private static final Pattern SOURCE = Pattern.compile("(?m)^  source \\S+\\s+read (\\d+)");
  private static final Pattern SINK = Pattern.compile("(?m)^  sink \\S+\\s+written (\\d+)");
  private static final Pattern DEAD_LETTERS = Pattern.compile("(?m)^  dead letters\\s+written (\\d+)");

  /** What {@code bin/run} printed: its state, the launcher's own time, records read, written and dead-lettered. */
  static Result parse(int exitCode, double wall, String output) {
    if (exitCode == 2) {
      // A launch error: the spec's errors are listed one per line under the first.
      List<String> reasons = output.lines().filter(l -> l.startsWith("  - ")).map(l -> l.substring(4).strip()).toList();
      String reason = reasons.isEmpty() ? output.lines().findFirst().orElse("exit code 2") : String.join("; ", reasons);
      return new Result("refused", wall, 0, -1, -1, -1, reason);
    }
    Matcher finished = FINISHED.matcher(output);
    if (exitCode != 0 || !finished.find() || !finished.group(1).equals("DONE")) {
      String error = output.lines().filter(l -> l.startsWith("error: ")).findFirst()
          .orElse("exit code " + exitCode + (finished.find(0) ? ", " + finished.group(1) : ""));
      return new Result("failed", wall, 0, -1, -1, -1, error);
    }
    return new Result("ok", wall, Double.parseDouble(finished.group(2)), sum(SOURCE, output), sum(SINK, output),
        sum(DEAD_LETTERS, output), output.contains("DOES NOT HOLD") ? "balance does not hold" : "");
  }

  private static long sum(Pattern pattern, String output) {
    Matcher matcher = pattern.matcher(output);
    long sum = 0;
    boolean any = false;
    while (matcher.find()) {
      sum += Long.parseLong(matcher.group(1));
      any = true;
    }
    return any ? sum : -1;
  }

  /** One run's outcome; counts are -1 when not known. */
  record Result(String status, double wallSeconds, double jobSeconds, long read, long written, long deadLettered, String note) {
    static Result skipped(String note) {
      return new Result("skipped", 0, 0, -1, -1, -1, note);
    }

    /** Notes a run that did not read every generated event or dead-lettered some: its rate is then not comparable. */
    Result checked(long events) {
      List<String> notes = new ArrayList<>(note.isEmpty() ? List.of() : List.of(note));
      if (read != events) {
        notes.add("read " + read + " of " + events + " events");
      }
      if (deadLettered > 0) {
        notes.add(deadLettered + " dead letters");
      }
      return new Result(status, wallSeconds, jobSeconds, read, written, deadLettered, String.join("; ", notes));
    }
  }

  /** The smaller size at which this case timed out on this runner earlier in the same run, or null. */
  private static String timedOutEarlier(Path csv, String runId, String name, String runner, long events) throws IOException {
    if (runId.isEmpty() || !Files.exists(csv)) {
      return null;
    }
    try (Stream<String> lines = Files.lines(csv)) {
      return lines.skip(1).map(l -> l.split(",", 13))
          .filter(f -> f.length == 13 && f[0].equals(runId) && f[2].equals(name) && f[3].equals(runner)
              && (f[5].equals("timeout") || f[5].equals("skipped")) && Long.parseLong(f[4]) < events)
          .map(f -> String.format(Locale.ROOT, "%,d", Long.parseLong(f[4])))
          .findFirst().orElse(null);
    }
  }

  private static String format(double value) {
    return value <= 0 ? "" : String.format(Locale.ROOT, "%.1f", value);
  }

  private static String count(long value) {
    return value < 0 ? "" : Long.toString(value);
  }

  private static String required(Map<String, String> options, String key) {
    String value = options.get(key);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("--" + key + " is required");
    }
    return value;
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int k = 1; k < args.length; k++) {
      String arg = args[k];
      if (!arg.startsWith("--") || !arg.contains("=")) {
        throw new IllegalArgumentException("options are written --name=value, got " + arg);
      }
      options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
    }
    return options;
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
