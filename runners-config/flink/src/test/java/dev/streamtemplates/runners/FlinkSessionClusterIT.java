package dev.streamtemplates.runners;

import dev.streamtemplates.templates.ClusterTestBase;
import java.util.List;

/**
 * A real Flink 1.19 standalone session cluster (JobManager and TaskManager processes, started by
 * {@code runners-config/flink/bin/flink-cluster}), with templates submitted from the bundle.
 */
public class FlinkSessionClusterIT extends ClusterTestBase {
  public FlinkSessionClusterIT() {
    super("runners-config/flink", "flink-cluster", "Flink session cluster up: --flinkMaster=localhost:PORT", "stream-templates-flink-bundled.jar");
  }

  @Override
  protected List<String> runnerArgs(int port) {
    return List.of("--runner=FlinkRunner", "--flinkMaster=localhost:" + port, "--parallelism=2");
  }
}
