package dev.streamtemplates.pipelines.steps;

import dev.streamtemplates.pipelines.spec.FieldList;
import dev.streamtemplates.transforms.filter.Threshold;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

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
public final class ThresholdStep extends StepType<ThresholdStep.Config> {
  /** The spec of a Threshold step; the schema makes exactly one of above, below, inside and outside present. */
  public record Config(
      String field,
      @Nullable Double above,
      @Nullable Double below,
      @Nullable List<Double> inside,
      @Nullable List<Double> outside,
      @Nullable FieldList context,
      @Nullable String key,
      @Nullable Boolean debounce) {
    public Config {
      context = context == null ? FieldList.NONE : context;
      debounce = debounce != null && debounce;
    }
  }

  public ThresholdStep() {
    super("Threshold", "Alert when a numeric field is above, below, inside or outside limits; optionally only on crossing, per key.", Config.class);
  }

  @Override
  public boolean treatsEachRecordAsAnEvent(StepContext<Config> step) {
    return step.config().debounce();
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    Config config = step.config();
    Threshold threshold;
    if (config.above() != null) {
      threshold = Threshold.above(config.field(), config.above());
    } else if (config.below() != null) {
      threshold = Threshold.below(config.field(), config.below());
    } else if (config.inside() != null) {
      threshold = Threshold.inside(config.field(), config.inside().get(0), config.inside().get(1));
    } else {
      threshold = Threshold.outside(config.field(), config.outside().get(0), config.outside().get(1));
    }
    threshold = threshold.withContextFields(config.context().names()).named(step.name());
    if (config.key() != null) {
      threshold = threshold.withKeyField(config.key());
    }
    threshold = threshold.withDebounce(config.debounce());
    return StepResult.of(step.input().apply(step.name(), threshold));
  }
}
