package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.spec.JsonSchemas;
import java.util.List;

/**
 * A step type of the spec format, e.g. {@code MapFields}: one class plus one schema file.
 *
 * <p>Found with {@link java.util.ServiceLoader}, so a pattern family adds its step types by listing
 * a provider in {@code META-INF/services/dev.streamtemplates.pipelines.steps.StepProvider}, without
 * touching the launcher. The spec node of a step is checked against {@link #configSchema()} and then
 * bound once to {@link #configClass()} (a record, see {@link dev.streamtemplates.pipelines.spec.SpecBinder}),
 * so a provider reads typed values, never raw spec keys. A test keeps each schema and its config
 * class in agreement.
 *
 * @param <C> the step type's config record
 */
public interface StepProvider<C> {

  /** The {@code type:} value in a spec. */
  String type();

  /** One line for the docs and {@code --help}. */
  String description();

  /** The record a step's spec node binds to; the graph keys (name, type, input, description) are not part of it. */
  Class<C> configClass();

  /** A JSON Schema (draft 2019-09) for the whole step object; by default {@code /step-schemas/<type>.schema.json}. */
  default JsonNode configSchema() {
    return JsonSchemas.resource("/step-schemas/" + type() + ".schema.json");
  }

  /**
   * Names of extra outputs a spec can refer to as {@code step.output}; the main output has none.
   * Called before the graph is built: {@code step} has its name, path and config, but no inputs.
   */
  default List<String> outputNames(StepContext<C> step) {
    return List.of();
  }

  /**
   * Whether a result of the step may come out more than once, revised (an Aggregate's EARLY,
   * ON_TIME and LATE panes of one window). Called before the graph is built, like {@link #outputNames}.
   */
  default boolean revisesResults(StepContext<C> step) {
    return false;
  }

  /**
   * Whether the step keeps state across its input records, treating each as another event (a
   * Sequence, a join, an aggregate, a debounced threshold): such a step cannot read a step that
   * {@link #revisesResults revises its results}, since it would take each revision for a new event.
   */
  default boolean treatsEachRecordAsAnEvent(StepContext<C> step) {
    return false;
  }

  /** Adds the step to the pipeline. Throw {@link IllegalArgumentException} with the spec path on bad config. */
  StepResult apply(StepContext<C> step);
}
