package dev.streamtemplates.runners;

import dev.streamtemplates.templates.ClusterTestBase;
import java.util.List;

/**
 * A real Flink 1.19 standalone session cluster (JobManager and TaskManager processes, started by
 * {@code runners-config/flink/bin/flink-cluster}), with templates submitted from the bundle.
 */
public class FlinkSessionClusterIT extends ClusterTestBase {
  @Override
  protected String module() {
    return "runners-config/flink";
  }

  @Override
  protected String script() {
    return "flink-cluster";
  }

  @Override
  protected String ready() {
    return "Flink session cluster up: --flinkMaster=localhost:PORT";
  }

  @Override
  protected String bundle() {
    return "stream-templates-flink-bundled.jar";
  }

  @Override
  protected List<String> runnerArgs(int port) {
    return List.of("--runner=FlinkRunner", "--flinkMaster=localhost:" + port, "--parallelism=2");
  }
}
