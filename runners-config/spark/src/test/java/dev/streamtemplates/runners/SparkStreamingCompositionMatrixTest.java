package dev.streamtemplates.runners;

import dev.streamtemplates.templates.CompositionMatrix;
import dev.streamtemplates.templates.CompositionMatrix.Pair;
import dev.streamtemplates.templates.CompositionMatrixTestBase;
import java.util.List;

/**
 * The composition matrix on the Spark runner in streaming mode: every pair is refused when the
 * pipeline is built, with the documented message. Pairs with a step that needs event-time timers
 * (a debounced Threshold, IntervalJoin, Gather, Enrich from a changelog) name that step; the
 * others (Filter, MapFields, Route, Aggregate, Sequence in its timer-free mode) name the file
 * source, which Beam's Spark runner cannot read in a streaming job (it fails with a
 * NullPointerException in EvaluationContext.isLeaf). Both messages come together when both apply.
 */
public class SparkStreamingCompositionMatrixTest extends CompositionMatrixTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=SparkRunner", "--sparkMaster=local[2]", "--streaming=true");
  }

  @Override
  protected String runnerRefusal(Pair pair) {
    boolean timers = CompositionMatrix.NEEDS_TIMERS.contains(pair.a()) || CompositionMatrix.NEEDS_TIMERS.contains(pair.b());
    return timers ? "needs event-time timers, which the Spark runner does not support in streaming mode"
        : "this runner cannot read a file source in streaming mode";
  }

  @Override
  protected boolean runsPairs() {
    return false;
  }
}
