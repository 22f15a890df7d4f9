package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.format.RecordFormat;
import dev.streamtemplates.transforms.format.SerializeRecords;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.extensions.avro.io.AvroIO;
import org.apache.beam.sdk.extensions.avro.schemas.utils.AvroUtils;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * {@code type: file} sink: JSON lines, Avro container, XML or CSV files.
 *
 * <p>Writes {@code numShards} files (default 1) named {@code <path>-SSSSS-of-NNNNN<suffix>}; on
 * unbounded input, one set of files per fixed {@code window} (default 1m) of event time. Rows a
 * format cannot hold go to the dead-letter output.
 */
public final class FileSink implements SinkProvider {
  @Override
  public String type() {
    return "file";
  }

  @Override
  public String description() {
    return "Files: JSON lines, Avro container, XML or CSV; one set per event-time window on unbounded input.";
  }

  @Override
  public List<PCollection<Row>> write(SpecNode sink, String name, PCollection<Row> rows) {
    String formatName = sink.text("format", "json");
    org.apache.avro.Schema avroSchema = Sinks.avroSchema(sink, rows.getSchema());
    int numShards = (int) sink.number("numShards", 1);
    if ("avro".equals(formatName)) {
      return writeAvro(sink, name, rows, avroSchema, numShards);
    }
    RecordFormat format = SpecFormats.format(sink, formatName, rows.getSchema(), avroSchema);
    WithFailures.Result<PCollection<byte[]>, Row> encoded = rows.apply(name + "/Encode " + formatName, SerializeRecords.with(format).named(name));
    PCollection<String> lines = encoded.output().apply(name + "/As text", ParDo.of(new BytesToText())).setCoder(StringUtf8Coder.of());
    TextIO.Write write = TextIO.write().to(sink.text("path")).withSuffix(SpecFormats.suffix(formatName)).withNumShards(numShards);
    if (format.fileHeader() != null) {
      write = write.withHeader(format.fileHeader());
    }
    if (format.fileFooter() != null) {
      write = write.withFooter(format.fileFooter());
    }
    if (lines.isBounded() == PCollection.IsBounded.UNBOUNDED) {
      lines = lines.apply(name + "/Window", Window.into(FixedWindows.of(Sinks.window(sink))));
      write = write.withWindowedWrites();
    }
    lines.apply(name + "/Write", write);
    return List.of(encoded.failures());
  }

  /** Static so that the anonymous tags capture nothing (a DoFn and its tags are serialized). */
  private static List<PCollection<Row>> writeAvro(SpecNode sink, String name, PCollection<Row> rows, org.apache.avro.Schema avroSchema, int numShards) {
    TupleTag<GenericRecord> ok = new TupleTag<GenericRecord>() {};
    TupleTag<Row> failed = new TupleTag<Row>() {};
    PCollectionTuple records =
        rows.apply(name + "/To Avro", ParDo.of(new RowToAvro(avroSchema.toString(), name, ok, failed)).withOutputTags(ok, TupleTagList.of(failed)));
    PCollection<GenericRecord> generic = records.get(ok).setCoder(AvroCoder.of(avroSchema));
    AvroIO.Write<GenericRecord> write = AvroIO.writeGenericRecords(avroSchema).to(sink.text("path")).withSuffix(".avro").withNumShards(numShards);
    if (generic.isBounded() == PCollection.IsBounded.UNBOUNDED) {
      generic = generic.apply(name + "/Window", Window.into(FixedWindows.of(Sinks.window(sink))));
      write = write.withWindowedWrites();
    }
    generic.apply(name + "/Write Avro", write);
    return List.of(records.get(failed).setRowSchema(DeadLetter.SCHEMA));
  }

  private static final class BytesToText extends DoFn<byte[], String> {
    @ProcessElement
    public void process(@Element byte[] payload, OutputReceiver<String> out) {
      out.output(new String(payload, StandardCharsets.UTF_8));
    }
  }

  private static final class RowToAvro extends DoFn<Row, GenericRecord> {
    private final String avsc;
    private final String step;
    private final TupleTag<GenericRecord> ok;
    private final TupleTag<Row> failed;
    private final Counter failures;
    private transient org.apache.avro.Schema schema;

    RowToAvro(String avsc, String step, TupleTag<GenericRecord> ok, TupleTag<Row> failed) {
      this.avsc = avsc;
      this.step = step;
      this.ok = ok;
      this.failed = failed;
      this.failures = DeadLetter.counter(step);
    }

    @Setup
    public void setup() {
      schema = new org.apache.avro.Schema.Parser().parse(avsc);
    }

    @ProcessElement
    public void process(@Element Row row, MultiOutputReceiver out) {
      try {
        GenericRecord record = AvroUtils.toGenericRecord(row, schema);
        // Validate now: a mismatch found later by the file writer would fail the whole bundle.
        if (!org.apache.avro.generic.GenericData.get().validate(schema, record)) {
          throw new IllegalArgumentException("the row does not fit Avro schema " + schema.getFullName());
        }
        out.get(ok).output(record);
      } catch (RuntimeException e) {
        failures.inc();
        out.get(failed).output(DeadLetter.ofText(step, DeadLetter.reason(e), RowText.json(row), null));
      }
    }
  }
}
