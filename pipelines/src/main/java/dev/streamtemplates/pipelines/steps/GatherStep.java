package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.io.Durations;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.join.Gather;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * {@code type: Gather}: fan-in of N inputs by correlation id, with a timeout policy.
 *
 * <pre>{@code
 * - name: checks
 *   type: Gather
 *   input: [credit, address, identity]   # each becomes a field of the output, by name
 *   key: applicationId                   # the id field, the same name in every input
 *   timeout: 30m
 *   onTimeout: partial                   # drop | partial (default) | reject (to checks.rejected)
 *   onDuplicate: first                   # first (default) | last | dead-letter
 * }</pre>
 */
public final class GatherStep implements StepProvider {
  @Override
  public String type() {
    return "Gather";
  }

  @Override
  public String description() {
    return "Wait for one event from each input with the same id; on timeout drop, emit partial, or reject.";
  }

  @Override
  public JsonNode configSchema() {
    return StepSchemas.read("Gather.schema.json");
  }

  @Override
  public List<String> outputNames(StepContext.Config config) {
    return List.of("rejected");
  }

  @Override
  public StepResult apply(StepContext context) {
    SpecNode spec = context.spec();
    List<String> names = spec.texts("input");
    Map<String, PCollection<Row>> inputs = new LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) {
      inputs.put(names.get(i).replace('.', '_'), context.inputs().get(i));
    }
    Gather.Result result = Gather.of(inputs)
        .on(spec.text("key"))
        .within(Durations.parse(spec.text("timeout"), spec.childPath("timeout")))
        .onTimeout(Gather.Timeout.valueOf(spec.text("onTimeout", "partial").toUpperCase(Locale.ROOT)))
        .onDuplicate(duplicate(spec.text("onDuplicate", "first")))
        .named(context.name())
        .withOrigin(spec.path())
        .expand();
    return new StepResult(result.output(), Map.of("rejected", result.rejected()), List.of(result.failures()));
  }

  private static Gather.Duplicate duplicate(String policy) {
    switch (policy) {
      case "last":
        return Gather.Duplicate.KEEP_LAST;
      case "dead-letter":
        return Gather.Duplicate.DEAD_LETTER;
      default:
        return Gather.Duplicate.KEEP_FIRST;
    }
  }
}
