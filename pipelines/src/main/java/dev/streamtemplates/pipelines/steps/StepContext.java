package dev.streamtemplates.pipelines.steps;

import dev.streamtemplates.pipelines.spec.SpecNode;
import java.util.List;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * What a step is given: its spec node, its name, and its resolved inputs in the order the spec
 * lists them.
 */
public final class StepContext {
  /** A step's spec: its path, name and config. */
  public static final class Config {
    private final SpecNode spec;

    public Config(SpecNode spec) {
      this.spec = spec;
    }

    public SpecNode spec() {
      return spec;
    }

    public String name() {
      return spec.text("name");
    }
  }

  private final Config config;
  private final List<PCollection<Row>> inputs;

  public StepContext(Config config, List<PCollection<Row>> inputs) {
    this.config = config;
    this.inputs = List.copyOf(inputs);
  }

  public SpecNode spec() {
    return config.spec();
  }

  public String name() {
    return config.name();
  }

  public List<PCollection<Row>> inputs() {
    return inputs;
  }

  /** The only input; an error naming the step when there are several. */
  public PCollection<Row> input() {
    if (inputs.size() != 1) {
      throw new IllegalArgumentException(spec().childPath("input") + ": step '" + name() + "' takes exactly one input, got " + inputs.size());
    }
    return inputs.get(0);
  }
}
