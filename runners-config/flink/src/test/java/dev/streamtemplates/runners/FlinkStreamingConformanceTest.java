package dev.streamtemplates.runners;

import dev.streamtemplates.templates.ConformanceTestBase;
import java.util.List;

/**
 * Every catalogue template on the Flink runner in streaming mode (bounded file sources read by
 * a streaming job, watermarks and event-time timers included), against the same golden output as
 * the batch runs.
 */
public class FlinkStreamingConformanceTest extends ConformanceTestBase {
  @Override
  protected List<String> runnerArgs() {
    return List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2", "--streaming=true");
  }
}
