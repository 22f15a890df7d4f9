package dev.streamtemplates.benchmarks;

import dev.streamtemplates.benchmarks.nexmark.GeneratorConfig;
import dev.streamtemplates.benchmarks.nexmark.NexmarkGenerator;
import dev.streamtemplates.benchmarks.nexmark.NexmarkRows;
import dev.streamtemplates.transforms.expr.RowExpression;
import dev.streamtemplates.transforms.expr.ScopedExpression;
import dev.streamtemplates.transforms.format.Formats;
import dev.streamtemplates.transforms.format.RecordFormat;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The per-record hot paths of a template, one record per operation, on Nexmark bids: CEL
 * evaluation (a MapFields expression and a Filter condition, each on the row fast path and
 * through CEL; a Sequence condition over {@code event} both ways) and decoding one JSON line, one
 * Avro binary record, one CSV line or one record of an XML document to a Row. Results in ns per
 * record.
 *
 * <pre>
 * bin/bench --jmh          (or: java -cp ... org.openjdk.jmh.Main HotPathBenchmark -wi 2 -i 3 -f 1)
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
public class HotPathBenchmark {
  private static final int ROWS = 1024;

  private Row[] bids;
  private Row[] enriched; // {id, value: a bid}, as an Enrich or Join outputs its table's record
  private byte[][] json;
  private byte[][] avro;
  private byte[][] csv;
  private byte[] xmlDocument; // ROWS records under one root, as a file part is read
  private int next;
  private RowExpression.Compiled euros;
  private RowExpression.Compiled selection;
  private RowExpression.Compiled nestedSelection;
  private ScopedExpression.Compiled scoped;
  private RecordFormat jsonFormat;
  private RecordFormat avroFormat;
  private RecordFormat csvFormat;
  private RecordFormat xmlFormat;
  private final RecordFormat.Receiver sink = new RecordFormat.Receiver() {
    @Override
    public void record(Row row) {
      last = row;
    }

    @Override
    public void failure(byte[] rawRecord, String reason) {
      throw new IllegalStateException(reason);
    }
  };
  private Row last;

  @Setup
  public void setup() {
    NexmarkGenerator generator = new NexmarkGenerator(GeneratorConfig.of(ROWS * 50L));
    bids = new Row[ROWS];
    json = new byte[ROWS][];
    avro = new byte[ROWS][];
    jsonFormat = Formats.json(NexmarkRows.BID);
    avroFormat = Formats.avro(NexmarkRows.BID);
    csvFormat = Formats.csv(NexmarkRows.BID, false, ',');
    xmlFormat = Formats.xml(NexmarkRows.BID, "bid");
    csv = new byte[ROWS][];
    StringBuilder document = new StringBuilder(xmlFormat.fileHeader()).append('\n');
    enriched = new Row[ROWS];
    Schema withValue = Schema.builder().addInt64Field("id").addNullableField("value", FieldType.row(NexmarkRows.BID)).build();
    for (int i = 0; i < ROWS; i++) {
      bids[i] = NexmarkRows.row(generator.bid(i * 50L + 10));
      enriched[i] = Row.withSchema(withValue).addValues((long) i, bids[i]).build();
      json[i] = jsonFormat.encode(bids[i]);
      avro[i] = avroFormat.encode(bids[i]);
      csv[i] = csvFormat.encode(bids[i]);
      document.append(new String(xmlFormat.encode(bids[i]), StandardCharsets.UTF_8)).append('\n');
    }
    xmlDocument = document.append(xmlFormat.fileFooter()).toString().getBytes(StandardCharsets.UTF_8);
    euros = RowExpression.compile("price", NexmarkRows.BID, "price * 908 / 1000").program();
    selection = RowExpression.compile("condition", NexmarkRows.BID, "auction % 123 == 0 && price > 1000").requireBoolean().program();
    nestedSelection = RowExpression.compile("condition", withValue, "value.channel == 'Google' && value.price > 1000").requireBoolean().program();
    if (!selection.hasFastPath() || !euros.hasFastPath() || !nestedSelection.hasFastPath()) {
      throw new IllegalStateException("the Filter condition and the MapFields expression should take the row fast path");
    }
    scoped = ScopedExpression.compile("where", Map.of("event", FieldType.row(NexmarkRows.BID)), "event.channel == 'Google' && event.price > 1000")
        .program();
    String sample = new String(json[0], StandardCharsets.UTF_8);
    if (!sample.contains("\"auction\"")) {
      throw new IllegalStateException("unexpected JSON " + sample);
    }
  }

  private Row nextBid() {
    return bids[next++ & (ROWS - 1)];
  }

  @Benchmark
  public Object celMapFieldsRowFastPath() throws Exception {
    return euros.eval(nextBid(), FieldType.INT64);
  }

  @Benchmark
  public Object celMapFieldsGeneralCel() throws Exception {
    return euros.evalRaw(nextBid());
  }

  @Benchmark
  public boolean celFilterRowFastPath() throws Exception {
    return selection.testNullSafe(nextBid());
  }

  @Benchmark
  public Object celFilterGeneralCel() throws Exception {
    return selection.evalRaw(nextBid());
  }

  @Benchmark
  public boolean celNestedFilterRowFastPath() throws Exception {
    return nestedSelection.testNullSafe(enriched[next++ & (ROWS - 1)]);
  }

  @Benchmark
  public Object celNestedFilterGeneralCel() throws Exception {
    return nestedSelection.evalRaw(enriched[next++ & (ROWS - 1)]);
  }

  @Benchmark
  public boolean celSequenceConditionRowFastPath() throws Exception {
    return scoped.testEvent(nextBid());
  }

  @Benchmark
  public boolean celSequenceConditionGeneralCel() throws Exception {
    Map<String, Object> event = ScopedExpression.celValue(nextBid());
    return scoped.test(name -> event);
  }

  @Benchmark
  public Row decodeJsonLineToRow() {
    jsonFormat.decode(json[next++ & (ROWS - 1)], sink);
    return last;
  }

  @Benchmark
  public Row decodeAvroRecordToRow() {
    avroFormat.decode(avro[next++ & (ROWS - 1)], sink);
    return last;
  }

  @Benchmark
  public Row decodeCsvLineToRow() {
    csvFormat.decode(csv[next++ & (ROWS - 1)], sink);
    return last;
  }

  /** One XML document of {@code ROWS} records, reported per record. */
  @Benchmark
  @OperationsPerInvocation(ROWS)
  public Row decodeXmlRecordToRow() {
    xmlFormat.decode(xmlDocument, sink);
    return last;
  }

  @Benchmark
  public void rowFieldAccessBaseline(Blackhole hole) {
    Row bid = nextBid();
    hole.consume(bid.getInt64("price"));
  }
}
