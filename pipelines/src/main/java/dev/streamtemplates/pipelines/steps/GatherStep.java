package dev.streamtemplates.pipelines.steps;

import dev.streamtemplates.transforms.join.Gather;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

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
public final class GatherStep implements StepProvider<GatherStep.Config> {
  /** The spec of a Gather step; the policies are the transform's own enums. */
  public record Config(String key, Duration timeout, Gather.@Nullable Timeout onTimeout, Gather.@Nullable Duplicate onDuplicate) {
    public Config {
      onTimeout = onTimeout == null ? Gather.Timeout.PARTIAL : onTimeout;
      onDuplicate = onDuplicate == null ? Gather.Duplicate.KEEP_FIRST : onDuplicate;
    }
  }

  @Override
  public String type() {
    return "Gather";
  }

  @Override
  public String description() {
    return "Wait for one event from each input with the same id; on timeout drop, emit partial, or reject.";
  }

  @Override
  public Class<Config> configClass() {
    return Config.class;
  }

  @Override
  public List<String> outputNames(StepContext<Config> step) {
    return List.of("rejected");
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    Config config = step.config();
    Map<String, PCollection<Row>> inputs = new LinkedHashMap<>();
    for (int i = 0; i < step.inputNames().size(); i++) {
      inputs.put(step.inputNames().get(i).replace('.', '_'), step.inputs().get(i));
    }
    Gather.Result result = Gather.of(inputs)
        .on(config.key())
        .within(config.timeout())
        .onTimeout(config.onTimeout())
        .onDuplicate(config.onDuplicate())
        .named(step.name())
        .withOrigin(step.path())
        .expand();
    return new StepResult(result.output(), Map.of("rejected", result.rejected()), List.of(result.failures()));
  }
}
