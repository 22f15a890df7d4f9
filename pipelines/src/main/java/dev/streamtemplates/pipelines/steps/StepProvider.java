package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A step type of the spec format, e.g. {@code MapFields}. Found with {@link java.util.ServiceLoader},
 * so a pattern family adds its step types by listing a provider in {@code
 * META-INF/services/dev.streamtemplates.pipelines.steps.StepProvider}, without touching the launcher.
 */
public interface StepProvider {

  /** The {@code type:} value in a spec. */
  String type();

  /** One line for the docs and {@code --help}. */
  String description();

  /** A JSON Schema (draft 2019-09) for the whole step object, including name, type and input. */
  JsonNode configSchema();

  /** Names of extra outputs a spec can refer to as {@code step.output}; the main output has none. */
  default List<String> outputNames(StepContext.Config config) {
    return List.of();
  }

  /** Adds the step to the pipeline. Throw {@link IllegalArgumentException} with the spec path on bad config. */
  StepResult apply(StepContext context);
}
