package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.format.RecordFormat;
import dev.streamtemplates.transforms.format.SerializeRecords;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * {@code type: stdout} sink: each record on its own line of the worker's standard output, as
 * {@code <sink>> <record>} (binary formats in Base64), for demos.
 */
public final class StdoutSink implements SinkProvider {
  @Override
  public String type() {
    return "stdout";
  }

  @Override
  public String description() {
    return "Each record on a line of the worker's standard output, for demos.";
  }

  @Override
  public List<PCollection<Row>> write(SpecNode sink, String name, PCollection<Row> rows) {
    String formatName = sink.text("format", "json");
    RecordFormat format = SpecFormats.format(sink, formatName, rows.getSchema(), Sinks.avroSchema(sink, rows.getSchema()));
    WithFailures.Result<PCollection<byte[]>, Row> encoded = rows.apply(name + "/Encode " + formatName, SerializeRecords.with(format).named(name));
    encoded.output().apply(name + "/Print", ParDo.of(new Print(name, format.isText())));
    return List.of(encoded.failures());
  }

  private static final class Print extends DoFn<byte[], Void> {
    private final String sink;
    private final boolean text;

    Print(String sink, boolean text) {
      this.sink = sink;
      this.text = text;
    }

    @ProcessElement
    public void process(@Element byte[] payload) {
      String line = text ? new String(payload, StandardCharsets.UTF_8) : Base64.getEncoder().encodeToString(payload);
      System.out.println(sink + "> " + line);
    }
  }
}
