package dev.streamtemplates.transforms.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.beam.sdk.extensions.avro.schemas.utils.AvroUtils;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;

/**
 * Single Avro binary-encoded records (no container header), as carried by Kafka messages, with
 * Beam's {@link AvroUtils} converting between GenericRecord and Row.
 */
final class AvroFormat implements RecordFormat {
  private static final long serialVersionUID = 1L;

  private final String avsc;
  private final Schema schema;
  private transient org.apache.avro.Schema avroSchema;
  private transient GenericDatumReader<GenericRecord> reader;
  private transient GenericDatumWriter<GenericRecord> writer;

  AvroFormat(String avsc, Schema schema) {
    this.avsc = avsc;
    this.schema = schema;
  }

  @Override
  public String name() {
    return "avro";
  }

  @Override
  public Schema schema() {
    return schema;
  }

  @Override
  public boolean isText() {
    return false;
  }

  /** The Avro schema these records are written with. */
  public org.apache.avro.Schema avroSchema() {
    if (avroSchema == null) {
      avroSchema = Formats.parseAvroSchema(avsc);
    }
    return avroSchema;
  }

  @Override
  public void decode(byte[] payload, Receiver receiver) {
    if (reader == null) {
      reader = new GenericDatumReader<>(avroSchema());
    }
    Row row;
    try {
      row = readRow(reader, payload, 0);
    } catch (Exception | StackOverflowError e) {
      receiver.failure(payload, "not an Avro record of schema " + avroSchema().getFullName() + ": " + e);
      return;
    }
    receiver.record(row);
  }

  /** Reads the Avro binary record at {@code offset} with {@code reader} into a Row of {@link #schema()}. */
  Row readRow(GenericDatumReader<GenericRecord> reader, byte[] payload, int offset) throws IOException {
    GenericRecord record = reader.read(null, DecoderFactory.get().binaryDecoder(payload, offset, payload.length - offset, null));
    return AvroUtils.toBeamRowStrict(record, schema);
  }

  @Override
  public byte[] encode(Row row) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    write(row, out);
    return out.toByteArray();
  }

  /** Appends {@code row} as an Avro binary record to {@code out}. */
  void write(Row row, ByteArrayOutputStream out) {
    if (writer == null) {
      writer = new GenericDatumWriter<>(avroSchema());
    }
    try {
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      writer.write(AvroUtils.toGenericRecord(row, avroSchema()), encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot write the row as Avro: " + e.getMessage(), e);
    }
  }
}
