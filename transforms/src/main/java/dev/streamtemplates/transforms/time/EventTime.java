package dev.streamtemplates.transforms.time;

import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.core.Instants;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RecordException;
import dev.streamtemplates.transforms.deadletter.RowText;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.joda.time.ReadableInstant;

/**
 * Sets each row's event time (its Beam timestamp) from a named field, or from ingestion time.
 *
 * <pre>{@code
 * WithFailures.Result<PCollection<Row>, Row> timed = rows.apply(EventTime.fromField("orderTime"));
 * WithFailures.Result<PCollection<Row>, Row> now = rows.apply(EventTime.ingestion());
 * }</pre>
 *
 * <p>The field may be a DATETIME, an integer of epoch milliseconds, or a string holding ISO-8601
 * with an offset or epoch milliseconds. A row whose field is null or unreadable goes to the
 * dead-letter output, named for the field and value. Rows stay in the global window; windowing
 * comes later. This transform only moves timestamps: watermarks are the source's business (a
 * bounded source's watermark jumps to the end at its end; Kafka sources take a bounded
 * out-of-orderness policy).
 */
public final class EventTime {
  private EventTime() {}

  /** Refuses a time field that is not in {@code schema} or not of a type that holds a time. */
  public static void checkField(Schema schema, String field) {
    if (!schema.hasField(field)) {
      throw new IllegalArgumentException(
          "event time field '" + field + "' is not in the schema; fields are " + schema.getFieldNames());
    }
    FieldType type = schema.getField(field).getType();
    switch (type.getTypeName()) {
      case DATETIME:
      case INT64:
      case INT32:
      case STRING:
        break;
      default:
        throw new IllegalArgumentException(
            "event time field '" + field + "' is a " + type.getTypeName()
                + "; it must be a DATETIME, epoch millis (INT64) or an ISO-8601 STRING");
    }
  }

  /**
   * The event time in {@code row}'s field {@code field} (checked with {@link #checkField}), as
   * {@link #fromField} reads it; a {@link RecordException} naming the field when it is null, not a
   * time, or outside the range of times Beam can carry.
   */
  public static Instant timeOf(Row row, String field) {
    Object value = row.getValue(field);
    return inRange(field, timeOf(field, value), value);
  }

  private static Instant timeOf(String field, @Nullable Object value) {
    if (value == null) {
      throw new RecordException("event time field '" + field + "' is null");
    }
    if (value instanceof ReadableInstant) {
      return new Instant(((ReadableInstant) value).getMillis());
    }
    if (value instanceof Number) {
      return new Instant(((Number) value).longValue());
    }
    try {
      return new Instant(Instants.parseEpochMillis(value.toString()));
    } catch (IllegalArgumentException | java.time.DateTimeException | ArithmeticException e) {
      throw new RecordException("event time field '" + field + "': " + e.getMessage());
    }
  }

  /** Beam cannot carry times outside its range (about year -290,000 to 290,000). */
  private static Instant inRange(String field, Instant time, Object value) {
    if (time.isBefore(org.apache.beam.sdk.transforms.windowing.BoundedWindow.TIMESTAMP_MIN_VALUE)
        || !time.isBefore(org.apache.beam.sdk.transforms.windowing.BoundedWindow.TIMESTAMP_MAX_VALUE)) {
      throw new RecordException("event time field '" + field + "': " + value + " is outside the range of times Beam can carry");
    }
    return time;
  }

  /** Event time from {@code field}. */
  public static Assign fromField(String field) {
    if (field == null || field.isBlank()) {
      throw new IllegalArgumentException("event time field must be a non-empty name, got '" + field + "'");
    }
    return new Assign(field, "event-time");
  }

  /** Event time is the time the record is read (processing time at ingestion). */
  public static Assign ingestion() {
    return new Assign(null, "event-time");
  }

  /** The transform; see {@link EventTime}. */
  public static final class Assign
      extends PTransform<PCollection<Row>, WithFailures.Result<PCollection<Row>, Row>> {
    private static final TupleTag<Row> OUT = new TupleTag<Row>() {};
    private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};

    private final @Nullable String field;
    private final String step;

    private Assign(@Nullable String field, String step) {
      this.field = field;
      this.step = step;
    }

    @CheckReturnValue
    public Assign named(String step) {
      return new Assign(field, step);
    }

    @Override
    public WithFailures.Result<PCollection<Row>, Row> expand(PCollection<Row> input) {
      Schema schema = input.getSchema();
      if (field != null) {
        checkField(schema, field);
      }
      PCollectionTuple result =
          input.apply(
              field == null ? "Ingestion time" : "Event time from " + field,
              ParDo.of(new AssignFn(field, step)).withOutputTags(OUT, TupleTagList.of(FAILURES)));
      return WithFailures.Result.of(
          result.get(OUT).setRowSchema(schema), result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
    }
  }

  private static final class AssignFn extends DoFn<Row, Row> {
    private final @Nullable String field;
    private final String step;
    private final Counter failed;

    AssignFn(@Nullable String field, String step) {
      this.field = field;
      this.step = step;
      this.failed = DeadLetter.counter(step);
    }

    @ProcessElement
    public void process(@Element Row row, MultiOutputReceiver out) {
      Instant time;
      if (field == null) {
        time = Instant.now();
      } else {
        try {
          time = timeOf(row, field);
        } catch (RuntimeException e) {
          failed.inc();
          out.get(Assign.FAILURES).output(DeadLetter.ofText(step, DeadLetter.reason(e), RowText.json(row), null));
          return;
        }
      }
      out.get(Assign.OUT).outputWithTimestamp(row, time);
    }

    // Sources such as Kafka stamp records with their read time; event time may be earlier.
    @SuppressWarnings("deprecation")
    @Override
    public Duration getAllowedTimestampSkew() {
      return Duration.millis(Long.MAX_VALUE);
    }
  }
}
