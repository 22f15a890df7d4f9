package dev.streamtemplates.pipelines.steps;

import dev.streamtemplates.pipelines.spec.FieldList;
import dev.streamtemplates.transforms.ml.Learn;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code type: Learn}: an online linear regression per key; each event gets a prediction of the
 * label from the model so far, and each event with the label teaches the model.
 *
 * <pre>{@code
 * - name: forecast
 *   type: Learn
 *   input: queue
 *   key: lane
 *   features: [queueLength, staffed]   # or a comma-separated string
 *   label: waitSeconds
 *   window: 500          # learn from the last N labelled events per key (default 500)
 *   forgetting: 0.99     # optional: the event learned k events ago weighs forgetting^k (default 1)
 * }</pre>
 */
public final class LearnStep extends StepType<LearnStep.Config> {
  /** The spec of a Learn step. */
  public record Config(@Nullable String key, FieldList features, String label, @Nullable Integer window, @Nullable Double forgetting) {
    public Config {
      window = window == null ? Learn.DEFAULT_WINDOW : window;
      forgetting = forgetting == null ? 1.0 : forgetting;
    }
  }

  public LearnStep() {
    super("Learn", "Predict a numeric label from numeric features with an online linear regression per key, learning from each labelled event in event time.",
        Config.class);
  }

  @Override
  public boolean treatsEachRecordAsAnEvent(StepContext<Config> step) {
    return true;
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    Config config = step.config();
    Learn learn;
    try {
      learn = Learn.of(config.label(), config.features().names());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(step.childPath("features") + ": " + e.getMessage(), e);
    }
    try {
      learn = learn.withWindow(config.window());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(step.childPath("window") + ": " + e.getMessage(), e);
    }
    try {
      learn = learn.withForgetting(config.forgetting());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(step.childPath("forgetting") + ": " + e.getMessage(), e);
    }
    learn = (config.key() == null ? learn : learn.perKey(config.key())).named(step.name());
    PCollection<Row> input = step.input();
    try {
      learn.outputSchema(input.getSchema());
    } catch (IllegalArgumentException e) {
      String message = e.getMessage();
      String where = message.startsWith("label") ? "label" : message.startsWith("key") ? "key" : message.startsWith("feature") ? "features" : null;
      throw new IllegalArgumentException((where == null ? step.path() : step.childPath(where)) + ": " + message, e);
    }
    return StepResult.of(input.apply(step.name(), learn));
  }
}
