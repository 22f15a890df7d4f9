package dev.streamtemplates.templates;

import dev.streamtemplates.templates.KafkaConformanceHarness.Variant;
import org.junit.ClassRule;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Templates from Kafka on the Direct runner with event time from the Kafka record timestamp, with
 * Avro input (plain and Confluent wire format), and with idle partitions, against their golden output.
 */
public class DirectKafkaVariantsTest {
  @Rule public final TemporaryFolder work = new TemporaryFolder();
  @ClassRule public static final KafkaBrokerRule KAFKA = new KafkaBrokerRule();

  private void check(String template, Variant variant) throws Exception {
    KafkaConformanceHarness.check(template, DirectKafkaConformanceTest.DIRECT, work.getRoot().toPath(), KAFKA.broker(), variant);
  }

  @Test
  public void windowsFireOnTheKafkaRecordTimestamp() throws Exception {
    check("windowed-metrics", Variant.KAFKA_TIMESTAMP);
  }

  @Test
  public void sequenceDetectionOnTheKafkaRecordTimestamp() throws Exception {
    check("card-fraud-sequence", Variant.KAFKA_TIMESTAMP);
  }

  @Test
  public void plainAvroInputGivesTheSameAlerts() throws Exception {
    check("threshold-alert", Variant.AVRO_IN);
  }

  @Test
  public void confluentWireFormatAvroInputGivesTheSameAlerts() throws Exception {
    check("threshold-alert", Variant.CONFLUENT_AVRO_IN);
  }

  @Test
  public void emptyPartitionsDoNotStallTheWatermark() throws Exception {
    check("windowed-metrics", Variant.IDLE_PARTITIONS);
  }
}
