package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.transforms.filter.Filter;

/**
 * {@code type: Filter}: keep the events for which a CEL condition is true.
 *
 * <pre>{@code
 * - name: large-us
 *   type: Filter
 *   input: payments
 *   condition: amount > 1000.0 && country in ['US', 'CA']
 * }</pre>
 */
public final class FilterStep implements StepProvider {
  @Override
  public String type() {
    return "Filter";
  }

  @Override
  public String description() {
    return "Keep the events for which a CEL condition is true; missing or null fields make it false.";
  }

  @Override
  public JsonNode configSchema() {
    return StepSchemas.read("Filter.schema.json");
  }

  @Override
  public StepResult apply(StepContext context) {
    Filter filter = Filter.where(context.spec().text("condition")).named(context.name()).withOrigin(context.spec().childPath("condition"));
    return StepResult.of(context.input().apply(context.name(), filter));
  }
}
