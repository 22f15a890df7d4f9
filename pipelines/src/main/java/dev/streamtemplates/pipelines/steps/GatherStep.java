package dev.streamtemplates.pipelines.steps;

import dev.streamtemplates.transforms.join.Gather;
import java.util.List;
import org.apache.beam.sdk.values.PCollectionTuple;
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
public final class GatherStep extends StepType<GatherStep.Config> {
  /** The spec of a Gather step; the policies are the transform's own enums. */
  public record Config(String key, Duration timeout, Gather.@Nullable Timeout onTimeout, Gather.@Nullable Duplicate onDuplicate) {
    public Config {
      onTimeout = onTimeout == null ? Gather.Timeout.PARTIAL : onTimeout;
      onDuplicate = onDuplicate == null ? Gather.Duplicate.KEEP_FIRST : onDuplicate;
    }
  }

  public GatherStep() {
    super("Gather", "Wait for one event from each input with the same id; on timeout drop, emit partial, or reject.", Config.class);
  }

  @Override
  public List<String> outputNames(StepContext<Config> step) {
    return List.of(Gather.REJECTED);
  }

  @Override
  public boolean treatsEachRecordAsAnEvent(StepContext<Config> step) {
    return true;
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    Config config = step.config();
    // Each input becomes a field of the output, named by its reference (a dot is not allowed in a field name).
    PCollectionTuple inputs = PCollectionTuple.empty(step.inputs().get(0).getPipeline());
    for (int i = 0; i < step.inputNames().size(); i++) {
      inputs = inputs.and(step.inputNames().get(i).replace('.', '_'), step.inputs().get(i));
    }
    return StepResult.of(inputs.apply(step.name(), Gather.on(config.key())
        .within(config.timeout())
        .onTimeout(config.onTimeout())
        .onDuplicate(config.onDuplicate())
        .named(step.name())
        .withOrigin(step.path())));
  }
}
