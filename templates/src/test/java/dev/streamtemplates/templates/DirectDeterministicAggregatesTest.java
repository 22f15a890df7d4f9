package dev.streamtemplates.templates;

import java.util.List;

/** Aggregates with one answer, from a spec, on the Direct runner. */
public class DirectDeterministicAggregatesTest extends DeterministicAggregatesTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=DirectRunner");
  }
}
