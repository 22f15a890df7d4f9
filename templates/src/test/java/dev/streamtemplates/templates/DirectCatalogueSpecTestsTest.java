package dev.streamtemplates.templates;

import java.util.List;

/** Every catalogue template's own tests on the Direct runner. */
public class DirectCatalogueSpecTestsTest extends CatalogueSpecTestsBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of();
  }
}
