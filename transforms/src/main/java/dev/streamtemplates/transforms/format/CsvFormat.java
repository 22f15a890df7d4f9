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
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.ReadableInstant;
import org.joda.time.format.ISODateTimeFormat;

/**
 * CSV to and from Rows with Apache Commons CSV (RFC 4180 quoting, quoted newlines).
 *
 * <p>A payload is a whole file or a single line. With a header, the first record names the
 * columns and may list them in any order; without one, columns follow the schema's field order.
 * A record with a wrong number of cells or a bad value is dead-lettered alone; an unterminated
 * quote dead-letters the rest of the payload, since nothing after it can be read reliably. A
 * header that cannot be trusted (a column named twice, or a single column where the schema has
 * several: the wrong delimiter) dead-letters the whole payload with the reason.
 *
 * <p>An empty cell is no value: null for a nullable field, an error for a required one (see
 * {@link TextValues}). So an empty string cannot be written: it would read back as null; such a
 * row is refused at the sink, as is a NaN or infinite number.
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
    Utf8Text decoded = Utf8Text.of(payload);
    String text = decoded.text();
    List<String> columns = header ? null : schema.getFieldNames();
    long linesConsumed = 0;
    try (CSVParser parser = CSVParser.parse(text, format())) {
      Iterator<CSVRecord> records = parser.iterator();
      while (records.hasNext()) {
        CSVRecord record = records.next();
        long firstLine = linesConsumed;
        linesConsumed = parser.getCurrentLineNumber();
        // A record with bytes that are not UTF-8 is a dead letter of its own, with its bytes as
        // they were; without a header to read the others by, the whole file is.
        Utf8Text.BadBytes bad = decoded.isClean() ? null : decoded.onLines(firstLine, linesConsumed);
        if (bad != null && columns == null) {
          receiver.failure(payload, bad.reason("the header is not read, so neither is the file"));
          return;
        }
        if (bad != null) {
          receiver.failure(decoded.lines(firstLine, linesConsumed), bad.reason("the record is not read"));
          continue;
        }
        if (columns == null) {
          columns = record.toList();
          String problem = headerProblem(columns);
          if (problem != null) {
            receiver.failure(payload, problem);
            return;
          }
          continue;
        }
        decodeRecord(record, columns, receiver);
      }
    } catch (IOException | UncheckedIOException | IllegalStateException e) {
      receiver.failure(decoded.lines(linesConsumed, Long.MAX_VALUE), "malformed CSV: " + DeadLetter.reason(e));
    }
  }

  /**
   * Why a header cannot be used, or null. Checked by hand: Commons CSV's {@code
   * DuplicateHeaderMode.DISALLOW} would refuse a duplicate too, but with a message about its own
   * builder, and it has no notion of a delimiter that splits nothing.
   */
  private @Nullable String headerProblem(List<String> columns) {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      Integer first = seen.putIfAbsent(columns.get(i), i + 1);
      if (first != null) {
        return "the CSV header names column '" + columns.get(i) + "' twice (columns " + first + " and " + (i + 1)
            + "); which one holds the field is ambiguous, so the file is not read";
      }
    }
    if (columns.size() == 1 && schema.getFieldCount() > 1 && !schema.hasField(columns.get(0))) {
      StringBuilder reason = new StringBuilder("the CSV header has one column, '")
          .append(TextValues.abbreviate(columns.get(0))).append("', with the delimiter ").append(shown(delimiter));
      for (char other : new char[] {',', ';', '\t', '|'}) {
        if (other != delimiter && columns.get(0).indexOf(other) >= 0) {
          reason.append("; the file seems delimited by ").append(shown(other)).append(" (set delimiter)");
          break;
        }
      }
      return reason.append("; expected the columns ").append(schema.getFieldNames()).toString();
    }
    return null;
  }

  private static String shown(char delimiter) {
    return delimiter == '\t' ? "tab ('\\t')" : "'" + delimiter + "'";
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

  @Override
  public byte[] encode(Row row) {
    TextValues.requireFinite(row);
    List<Object> cells = new ArrayList<>(row.getFieldCount());
    for (Schema.Field field : row.getSchema().getFields()) {
      Object value = row.getValue(field.getName());
      if ("".equals(value)) {
        throw new IllegalArgumentException("field '" + field.getName() + "': an empty string cannot be written to CSV,"
            + " where an empty cell reads as null (nullable) or an error (required)");
      }
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
