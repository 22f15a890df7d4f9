package dev.streamtemplates.pipelines.steps;

/**
 * The usual way to write a {@link StepProvider}: its name, description and config class given
 * once to the constructor, so that a step type's class holds only its config and its {@code apply}.
 *
 * <pre>{@code
 * public final class KeepFieldsStep extends StepType<KeepFieldsStep.Config> {
 *   public record Config(FieldList fields) {}
 *
 *   public KeepFieldsStep() {
 *     super("KeepFields", "Keep only the named fields of each event.", Config.class);
 *   }
 *
 *   public StepResult apply(StepContext<Config> step) { ... }
 * }
 * }</pre>
 *
 * @param <C> the step type's config record
 */
public abstract class StepType<C> implements StepProvider<C> {
  private final String type;
  private final String description;
  private final Class<C> configClass;

  protected StepType(String type, String description, Class<C> configClass) {
    this.type = type;
    this.description = description;
    this.configClass = configClass;
  }

  @Override
  public final String type() {
    return type;
  }

  @Override
  public final String description() {
    return description;
  }

  @Override
  public final Class<C> configClass() {
    return configClass;
  }
}
