package dev.streamtemplates.runners;

import dev.streamtemplates.templates.CompositionMatrix;
import dev.streamtemplates.templates.CompositionMatrix.Pair;
import dev.streamtemplates.templates.CompositionMatrixTestBase;
import java.util.List;

/**
 * The composition matrix on the Spark runner in streaming mode: every pair with a step that needs
 * event-time timers here (a debounced Threshold, IntervalJoin, Gather, Enrich from a changelog) is
 * refused when the pipeline is built, with the documented message. The other 25 pairs (Filter,
 * MapFields, Route, Aggregate, Sequence in its timer-free mode) are not run: a Spark streaming job
 * over file sources does not end by itself, and this test has no way yet to stop it once its
 * output is complete (see templates/README.md, "Composition matrix").
 */
public class SparkStreamingCompositionMatrixTest extends CompositionMatrixTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=SparkRunner", "--sparkMaster=local[2]", "--streaming=true");
  }

  @Override
  protected String runnerRefusal(Pair pair) {
    boolean timers = CompositionMatrix.NEEDS_TIMERS.contains(pair.a()) || CompositionMatrix.NEEDS_TIMERS.contains(pair.b());
    return timers ? "needs event-time timers, which the Spark runner does not support in streaming mode" : null;
  }

  @Override
  protected boolean runsPairs() {
    return false;
  }
}
