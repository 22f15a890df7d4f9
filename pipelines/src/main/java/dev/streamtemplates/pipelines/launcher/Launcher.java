package dev.streamtemplates.pipelines.launcher;

import dev.streamtemplates.pipelines.TemplatePipeline;
import dev.streamtemplates.pipelines.spec.ParameterSpec;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import dev.streamtemplates.transforms.core.Counters;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * The command line: {@code bin/run TEMPLATE|spec.yaml [--param=value ...] [--runner=...] [runner
 * options]}, {@code bin/run --list}, {@code bin/run TEMPLATE --help} and {@code bin/run --infer-schema FILE}
 * ({@link SchemaInference}).
 *
 * <p>Template parameters and pipeline options share one command line. Every value is checked
 * before the pipeline starts: an unknown option, a value of the wrong type or one that does not
 * match its parameter's pattern is rejected, naming the option and the expected form.
 */
public final class Launcher {
  /** Exit code for bad usage, a bad option or an invalid spec. */
  public static final int USAGE = 2;
  /** Exit code for a pipeline that ran and failed. */
  public static final int FAILED = 1;

  private final PrintStream out;
  private final Redaction redaction;
  private final RunnerDefaults defaults;
  /** The launch being run, to say where a failure that escapes it happened. */
  private Launch running;

  /** A launcher that prints to {@code out}, secrets masked. */
  public Launcher(PrintStream out) {
    this(new Redaction(), out);
  }

  private Launcher(Redaction redaction, PrintStream out) {
    this(redaction.wrap(out), redaction);
  }

  /** A launcher that prints to {@code out}, which masks the secrets {@code redaction} is given (see {@link Main}). */
  public Launcher(PrintStream out, Redaction redaction) {
    this.out = out;
    this.redaction = redaction;
    this.defaults = RunnerDefaults.load();
  }

  /**
   * The flag that shows a failure's stack trace on the console instead of only in its log file,
   * and the runners' and libraries' warnings, which a run keeps quiet by default (see {@link Main}).
   */
  static final String VERBOSE = "--verbose";

  /** A parsed, validated launch: ready to build and run. */
  public record Launch(TemplateSpec spec, SpecNode root, PipelineOptions options, String home, Map<String, String> parameters) {}

  /** The flag that runs the spec's {@code tests:} instead of the spec (see {@link SpecTests}). */
  static final String TEST = "--test";
  /** With {@link #TEST}: also write the tests with the actual outputs as expectations, for review. */
  static final String FIX = "--fix";

  /** Runs the command line and returns the process exit code. */
  public int main(String[] args) {
    try {
      if (java.util.Arrays.stream(args).anyMatch(arg -> arg.startsWith(SchemaInference.OPTION))) {
        return SchemaInference.main(args, out);
      }
      List<String> positional = new ArrayList<>();
      boolean help = false;
      for (String arg : args) {
        if (arg.equals("--help") || arg.equals("-h")) {
          help = true;
        } else if (arg.equals("--list")) {
          printList();
          return 0;
        } else if (!arg.startsWith("--")) {
          positional.add(arg);
        }
      }
      if (positional.isEmpty()) {
        printUsage();
        return help ? 0 : USAGE;
      }
      if (positional.size() > 1) {
        throw new SpecException("command line", "one template at a time, got " + positional + "; options are written --name=value");
      }
      if (help) {
        printHelp(Catalog.load(positional.get(0)));
        return 0;
      }
      if (List.of(args).contains(TEST)) {
        Launch launch = prepare(args);
        java.nio.file.Path fix = List.of(args).contains(FIX) ? java.nio.file.Path.of(launch.spec().name() + ".tests-actual.yaml") : null;
        running = launch;
        return new SpecTests(out).run(launch.spec(), launch.parameters(), launch.options(), launch.home(), fix) == 0 ? 0 : FAILED;
      }
      PipelineResult result = run(prepare(args));
      return result.getState() == PipelineResult.State.DONE ? 0 : FAILED;
    } catch (SpecException e) {
      out.println(e.getMessage());
      out.println("See: bin/run --list, bin/run TEMPLATE --help");
      return USAGE;
    } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
      // Anything else that escapes (a runner's failure, a bug of ours): one line, and the stack
      // trace in a log file, or on the console with --verbose. Never a bare stack trace.
      out.println("error: " + Failures.describe(e) + (running == null ? "" : Failures.where(e, running.root())));
      if (List.of(args).contains(VERBOSE)) {
        e.printStackTrace(out);
      } else {
        out.println("The stack trace is in " + Failures.log(e, redaction) + " (or run again with " + VERBOSE + ")");
      }
      return FAILED;
    }
  }

  /**
   * Parses and checks a command line without running anything.
   *
   * @throws SpecException naming every bad option, parameter and spec error
   */
  public Launch prepare(String[] args) {
    String template = null;
    Map<String, String> options = new LinkedHashMap<>();
    List<String> twice = new ArrayList<>();
    for (String arg : args) {
      if (!arg.startsWith("--")) {
        template = arg;
        continue;
      }
      if (arg.equals(VERBOSE) || arg.equals(TEST) || arg.equals(FIX)) {
        continue;
      }
      int eq = arg.indexOf('=');
      String key = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
      String value = eq < 0 ? "true" : arg.substring(eq + 1);
      if (Secrets.isSecret(key)) {
        redaction.add(value);
      }
      String before = options.putIfAbsent(key, value);
      if (before != null && !twice.contains(key)) {
        twice.add(key);
      }
    }
    if (template == null) {
      throw new SpecException("command line", "name a template (bin/run --list) or a spec file");
    }
    if (List.of(args).contains(TEST) && options.getOrDefault("runner", String.valueOf(defaults.runner())).contains("Flink")) {
      // With several parallel channels, a watermark may overtake a record on another channel, and
      // records bundled together are processed after a watermark that followed them; so a record
      // written after a watermark advance might not be late. One channel and bundles of one record
      // keep the order written (measured: the late-data case of threshold-crossing fails without).
      options.putIfAbsent("parallelism", "1");
      options.putIfAbsent("maxBundleSize", "1");
    }
    TemplateSpec spec = Catalog.load(template);
    for (ParameterSpec parameter : spec.parameters().values()) {
      if (parameter.secret()) {
        redaction.add(options.get(parameter.name()));
        redaction.add(parameter.defaultValue());
      }
    }
    Map<String, String> parameters = new LinkedHashMap<>();
    List<String> pipelineArgs = new ArrayList<>();
    for (Map.Entry<String, String> option : options.entrySet()) {
      if (spec.parameters().containsKey(option.getKey()) || TemplateSpec.HOME.equals(option.getKey())) {
        parameters.put(option.getKey(), option.getValue());
      } else {
        pipelineArgs.add("--" + option.getKey() + "=" + option.getValue());
      }
    }
    pipelineArgs.addAll(defaults.argsNotIn(options.keySet()));
    List<String> errors = new ArrayList<>();
    for (String key : twice) {
      errors.add("--" + key + " is given more than once; give it once (the first was " + shown(spec, key, options.get(key)) + ")");
    }
    PipelineOptions pipelineOptions = null;
    try {
      pipelineOptions = PipelineOptionsFactory.fromArgs(pipelineArgs.toArray(new String[0])).withValidation().create();
      pipelineOptions.setJobName(spec.name());
    } catch (IllegalArgumentException e) {
      errors.add(optionError(spec, e, pipelineArgs));
    }
    SpecNode root = null;
    try {
      root = spec.resolve(parameters);
    } catch (SpecException e) {
      errors.addAll(e.errors());
    }
    if (!errors.isEmpty()) {
      throw new SpecException(spec.name(), errors);
    }
    String home = parameters.getOrDefault(TemplateSpec.HOME, System.getProperty("templates.home", System.getProperty("user.dir")));
    return new Launch(spec, root, pipelineOptions, home, Map.copyOf(parameters));
  }

  /** Builds the pipeline for a launch, runs it to the end, and prints what went in and out. */
  public PipelineResult run(Launch launch) {
    running = launch;
    Pipeline pipeline = Pipeline.create(launch.options());
    TemplatePipeline.Built built = TemplatePipeline.build(pipeline, launch.root(), launch.home());
    String runner = launch.options().getRunner().getSimpleName();
    out.printf("Running %s on %s%n  sources: %s%n  steps: %s%n  sinks: %s%n  dead letters: %s%n",
        launch.spec().name(), runner, built.sources(), built.steps(), built.sinks(), built.deadLetterSink());
    long start = System.nanoTime();
    PipelineResult result;
    PipelineResult.State state;
    // Progress on long runs, counted in this JVM (the embedded runners'); none from a remote cluster's workers.
    try (ProgressLine progress = ProgressLine.start(out, launch.root())) {
      result = pipeline.run();
      state = result.waitUntilFinish();
    }
    out.printf("%s %s on %s in %.1f s%n", launch.spec().name(), state, runner, (System.nanoTime() - start) / 1e9);
    printCounts(launch, result);
    return result;
  }

  private void printCounts(Launch launch, PipelineResult result) {
    Map<String, Long> records = new TreeMap<>();
    Map<String, Long> deadLetters = new TreeMap<>();
    Map<String, Long> droppedLate;
    try {
      List<MetricResult<Long>> counters = Counters.settled(result);
      droppedLate = Counters.droppedLate(counters);
      for (MetricResult<Long> counter : counters) {
        long value = counter.getAttempted();
        String namespace = counter.getName().getNamespace();
        if ("records".equals(namespace)) {
          records.merge(counter.getName().getName(), value, Long::sum);
        } else if (DeadLetter.METRICS_NAMESPACE.equals(namespace)) {
          deadLetters.merge(counter.getName().getName(), value, Long::sum);
        }
      }
    } catch (RuntimeException e) {
      out.println("  (this runner reports no metrics: " + e.getMessage() + ")");
      return;
    }
    Balance.components(launch.root(), records, deadLetters).forEach(out::println);
    // Late events the runner's own GroupByKey dropped, where no step saw them: later than a step's
    // reportLateFor, or (Flink) missed by the late-event report; see docs/bad-input.md.
    droppedLate.forEach((where, count) -> out.println("  warning: " + droppedLateLine(where, count)));
    out.println(Balance.of(launch.root(), records, deadLetters).describe());
    for (String file : Balance.filesWritten(launch.root())) {
      out.println("  wrote " + file);
    }
  }

  /** What the run's end says of late events the runner dropped in a step without a dead letter ({@link Counters#droppedLate}). */
  static String droppedLateLine(String step, long count) {
    return String.format("%d late event%s dropped by the runner in '%s' without a dead letter (its droppedDueToLateness counter);"
        + " see docs/bad-input.md, late data", count, count == 1 ? "" : "s", step);
  }

  private String optionError(TemplateSpec spec, IllegalArgumentException e, List<String> pipelineArgs) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    java.util.regex.Matcher missing = java.util.regex.Pattern.compile("missing a property named '([^']+)'").matcher(message);
    if (missing.find()) {
      return "--" + missing.group(1) + " is neither a parameter of " + spec.name() + " " + spec.parameters().keySet()
          + " nor a pipeline option of " + defaults.runner() + " (see bin/run " + spec.name() + " --help)";
    }
    if (message.contains("Unknown 'runner' specified")) {
      return message.split("\n")[0] + ". This bundle runs " + defaults.runner()
          + "; bin/run picks the bundle from --runner=DirectRunner|FlinkRunner|SparkRunner";
    }
    // Beam's message for a bad value does not say which option; find it by trying each alone.
    for (String arg : pipelineArgs) {
      try {
        PipelineOptionsFactory.fromArgs(arg).create();
      } catch (IllegalArgumentException bad) {
        String reason = bad.getMessage() == null ? bad.toString() : bad.getMessage().split("\n")[0];
        return Secrets.maskArg(arg) + " is not valid: " + reason;
      }
    }
    return "pipeline options: " + message.split("\n")[0];
  }

  private static String shown(TemplateSpec spec, String key, String value) {
    ParameterSpec parameter = spec.parameters().get(key);
    return parameter != null ? "--" + key + "=" + parameter.shown(value) : Secrets.maskArg("--" + key + "=" + value);
  }

  private void printList() {
    out.println("Templates (bin/run TEMPLATE --help for parameters):");
    for (String name : Catalog.names()) {
      out.printf("  %-24s %s%n", name, Catalog.load(name).description().strip().split("\n")[0]);
    }
  }

  private void printUsage() {
    out.println("Usage:");
    out.println("  bin/run --list                               list the template catalogue");
    out.println("  bin/run TEMPLATE --help                      parameters and runner options");
    out.println("  bin/run TEMPLATE|spec.yaml [--param=value ...] [--runner=DirectRunner|FlinkRunner|SparkRunner] [runner options]");
    out.println("  bin/run TEMPLATE|spec.yaml --test [--fix] [--runner=...]   run the spec's tests: cases; --fix writes the actual outputs for review");
    out.println("  bin/run --infer-schema FILE [--format=csv|json|xml] [--recordElement=NAME] [--delimiter=;]   a schema to paste into a spec");
    out.printf("  %-44s %s%n", "bin/run ... " + VERBOSE, "also the runners' warnings, and a failure's stack trace");
  }

  private void printHelp(TemplateSpec spec) {
    out.println(spec.name() + ": " + spec.description().strip());
    out.println();
    out.println("Parameters:");
    for (ParameterSpec p : spec.parameters().values()) {
      out.printf("  --%s=<%s>%s%n", p.name(), p.type(), p.defaultValue() == null ? "  (required)" : "  default: " + p.shown(p.defaultValue()));
      out.printf("      %s%s%n", p.description(), p.pattern() == null ? "" : " (must match " + p.pattern() + ")");
    }
    out.printf("  --home=<path>%n      the project directory that ${home} stands for (default: the working directory)%n");
    out.println();
    out.println("Runner: " + defaults.runner() + " (choose with --runner=DirectRunner|FlinkRunner|SparkRunner)");
    Class<? extends PipelineOptions> optionsClass = defaults.optionsClass();
    if (optionsClass != null) {
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      PrintStream print = new PrintStream(buffer, true, StandardCharsets.UTF_8);
      PipelineOptionsFactory.printHelp(print, optionsClass);
      out.println(buffer.toString(StandardCharsets.UTF_8));
    }
  }


}
