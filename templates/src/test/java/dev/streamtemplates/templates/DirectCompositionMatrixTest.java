package dev.streamtemplates.templates;

import java.util.List;

/** The composition matrix on the Direct runner (batch). */
public class DirectCompositionMatrixTest extends CompositionMatrixTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=DirectRunner");
  }
}
