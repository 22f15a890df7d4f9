package dev.streamtemplates.runners;

import dev.streamtemplates.templates.ClusterTestBase;
import java.util.List;

/**
 * A real Spark 3.5 standalone cluster (master and worker processes; the worker starts executor
 * processes), started by {@code runners-config/spark/bin/spark-cluster}, with templates
 * submitted from the bundle.
 */
public class SparkStandaloneClusterIT extends ClusterTestBase {
  public SparkStandaloneClusterIT() {
    super("runners-config/spark", "spark-cluster", "Spark standalone cluster up: --sparkMaster=spark://localhost:PORT", "stream-templates-spark-bundled.jar");
  }

  @Override
  protected List<String> runnerArgs(int port) {
    return List.of("--runner=SparkRunner", "--sparkMaster=spark://localhost:" + port);
  }

  /**
   * Also defect-detection: its Score step's evaluator is the bundle's own pmml4s build for Scala
   * 2.12 (scala-xml relocated beside Spark's), loaded by the executors from the submitted bundle.
   */
  @Override
  protected List<String> templates() {
    return List.of("windowed-metrics", "card-fraud-sequence", "defect-detection");
  }
}
