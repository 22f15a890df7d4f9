package dev.streamtemplates.transforms.format;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.core.Rows;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.progress.Progress;
import dev.streamtemplates.transforms.time.EventTime;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Decodes payloads (lines, messages or whole files) into schema Rows with a {@link RecordFormat};
 * records that cannot be read go to the dead-letter output.
 *
 * <pre>{@code
 * WithFailures.Result<PCollection<Row>, Row> parsed =
 *     payloads.apply(ParseRecords.with(Formats.xml(schema, "order")).named("read-orders"));
 * parsed.output();   // Rows of the schema
 * parsed.failures(); // DeadLetter.SCHEMA rows: raw record, step, reason, event time if known
 * }</pre>
 *
 * <p>Each output row keeps its payload's timestamp and window; assign event time afterwards with
 * {@code EventTime}. Counters {@code records/<step>-payloads}, {@code records/<step>-records} and
 * {@code dead-letter/<step>} count payloads read, rows decoded and records dead-lettered.
 */
public final class ParseRecords
    extends PTransform<PCollection<byte[]>, WithFailures.Result<PCollection<Row>, Row>> {

  /** Payloads larger than this (16 MiB) are dead-lettered unread, with their first kilobyte. */
  public static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;

  private static final TupleTag<Row> ROWS = new TupleTag<Row>() {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};

  private final RecordFormat format;
  private final String step;
  private final @Nullable String timeField;
  private final @Nullable String timeStep;

  private ParseRecords(RecordFormat format, String step, @Nullable String timeField, @Nullable String timeStep) {
    this.format = format;
    this.step = step;
    this.timeField = timeField;
    this.timeStep = timeStep;
  }

  public static ParseRecords with(RecordFormat format) {
    return new ParseRecords(checkArgumentNotNull(format, "format must not be null"), "parse-" + format.name(), null, null);
  }

  /**
   * Also gives each record the event time of its field {@code field}, as {@link
   * EventTime#fromField} named {@code step} would, in the same DoFn: a record whose time cannot be
   * read is a dead letter of {@code step}. One DoFn with one dead-letter output instead of two: a
   * runner may treat each multi-output ParDo as a boundary (see {@code Result.withoutFailures}).
   */
  @CheckReturnValue
  public ParseRecords withEventTimeFrom(String field, String step) {
    EventTime.checkField(format.schema(), field);
    return new ParseRecords(format, this.step, field, checkArgumentNotNull(step, "step must not be null"));
  }

  /** The step name that dead letters and counters carry. */
  @CheckReturnValue
  public ParseRecords named(String step) {
    if (step == null || step.isBlank()) {
      throw new IllegalArgumentException("step must be a non-empty name, got '" + step + "'");
    }
    return new ParseRecords(format, step, timeField, timeStep);
  }

  /**
   * Decodes the values of key/value messages (e.g. Kafka records) and adds each message's key, as
   * UTF-8 text, to its records as field {@code keyField} (a nullable STRING appended to the
   * schema).
   */
  @CheckReturnValue
  public Keyed withKeyField(String keyField) {
    if (keyField == null || keyField.isBlank()) {
      throw new IllegalArgumentException("keyField must be a non-empty name, got '" + keyField + "'");
    }
    if (timeField != null) {
      throw new IllegalArgumentException("withKeyField: the keyed variant sets no event time; apply EventTime after it");
    }
    if (format.schema().hasField(keyField)) {
      throw new IllegalArgumentException("keyField '" + keyField + "' is already a field of the records; choose another name");
    }
    return new Keyed(this, keyField);
  }

  /** The key/value variant; see {@link #withKeyField}. */
  public static final class Keyed
      extends PTransform<PCollection<KV<byte[], byte[]>>, WithFailures.Result<PCollection<Row>, Row>> {
    private final ParseRecords values;
    private final String keyField;

    private Keyed(ParseRecords values, String keyField) {
      this.values = values;
      this.keyField = keyField;
    }

    /** The schema of the output: the format's fields, then the key field. */
    public Schema outputSchema() {
      return Schema.builder().addFields(values.format.schema().getFields()).addNullableField(keyField, FieldType.STRING).build();
    }

    @Override
    public WithFailures.Result<PCollection<Row>, Row> expand(PCollection<KV<byte[], byte[]>> messages) {
      Schema schema = outputSchema();
      PCollectionTuple result =
          messages.apply(
              "Decode " + values.format.name() + " with keys",
              ParDo.of(new DecodeFn<KV<byte[], byte[]>>(values.format, values.step, schema, null, null))
                  .withOutputTags(ROWS, TupleTagList.of(FAILURES)));
      return WithFailures.Result.of(
          result.get(ROWS).setRowSchema(schema), result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
    }
  }

  @Override
  public WithFailures.Result<PCollection<Row>, Row> expand(PCollection<byte[]> payloads) {
    PCollectionTuple result =
        payloads.apply(
            timeField == null ? "Decode " + format.name() : "Decode " + format.name() + ", event time from " + timeField,
            ParDo.of(new DecodeFn<byte[]>(format, step, null, timeField, timeStep)).withOutputTags(ROWS, TupleTagList.of(FAILURES)));
    return WithFailures.Result.of(
        result.get(ROWS).setRowSchema(format.schema()),
        result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
  }

  /** Decodes a payload, or the value of a key/value message and appends its key when {@code keyed} is set. */
  private static final class DecodeFn<T> extends DoFn<T, Row> {
    private final RecordFormat format;
    private final String step;
    private final @Nullable Schema keyed;
    private final Counter in;
    private final Counter out;
    private final Counter failed;
    private final @Nullable String timeField;
    private final @Nullable String timeStep;
    private final @Nullable Counter timeFailed;

    DecodeFn(RecordFormat format, String step, @Nullable Schema keyed, @Nullable String timeField, @Nullable String timeStep) {
      this.format = format;
      this.step = step;
      this.keyed = keyed;
      this.in = Progress.counter("records", step + "-payloads");
      this.out = Progress.counter("records", step + "-records");
      this.failed = DeadLetter.counter(step);
      this.timeField = timeField;
      this.timeStep = timeStep;
      this.timeFailed = timeStep == null ? null : DeadLetter.counter(timeStep);
    }

    // Event time may be earlier than the payload's own timestamp (e.g. a read time), as in EventTime.
    @SuppressWarnings("deprecation")
    @Override
    public org.joda.time.Duration getAllowedTimestampSkew() {
      return timeField == null ? super.getAllowedTimestampSkew() : org.joda.time.Duration.millis(Long.MAX_VALUE);
    }

    @ProcessElement
    public void process(@Element T element, @Timestamp Instant timestamp, MultiOutputReceiver receiver) {
      in.inc();
      byte[] payload;
      int size;
      String key;
      if (keyed == null) {
        payload = (byte[]) element;
        key = null;
      } else {
        KV<?, ?> message = (KV<?, ?>) element;
        payload = (byte[]) message.getValue();
        key = message.getKey() == null ? null : new String((byte[]) message.getKey(), StandardCharsets.UTF_8);
      }
      size = payload == null ? 0 : payload.length;
      if (size > MAX_RECORD_BYTES) {
        failed.inc();
        byte[] head = java.util.Arrays.copyOf(payload, 1024);
        receiver.get(FAILURES).output(DeadLetter.of(step, "oversized: the payload has " + size + " bytes, more than the limit of "
            + MAX_RECORD_BYTES + "; the dead letter holds its first 1024 bytes", head, DeadLetter.knownTime(timestamp)));
        return;
      }
      if (payload == null) {
        failed.inc();
        receiver.get(FAILURES).output(DeadLetter.of(step, "the message has no value (a tombstone)", null, DeadLetter.knownTime(timestamp)));
        return;
      }
      format.decode(
          payload,
          new RecordFormat.Receiver() {
            @Override
            public void record(Row row) {
              out.inc();
              if (timeField != null) {
                Instant time;
                try {
                  time = EventTime.timeOf(row, timeField);
                } catch (RuntimeException e) {
                  timeFailed.inc();
                  receiver.get(FAILURES).output(DeadLetter.ofText(timeStep, DeadLetter.reason(e), RowText.json(row), null));
                  return;
                }
                receiver.get(ROWS).outputWithTimestamp(row, time);
                return;
              }
              receiver.get(ROWS).output(keyed == null ? row : Rows.appended(keyed, row, key));
            }

            @Override
            public void failure(byte[] rawRecord, String reason) {
              failed.inc();
              receiver.get(FAILURES).output(DeadLetter.of(step, reason, rawRecord, DeadLetter.knownTime(timestamp)));
            }
          });
    }
  }
}
