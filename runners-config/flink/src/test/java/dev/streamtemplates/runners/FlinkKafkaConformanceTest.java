package dev.streamtemplates.runners;

import dev.streamtemplates.templates.KafkaConformanceTestBase;
import java.util.List;

/**
 * Every catalogue template on Flink ([local], parallelism 2) in streaming mode, from and to a
 * real Kafka broker. The job runs detached and is cancelled once its output has arrived.
 */
public class FlinkKafkaConformanceTest extends KafkaConformanceTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2", "--streaming=true", "--attachedMode=false");
  }
}
