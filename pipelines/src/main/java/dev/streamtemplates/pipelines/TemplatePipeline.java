package dev.streamtemplates.pipelines;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.streamtemplates.pipelines.io.Sinks;
import dev.streamtemplates.pipelines.io.SourceProvider;
import dev.streamtemplates.pipelines.io.Sources;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.steps.StepProvider;
import dev.streamtemplates.pipelines.steps.StepResult;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.time.Rewindow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.Row;

/**
 * Builds a Beam pipeline from a resolved spec: sources, then steps in dependency order, then
 * sinks, and one dead-letter sink that receives every failure of every source, step and sink.
 *
 * <pre>{@code
 * SpecNode root = TemplateSpec.parse("my.yaml", yaml).resolve(parameters);
 * TemplatePipeline.build(pipeline, root, "/path/to/project");
 * pipeline.run();
 * }</pre>
 *
 * <p>Two phases. First {@link SpecGraph#check} finds every graph error (duplicate names, unknown
 * inputs, cycles, unknown step types, each step's config against its schema) and throws them
 * together. Then the assembly adds sources, steps and sinks; each step's own checks (e.g. CEL
 * type errors) are collected too: a step that fails is skipped together with everything
 * downstream of it, so independent errors still show, and all are thrown as one {@link
 * SpecException}.
 */
public final class TemplatePipeline {

  /** Output prefix of the dead-letter sink when a spec names none. */
  public static final String DEFAULT_DEAD_LETTER = "target/dead-letter/";

  /** The name under which {@link Bindings} may take the dead letters instead of the spec's dead-letter sink. */
  public static final String DEAD_LETTER_SINK = "deadLetter";

  private TemplatePipeline() {}

  /** The step types on the classpath, by their {@code type:} name. */
  public static Map<String, StepProvider<Object>> stepTypes() {
    return SpecGraph.stepTypes();
  }

  /** What was built, for the launcher's log. */
  public record Built(List<String> sources, List<String> steps, List<String> sinks, String deadLetterSink) {}

  /**
   * Sources and sinks bound by the caller instead of read and written as the spec says; benchmarks
   * and soak jobs use this to feed a generator into a template and measure what comes out.
   *
   * @param sources a source named here is taken from the map: rows of the source's schema, with event-time timestamps set
   * @param sinks a sink named here gives its rows to the transform; one bound to {@link #DEAD_LETTER_SINK} takes every dead letter
   */
  public record Bindings(Map<String, PCollection<Row>> sources, Map<String, PTransform<PCollection<Row>, ?>> sinks) {
    public static final Bindings NONE = new Bindings(Map.of(), Map.of());
  }

  public static Built build(Pipeline pipeline, SpecNode root, String home) {
    return build(pipeline, root, home, Bindings.NONE);
  }

  /** Builds the spec with some sources and sinks bound by the caller (see {@link Bindings}). */
  public static Built build(Pipeline pipeline, SpecNode root, String home, Bindings bindings) {
    SpecGraph graph = SpecGraph.check(root);
    return new Assembly(pipeline, graph, bindings).build(deadLetterSpec(root, home, graph.template));
  }

  /** The spec's dead-letter sink, or JSON lines under {@code <home>/target/dead-letter/<template>/}. */
  private static SpecNode deadLetterSpec(SpecNode root, String home, String template) {
    SpecNode deadLetter = root.child("deadLetter");
    if (deadLetter.has("type")) {
      return deadLetter;
    }
    String path = home + "/" + DEFAULT_DEAD_LETTER + template + "/dead-letter";
    return new SpecNode(JsonNodeFactory.instance.objectNode().put("type", "file").put("format", "json").put("path", path), "deadLetter");
  }

  /** A spec error as one line: messages from our own transforms already start with a spec path; others get the node's. */
  static String message(SpecNode node, IllegalArgumentException e) {
    if (e instanceof SpecException) {
      return String.join("; ", ((SpecException) e).errors());
    }
    String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    String name = node.text("name", "deadLetter");
    if (text.startsWith(node.path() + ": ")) {
      text = text.substring(node.path().length() + 2);
    } else if (text.startsWith(node.path())) {
      return text; // already names a field of the node, e.g. steps[1].having
    }
    if (text.startsWith(name + ": ")) {
      text = text.substring(name.length() + 2);
    }
    return node.path() + " ('" + name + "'): " + text;
  }

  /** Adds a checked graph to a pipeline, collecting the errors only building can find. */
  private static final class Assembly {
    private final Pipeline pipeline;
    private final SpecGraph graph;
    private final Bindings bindings;
    private final Map<String, PCollection<Row>> outputs = new HashMap<>();
    private final List<PCollection<Row>> deadLetters = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();

    Assembly(Pipeline pipeline, SpecGraph graph, Bindings bindings) {
      this.pipeline = pipeline;
      this.graph = graph;
      this.bindings = bindings;
    }

    Built build(SpecNode deadLetter) {
      graph.sources.forEach(this::addSource);
      graph.steps.forEach(this::addStep);
      graph.sinks.forEach(this::addSink);
      refuseBoundedSourcesInStreaming();
      String deadLetterSink = deadLetter.text("type") + (deadLetter.has("path") ? " " + deadLetter.text("path") : "")
          + (deadLetter.has("topic") ? " " + deadLetter.text("topic") : "");
      if (errors.isEmpty()) {
        deadLetterSink = addDeadLetters(deadLetter, deadLetterSink);
      }
      if (!errors.isEmpty()) {
        throw new SpecException(graph.template, errors);
      }
      UnreadOutputs.readAll(pipeline);
      return new Built(names(graph.sources), graph.stepNames, names(graph.sinks), deadLetterSink);
    }

    /**
     * Where the runner cannot read a bounded source in a streaming job (RunnerCapabilities: Beam
     * 2.70's Spark runner fails with a NullPointerException), each file source is an error, listed
     * with whatever else building found.
     */
    private void refuseBoundedSourcesInStreaming() {
      if (!pipeline.getOptions().as(org.apache.beam.sdk.options.StreamingOptions.class).isStreaming()
          || pipeline.getOptions().as(dev.streamtemplates.transforms.core.RunnerCapabilities.class).getFileSourcesInStreaming()) {
        return;
      }
      for (SpecNode source : graph.sources) {
        if (!bindings.sources().containsKey(source.text("name")) && Sources.types().get(source.text("type")).bounded()) {
          errors.add(source.path() + " ('" + source.text("name") + "'): this runner cannot read a " + source.text("type")
              + " source in streaming mode (Beam's Spark runner fails on a bounded source in a streaming job); run it in batch"
              + " (without --streaming=true), read from Kafka, or run on Direct or Flink");
        }
      }
    }

    private void addSource(SpecNode source) {
      String name = source.text("name");
      if (bindings.sources().containsKey(name)) {
        outputs.put(name, bindings.sources().get(name));
        return;
      }
      try {
        SourceProvider.Read read = Sources.read(pipeline, source);
        outputs.put(name, read.rows());
        deadLetters.addAll(read.deadLetters());
      } catch (SpecException e) {
        errors.addAll(e.errors()); // each with its path, e.g. an inline schema's fields
      } catch (IllegalArgumentException e) {
        errors.add(message(source, e));
      }
    }

    private void addStep(SpecGraph.Step step) {
      List<PCollection<Row>> inputs = inputsOf(step.spec());
      if (inputs == null) {
        return; // an upstream error was reported already
      }
      try {
        StepResult result = step.provider().apply(step.context(step.spec().texts("input"), inputs));
        outputs.put(step.name(), result.main());
        result.named().forEach((output, collection) -> outputs.put(step.name() + "." + output, collection));
        deadLetters.addAll(result.deadLetters());
      } catch (IllegalArgumentException e) {
        errors.add(message(step.spec(), e) + producers(step.spec()));
      }
    }

    /**
     * Which steps write a step's inputs, so that a refusal names both ends of the composition:
     * {@code " (input 'a' is written by IntervalJoin step 'a', steps[0])"}; empty when it reads sources only.
     */
    private String producers(SpecNode node) {
      List<String> from = new ArrayList<>();
      for (String reference : node.texts("input")) {
        String producer = SpecGraph.producerOf(reference);
        graph.steps.stream().filter(s -> s.name().equals(producer)).findFirst().ifPresent(s ->
            from.add("input '" + reference + "' is written by " + s.provider().type() + " step '" + producer + "', " + s.spec().path()));
      }
      return from.isEmpty() ? "" : " (" + String.join("; ", from) + ")";
    }

    private void addSink(SpecNode sink) {
      List<PCollection<Row>> inputs = inputsOf(sink);
      if (inputs == null) {
        return;
      }
      String name = sink.text("name");
      try {
        PCollection<Row> rows = inputs.size() == 1 ? inputs.get(0) : flatten(name + "/Merge inputs", inputs);
        PTransform<PCollection<Row>, ?> bound = bindings.sinks().get(name);
        if (bound != null) {
          rows.apply(name, bound);
          return;
        }
        deadLetters.addAll(Sinks.write(sink, name, rows));
      } catch (SpecException e) {
        errors.addAll(e.errors());
      } catch (IllegalArgumentException e) {
        errors.add(message(sink, e));
      }
    }

    /** Every dead letter, in the global window, to the dead-letter sink; returns what it is for the log. */
    private String addDeadLetters(SpecNode deadLetter, String description) {
      try {
        List<PCollection<Row>> global = new ArrayList<>();
        for (int i = 0; i < deadLetters.size(); i++) {
          global.add(Rewindow.toGlobal(deadLetters.get(i), "dead-letter/Global window " + i));
        }
        PCollection<Row> all = global.isEmpty()
            ? pipeline.apply("dead-letter/None", Create.empty(DeadLetter.SCHEMA))
            : flatten("dead-letter/Merge", global);
        all = all.setRowSchema(DeadLetter.SCHEMA);
        PTransform<PCollection<Row>, ?> bound = bindings.sinks().get(DEAD_LETTER_SINK);
        if (bound != null) {
          all.apply("dead-letter", bound);
          return "bound";
        }
        List<PCollection<Row>> unwritable = Sinks.write(deadLetter, "dead-letter", all);
        if (!unwritable.isEmpty()) {
          // A dead letter that cannot be written as its sink's format is written as JSON on stdout, never dropped.
          flatten("dead-letter/Unwritable", unwritable).apply("dead-letter/Fallback", new StdoutJson());
        }
      } catch (IllegalArgumentException e) {
        errors.add(message(deadLetter, e));
      }
      return description;
    }

    private List<PCollection<Row>> inputsOf(SpecNode node) {
      List<PCollection<Row>> inputs = new ArrayList<>();
      for (String reference : node.texts("input")) {
        PCollection<Row> input = outputs.get(reference);
        if (input == null) {
          return null;
        }
        inputs.add(input);
      }
      return inputs;
    }

  }

  private static PCollection<Row> flatten(String name, List<PCollection<Row>> inputs) {
    PCollection<Row> first = inputs.get(0);
    for (PCollection<Row> other : inputs) {
      if (!other.getSchema().equals(first.getSchema())) {
        throw new IllegalArgumentException(name + ": inputs have different schemas: " + first.getSchema() + " and " + other.getSchema());
      }
    }
    return PCollectionList.of(inputs).apply(name, Flatten.pCollections()).setRowSchema(first.getSchema());
  }

  private static List<String> names(List<SpecNode> nodes) {
    List<String> names = new ArrayList<>();
    nodes.forEach(n -> names.add(n.text("name")));
    return names;
  }

  private static final class StdoutJson extends PTransform<PCollection<Row>, PDone> {
    @Override
    public PDone expand(PCollection<Row> input) {
      input.apply(ParDo.of(new DoFn<Row, Void>() {
        @ProcessElement
        public void process(@Element Row row) {
          System.out.println("dead-letter> " + RowText.json(row));
        }
      }));
      return PDone.in(input.getPipeline());
    }
  }
}
