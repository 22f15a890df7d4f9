package dev.streamtemplates.templates;

import java.util.List;

/** Every catalogue template on the Direct runner in streaming mode, from and to a real Kafka broker. */
public class DirectKafkaConformanceTest extends KafkaConformanceTestBase {
  static final List<String> DIRECT = List.of("--runner=DirectRunner", "--streaming=true", "--blockOnRun=false");

  @Override
  protected List<String> runnerArgs() {
    return DIRECT;
  }
}
