package dev.streamtemplates.pipelines.steps;

import dev.streamtemplates.pipelines.spec.Durations;
import dev.streamtemplates.transforms.ml.Score;
import dev.streamtemplates.transforms.ml.ScoreService;
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
 *
 * <p>Or a model served over HTTP ({@link ScoreService}), instead of {@code model}:
 *
 * <pre>{@code
 *   service:
 *     url: http://models:8501/v1/models/defect:predict
 *     headers: {Authorization: "Bearer ${token}"}   # optional; values never printed
 *     batch: 32                                      # rows per request (default 32)
 *     timeout: 10s                                   # per request (default 10s)
 *     retries: 2                                     # for connection errors, timeouts, 429 and 5xx (default 2)
 *     type: double                                   # the predictions' type: double, int64, string or boolean
 *   inputs: {vibration: vib_mm_s, temperature: temp_c}  # required: model input -> row field
 * }</pre>
 */
public final class ScoreStep extends StepType<ScoreStep.Config> {
  /** The spec of a Score step. */
  public record Config(@Nullable String model, @Nullable Service service, @Nullable Map<String, String> inputs, @Nullable String prediction,
      @Nullable Boolean probabilities) {
    public Config {
      inputs = inputs == null ? Map.of() : new LinkedHashMap<>(inputs);
      prediction = prediction == null ? Score.PREDICTION : prediction;
      probabilities = probabilities == null || probabilities;
    }
  }

  /** A model served over HTTP. */
  public record Service(String url, @Nullable Map<String, String> headers, @Nullable Integer batch, @Nullable String timeout, @Nullable Integer retries,
      @Nullable String type) {}

  public ScoreStep() {
    super("Score", "Score each event with a pre-trained PMML model: add the prediction and the class probabilities.", Config.class);
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    Config config = step.config();
    PCollection<Row> input = step.input();
    if (config.service() != null) {
      return StepResult.of(input.apply(step.name(), service(step, config)));
    }
    if (!evaluatorPresent(ScoreStep.class.getClassLoader())) {
      throw new IllegalArgumentException(step.path() + " ('" + step.name() + "'): Score cannot run on this classpath: it does not carry"
          + " the PMML evaluator (pmml4s); run the spec from a runner bundle (bin/run, runners-config/<runner>/target/"
          + "stream-templates-<runner>-bundled.jar), which carries it");
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

  private static ScoreService service(StepContext<Config> step, Config config) {
    Service service = config.service();
    String at = step.childPath("service");
    ScoreService score;
    try {
      score = ScoreService.at(service.url());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(at + ".url: " + e.getMessage(), e);
    }
    if (config.inputs().isEmpty()) {
      throw new IllegalArgumentException(step.childPath("inputs") + ": a model service needs its inputs named: inputs: {<model input>: <field>, ...}");
    }
    score = score.withInputs(config.inputs()).withHeaders(service.headers() == null ? Map.of() : service.headers());
    try {
      if (service.batch() != null) {
        score = score.withBatch(service.batch());
      }
      if (service.retries() != null) {
        score = score.withRetries(service.retries());
      }
      if (service.timeout() != null) {
        score = score.withTimeout(Durations.parse(service.timeout(), at + ".timeout"));
      }
      score = score.withPrediction(config.prediction(), ScoreService.PredictionType.named(service.type() == null ? "double" : service.type()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage().startsWith(at) ? e.getMessage() : at + ": " + e.getMessage(), e);
    }
    return score.named(step.name());
  }

  /**
   * Whether the PMML evaluator is on the classpath. Every runner bundle carries it (the Spark
   * bundle its Scala 2.12 build, runners-config/spark/pmml4s); a classpath put together otherwise
   * may not, and Score is then refused in one line rather than with the model read failing on a
   * NoClassDefFoundError.
   */
  static boolean evaluatorPresent(ClassLoader loader) {
    try {
      Class.forName("org.pmml4s.model.Model", false, loader);
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
