package dev.streamtemplates.pipelines.steps;

import dev.streamtemplates.transforms.ml.Score;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code type: Score}: scores each event with a pre-trained PMML model and adds the prediction
 * (and, for a classification, each class's probability) to it.
 *
 * <pre>{@code
 * - name: defect
 *   type: Score
 *   input: readings
 *   model: ${home}/test-data/models/defect.pmml
 *   inputs: {vibration: vib_mm_s}   # optional: model input -> row field (default: same names)
 *   prediction: prediction          # optional: the field of the predicted value
 *   probabilities: true             # optional: probability_<class> fields for a classification
 * }</pre>
 *
 * <p>The model file is read and checked when the pipeline is built, and the rows' schema against
 * the model's inputs: a missing or invalid file, or a model input the rows do not have or have
 * with an incompatible type, stops the launch with one line naming the step.
 */
public final class ScoreStep extends StepType<ScoreStep.Config> {
  /** The spec of a Score step. */
  public record Config(String model, @Nullable Map<String, String> inputs, @Nullable String prediction, @Nullable Boolean probabilities) {
    public Config {
      inputs = inputs == null ? Map.of() : new LinkedHashMap<>(inputs);
      prediction = prediction == null ? Score.PREDICTION : prediction;
      probabilities = probabilities == null || probabilities;
    }
  }

  public ScoreStep() {
    super("Score", "Score each event with a pre-trained PMML model: add the prediction and the class probabilities.", Config.class);
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    Config config = step.config();
    PCollection<Row> input = step.input();
    if (!scalaLibraryFits()) {
      throw new IllegalArgumentException(step.path() + " ('" + step.name() + "'): Score cannot run on this runner bundle: its PMML"
          + " evaluator (pmml4s) needs Scala 2.13, and Spark 3.5's bundle carries Scala 2.12; run the spec with"
          + " --runner=DirectRunner or --runner=FlinkRunner");
    }
    Score score;
    try {
      score = Score.modelFile(config.model());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(step.childPath("model") + ": " + e.getMessage(), e);
    }
    try {
      score = score.withInputs(config.inputs());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(step.childPath("inputs") + ": " + e.getMessage(), e);
    }
    score = score.withPredictionField(config.prediction()).withProbabilities(config.probabilities())
        .describingRowsAs("the rows of '" + step.inputNames().get(0) + "'").named(step.name());
    return StepResult.of(input.apply(step.name(), score));
  }

  /**
   * Whether the Scala library on the classpath is the 2.13 that pmml4s_2.13 is built for; Spark
   * 3.5's bundle has 2.12, where loading the evaluator fails with a NoClassDefFoundError.
   */
  static boolean scalaLibraryFits() {
    try {
      Class.forName("scala.collection.IterableOnce", false, ScoreStep.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
