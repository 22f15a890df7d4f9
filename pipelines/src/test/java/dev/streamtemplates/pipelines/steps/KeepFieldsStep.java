package dev.streamtemplates.pipelines.steps;

import dev.streamtemplates.pipelines.spec.FieldList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.transforms.Select;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * {@code type: KeepFields}: keep only the named fields of each event. The example of
 * templates/README.md, "Adding a step, source or sink type": one class, one schema file
 * ({@code step-schemas/KeepFields.schema.json}) and one line in the services file.
 */
public final class KeepFieldsStep extends StepType<KeepFieldsStep.Config> {
  /** {@code fields: [a, b]} or {@code fields: "a, b"}. */
  public record Config(FieldList fields) {}

  public KeepFieldsStep() {
    super("KeepFields", "Keep only the named fields of each event.", Config.class);
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    PCollection<Row> kept = step.input().apply(step.name(), Select.fieldNames(step.config().fields().names().toArray(new String[0])));
    return new StepResult(kept, Map.of(), List.of());
  }
}
