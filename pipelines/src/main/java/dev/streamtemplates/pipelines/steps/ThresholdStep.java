package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.filter.Threshold;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code type: Threshold}: alert rows for events whose numeric field is beyond a limit.
 *
 * <pre>{@code
 * - name: large
 *   type: Threshold
 *   input: transactions
 *   field: amount
 *   above: 10000          # or below: x, or inside / outside: [lower, upper]
 *   context: [cardId, country, online]   # or a comma-separated string
 *   key: cardId
 *   debounce: true        # alert on crossing only; needs key
 * }</pre>
 */
public final class ThresholdStep implements StepProvider {
  @Override
  public String type() {
    return "Threshold";
  }

  @Override
  public String description() {
    return "Alert when a numeric field is above, below, inside or outside limits; optionally only on crossing, per key.";
  }

  @Override
  public JsonNode configSchema() {
    return StepSchemas.read("Threshold.schema.json");
  }

  @Override
  public StepResult apply(StepContext context) {
    SpecNode spec = context.spec();
    String field = spec.text("field");
    Threshold threshold;
    if (spec.has("above")) {
      threshold = Threshold.above(field, spec.json().get("above").asDouble());
    } else if (spec.has("below")) {
      threshold = Threshold.below(field, spec.json().get("below").asDouble());
    } else if (spec.has("inside")) {
      threshold = Threshold.inside(field, spec.json().get("inside").get(0).asDouble(), spec.json().get("inside").get(1).asDouble());
    } else {
      threshold = Threshold.outside(field, spec.json().get("outside").get(0).asDouble(), spec.json().get("outside").get(1).asDouble());
    }
    threshold = threshold.withContextFields(fieldList(spec.texts("context"))).named(context.name());
    if (spec.has("key")) {
      threshold = threshold.withKeyField(spec.text("key"));
    }
    threshold = threshold.withDebounce(spec.bool("debounce", false));
    return StepResult.of(context.input().apply(context.name(), threshold));
  }

  /** A list of names, where each entry may itself be a comma-separated list (as a parameter gives it). */
  static List<String> fieldList(List<String> entries) {
    List<String> names = new ArrayList<>();
    for (String entry : entries) {
      for (String name : entry.split(",")) {
        if (!name.isBlank()) {
          names.add(name.trim());
        }
      }
    }
    return names;
  }
}
