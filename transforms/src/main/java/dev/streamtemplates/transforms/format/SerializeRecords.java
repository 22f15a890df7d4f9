package dev.streamtemplates.transforms.format;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.metrics.Counter;
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
 * Encodes Rows as payloads of a {@link RecordFormat}; a row the format cannot hold (e.g. a value
 * outside the Avro schema) goes to the dead-letter output as JSON, with the reason.
 *
 * <pre>{@code
 * WithFailures.Result<PCollection<byte[]>, Row> json = rows.apply(SerializeRecords.with(Formats.json(schema)));
 * }</pre>
 */
public final class SerializeRecords
    extends PTransform<PCollection<Row>, WithFailures.Result<PCollection<byte[]>, Row>> {

  private static final TupleTag<byte[]> PAYLOADS = new TupleTag<byte[]>() {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};

  private final RecordFormat format;
  private final String step;

  private SerializeRecords(RecordFormat format, String step) {
    this.format = format;
    this.step = step;
  }

  public static SerializeRecords with(RecordFormat format) {
    return new SerializeRecords(checkArgumentNotNull(format, "format must not be null"), "write-" + format.name());
  }

  @CheckReturnValue
  public SerializeRecords named(String step) {
    if (step == null || step.isBlank()) {
      throw new IllegalArgumentException("step must be a non-empty name, got '" + step + "'");
    }
    return new SerializeRecords(format, step);
  }

  @Override
  public WithFailures.Result<PCollection<byte[]>, Row> expand(PCollection<Row> rows) {
    PCollectionTuple result =
        rows.apply(
            "Encode " + format.name(),
            ParDo.of(new EncodeFn(format, step)).withOutputTags(PAYLOADS, TupleTagList.of(FAILURES)));
    return WithFailures.Result.of(
        result.get(PAYLOADS).setCoder(ByteArrayCoder.of()),
        result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
  }

  private static final class EncodeFn extends DoFn<Row, byte[]> {
    private final RecordFormat format;
    private final String step;
    private final Counter failed;

    EncodeFn(RecordFormat format, String step) {
      this.format = format;
      this.step = step;
      this.failed = DeadLetter.counter(step);
    }

    @ProcessElement
    public void process(@Element Row row, @Timestamp Instant timestamp, MultiOutputReceiver receiver) {
      byte[] payload;
      try {
        payload = format.encode(row);
      } catch (RuntimeException e) {
        failed.inc();
        receiver.get(FAILURES).output(
            DeadLetter.ofText(step, DeadLetter.reason(e), RowText.json(row), DeadLetter.knownTime(timestamp)));
        return;
      }
      receiver.get(PAYLOADS).output(payload);
    }
  }
}
