package dev.streamtemplates.transforms.format;

import org.apache.avro.Schema.Parser;
import org.apache.beam.sdk.extensions.avro.schemas.utils.AvroUtils;
import org.apache.beam.sdk.schemas.Schema;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Factories for the four record formats.
 *
 * <pre>{@code
 * RecordFormat in = Formats.xml(orderSchema, "order");
 * RecordFormat out = Formats.json(outputSchema);
 * }</pre>
 */
public final class Formats {
  private Formats() {}

  /** One JSON object per payload (a line of a JSON-lines file, or a message), read with Beam's RowJson. */
  public static RecordFormat json(Schema schema) {
    return new JsonFormat(schema);
  }

  /** One Avro binary-encoded record per payload, written and read with the given Avro schema. */
  public static RecordFormat avro(org.apache.avro.Schema avroSchema) {
    return new AvroFormat(avroSchema.toString(), AvroUtils.toBeamSchema(avroSchema));
  }

  /**
   * Avro records in the Confluent wire format (magic byte, 4-byte schema id, Avro binary), read
   * and written with the given local schema. {@code schemaId} is the id under which that schema is
   * registered (needed to write; when reading, records with that id use the local schema as is).
   * Records with other ids are looked up at {@code registryUrl} when given, else dead-lettered.
   */
  public static RecordFormat confluentAvro(
      org.apache.avro.Schema avroSchema, @Nullable Integer schemaId, @Nullable String registryUrl) {
    return new ConfluentAvroFormat((AvroFormat) avro(avroSchema), schemaId, registryUrl);
  }

  /** Avro binary records with the Avro schema derived from a Beam schema. */
  public static RecordFormat avro(Schema schema) {
    return avro(AvroUtils.toAvroSchema(schema));
  }

  /**
   * XML documents in which each element named {@code recordElement} directly under the root is a
   * record, or whose root is itself that element. Written back as one element per line between
   * {@code <records>} and {@code </records>}.
   */
  public static RecordFormat xml(Schema schema, String recordElement) {
    return new XmlFormat(schema, recordElement, "records");
  }

  /** CSV text; with {@code header}, the first line names the columns, else columns follow the schema order. */
  public static RecordFormat csv(Schema schema, boolean header, char delimiter) {
    return new CsvFormat(schema, header, delimiter);
  }

  /** Parses an Avro schema (.avsc JSON) into an Avro schema object. */
  public static org.apache.avro.Schema parseAvroSchema(String avsc) {
    return new Parser().parse(avsc);
  }
}
