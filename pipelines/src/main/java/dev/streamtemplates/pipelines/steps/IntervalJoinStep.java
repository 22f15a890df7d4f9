package dev.streamtemplates.pipelines.steps;

import dev.streamtemplates.pipelines.spec.FieldList;
import dev.streamtemplates.transforms.join.IntervalJoin;
import java.util.List;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * {@code type: IntervalJoin}: two keyed streams joined in event time within a bound.
 *
 * <pre>{@code
 * - name: search-click
 *   type: IntervalJoin
 *   input: [searches, clicks]     # left, right
 *   leftKey: sessionId
 *   rightKey: sessionId
 *   lower: 0s                     # right.ts >= left.ts + lower (may be negative, e.g. -5s)
 *   upper: 10m                    # right.ts <= left.ts + upper
 *   join: left                    # inner (default) | left | right | full
 *   condition: right.position <= 10
 * }</pre>
 */
public final class IntervalJoinStep extends StepType<IntervalJoinStep.Config> {
  /** The spec of an IntervalJoin step. */
  public record Config(
      FieldList leftKey, FieldList rightKey, @Nullable Duration lower, Duration upper, IntervalJoin.@Nullable Type join,
      @Nullable String condition) {
    public Config {
      lower = lower == null ? Duration.ZERO : lower;
      join = join == null ? IntervalJoin.Type.INNER : join;
    }
  }

  public IntervalJoinStep() {
    super("IntervalJoin", "Join two keyed streams in event time where right.ts is within [left.ts + lower, left.ts + upper].", Config.class);
  }

  @Override
  public boolean treatsEachRecordAsAnEvent(StepContext<Config> step) {
    return true;
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    Config config = step.config();
    List<PCollection<Row>> inputs = step.inputs(2, "an interval join takes two inputs, [left, right]");
    IntervalJoin join = IntervalJoin.with(inputs.get(1))
        .on(config.leftKey().names(), config.rightKey().names())
        .within(config.lower(), config.upper())
        .withType(config.join())
        .named(step.name())
        .withOrigin(step.path());
    if (config.condition() != null) {
      join = join.withCondition(config.condition());
    }
    return StepResult.of(inputs.get(0).apply(step.name(), join));
  }
}
