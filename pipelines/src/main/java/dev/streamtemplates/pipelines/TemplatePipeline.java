package dev.streamtemplates.pipelines;

import com.networknt.schema.JsonSchema;
import dev.streamtemplates.pipelines.io.Sinks;
import dev.streamtemplates.pipelines.io.Sources;
import dev.streamtemplates.pipelines.spec.JsonSchemas;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.steps.StepContext;
import dev.streamtemplates.pipelines.steps.StepProvider;
import dev.streamtemplates.pipelines.steps.StepResult;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
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
 * <p>All errors that can be found before launch are collected and thrown together as one {@link
 * SpecException}: graph errors (duplicate names, unknown inputs, cycles, unknown step types),
 * each step's config schema, and each step's own checks (e.g. CEL type errors). A step that
 * fails is skipped together with everything downstream of it, so independent errors still show.
 */
public final class TemplatePipeline {

  /** Output prefix of the dead-letter sink when a spec names none. */
  public static final String DEFAULT_DEAD_LETTER = "target/dead-letter/";

  private TemplatePipeline() {}

  /** The step types on the classpath, by their {@code type:} name. */
  public static Map<String, StepProvider> stepTypes() {
    Map<String, StepProvider> types = new TreeMap<>();
    for (StepProvider provider : ServiceLoader.load(StepProvider.class, TemplatePipeline.class.getClassLoader())) {
      types.put(provider.type(), provider);
    }
    return types;
  }

  /** What was built, for the launcher's log. */
  public record Built(List<String> sources, List<String> steps, List<String> sinks, String deadLetterSink) {}

  public static Built build(Pipeline pipeline, SpecNode root, String home) {
    return build(pipeline, root, home, Map.of());
  }

  /**
   * Builds the spec with some sources already bound: a source named in {@code boundSources} is
   * not read from its spec but taken from the map (rows of the source's schema, with event-time
   * timestamps set). Benchmarks and soak jobs use this to feed a generator into a template.
   */
  public static Built build(Pipeline pipeline, SpecNode root, String home, Map<String, PCollection<Row>> boundSources) {
    return build(pipeline, root, home, boundSources, Map.of());
  }

  /** The name under which {@code boundSinks} may take the dead letters instead of the spec's dead-letter sink. */
  public static final String DEAD_LETTER_SINK = "deadLetter";

  /**
   * Builds the spec with some sources and sinks bound: as above for sources; a sink named in
   * {@code boundSinks} is not written as its spec says but its rows are given to the bound
   * transform (e.g. a benchmark's count and checksum), and a transform bound to {@link
   * #DEAD_LETTER_SINK} takes every dead letter instead of the spec's dead-letter sink.
   */
  public static Built build(Pipeline pipeline, SpecNode root, String home, Map<String, PCollection<Row>> boundSources,
      Map<String, PTransform<PCollection<Row>, ?>> boundSinks) {
    String template = root.text("name");
    Map<String, StepProvider> types = stepTypes();
    List<String> errors = new ArrayList<>();
    List<SpecNode> sources = root.items("sources");
    List<SpecNode> steps = root.items("steps");
    List<SpecNode> sinks = root.items("sinks");

    // 1. Graph: names, step types and configs, references, order.
    Map<String, SpecNode> byName = new LinkedHashMap<>();
    for (SpecNode node : concat(sources, steps, sinks)) {
      String name = node.text("name");
      SpecNode previous = byName.putIfAbsent(name, node);
      if (previous != null) {
        errors.add(node.childPath("name") + ": '" + name + "' is already the name of " + previous.path());
      }
    }
    Map<String, StepProvider> stepProviders = new HashMap<>();
    for (SpecNode step : steps) {
      String type = step.text("type");
      StepProvider provider = types.get(type);
      if (provider == null) {
        errors.add(step.childPath("type") + ": unknown step type '" + type + "'; known types are " + types.keySet());
        continue;
      }
      stepProviders.put(step.text("name"), provider);
      JsonSchema schema = JsonSchemas.load(provider.configSchema());
      errors.addAll(JsonSchemas.errors(schema, step.json(), step.path()));
    }
    Map<String, List<String>> outputsOf = new HashMap<>();
    for (SpecNode step : steps) {
      StepProvider provider = stepProviders.get(step.text("name"));
      try {
        outputsOf.put(step.text("name"), provider == null ? List.of() : provider.outputNames(new StepContext.Config(step)));
      } catch (IllegalArgumentException e) {
        outputsOf.put(step.text("name"), List.of());
        errors.add(message(step, e));
      }
    }
    Set<String> producers = new LinkedHashSet<>();
    sources.forEach(s -> producers.add(s.text("name")));
    steps.forEach(s -> producers.add(s.text("name")));
    for (SpecNode node : concat(List.of(), steps, sinks)) {
      for (String reference : node.texts("input")) {
        String producer = reference.contains(".") ? reference.substring(0, reference.indexOf('.')) : reference;
        if (!producers.contains(producer)) {
          errors.add(node.childPath("input") + ": '" + reference + "' is not a source or step; known are " + producers);
        } else if (reference.contains(".") && !outputsOf.getOrDefault(producer, List.of()).contains(reference.substring(producer.length() + 1))) {
          errors.add(node.childPath("input") + ": step '" + producer + "' has no output '" + reference.substring(producer.length() + 1)
              + "'; its outputs are " + outputsOf.getOrDefault(producer, List.of()));
        }
      }
    }
    List<SpecNode> ordered = order(steps, errors);
    if (!errors.isEmpty()) {
      throw new SpecException(template, errors);
    }

    // 2. Sources, steps, sinks. Keep going after an error to report the independent ones too.
    Map<String, PCollection<Row>> outputs = new HashMap<>();
    List<PCollection<Row>> deadLetters = new ArrayList<>();
    for (SpecNode source : sources) {
      if (boundSources.containsKey(source.text("name"))) {
        outputs.put(source.text("name"), boundSources.get(source.text("name")));
        continue;
      }
      try {
        Sources.Read read = Sources.read(pipeline, source);
        outputs.put(source.text("name"), read.rows());
        deadLetters.addAll(read.deadLetters());
      } catch (IllegalArgumentException e) {
        errors.add(message(source, e));
      }
    }
    for (SpecNode step : ordered) {
      List<PCollection<Row>> inputs = inputsOf(step, outputs);
      if (inputs == null) {
        continue; // an upstream error was reported already
      }
      try {
        StepResult result = stepProviders.get(step.text("name")).apply(new StepContext(new StepContext.Config(step), inputs));
        outputs.put(step.text("name"), result.main());
        result.named().forEach((output, collection) -> outputs.put(step.text("name") + "." + output, collection));
        deadLetters.addAll(result.deadLetters());
      } catch (IllegalArgumentException e) {
        errors.add(message(step, e));
      }
    }
    for (SpecNode sink : sinks) {
      List<PCollection<Row>> inputs = inputsOf(sink, outputs);
      if (inputs == null) {
        continue;
      }
      try {
        PCollection<Row> rows = inputs.size() == 1 ? inputs.get(0) : flatten(sink.text("name") + "/Merge inputs", inputs);
        PTransform<PCollection<Row>, ?> bound = boundSinks.get(sink.text("name"));
        if (bound != null) {
          rows.apply(sink.text("name"), bound);
          continue;
        }
        deadLetters.addAll(Sinks.write(sink, sink.text("name"), rows));
      } catch (IllegalArgumentException e) {
        errors.add(message(sink, e));
      }
    }
    String deadLetterSink;
    SpecNode deadLetter = root.child("deadLetter");
    if (!deadLetter.has("type")) {
      String path = home + "/" + DEFAULT_DEAD_LETTER + template + "/dead-letter";
      deadLetter = new SpecNode(
          com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("type", "file").put("format", "json").put("path", path),
          "deadLetter");
    }
    deadLetterSink = deadLetter.text("type") + (deadLetter.has("path") ? " " + deadLetter.text("path") : "")
        + (deadLetter.has("topic") ? " " + deadLetter.text("topic") : "");
    if (errors.isEmpty()) {
      try {
        List<PCollection<Row>> global = new ArrayList<>();
        for (int i = 0; i < deadLetters.size(); i++) {
          global.add(DeadLetter.inGlobalWindow(deadLetters.get(i), "dead-letter/Global window " + i));
        }
        PCollection<Row> all = global.isEmpty()
            ? pipeline.apply("dead-letter/None", org.apache.beam.sdk.transforms.Create.empty(DeadLetter.SCHEMA))
            : flatten("dead-letter/Merge", global);
        PTransform<PCollection<Row>, ?> bound = boundSinks.get(DEAD_LETTER_SINK);
        if (bound != null) {
          all.setRowSchema(DeadLetter.SCHEMA).apply("dead-letter", bound);
          return new Built(names(sources), names(steps), names(sinks), "bound");
        }
        List<PCollection<Row>> unwritable = Sinks.write(deadLetter, "dead-letter", all.setRowSchema(DeadLetter.SCHEMA));
        if (!unwritable.isEmpty()) {
          // A dead letter that cannot be written as its sink's format is written as JSON on stdout, never dropped.
          flatten("dead-letter/Unwritable", unwritable).apply("dead-letter/Fallback", new StdoutJson());
        }
      } catch (IllegalArgumentException e) {
        errors.add(message(deadLetter, e));
      }
    }
    if (!errors.isEmpty()) {
      throw new SpecException(template, errors);
    }
    return new Built(names(sources), names(steps), names(sinks), deadLetterSink);
  }

  private static String message(SpecNode node, IllegalArgumentException e) {
    if (e instanceof SpecException) {
      return String.join("; ", ((SpecException) e).errors());
    }
    String text = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    // Messages from our own transforms already start with a spec path; others get the node's.
    return text.startsWith(node.path()) ? text : node.path() + " ('" + node.text("name", "deadLetter") + "'): " + text;
  }

  private static List<PCollection<Row>> inputsOf(SpecNode node, Map<String, PCollection<Row>> outputs) {
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

  private static PCollection<Row> flatten(String name, List<PCollection<Row>> inputs) {
    PCollection<Row> first = inputs.get(0);
    for (PCollection<Row> other : inputs) {
      if (!other.getSchema().equals(first.getSchema())) {
        throw new IllegalArgumentException(name + ": inputs have different schemas: " + first.getSchema() + " and " + other.getSchema());
      }
    }
    return PCollectionList.of(inputs).apply(name, Flatten.pCollections()).setRowSchema(first.getSchema());
  }

  /** Steps in an order where each comes after its inputs; a cycle is an error naming its steps. */
  private static List<SpecNode> order(List<SpecNode> steps, List<String> errors) {
    Map<String, SpecNode> byName = new LinkedHashMap<>();
    steps.forEach(s -> byName.put(s.text("name"), s));
    List<SpecNode> ordered = new ArrayList<>();
    Set<String> done = new LinkedHashSet<>();
    Set<String> visiting = new LinkedHashSet<>();
    for (String name : byName.keySet()) {
      visit(name, byName, done, visiting, ordered, errors);
    }
    return ordered;
  }

  private static void visit(String name, Map<String, SpecNode> steps, Set<String> done, Set<String> visiting, List<SpecNode> ordered, List<String> errors) {
    if (done.contains(name) || !steps.containsKey(name)) {
      return;
    }
    if (!visiting.add(name)) {
      errors.add(steps.get(name).childPath("input") + ": steps form a cycle: " + String.join(" -> ", visiting) + " -> " + name);
      return;
    }
    for (String reference : steps.get(name).texts("input")) {
      visit(reference.contains(".") ? reference.substring(0, reference.indexOf('.')) : reference, steps, done, visiting, ordered, errors);
    }
    visiting.remove(name);
    if (done.add(name)) {
      ordered.add(steps.get(name));
    }
  }

  @SafeVarargs
  private static List<SpecNode> concat(List<SpecNode>... lists) {
    List<SpecNode> all = new ArrayList<>();
    for (List<SpecNode> list : lists) {
      all.addAll(list);
    }
    return all;
  }

  private static List<String> names(List<SpecNode> nodes) {
    List<String> names = new ArrayList<>();
    nodes.forEach(n -> names.add(n.text("name")));
    return names;
  }

  private static final class StdoutJson extends org.apache.beam.sdk.transforms.PTransform<PCollection<Row>, org.apache.beam.sdk.values.PDone> {
    @Override
    public org.apache.beam.sdk.values.PDone expand(PCollection<Row> input) {
      input.apply(org.apache.beam.sdk.transforms.ParDo.of(new org.apache.beam.sdk.transforms.DoFn<Row, Void>() {
        @ProcessElement
        public void process(@Element Row row) {
          System.out.println("dead-letter> " + dev.streamtemplates.transforms.deadletter.RowText.json(row));
        }
      }));
      return org.apache.beam.sdk.values.PDone.in(input.getPipeline());
    }
  }
}
