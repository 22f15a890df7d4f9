package dev.streamtemplates.pipelines.steps;

import java.util.List;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * What a step is given: its name, its spec path (for messages), its bound config, and its resolved
 * inputs in the order the spec lists them, with the references they were given by.
 *
 * @param <C> the step type's config record
 */
public final class StepContext<C> {
  private final String name;
  private final String path;
  private final C config;
  private final List<String> inputNames;
  private final List<PCollection<Row>> inputs;

  public StepContext(String name, String path, C config, List<String> inputNames, List<PCollection<Row>> inputs) {
    this.name = name;
    this.path = path;
    this.config = config;
    this.inputNames = List.copyOf(inputNames);
    this.inputs = List.copyOf(inputs);
  }

  public String name() {
    return name;
  }

  /** The step's spec path, e.g. {@code steps[2]}. */
  public String path() {
    return path;
  }

  /** The spec path of one of the step's keys, e.g. {@code steps[2].window}. */
  public String childPath(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  public C config() {
    return config;
  }

  public List<PCollection<Row>> inputs() {
    return inputs;
  }

  /** The references the inputs were given by, e.g. {@code [by-region.europe, prices]}. */
  public List<String> inputNames() {
    return inputNames;
  }

  /** The only input; an error naming the step when there are several. */
  public PCollection<Row> input() {
    if (inputs.size() != 1) {
      throw new IllegalArgumentException(childPath("input") + ": step '" + name + "' takes exactly one input, got " + inputs.size());
    }
    return inputs.get(0);
  }

  /** Exactly {@code count} inputs, or an error with {@code what}, e.g. "an interval join takes two inputs, [left, right]". */
  public List<PCollection<Row>> inputs(int count, String what) {
    if (inputs.size() != count) {
      throw new IllegalArgumentException(childPath("input") + ": " + what + "; got " + inputs.size());
    }
    return inputs;
  }
}
