package dev.streamtemplates.templates;

import dev.streamtemplates.pipelines.launcher.Catalog;
import java.util.List;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * Every catalogue template in streaming mode, Kafka in and Kafka out against a real broker, with
 * the same golden output as the file-based runs; each runner module subclasses it with its
 * runner's options. See {@link KafkaConformanceHarness}.
 */
@RunWith(Parameterized.class)
public abstract class KafkaConformanceTestBase {
  @ClassRule public static final KafkaBrokerRule KAFKA = new KafkaBrokerRule();
  @Rule public final TemporaryFolder work = new TemporaryFolder();

  @Parameter public String template;

  @Parameters(name = "{0}")
  public static List<String> templates() {
    return Catalog.names();
  }

  /** The runner and its options for an unbounded job that the harness can cancel. */
  protected abstract List<String> runnerArgs();

  @Test
  public void matchesGoldenOutputFromKafka() throws Exception {
    KafkaConformanceHarness.check(template, runnerArgs(), work.getRoot().toPath(), KAFKA.broker());
  }
}
