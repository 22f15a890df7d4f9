package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.transforms.core.Instants;
import dev.streamtemplates.transforms.format.RecordFormat;
import java.io.Serializable;
import java.util.Optional;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.TimestampPolicy;
import org.apache.beam.sdk.io.kafka.TimestampPolicyFactory;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.Row;
import org.apache.kafka.common.TopicPartition;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.joda.time.ReadableInstant;

/**
 * Kafka event time, from a payload field or the record timestamp, with a per-partition watermark
 * that trails the largest event time seen by a bounded out-of-orderness, and an idle timeout.
 *
 * <p>Written by hand rather than with Beam's {@code CustomTimestampPolicyWithLimitedDelay}
 * because that policy (1) lets a partition that never receives a record hold the watermark of the
 * whole source at its minimum forever, and (2) counts a record whose event time cannot be read
 * at its Kafka timestamp, so one malformed record can jump the watermark to now. Here:
 *
 * <ul>
 *   <li>watermark = max event time read from this partition − {@code maxOutOfOrderness}, never
 *       beyond wall-clock time − {@code maxOutOfOrderness} (event times in the future are capped);
 *   <li>a partition with nothing left to read (backlog 0 or unknown) and no record for {@code
 *       idleTimeout} of processing time is idle: its watermark moves to wall-clock time − {@code
 *       maxOutOfOrderness}, so it no longer holds back the source (the min over partitions). A
 *       record arriving later that is behind the watermark is late, and windows treat it by
 *       their allowed lateness;
 *   <li>a record whose event-time field cannot be read keeps its Kafka timestamp as element
 *       timestamp but does not move the watermark; the EventTime step after parsing dead-letters
 *       it with the reason.
 * </ul>
 *
 * The watermark never goes back.
 */
final class KafkaTimestamps implements TimestampPolicyFactory<byte[], byte[]> {
  private static final long serialVersionUID = 1L;

  private final @Nullable RecordFormat format;
  private final @Nullable String field;
  private final Duration maxDelay;
  private final Duration idleTimeout;

  private KafkaTimestamps(@Nullable RecordFormat format, @Nullable String field, Duration maxDelay, Duration idleTimeout) {
    this.format = format;
    this.field = field;
    this.maxDelay = maxDelay;
    this.idleTimeout = idleTimeout;
  }

  /** Event time from the payload field {@code field}, decoded with {@code format}. */
  static KafkaTimestamps fromField(RecordFormat format, String field, Duration maxDelay, Duration idleTimeout) {
    return new KafkaTimestamps(format, field, maxDelay, idleTimeout);
  }

  /** Event time is the Kafka record timestamp (create or log-append time, as the topic sets it). */
  static KafkaTimestamps fromRecordTimestamp(Duration maxDelay, Duration idleTimeout) {
    return new KafkaTimestamps(null, null, maxDelay, idleTimeout);
  }

  @Override
  public TimestampPolicy<byte[], byte[]> createTimestampPolicy(TopicPartition partition, Optional<Instant> previousWatermark) {
    return new Policy(this, previousWatermark.orElse(BoundedWindow.TIMESTAMP_MIN_VALUE), Clock.SYSTEM);
  }

  /** Processing time, replaceable in tests. */
  interface Clock extends Serializable {
    Clock SYSTEM = Instant::now;

    Instant now();
  }

  /** The per-partition policy; package-private for the idle-timeout test. */
  static final class Policy extends TimestampPolicy<byte[], byte[]> {
    private final KafkaTimestamps config;
    private final Clock clock;
    private Instant maxEventTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
    private Instant watermark;
    private Instant lastRecordAt;

    Policy(KafkaTimestamps config, Instant previousWatermark, Clock clock) {
      this.config = config;
      this.clock = clock;
      this.watermark = previousWatermark;
      this.lastRecordAt = clock.now();
    }

    @Override
    public Instant getTimestampForRecord(PartitionContext context, KafkaRecord<byte[], byte[]> record) {
      lastRecordAt = clock.now();
      Instant kafkaTime = new Instant(record.getTimestamp());
      Instant eventTime = config.field == null ? kafkaTime : fieldTime(record.getKV().getValue());
      if (eventTime == null) {
        return kafkaTime;
      }
      if (eventTime.isAfter(maxEventTime)) {
        maxEventTime = eventTime;
      }
      return eventTime;
    }

    @Override
    public Instant getWatermark(PartitionContext context) {
      Instant now = clock.now();
      Instant candidate = maxEventTime.isAfter(now) ? now : maxEventTime;
      if (candidate.isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE.plus(config.maxDelay))) {
        candidate = candidate.minus(config.maxDelay);
      }
      boolean caughtUp = context.getMessageBacklog() <= 0;
      if (caughtUp && !now.isBefore(lastRecordAt.plus(config.idleTimeout))) {
        candidate = now.minus(config.maxDelay);
      }
      if (candidate.isAfter(watermark)) {
        watermark = candidate;
      }
      return watermark;
    }

    private @Nullable Instant fieldTime(byte[] payload) {
      Instant[] time = {null};
      config.format.decode(payload, new RecordFormat.Receiver() {
        @Override
        public void record(Row row) {
          Object value = row.getSchema().hasField(config.field) ? row.getValue(config.field) : null;
          if (value instanceof ReadableInstant) {
            time[0] = new Instant(((ReadableInstant) value).getMillis());
          } else if (value instanceof Number) {
            time[0] = new Instant(((Number) value).longValue());
          } else if (value != null) {
            try {
              time[0] = new Instant(Instants.parseEpochMillis(value.toString()));
            } catch (IllegalArgumentException e) {
              // left to the EventTime step, which dead-letters it with the reason
            }
          }
        }

        @Override
        public void failure(byte[] rawRecord, String reason) {
          // left to ParseRecords, which dead-letters it with the reason
        }
      });
      return time[0];
    }
  }
}
