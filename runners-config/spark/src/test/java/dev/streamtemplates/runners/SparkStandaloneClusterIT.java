package dev.streamtemplates.runners;

import dev.streamtemplates.templates.ClusterTestBase;
import java.util.List;

/**
 * A real Spark 3.5 standalone cluster (master and worker processes; the worker starts executor
 * processes), started by {@code runners-config/spark/bin/spark-cluster}, with templates
 * submitted from the bundle.
 */
public class SparkStandaloneClusterIT extends ClusterTestBase {
  @Override
  protected String module() {
    return "runners-config/spark";
  }

  @Override
  protected String script() {
    return "spark-cluster";
  }

  @Override
  protected String ready() {
    return "Spark standalone cluster up: --sparkMaster=spark://localhost:PORT";
  }

  @Override
  protected String bundle() {
    return "stream-templates-spark-bundled.jar";
  }

  @Override
  protected List<String> runnerArgs(int port) {
    return List.of("--runner=SparkRunner", "--sparkMaster=spark://localhost:" + port);
  }
}
