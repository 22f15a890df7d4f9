package dev.streamtemplates.transforms.format;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
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

  private static final TupleTag<Row> ROWS = new TupleTag<Row>() {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};

  private final RecordFormat format;
  private final String step;

  private ParseRecords(RecordFormat format, String step) {
    this.format = format;
    this.step = step;
  }

  public static ParseRecords with(RecordFormat format) {
    return new ParseRecords(checkArgumentNotNull(format, "format must not be null"), "parse-" + format.name());
  }

  /** The step name that dead letters and counters carry. */
  @CheckReturnValue
  public ParseRecords named(String step) {
    if (step == null || step.isBlank()) {
      throw new IllegalArgumentException("step must be a non-empty name, got '" + step + "'");
    }
    return new ParseRecords(format, step);
  }

  @Override
  public WithFailures.Result<PCollection<Row>, Row> expand(PCollection<byte[]> payloads) {
    PCollectionTuple result =
        payloads.apply(
            "Decode " + format.name(),
            ParDo.of(new DecodeFn(format, step)).withOutputTags(ROWS, TupleTagList.of(FAILURES)));
    return WithFailures.Result.of(
        result.get(ROWS).setRowSchema(format.schema()),
        result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
  }

  private static final class DecodeFn extends DoFn<byte[], Row> {
    private final RecordFormat format;
    private final String step;
    private final Counter in;
    private final Counter out;
    private final Counter failed;

    DecodeFn(RecordFormat format, String step) {
      this.format = format;
      this.step = step;
      this.in = Metrics.counter("records", step + "-payloads");
      this.out = Metrics.counter("records", step + "-records");
      this.failed = DeadLetter.counter(step);
    }

    @ProcessElement
    public void process(@Element byte[] payload, @Timestamp Instant timestamp, MultiOutputReceiver receiver) {
      in.inc();
      format.decode(
          payload,
          new RecordFormat.Receiver() {
            @Override
            public void record(Row row) {
              out.inc();
              receiver.get(ROWS).output(row);
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
