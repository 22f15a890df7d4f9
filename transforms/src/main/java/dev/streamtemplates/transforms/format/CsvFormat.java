package dev.streamtemplates.transforms.format;

import dev.streamtemplates.transforms.deadletter.DeadLetter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.joda.time.ReadableInstant;
import org.joda.time.format.ISODateTimeFormat;

/**
 * CSV to and from Rows with Apache Commons CSV (RFC 4180 quoting, quoted newlines).
 *
 * <p>A payload is a whole file or a single line. With a header, the first record names the
 * columns and may list them in any order; without one, columns follow the schema's field order.
 * A record with a wrong number of cells or a bad value is dead-lettered alone; an unterminated
 * quote dead-letters the rest of the payload, since nothing after it can be read reliably.
 */
final class CsvFormat implements RecordFormat {
  private static final long serialVersionUID = 1L;

  private final Schema schema;
  private final boolean header;
  private final char delimiter;
  private transient CSVFormat format;

  CsvFormat(Schema schema, boolean header, char delimiter) {
    this.schema = schema;
    this.header = header;
    this.delimiter = delimiter;
  }

  @Override
  public String name() {
    return "csv";
  }

  @Override
  public Schema schema() {
    return schema;
  }

  private CSVFormat format() {
    if (format == null) {
      format = CSVFormat.RFC4180.builder().setDelimiter(delimiter).setRecordSeparator("").build();
    }
    return format;
  }

  @Override
  public String fileHeader() {
    return header ? format().format(schema.getFieldNames().toArray()) : null;
  }

  @Override
  public void decode(byte[] payload, Receiver receiver) {
    String text = new String(Boms.strip(payload), StandardCharsets.UTF_8);
    List<String> columns = header ? null : schema.getFieldNames();
    long linesConsumed = 0;
    try (CSVParser parser = CSVParser.parse(text, format())) {
      Iterator<CSVRecord> records = parser.iterator();
      while (records.hasNext()) {
        CSVRecord record = records.next();
        linesConsumed = parser.getCurrentLineNumber();
        if (columns == null) {
          columns = record.toList();
          continue;
        }
        decodeRecord(record, columns, receiver);
      }
    } catch (IOException | UncheckedIOException | IllegalStateException e) {
      String rest = skipLines(text, linesConsumed);
      receiver.failure(rest.getBytes(StandardCharsets.UTF_8), "malformed CSV: " + DeadLetter.reason(e));
    }
  }

  private void decodeRecord(CSVRecord record, List<String> columns, Receiver receiver) {
    List<String> values = record.toList();
    if (values.size() == 1 && values.get(0).isEmpty()) {
      return; // a blank line is not a record
    }
    if (values.size() != columns.size()) {
      receiver.failure(
          raw(values),
          "CSV record " + record.getRecordNumber() + " has " + values.size() + " cells, expected " + columns.size() + " " + columns);
      return;
    }
    Map<String, String> cells = new HashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      cells.put(columns.get(i), values.get(i));
    }
    Row row;
    try {
      row = TextValues.fromStrings(schema, cells);
    } catch (RuntimeException e) {
      receiver.failure(raw(values), DeadLetter.reason(e));
      return;
    }
    receiver.record(row);
  }

  private byte[] raw(List<String> values) {
    return format().format(values.toArray()).getBytes(StandardCharsets.UTF_8);
  }

  private static String skipLines(String text, long lines) {
    int index = 0;
    for (long i = 0; i < lines && index >= 0; i++) {
      index = text.indexOf('\n', index);
      if (index >= 0) {
        index++;
      }
    }
    return index < 0 ? "" : text.substring(index);
  }

  @Override
  public byte[] encode(Row row) {
    List<Object> cells = new ArrayList<>(row.getFieldCount());
    for (Object value : row.getValues()) {
      if (value instanceof ReadableInstant) {
        cells.add(ISODateTimeFormat.dateTime().withZoneUTC().print((ReadableInstant) value));
      } else if (value instanceof Row || value instanceof Iterable || value instanceof Map) {
        throw new IllegalArgumentException("CSV cannot hold nested value " + value + "; select or flatten it first");
      } else {
        cells.add(value);
      }
    }
    return format().format(cells.toArray()).getBytes(StandardCharsets.UTF_8);
  }
}
