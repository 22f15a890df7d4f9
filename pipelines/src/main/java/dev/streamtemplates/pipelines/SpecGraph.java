package dev.streamtemplates.pipelines;

import com.networknt.schema.JsonSchema;
import dev.streamtemplates.pipelines.spec.JsonSchemas;
import dev.streamtemplates.pipelines.spec.SpecBinder;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.steps.StepContext;
import dev.streamtemplates.pipelines.steps.StepProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * The checked graph of a resolved spec, before anything is added to a pipeline: unique names,
 * known step types, each step's config checked against its schema and bound to its config record,
 * every input reference pointing at a source, step or step output, and the steps in an order where
 * each comes after its inputs.
 *
 * <p>{@link #check} finds every such error at once and throws them together as one {@link
 * SpecException}, each with its spec path ({@code steps[1].input: 'x' is not a source or step}).
 */
final class SpecGraph {
  /** A step with its provider and bound config, ready to be added. */
  record Step(SpecNode spec, StepProvider<Object> provider, Object config) {
    String name() {
      return spec.text("name");
    }

    StepContext<Object> context(List<String> inputNames, List<org.apache.beam.sdk.values.PCollection<org.apache.beam.sdk.values.Row>> inputs) {
      return new StepContext<>(name(), spec.path(), config, inputNames, inputs);
    }
  }

  final String template;
  final List<SpecNode> sources;
  final List<Step> steps;
  final List<SpecNode> sinks;
  /** Step names as the spec lists them, for the launcher's log. */
  final List<String> stepNames;

  private SpecGraph(String template, List<SpecNode> sources, List<Step> steps, List<SpecNode> sinks, List<String> stepNames) {
    this.template = template;
    this.sources = sources;
    this.steps = steps;
    this.sinks = sinks;
    this.stepNames = stepNames;
  }

  /** The step types on the classpath, by their {@code type:} name. */
  @SuppressWarnings("unchecked")
  static Map<String, StepProvider<Object>> stepTypes() {
    Map<String, StepProvider<Object>> types = new TreeMap<>();
    for (StepProvider<?> provider : ServiceLoader.load(StepProvider.class, SpecGraph.class.getClassLoader())) {
      types.put(provider.type(), (StepProvider<Object>) provider);
    }
    return types;
  }

  /** The checked graph of {@code root}, steps in dependency order; every error at once otherwise. */
  static SpecGraph check(SpecNode root) {
    String template = root.text("name");
    Map<String, StepProvider<Object>> types = stepTypes();
    Map<String, JsonSchema> schemas = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    List<SpecNode> sources = root.items("sources");
    List<SpecNode> stepNodes = root.items("steps");
    List<SpecNode> sinks = root.items("sinks");

    Map<String, SpecNode> byName = new LinkedHashMap<>();
    for (SpecNode node : concat(sources, stepNodes, sinks)) {
      String name = node.text("name");
      SpecNode previous = byName.putIfAbsent(name, node);
      if (previous != null) {
        errors.add(node.childPath("name") + ": '" + name + "' is already the name of " + previous.path());
      }
    }
    Map<String, Step> steps = new LinkedHashMap<>();
    Set<String> unbound = new LinkedHashSet<>();
    Map<String, List<String>> outputsOf = new LinkedHashMap<>();
    for (SpecNode node : stepNodes) {
      Step step = bind(node, types, schemas, errors);
      if (step == null) {
        unbound.add(node.text("name"));
        continue;
      }
      steps.put(step.name(), step);
      try {
        outputsOf.put(step.name(), step.provider().outputNames(step.context(List.of(), List.of())));
      } catch (IllegalArgumentException e) {
        errors.add(TemplatePipeline.message(node, e));
      }
    }
    Set<String> producers = new LinkedHashSet<>();
    sources.forEach(s -> producers.add(s.text("name")));
    stepNodes.forEach(s -> producers.add(s.text("name")));
    for (SpecNode node : concat(List.of(), stepNodes, sinks)) {
      for (String reference : node.texts("input")) {
        String producer = producerOf(reference);
        if (!producers.contains(producer)) {
          errors.add(node.childPath("input") + ": '" + reference + "' is not a source or step; known are " + producers);
        } else if (reference.contains(".") && !unbound.contains(producer) && !outputsOf.getOrDefault(producer, List.of()).contains(reference.substring(producer.length() + 1))) {
          errors.add(node.childPath("input") + ": step '" + producer + "' has no output '" + reference.substring(producer.length() + 1)
              + "'; its outputs are " + outputsOf.getOrDefault(producer, List.of()));
        }
      }
    }
    checkRevisions(steps, errors);
    checkOutputsApart(sinks, root.child("deadLetter"), errors);
    List<SpecNode> ordered = order(stepNodes, errors);
    if (!errors.isEmpty()) {
      throw new SpecException(template, errors);
    }
    List<Step> orderedSteps = new ArrayList<>();
    ordered.forEach(node -> orderedSteps.add(steps.get(node.text("name"))));
    List<String> stepNames = new ArrayList<>();
    stepNodes.forEach(node -> stepNames.add(node.text("name")));
    return new SpecGraph(template, sources, orderedSteps, sinks, stepNames);
  }

  /**
   * Refuses a step that treats each record as an event (a Sequence, a join, an aggregate, a
   * debounced threshold) reading a step whose results come out more than once (an Aggregate with
   * {@code early} or {@code late: accumulate|delta}): it would count one window once per pane,
   * a silent wrong answer. The message names both steps and the ways out.
   */
  private static void checkRevisions(Map<String, Step> steps, List<String> errors) {
    for (Step reader : steps.values()) {
      if (!reader.provider().treatsEachRecordAsAnEvent(reader.context(List.of(), List.of()))) {
        continue;
      }
      for (String reference : reader.spec().texts("input")) {
        Step producer = steps.get(producerOf(reference));
        if (producer != null && producer.provider().revisesResults(producer.context(List.of(), List.of()))) {
          errors.add(reader.spec().childPath("input") + ": " + reader.provider().type() + " '" + reader.name() + "' reads '" + reference
              + "', an " + producer.provider().type() + " whose results come out more than once per window (early firings, emit or late"
              + " updates: EARLY, ON_TIME and LATE panes), and would take each pane for another event. Remove 'early', 'emit' and 'late' from '"
              + producer.name() + "', or put a Filter with condition \"pane == 'ON_TIME'\" between the two steps");
        }
      }
    }
  }

  /**
   * Refuses two file outputs with the same path (two sinks, or a sink and the dead letters): they
   * would write the same files, and one would silently replace the other's records.
   */
  private static void checkOutputsApart(List<SpecNode> sinks, SpecNode deadLetter, List<String> errors) {
    Map<java.nio.file.Path, String> writers = new LinkedHashMap<>();
    List<SpecNode> outputs = new ArrayList<>(sinks);
    if (deadLetter != null && deadLetter.has("type")) {
      outputs.add(deadLetter);
    }
    for (SpecNode output : outputs) {
      if (!"file".equals(output.text("type", "")) || !output.has("path")) {
        continue;
      }
      java.nio.file.Path path;
      try {
        path = java.nio.file.Path.of(output.text("path")).toAbsolutePath().normalize();
      } catch (java.nio.file.InvalidPathException e) {
        continue; // the sink reports a bad path itself
      }
      String who = output.path() + (output.has("name") ? " ('" + output.text("name") + "')" : "");
      String other = writers.putIfAbsent(path, who);
      if (other != null) {
        errors.add(output.childPath("path") + ": " + who + " writes to " + path + ", as " + other + " does; their files would replace"
            + " each other's records. Give each output its own path");
      }
    }
  }

  /** The step of {@code node}: its type known, its config valid against the schema and bound; null after adding errors. */
  private static Step bind(SpecNode node, Map<String, StepProvider<Object>> types, Map<String, JsonSchema> schemas, List<String> errors) {
    String type = node.text("type");
    StepProvider<Object> provider = types.get(type);
    if (provider == null) {
      errors.add(node.childPath("type") + ": unknown step type '" + type + "'; known types are " + types.keySet());
      return null;
    }
    JsonSchema schema = schemas.computeIfAbsent(type, t -> JsonSchemas.load(provider.configSchema()));
    List<String> invalid = JsonSchemas.errors(schema, node.json(), node.path());
    if (!invalid.isEmpty()) {
      errors.addAll(invalid);
      return null;
    }
    try {
      return new Step(node, provider, SpecBinder.bind(node, provider.configClass()));
    } catch (IllegalArgumentException e) {
      errors.add(e.getMessage());
      return null;
    }
  }

  static String producerOf(String reference) {
    return reference.contains(".") ? reference.substring(0, reference.indexOf('.')) : reference;
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
      visit(producerOf(reference), steps, done, visiting, ordered, errors);
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
}
