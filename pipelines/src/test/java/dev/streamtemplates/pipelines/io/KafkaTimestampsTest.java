package dev.streamtemplates.pipelines.io;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.streamtemplates.transforms.format.Formats;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaTimestampType;
import org.apache.beam.sdk.io.kafka.TimestampPolicy;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;

/** The per-partition watermark: bounded out-of-orderness, idle timeout, unreadable times ignored. */
public class KafkaTimestampsTest {
  private static final Schema EVENT = Schema.builder().addStringField("id").addNullableField("at", Schema.FieldType.STRING).build();
  private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");

  private final Instant[] now = {Instant.parse("2026-11-22T12:00:00Z")};
  private final long[] backlog = {0};
  private final TimestampPolicy.PartitionContext context = new TimestampPolicy.PartitionContext() {
    @Override
    public long getMessageBacklog() {
      return backlog[0];
    }

    @Override
    public Instant getBacklogCheckTime() {
      return now[0];
    }
  };

  private TimestampPolicy<byte[], byte[]> policy(Duration maxDelay, Duration idle) {
    return new KafkaTimestamps.Policy(
        KafkaTimestamps.fromField(Formats.json(EVENT), "at", maxDelay, idle), BoundedWindow.TIMESTAMP_MIN_VALUE, () -> now[0]);
  }

  private static KafkaRecord<byte[], byte[]> record(String json) {
    return new KafkaRecord<>("t", 0, 0, Instant.parse("2026-11-22T11:59:00Z").getMillis(), KafkaTimestampType.CREATE_TIME, null,
        null, json.getBytes(StandardCharsets.UTF_8));
  }

  private void advance(Duration by) {
    now[0] = now[0].plus(by);
  }

  @Test
  public void watermarkTrailsTheLargestEventTimeByTheOutOfOrdernessAndNeverGoesBack() {
    TimestampPolicy<byte[], byte[]> policy = policy(Duration.standardSeconds(30), Duration.standardMinutes(1));
    backlog[0] = 5;
    assertThat(policy.getTimestampForRecord(context, record("{\"id\":\"a\",\"at\":\"2024-05-01T10:01:00Z\"}")), equalTo(T0.plus(Duration.standardMinutes(1))));
    assertThat(policy.getWatermark(context), equalTo(T0.plus(Duration.standardSeconds(30))));
    assertThat(policy.getTimestampForRecord(context, record("{\"id\":\"b\",\"at\":\"2024-05-01T10:00:10Z\"}")), equalTo(T0.plus(Duration.standardSeconds(10))));
    assertThat(policy.getWatermark(context), equalTo(T0.plus(Duration.standardSeconds(30))));
  }

  @Test
  public void recordWithAnUnreadableEventTimeKeepsItsKafkaTimestampButDoesNotMoveTheWatermark() {
    TimestampPolicy<byte[], byte[]> policy = policy(Duration.ZERO, Duration.standardMinutes(1));
    backlog[0] = 5;
    policy.getTimestampForRecord(context, record("{\"id\":\"a\",\"at\":\"2024-05-01T10:00:00Z\"}"));
    assertThat(policy.getTimestampForRecord(context, record("{\"id\":\"b\",\"at\":\"whenever\"}")), equalTo(Instant.parse("2026-11-22T11:59:00Z")));
    policy.getTimestampForRecord(context, record("{\"id\":\"c\",\"at\""));
    assertThat(policy.getWatermark(context), equalTo(T0));
  }

  @Test
  public void partitionThatNeverReceivesARecordStopsHoldingTheWatermarkAfterTheIdleTimeout() {
    TimestampPolicy<byte[], byte[]> policy = policy(Duration.standardSeconds(5), Duration.standardSeconds(30));
    assertThat(policy.getWatermark(context), equalTo(BoundedWindow.TIMESTAMP_MIN_VALUE));
    advance(Duration.standardSeconds(29));
    assertThat(policy.getWatermark(context), equalTo(BoundedWindow.TIMESTAMP_MIN_VALUE));
    advance(Duration.standardSeconds(1));
    assertThat(policy.getWatermark(context), equalTo(now[0].minus(Duration.standardSeconds(5))));
  }

  @Test
  public void partitionWithABacklogIsNotIdleHoweverLongSinceItsLastRecord() {
    TimestampPolicy<byte[], byte[]> policy = policy(Duration.ZERO, Duration.standardSeconds(30));
    policy.getTimestampForRecord(context, record("{\"id\":\"a\",\"at\":\"2024-05-01T10:00:00Z\"}"));
    backlog[0] = 100;
    advance(Duration.standardMinutes(10));
    assertThat(policy.getWatermark(context), equalTo(T0));
    backlog[0] = 0;
    assertThat(policy.getWatermark(context), equalTo(now[0]));
  }

  @Test
  public void eventTimesInTheFutureAreCappedAtWallClock() {
    TimestampPolicy<byte[], byte[]> policy = policy(Duration.ZERO, Duration.standardDays(1));
    backlog[0] = 5;
    policy.getTimestampForRecord(context, record("{\"id\":\"a\",\"at\":\"2099-01-01T00:00:00Z\"}"));
    assertThat(policy.getWatermark(context), equalTo(now[0]));
  }
}
