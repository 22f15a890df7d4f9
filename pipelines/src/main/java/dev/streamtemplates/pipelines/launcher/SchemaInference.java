package dev.streamtemplates.pipelines.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.xml.XmlFactory;
import com.fasterxml.jackson.dataformat.xml.XmlMapper;
import com.ctc.wstx.stax.WstxInputFactory;
import com.ctc.wstx.stax.WstxOutputFactory;
import dev.streamtemplates.pipelines.io.InlineSchemas;
import dev.streamtemplates.transforms.core.Instants;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * {@code bin/run --infer-schema FILE [--format=csv|json|xml] [--recordElement=NAME]
 * [--delimiter=;]}: prints the inline schema of the first {@value #SAMPLE} records of a file, ready
 * to paste into a spec as a source's {@code schema:}.
 *
 * <p>JSON values are typed by what they are (integers long, fractions double, {@code true}/{@code
 * false} boolean, ISO-8601 strings with an offset timestamp, objects records, arrays lists of their
 * elements' common type). CSV cells and XML text are typed as the narrowest type every non-empty
 * value parses as, in the order long, double, boolean, timestamp, string, by the rules the readers
 * apply. A field missing, null or empty in some record is nullable ({@code ?}). Values that do not
 * agree (a number here, a string there) make a string. Lines that are not JSON objects and CSV
 * records with the wrong cell count are skipped and counted; names that are not legal Avro names
 * are left out and listed in a comment.
 */
public final class SchemaInference {
  /** How many records are read. */
  public static final int SAMPLE = 1000;

  /** The option that starts it. */
  public static final String OPTION = "--infer-schema";

  private final PrintStream out;

  private SchemaInference(PrintStream out) {
    this.out = out;
  }

  /** Runs {@code --infer-schema FILE [options]}; returns the exit code: 0, or {@link Launcher#USAGE} with one line. */
  public static int main(String[] args, PrintStream out) {
    try {
      new SchemaInference(out).run(args);
      return 0;
    } catch (Refused e) {
      out.println("infer-schema: " + e.getMessage());
      return Launcher.USAGE;
    }
  }

  /** A usage error or a file that cannot be read: one line. */
  private static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message);
    }
  }

  private void run(String[] args) {
    String file = null;
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals(OPTION) && i + 1 < args.length && !args[i + 1].startsWith("--")) {
        file = args[++i];
      } else if (arg.startsWith(OPTION + "=")) {
        file = arg.substring(OPTION.length() + 1);
      } else if (arg.startsWith("--") && arg.contains("=") && List.of("format", "recordElement", "delimiter").contains(arg.substring(2, arg.indexOf('=')))) {
        options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
      } else if (!arg.equals(OPTION)) {
        throw new Refused("unknown argument '" + arg + "'; usage: bin/run --infer-schema FILE [--format=csv|json|xml] [--recordElement=NAME] [--delimiter=;]");
      }
    }
    if (file == null) {
      throw new Refused("name a file: bin/run --infer-schema FILE [--format=csv|json|xml] [--recordElement=NAME] [--delimiter=;]");
    }
    Path path = Path.of(file);
    if (Files.isDirectory(path)) {
      throw new Refused("'" + file + "' is a directory; give one file");
    }
    if (!Files.isRegularFile(path)) {
      throw new Refused("no such file '" + file + "'");
    }
    String format = options.containsKey("format") ? options.get("format") : formatOf(file);
    Sample sample;
    try {
      if (Files.size(path) == 0) {
        throw new Refused("'" + file + "' is empty");
      }
      switch (format) {
        case "json":
          sample = json(path);
          break;
        case "csv":
          String delimiter = options.getOrDefault("delimiter", ",").replace("\\t", "\t");
          if (delimiter.length() != 1) {
            throw new Refused("--delimiter is one character, got '" + delimiter + "'");
          }
          sample = csv(path, delimiter.charAt(0));
          break;
        case "xml":
          sample = xml(path, options.get("recordElement"));
          break;
        default:
          throw new Refused("unknown format '" + format + "'; formats are csv, json, xml");
      }
    } catch (IOException | XMLStreamException e) {
      throw new Refused("cannot read '" + file + "': " + e.getMessage().split("\n")[0]);
    }
    if (sample.records == 0) {
      throw new Refused("no " + format + " records" + (sample.element == null ? "" : " (<" + sample.element + "> elements)") + " in '" + file + "'" + (sample.skipped > 0 ? " (" + sample.skipped + " skipped: " + sample.why + ")" : ""));
    }
    out.println("# inferred from the first " + sample.records + (sample.element == null ? "" : " <" + sample.element + ">") + " records of "
        + path.getFileName() + (sample.skipped > 0 ? " (" + sample.skipped + " skipped: " + sample.why + ")" : ""));
    List<String> illegal = new ArrayList<>();
    out.println("schema: " + render(sample.shape, "", illegal));
    if (sample.element != null) {
      out.println("recordElement: " + sample.element);
    }
    if (!illegal.isEmpty()) {
      out.println("# left out, not legal Avro names (" + InlineSchemas.AVRO_NAME_RULE + "): " + String.join(", ", illegal));
    }
  }

  private static String formatOf(String file) {
    String lower = file.toLowerCase(java.util.Locale.ROOT);
    if (lower.endsWith(".jsonl") || lower.endsWith(".json") || lower.endsWith(".ndjson")) {
      return "json";
    }
    if (lower.endsWith(".csv")) {
      return "csv";
    }
    if (lower.endsWith(".xml")) {
      return "xml";
    }
    throw new Refused("cannot tell the format of '" + file + "' from its name; give --format=csv, --format=json or --format=xml");
  }

  /** What was read: the records' shape, how many, and what was skipped and why. */
  private static final class Sample {
    final Shape shape = new Shape();
    int records;
    int skipped;
    String why;
    String element;

    void skip(String reason) {
      skipped++;
      why = why == null ? reason : why;
    }
  }

  private static Sample json(Path path) throws IOException {
    Sample sample = new Sample();
    ObjectMapper mapper = new ObjectMapper();
    try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      for (String line = reader.readLine(); line != null && sample.records < SAMPLE; line = reader.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode record;
        try {
          record = mapper.readTree(line);
        } catch (IOException e) {
          sample.skip("lines that are not JSON objects");
          continue;
        }
        if (!record.isObject()) {
          sample.skip("lines that are not JSON objects");
          continue;
        }
        sample.shape.add(record, false);
        sample.records++;
      }
    }
    return sample;
  }

  private static Sample csv(Path path, char delimiter) throws IOException {
    Sample sample = new Sample();
    CSVFormat format = CSVFormat.RFC4180.builder().setDelimiter(delimiter).build();
    try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8); CSVParser parser = CSVParser.parse(reader, format)) {
      Iterator<CSVRecord> records = parser.iterator();
      if (!records.hasNext()) {
        throw new Refused("'" + path + "' has no CSV header line");
      }
      List<String> header = new ArrayList<>();
      records.next().forEach(header::add);
      header.set(0, header.get(0).replace("\uFEFF", ""));
      for (String name : header) {
        if (header.indexOf(name) != header.lastIndexOf(name)) {
          throw new Refused("the CSV header of '" + path + "' names column '" + name + "' twice");
        }
      }
      while (records.hasNext() && sample.records < SAMPLE) {
        CSVRecord record = records.next();
        if (record.size() != header.size()) {
          sample.skip("records with a cell count other than the header's " + header.size());
          continue;
        }
        com.fasterxml.jackson.databind.node.ObjectNode cells = new ObjectMapper().createObjectNode();
        for (int i = 0; i < header.size(); i++) {
          cells.put(header.get(i), record.get(i));
        }
        sample.shape.add(cells, true);
        sample.records++;
      }
    } catch (java.io.UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
      if (sample.records == 0) {
        throw new Refused("cannot read '" + path + "' as CSV: " + String.valueOf(e.getMessage()).split("\n")[0]);
      }
      sample.skip("the rest of the file, not readable as CSV");
    }
    return sample;
  }

  private static Sample xml(Path path, String recordElement) throws IOException, XMLStreamException {
    Sample sample = new Sample();
    XMLInputFactory factory = new WstxInputFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    XmlMapper mapper = new XmlMapper(new XmlFactory(factory, new WstxOutputFactory()));
    try (Reader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      XMLStreamReader reader = factory.createXMLStreamReader(in);
      int depth = 0;
      try {
        while (reader.hasNext() && sample.records < SAMPLE) {
          int event = reader.next();
          if (event == XMLStreamConstants.END_ELEMENT) {
            depth--;
          } else if (event == XMLStreamConstants.START_ELEMENT) {
            depth++;
            String local = reader.getLocalName();
            String prefixed = reader.getPrefix() == null || reader.getPrefix().isEmpty() ? local : reader.getPrefix() + ":" + local;
            if (recordElement == null && depth == 2) {
              recordElement = local;
            }
            if (local.equals(recordElement) || prefixed.equals(recordElement)) {
              JsonNode record = mapper.readValue(reader, JsonNode.class);
              depth--; // readValue leaves the reader on the record's end tag
              sample.shape.add(record.isObject() ? record : new ObjectMapper().createObjectNode(), true);
              sample.records++;
            }
          }
        }
      } catch (XMLStreamException | IOException e) {
        if (sample.records == 0) {
          throw new Refused("cannot read '" + path + "' as XML: " + String.valueOf(e.getMessage()).split("\n")[0]);
        }
        sample.skip("the rest of the document, malformed");
      }
    }
    sample.element = recordElement;
    return sample;
  }

  /** Scalar types a value may be, as bits; none left is a string. */
  private static final int LONG = 1;
  private static final int DOUBLE = 2;
  private static final int BOOLEAN = 4;
  private static final int TIMESTAMP = 8;
  private static final int ANY = LONG | DOUBLE | BOOLEAN | TIMESTAMP;

  /**
   * What the values at one place in the records were: scalars (the types all of them can be),
   * records (their fields), lists (their items), or only null so far. A value of another kind than
   * those before makes a string; a single value where lists were seen (XML: one repeated element)
   * is one more item.
   */
  private static final class Shape {
    int scalars = -1; // -1: no scalar seen; else the bits all scalars seen can be
    Map<String, Shape> fields; // records
    int records; // how many records were merged in
    Shape items; // lists
    boolean nullable; // null, empty or missing somewhere
    int present; // non-null values seen (for fields: in how many records)
    boolean conflict; // values of different kinds: a string

    void add(JsonNode value, boolean text) {
      if (value == null || value.isNull() || value.isMissingNode() || text && value.isValueNode() && value.asText().trim().isEmpty()) {
        nullable = true;
        return;
      }
      present++;
      if (value.isArray() && items == null) {
        items = new Shape();
        if (text) { // XML: the values seen so far were lists of one
          items.scalars = scalars;
          items.fields = fields;
          items.records = records;
        } else {
          conflict |= scalars >= 0 || fields != null;
        }
      }
      if (items != null && (value.isArray() || text)) {
        Iterable<JsonNode> values = value.isArray() ? value : List.of(value);
        values.forEach(item -> items.add(item, text));
      } else if (value.isObject()) {
        conflict |= scalars >= 0 || items != null;
        if (fields == null) {
          fields = new LinkedHashMap<>();
        }
        records++;
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> field = it.next();
          fields.computeIfAbsent(field.getKey(), k -> new Shape()).addField(field.getValue(), text);
        }
      } else {
        conflict |= fields != null || items != null;
        scalars = (scalars < 0 ? ANY : scalars) & (text ? textTypes(value.asText().trim()) : jsonTypes(value));
      }
    }

    private void addField(JsonNode value, boolean text) {
      int before = present;
      add(value, text);
      if (present == before) {
        nullable = true;
      }
    }

    /** Nullable: null, empty or missing in some record of {@code parent}. */
    boolean nullableIn(Shape parent) {
      return nullable || present < parent.records;
    }
  }

  private static int textTypes(String value) {
    int types = 0;
    try {
      Long.parseLong(value);
      types |= LONG;
    } catch (NumberFormatException e) {
      // not an integer
    }
    try {
      String word = value.replaceFirst("^[+-]", "").toLowerCase(java.util.Locale.ROOT);
      if (!word.startsWith("nan") && !word.startsWith("inf") && Double.isFinite(new BigDecimal(value).doubleValue())) {
        types |= DOUBLE;
      }
    } catch (NumberFormatException e) {
      // not a decimal number
    }
    if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
      types |= BOOLEAN;
    }
    try {
      Instants.parseEpochMillis(value);
      types |= TIMESTAMP;
    } catch (IllegalArgumentException e) {
      // not a time
    }
    return types;
  }

  private static int jsonTypes(JsonNode value) {
    if (value.isIntegralNumber()) {
      return value.canConvertToLong() ? LONG | DOUBLE | TIMESTAMP : DOUBLE; // epoch millis are times too
    }
    if (value.isNumber()) {
      return DOUBLE;
    }
    if (value.isBoolean()) {
      return BOOLEAN;
    }
    try {
      OffsetDateTime.parse(value.asText());
      return TIMESTAMP;
    } catch (DateTimeParseException e) {
      return 0;
    }
  }

  /** The inline form of a shape, not nullable; names that are not legal Avro names are added to {@code illegal}. */
  private static String render(Shape shape, String path, List<String> illegal) {
    if (shape.conflict || shape.fields == null && shape.items == null) {
      int types = shape.conflict || shape.scalars < 0 ? 0 : shape.scalars; // only nulls seen: a (nullable) string
      return (types & LONG) != 0 ? "long" : (types & DOUBLE) != 0 ? "double" : (types & BOOLEAN) != 0 ? "boolean"
          : (types & TIMESTAMP) != 0 ? "timestamp" : "string";
    }
    if (shape.items != null) {
      String item = render(shape.items, path + "[]", illegal);
      return "[" + (shape.items.nullable ? nullable(item) : item) + "]";
    }
    List<String> fields = new ArrayList<>();
    for (Map.Entry<String, Shape> field : shape.fields.entrySet()) {
      String name = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
      if (!InlineSchemas.AVRO_NAME.matcher(field.getKey()).matches()) {
        illegal.add("'" + name + "'");
        continue;
      }
      String type = render(field.getValue(), name, illegal);
      fields.add(field.getKey() + ": " + (field.getValue().nullableIn(shape) ? nullable(type) : type));
    }
    return "{" + String.join(", ", fields) + "}";
  }

  /** {@code type} made nullable: {@code 'long?'}, or the long form for a record or a list. */
  private static String nullable(String type) {
    return type.startsWith("{") || type.startsWith("[") ? "{type: " + type + ", nullable: true}" : "'" + type + "?'";
  }
}
