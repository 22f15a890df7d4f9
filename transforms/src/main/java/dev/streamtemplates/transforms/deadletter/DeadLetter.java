package dev.streamtemplates.transforms.deadletter;

import dev.streamtemplates.transforms.progress.Progress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * The dead-letter record: what failed, where, why, and the original payload.
 *
 * <p>Every transform in this project that can fail on one record emits such a {@link Row} on its
 * failure output instead of failing the bundle. The fields are:
 *
 * <ul>
 *   <li>{@code step}: the name of the step that rejected the record;
 *   <li>{@code error}: a readable reason, naming the field and value where known;
 *   <li>{@code payload}: the original payload, as UTF-8 text when it is text, else base64;
 *   <li>{@code payloadEncoding}: {@code utf-8} or {@code base64};
 *   <li>{@code eventTime}: the record's event time, when it was known (null before it was read).
 * </ul>
 *
 * <p>Beam's {@code BadRecord} was considered: it carries no event time and stores the payload as
 * coder bytes, which a file or Kafka dead-letter sink cannot show to a person. This schema is a plain
 * Row, so every sink format can write it.
 */
public final class DeadLetter {

  /** Beam metrics namespace of the per-step dead-letter counters. */
  public static final String METRICS_NAMESPACE = "dead-letter";

  public static final String UTF8 = "utf-8";
  public static final String BASE64 = "base64";

  public static final Schema SCHEMA =
      Schema.builder()
          .addStringField("step")
          .addStringField("error")
          .addNullableField("payload", FieldType.STRING)
          .addStringField("payloadEncoding")
          .addNullableField("eventTime", FieldType.DATETIME)
          .build();

  private DeadLetter() {}

  /** A dead letter for a raw payload (a line, a message, a file) that could not be read. */
  public static Row of(String step, String error, byte @Nullable [] payload, @Nullable Instant eventTime) {
    String text = null;
    String encoding = UTF8;
    if (payload != null) {
      text = utf8OrNull(payload);
      if (text == null) {
        text = Base64.getEncoder().encodeToString(payload);
        encoding = BASE64;
      }
    }
    return build(step, error, text, encoding, eventTime);
  }

  /** A dead letter for a record already in text form (e.g. one XML element, a JSON rendering of a Row). */
  public static Row ofText(String step, String error, @Nullable String payload, @Nullable Instant eventTime) {
    return build(step, error, payload, UTF8, eventTime);
  }

  /** The counter that a step increments for each record it dead-letters; also counted live ({@link Progress}). */
  public static Counter counter(String step) {
    return Progress.counter(METRICS_NAMESPACE, step);
  }

  /** The readable reason for an exception: its message, or its type when it has none. */
  public static String reason(Throwable e) {
    String message = e.getMessage();
    String type = e.getClass().getSimpleName();
    if (message == null || message.isBlank()) {
      return type;
    }
    // Our own exceptions carry complete sentences; library ones are clearer with their type.
    return e instanceof RecordException ? message : type + ": " + message;
  }

  /** Event time as carried by an element, or null while it is still the "no time yet" minimum. */
  public static @Nullable Instant knownTime(Instant timestamp) {
    return timestamp.isAfter(BoundedWindow.TIMESTAMP_MIN_VALUE) ? timestamp : null;
  }

  private static Row build(
      String step, String error, @Nullable String payload, String encoding, @Nullable Instant eventTime) {
    return Row.withSchema(SCHEMA)
        .withFieldValue("step", step)
        .withFieldValue("error", error)
        .withFieldValue("payload", payload)
        .withFieldValue("payloadEncoding", encoding)
        .withFieldValue("eventTime", eventTime == null ? null : eventTime.toDateTime())
        .build();
  }

  private static @Nullable String utf8OrNull(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
