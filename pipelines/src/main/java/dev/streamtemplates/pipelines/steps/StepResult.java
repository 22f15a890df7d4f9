package dev.streamtemplates.pipelines.steps;

import dev.streamtemplates.transforms.core.Result;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/** A step's outputs: the main one, any named extra ones, and its dead letters. */
public final class StepResult {
  private final PCollection<Row> main;
  private final Map<String, PCollection<Row>> named;
  private final List<PCollection<Row>> deadLetters;

  public StepResult(PCollection<Row> main, Map<String, PCollection<Row>> named, List<PCollection<Row>> deadLetters) {
    this.main = main;
    this.named = new LinkedHashMap<>(named);
    this.deadLetters = List.copyOf(deadLetters);
  }

  /** A step's outputs as every transform returns them: main, named, and failures. */
  public static StepResult of(Result result) {
    return new StepResult(result.output(), result.named(), result.failuresIfAny().map(List::of).orElse(List.of()));
  }

  public PCollection<Row> main() {
    return main;
  }

  public Map<String, PCollection<Row>> named() {
    return named;
  }

  public List<PCollection<Row>> deadLetters() {
    return deadLetters;
  }
}
