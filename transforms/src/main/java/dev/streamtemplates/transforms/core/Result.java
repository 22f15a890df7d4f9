package dev.streamtemplates.transforms.core;

import dev.streamtemplates.transforms.deadletter.DeadLetter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;

/**
 * What every pattern transform returns: its main output, any named outputs (a Route's routes, a
 * Sequence's timed-out partial matches, a Gather's rejected groups), and its failures as dead
 * letters ({@link dev.streamtemplates.transforms.deadletter.DeadLetter#SCHEMA}).
 *
 * <pre>{@code
 * Result result = payments.apply("Large", Filter.where("amount > 1000.0"));
 * PCollection<Row> large = result.output();
 * PCollection<Row> deadLetters = result.failures();
 * }</pre>
 *
 * <p>Like Beam's {@code WithFailures.Result}, but with named outputs, so that one type serves
 * every transform and a caller (e.g. the spec's step adapters) handles them all alike.
 */
public final class Result implements POutput {
  private static final String FAILURES = "dead-letter";

  private final PCollection<Row> output;
  private final Map<String, PCollection<Row>> named;
  // Null when the transform cannot fail by construction (see withoutFailures).
  private PCollection<Row> failures;
  private final boolean hasFailureOutput;

  private Result(PCollection<Row> output, Map<String, PCollection<Row>> named, PCollection<Row> failures) {
    this.output = output;
    this.named = named;
    this.failures = failures;
    this.hasFailureOutput = failures != null;
  }

  /** A result with a main output and failures. */
  public static Result of(PCollection<Row> output, PCollection<Row> failures) {
    return new Result(output, Map.of(), failures);
  }

  /**
   * A result of a transform that cannot fail by construction, e.g. a Filter whose condition gives
   * true or false for every row: its DoFn has one output. Runners treat a multi-output ParDo as a
   * boundary (Flink's batch runner does not chain it, Spark's caches its tagged output), so a
   * dead-letter output that is always empty is not free. {@link #failures()} still answers, with an
   * empty collection made when first asked for; {@link #failuresIfAny()} does not make one.
   */
  public static Result withoutFailures(PCollection<Row> output) {
    return new Result(output, Map.of(), null);
  }

  /** A result with a main output, named outputs (in the given order) and failures. */
  public static Result of(PCollection<Row> output, Map<String, PCollection<Row>> named, PCollection<Row> failures) {
    return new Result(output, new LinkedHashMap<>(named), failures);
  }

  /** The dead letters of several parts of a transform as one collection (each part is given its dead-letter schema). */
  @SafeVarargs
  public static PCollection<Row> allFailures(PCollection<Row>... parts) {
    return allFailures(java.util.Arrays.asList(parts));
  }

  public static PCollection<Row> allFailures(java.util.List<PCollection<Row>> parts) {
    org.apache.beam.sdk.values.PCollectionList<Row> list = org.apache.beam.sdk.values.PCollectionList.empty(parts.get(0).getPipeline());
    for (PCollection<Row> part : parts) {
      list = list.and(part.setRowSchema(DeadLetter.SCHEMA));
    }
    return list.apply("All failures", org.apache.beam.sdk.transforms.Flatten.pCollections()).setRowSchema(DeadLetter.SCHEMA);
  }

  /** The main output. */
  public PCollection<Row> output() {
    return output;
  }

  /** The named output {@code name}; an error naming the known ones if there is none. */
  public PCollection<Row> output(String name) {
    PCollection<Row> out = named.get(name);
    if (out == null) {
      throw new IllegalArgumentException("no output named '" + name + "'; outputs are " + named.keySet());
    }
    return out;
  }

  /** The named outputs, in order. */
  public Map<String, PCollection<Row>> named() {
    return new LinkedHashMap<>(named);
  }

  /** The dead letters (an empty collection for a result {@link #withoutFailures}). */
  public PCollection<Row> failures() {
    if (failures == null) {
      failures = output.getPipeline()
          .apply("No failures of " + output.getName(), org.apache.beam.sdk.transforms.Create.empty(DeadLetter.SCHEMA));
    }
    return failures;
  }

  /** The dead letters, or empty when the transform cannot fail by construction. */
  public Optional<PCollection<Row>> failuresIfAny() {
    return hasFailureOutput ? Optional.of(failures) : Optional.empty();
  }

  @Override
  public Pipeline getPipeline() {
    return output.getPipeline();
  }

  @Override
  public Map<TupleTag<?>, PValue> expand() {
    Map<TupleTag<?>, PValue> values = new LinkedHashMap<>();
    values.put(new TupleTag<Row>("output"), output);
    named.forEach((name, collection) -> values.put(new TupleTag<Row>("output/" + name), collection));
    if (hasFailureOutput) {
      values.put(new TupleTag<Row>(FAILURES), failures);
    }
    return values;
  }

  @Override
  public void finishSpecifyingOutput(String transformName, org.apache.beam.sdk.values.PInput input, PTransform<?, ?> transform) {}
}
