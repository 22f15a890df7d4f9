package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.io.Durations;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.join.IntervalJoin;
import java.util.Locale;

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
public final class IntervalJoinStep implements StepProvider {
  @Override
  public String type() {
    return "IntervalJoin";
  }

  @Override
  public String description() {
    return "Join two keyed streams in event time where right.ts is within [left.ts + lower, left.ts + upper].";
  }

  @Override
  public JsonNode configSchema() {
    return StepSchemas.read("IntervalJoin.schema.json");
  }

  @Override
  public StepResult apply(StepContext context) {
    SpecNode spec = context.spec();
    if (context.inputs().size() != 2) {
      throw new IllegalArgumentException(spec.childPath("input") + ": an interval join takes two inputs, [left, right]; got " + context.inputs().size());
    }
    IntervalJoin join = IntervalJoin.of(context.inputs().get(0), context.inputs().get(1))
        .on(ThresholdStep.fieldList(spec.texts("leftKey")), ThresholdStep.fieldList(spec.texts("rightKey")))
        .within(Durations.parse(spec.text("lower", "0s"), spec.childPath("lower")), Durations.parse(spec.text("upper"), spec.childPath("upper")))
        .withType(IntervalJoin.Type.valueOf(spec.text("join", "inner").toUpperCase(Locale.ROOT)))
        .named(context.name())
        .withOrigin(spec.path());
    if (spec.has("condition")) {
      join = join.withCondition(spec.text("condition"));
    }
    return StepResult.of(join.expand());
  }
}
