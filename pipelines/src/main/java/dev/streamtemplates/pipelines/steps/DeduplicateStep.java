package dev.streamtemplates.pipelines.steps;

import dev.streamtemplates.pipelines.spec.FieldList;
import dev.streamtemplates.transforms.filter.Deduplicate;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * {@code type: Deduplicate}: one event per key within a span of event time, the first or the last;
 * the others are duplicates, counted, and dropped or dead-lettered.
 *
 * <pre>{@code
 * - name: unique-readings
 *   type: Deduplicate
 *   input: readings
 *   key: [sensorId, seq]     # or a comma-separated string
 *   within: 1m               # a span starts at a key's first event and lasts this long
 *   keep: first              # first (default) | last (emitted when the span closes)
 *   duplicates: drop         # drop (default; counted as <step>-duplicates and <step>-dropped) | deadLetter
 * }</pre>
 */
public final class DeduplicateStep extends StepType<DeduplicateStep.Config> {
  /** The spec of a Deduplicate step. */
  public record Config(FieldList key, Duration within, Deduplicate.@Nullable Keep keep, Deduplicate.@Nullable Duplicates duplicates) {
    public Config {
      keep = keep == null ? Deduplicate.Keep.FIRST : keep;
      duplicates = duplicates == null ? Deduplicate.Duplicates.DROP : duplicates;
    }
  }

  public DeduplicateStep() {
    super("Deduplicate", "Keep the first or the last event per key within a span of event time; duplicates counted, dropped or dead-lettered.",
        Config.class);
  }

  @Override
  public boolean treatsEachRecordAsAnEvent(StepContext<Config> step) {
    return true;
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    Config config = step.config();
    Deduplicate deduplicate;
    try {
      deduplicate = Deduplicate.perKey(config.key().names());
      deduplicate.outputSchema(step.input().getSchema());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(step.childPath("key") + ": " + e.getMessage(), e);
    }
    try {
      deduplicate = deduplicate.withSpan(config.within());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(step.childPath("within") + ": " + e.getMessage().replace("span", "within"), e);
    }
    deduplicate = deduplicate.withKeep(config.keep()).withDuplicates(config.duplicates()).named(step.name());
    return StepResult.of(step.input().apply(step.name(), deduplicate));
  }
}
