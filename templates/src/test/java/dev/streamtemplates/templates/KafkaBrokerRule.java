package dev.streamtemplates.templates;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.rules.ExternalResource;

/** A {@link KafkaBroker} for a test class: {@code @ClassRule public static final KafkaBrokerRule KAFKA = new KafkaBrokerRule();} */
public final class KafkaBrokerRule extends ExternalResource {
  private KafkaBroker broker;
  private Path dir;

  @Override
  protected void before() throws Throwable {
    dir = Files.createTempDirectory("kafka-broker");
    broker = KafkaBroker.start(dir);
  }

  @Override
  protected void after() {
    if (broker != null) {
      broker.close();
    }
    try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      // a temporary directory left behind
    }
  }

  public KafkaBroker broker() {
    return broker;
  }
}
