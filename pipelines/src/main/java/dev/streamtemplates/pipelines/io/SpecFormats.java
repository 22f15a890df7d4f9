package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.format.Formats;
import dev.streamtemplates.transforms.format.RecordFormat;
import org.apache.beam.sdk.extensions.avro.schemas.utils.AvroUtils;
import org.apache.beam.sdk.schemas.Schema;

/** Builds record formats and schemas from source and sink specs. */
final class SpecFormats {
  private SpecFormats() {}

  /** How a source's records decode: its Avro schema, the Beam schema of its rows, and its format. */
  record Decoding(org.apache.avro.Schema avroSchema, Schema schema, RecordFormat format) {}

  /** The decoding of {@code source}: {@code schema} (inline, or an .avsc file) and {@code format} with its options. */
  static Decoding decoding(SpecNode source) {
    org.apache.avro.Schema avro = InlineSchemas.avroSchema(source, "schema", source.text("name"));
    Schema schema = beamSchema(avro);
    return new Decoding(avro, schema, format(source, source.text("format"), schema, avro));
  }

  /** The record format {@code format}, configured by {@code spec}, for rows of {@code schema}. */
  static RecordFormat format(SpecNode spec, String format, Schema schema, org.apache.avro.Schema avroSchemaOrNull) {
    switch (format) {
      case "json":
        return Formats.json(schema);
      case "avro":
        org.apache.avro.Schema avro = avroSchemaOrNull != null ? avroSchemaOrNull : AvroUtils.toAvroSchema(schema);
        String wire = spec.text("wireFormat", "plain");
        if ("confluent".equals(wire)) {
          Integer id = spec.has("schemaId") ? (int) spec.number("schemaId", 0) : null;
          try {
            return Formats.confluentAvro(avro, id, spec.text("schemaRegistryUrl", null));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(spec.path() + ": " + e.getMessage());
          }
        }
        return Formats.avro(avro);
      case "xml":
        return Formats.xml(schema, spec.text("recordElement"));
      case "csv":
        return Formats.csv(schema, spec.bool("header", true), spec.text("delimiter", ",").charAt(0));
      default:
        throw new IllegalArgumentException(spec.childPath("format") + ": unknown format '" + format + "'");
    }
  }

  static Schema beamSchema(org.apache.avro.Schema avro) {
    return AvroUtils.toBeamSchema(avro);
  }

  static String suffix(String format) {
    switch (format) {
      case "json":
        return ".jsonl";
      default:
        return "." + format;
    }
  }
}
