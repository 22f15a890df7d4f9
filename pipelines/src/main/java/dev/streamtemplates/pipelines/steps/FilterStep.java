package dev.streamtemplates.pipelines.steps;

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
public final class FilterStep extends StepType<FilterStep.Config> {
  /** The spec of a Filter step. */
  public record Config(String condition) {}

  public FilterStep() {
    super("Filter", "Keep the events for which a CEL condition is true; missing or null fields make it false.", Config.class);
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    Filter filter = Filter.where(step.config().condition()).named(step.name()).withOrigin(step.childPath("condition"));
    return StepResult.of(step.input().apply(step.name(), filter));
  }
}
