package dev.streamtemplates.benchmarks.templates;

import dev.streamtemplates.pipelines.io.Sources;
import dev.streamtemplates.pipelines.launcher.Catalog;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import dev.streamtemplates.transforms.format.RecordFormat;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Instant;

/**
 * Writes generated input for a catalogue template: one file per source, in the source's own
 * format and schema as its spec declares them (JSON lines, CSV with its header, an XML document),
 * and returns the template parameters that point the template at those files.
 *
 * <pre>{@code
 * Map<String, String> parameters = TemplateInputs.write("top-n-spenders", 100_000, 42, dir, home);
 * // {home=..., input=dir/spending.jsonl}: bin/run top-n-spenders --input=dir/spending.jsonl
 * }</pre>
 *
 * <p>Records come from the template's {@link CatalogueShapes shape}; each is built as a Row of
 * the source's schema and written with the source's own {@link RecordFormat}, so the template reads
 * back exactly what was generated. The same template, number of events and seed give the same
 * files, byte for byte. Event times span an hour ({@link EventClock#hour}).
 */
public final class TemplateInputs {
  private TemplateInputs() {}

  /** The catalogue templates an input generator exists for. */
  public static Set<String> templates() {
    return CatalogueShapes.templates();
  }

  /**
   * Writes {@code events} records for {@code template} into {@code dir}, drawn from {@code seed}.
   *
   * @param home the project directory the spec's {@code ${home}} stands for (its schemas and models)
   * @return the parameters naming the written files, and {@code home}
   */
  public static Map<String, String> write(String template, long events, long seed, Path dir, String home) throws IOException {
    InputShape shape = CatalogueShapes.of(template, events);
    Files.createDirectories(dir);
    Map<String, String> parameters = new LinkedHashMap<>();
    parameters.put(TemplateSpec.HOME, home);
    SpecNode root = Catalog.load(template).resolve(Map.of(TemplateSpec.HOME, home));
    Map<String, Output> outputs = new LinkedHashMap<>();
    try {
      for (SpecNode source : root.items("sources")) {
        String name = source.text("name");
        String parameter = shape.files().get(name);
        if (parameter == null || !"file".equals(source.text("type"))) {
          throw new IllegalStateException(template + ": the generator has no file for source '" + name + "' (it writes " + shape.files() + ")");
        }
        RecordFormat format = Sources.format(source);
        Path file = dir.resolve(name + "." + ("json".equals(format.name()) ? "jsonl" : format.name()));
        parameters.put(parameter, file.toString());
        outputs.put(name, new Output(format, new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)));
      }
      if (!outputs.keySet().equals(shape.files().keySet())) {
        throw new IllegalStateException(template + ": the generator writes " + shape.files().keySet() + " but the spec reads " + outputs.keySet());
      }
      checkPointsAtFiles(template, parameters, outputs.keySet());
      for (Output output : outputs.values()) {
        output.text(output.format().fileHeader());
      }
      EventClock clock = EventClock.hour(events);
      Draw draw = new Draw(seed);
      for (long i = 0; i < events; i++) {
        InputShape.Record record = shape.next(i, clock.millis(i, draw), draw);
        Output output = outputs.get(record.source());
        output.line(output.format().encode(row(output.format().schema(), record.fields(), template + "." + record.source())));
      }
      for (Output output : outputs.values()) {
        output.text(output.format().fileFooter());
      }
    } finally {
      for (Output output : outputs.values()) {
        output.out().close();
      }
    }
    return parameters;
  }

  /** The spec resolved with the parameters reads each source from the file written for it. */
  private static void checkPointsAtFiles(String template, Map<String, String> parameters, Set<String> sources) {
    SpecNode root = Catalog.load(template).resolve(parameters);
    for (SpecNode source : root.items("sources")) {
      String path = source.text("path");
      if (!parameters.containsValue(path) || !sources.contains(source.text("name"))) {
        throw new IllegalStateException(template + ": source '" + source.text("name") + "' reads " + path + ", not a generated file");
      }
    }
  }

  /**
   * A Row of {@code schema} from field values by name: timestamps as epoch milliseconds, nested
   * records as maps. A value the schema has no field for, or a missing non-nullable one, is a bug in
   * the shape and fails here, naming the field.
   */
  static Row row(Schema schema, Map<String, Object> values, String where) {
    for (String name : values.keySet()) {
      if (!schema.hasField(name)) {
        throw new IllegalStateException(where + ": the schema has no field '" + name + "' (it has " + schema.getFieldNames() + ")");
      }
    }
    Row.Builder row = Row.withSchema(schema);
    for (Schema.Field field : schema.getFields()) {
      Object value = values.get(field.getName());
      if (value == null) {
        if (!field.getType().getNullable()) {
          throw new IllegalStateException(where + ": field '" + field.getName() + "' is required and was not generated");
        }
        row.addValue(null);
        continue;
      }
      row.addValue(value(field.getType(), value, where + "." + field.getName()));
    }
    return row.build();
  }

  @SuppressWarnings("unchecked")
  private static Object value(Schema.FieldType type, Object value, String where) {
    switch (type.getTypeName()) {
      case DATETIME:
        return new Instant(((Number) value).longValue());
      case INT32:
        return ((Number) value).intValue();
      case INT64:
        return ((Number) value).longValue();
      case DOUBLE:
        return ((Number) value).doubleValue();
      case ROW:
        return row(type.getRowSchema(), (Map<String, Object>) value, where);
      case STRING:
      case BOOLEAN:
        return value;
      default:
        throw new IllegalStateException(where + ": no generator for field type " + type);
    }
  }

  /** One source's file being written. */
  private record Output(RecordFormat format, OutputStream out) {
    void line(byte[] payload) throws IOException {
      out.write(payload);
      out.write('\n');
    }

    void text(String text) throws IOException {
      if (text != null) {
        line(text.getBytes(StandardCharsets.UTF_8));
      }
    }
  }
}
