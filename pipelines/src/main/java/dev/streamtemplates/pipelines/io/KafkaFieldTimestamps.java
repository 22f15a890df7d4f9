package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.transforms.format.RecordFormat;
import dev.streamtemplates.transforms.format.TextValues;
import java.util.Optional;
import org.apache.beam.sdk.io.kafka.CustomTimestampPolicyWithLimitedDelay;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.TimestampPolicy;
import org.apache.beam.sdk.io.kafka.TimestampPolicyFactory;
import org.apache.beam.sdk.values.Row;
import org.apache.kafka.common.TopicPartition;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.joda.time.ReadableInstant;

/**
 * Kafka event time from a payload field, with a watermark that trails the largest event time
 * seen by a bounded out-of-orderness. A record whose field cannot be read keeps its Kafka
 * timestamp here; the EventTime step after parsing sends it to the dead-letter output.
 */
final class KafkaFieldTimestamps implements TimestampPolicyFactory<byte[], byte[]> {
  private static final long serialVersionUID = 1L;

  private final RecordFormat format;
  private final String field;
  private final Duration maxDelay;

  KafkaFieldTimestamps(RecordFormat format, String field, Duration maxDelay) {
    this.format = format;
    this.field = field;
    this.maxDelay = maxDelay;
  }

  @Override
  public TimestampPolicy<byte[], byte[]> createTimestampPolicy(TopicPartition partition, Optional<Instant> previousWatermark) {
    return new CustomTimestampPolicyWithLimitedDelay<>(this::eventTime, maxDelay, previousWatermark);
  }

  private Instant eventTime(KafkaRecord<byte[], byte[]> record) {
    Instant[] time = {new Instant(record.getTimestamp())};
    format.decode(record.getKV().getValue(), new RecordFormat.Receiver() {
      @Override
      public void record(Row row) {
        Object value = row.getSchema().hasField(field) ? row.getValue(field) : null;
        if (value instanceof ReadableInstant) {
          time[0] = new Instant(((ReadableInstant) value).getMillis());
        } else if (value instanceof Number) {
          time[0] = new Instant(((Number) value).longValue());
        } else if (value != null) {
          try {
            time[0] = new Instant(TextValues.parseEpochMillis(value.toString()));
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
