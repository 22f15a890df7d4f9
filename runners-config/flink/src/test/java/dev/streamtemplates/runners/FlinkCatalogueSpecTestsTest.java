package dev.streamtemplates.runners;

import dev.streamtemplates.templates.CatalogueSpecTestsBase;
import java.util.List;

/** Every catalogue template's own tests on the Flink runner, which replays their watermarks in streaming mode. */
public class FlinkCatalogueSpecTestsTest extends CatalogueSpecTestsBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=FlinkRunner", "--flinkMaster=[local]");
  }
}
