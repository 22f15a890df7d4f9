package dev.streamtemplates.transforms.format;

import java.io.Serializable;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A wire format for schema {@link Row}s: JSON, Avro, XML or CSV. Create one with {@link Formats}.
 *
 * <p>A payload is what a source hands over in one piece: a line of a JSON-lines file, a Kafka
 * message, or a whole XML or CSV file. {@link #decode} splits it into records and converts each to
 * a Row of {@link #schema()}; a record that cannot be read is reported with its own raw text and a
 * reason, so that one bad record never costs its neighbours.
 *
 * <p>Implementations are serializable values; heavy parsers are built lazily on first use in each
 * worker and reused for every record.
 */
public interface RecordFormat extends Serializable {

  /** Where decoded records and per-record failures go. */
  interface Receiver {
    void record(Row row);

    /** A record that could not be read: its raw text (or bytes) and a readable reason. */
    void failure(byte[] rawRecord, String reason);
  }

  /** {@code json}, {@code avro}, {@code xml} or {@code csv}. */
  String name();

  /** The schema of the rows this format reads and writes. */
  Schema schema();

  /** Splits one payload into records, decoding each into a Row or a failure. */
  void decode(byte[] payload, Receiver receiver);

  /** Encodes one row as a self-contained payload (one JSON line, one Avro record, ...). */
  byte[] encode(Row row);

  /** Whether encoded payloads are text (UTF-8) that can be written one per line. */
  default boolean isText() {
    return true;
  }

  /** Text written once before the records of a text file (a CSV header, an XML root), or null. */
  default @Nullable String fileHeader() {
    return null;
  }

  /** Text written once after the records of a text file, or null. */
  default @Nullable String fileFooter() {
    return null;
  }
}
