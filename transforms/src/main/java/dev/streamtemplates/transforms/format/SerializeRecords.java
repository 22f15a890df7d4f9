package dev.streamtemplates.transforms.format;

import static org.apache.beam.sdk.util.Preconditions.checkArgumentNotNull;

import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import java.nio.charset.StandardCharsets;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.metrics.Counter;
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

  /**
   * Encodes each row as a key and value, e.g. for Kafka: the key is the UTF-8 text of field {@code
   * keyField}, or null when {@code keyField} is null or the field's value is null.
   */
  @CheckReturnValue
  public Keyed keyedBy(@Nullable String keyField) {
    return new Keyed(this, keyField);
  }

  /** The keyed variant; see {@link #keyedBy}. */
  public static final class Keyed
      extends PTransform<PCollection<Row>, WithFailures.Result<PCollection<KV<byte[], byte[]>>, Row>> {
    private static final TupleTag<KV<byte[], byte[]>> KEYED = new TupleTag<KV<byte[], byte[]>>() {};
    private final SerializeRecords values;
    private final @Nullable String keyField;

    private Keyed(SerializeRecords values, @Nullable String keyField) {
      this.values = values;
      this.keyField = keyField;
    }

    @Override
    public WithFailures.Result<PCollection<KV<byte[], byte[]>>, Row> expand(PCollection<Row> rows) {
      if (keyField != null && !rows.getSchema().hasField(keyField)) {
        throw new IllegalArgumentException("key field '" + keyField + "' is not in the schema; fields are " + rows.getSchema().getFieldNames());
      }
      PCollectionTuple result =
          rows.apply(
              "Encode " + values.format.name() + " with keys",
              ParDo.of(new EncodeFn<KV<byte[], byte[]>>(values.format, values.step, KEYED, true, keyField))
                  .withOutputTags(KEYED, TupleTagList.of(FAILURES)));
      return WithFailures.Result.of(
          result.get(KEYED).setCoder(KvCoder.of(NullableCoder.of(ByteArrayCoder.of()), ByteArrayCoder.of())),
          result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
    }
  }

  @Override
  public WithFailures.Result<PCollection<byte[]>, Row> expand(PCollection<Row> rows) {
    PCollectionTuple result =
        rows.apply(
            "Encode " + format.name(),
            ParDo.of(new EncodeFn<byte[]>(format, step, PAYLOADS, false, null)).withOutputTags(PAYLOADS, TupleTagList.of(FAILURES)));
    return WithFailures.Result.of(
        result.get(PAYLOADS).setCoder(ByteArrayCoder.of()),
        result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
  }

  /** Encodes rows; emits the payload alone, or a KV of key and payload when a key field is set. */
  private static final class EncodeFn<T> extends DoFn<Row, T> {
    private final RecordFormat format;
    private final String step;
    private final TupleTag<T> output;
    private final boolean keyed;
    private final @Nullable String keyField;
    private final Counter failed;

    EncodeFn(RecordFormat format, String step, TupleTag<T> output, boolean keyed, @Nullable String keyField) {
      this.format = format;
      this.step = step;
      this.output = output;
      this.keyed = keyed;
      this.keyField = keyField;
      this.failed = DeadLetter.counter(step);
    }

    @SuppressWarnings("unchecked")
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
      if (!keyed) {
        receiver.get(output).output((T) payload);
      } else {
        Object key = keyField == null ? null : row.getValue(keyField);
        byte[] keyBytes = key == null ? null : key.toString().getBytes(StandardCharsets.UTF_8);
        receiver.get(output).output((T) KV.of(keyBytes, payload));
      }
    }
  }
}
