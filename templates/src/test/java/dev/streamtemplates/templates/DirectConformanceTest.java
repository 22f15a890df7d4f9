package dev.streamtemplates.templates;

import java.util.List;

/** Every catalogue template, end to end on the Direct runner in batch, against its golden output. */
public class DirectConformanceTest extends ConformanceTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=DirectRunner");
  }
}
