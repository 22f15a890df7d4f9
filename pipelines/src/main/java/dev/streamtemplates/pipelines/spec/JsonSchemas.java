package dev.streamtemplates.pipelines.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.ExecutionContext;
import com.networknt.schema.Format;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** JSON Schema validation of spec trees (networknt), with errors rendered as spec paths. */
public final class JsonSchemas {
  private JsonSchemas() {}

  /** A JSON Schema file at an absolute classpath resource path, e.g. {@code /step-schemas/Filter.schema.json}. */
  public static JsonNode resource(String resource) {
    try (java.io.InputStream in = JsonSchemas.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("schema " + resource + " is missing from the classpath");
      }
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * The formats of a duration: {@code "format": "duration"} (zero or more) and {@code
   * "signed-duration"} (negative allowed), both {@link Durations}' short form or ISO-8601. They
   * replace the regular expressions the schemas had, on purpose: a pattern cannot hold both forms
   * and the 100-year bound legibly, and where a duration is one branch of a {@code oneOf} (a
   * window size is a duration or a count) a refused one came out as the branches' noise. A format
   * is checked by {@link Durations#problem}, and {@link #errors} prints its reason as the one line
   * about the value. (They override the validator's own {@code duration}, which is ISO-8601 only.)
   */
  private static final Map<String, Boolean> DURATION_FORMATS = Map.of("duration", false, "signed-duration", true);

  private static final JsonSchemaFactory FACTORY = factory();

  private static JsonSchemaFactory factory() {
    JsonMetaSchema.Builder meta = JsonMetaSchema.builder(JsonMetaSchema.getV201909());
    DURATION_FORMATS.forEach((name, negativeAllowed) -> meta.format(new Format() {
      @Override
      public String getName() {
        return name;
      }

      @Override
      public boolean matches(ExecutionContext context, String value) {
        return Durations.problem(value, negativeAllowed) == null;
      }
    }));
    JsonMetaSchema metaSchema = meta.build();
    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V201909, b -> b.metaSchema(metaSchema));
  }

  public static JsonSchema load(JsonNode schema) {
    SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
        .pathType(com.networknt.schema.PathType.JSON_PATH)
        .formatAssertionsEnabled(true)
        .build();
    return FACTORY.getSchema(schema, config);
  }

  /**
   * Every violation of {@code schema} in {@code node}, each as "path: message (got value)", under
   * {@code prefix}: one line per problem. Where a {@code oneOf} or {@code anyOf} fails, the
   * validator also reports each branch that did not apply ("integer found, string expected") and
   * the combinator itself; those are dropped when a more telling message names the same path.
   */
  public static List<String> errors(JsonSchema schema, JsonNode node, String prefix) {
    Set<ValidationMessage> messages = schema.validate(node);
    java.util.Map<String, List<ValidationMessage>> byPath = new java.util.TreeMap<>();
    for (ValidationMessage message : messages) {
      if ("if".equals(message.getType()) || "allOf".equals(message.getType())) {
        continue;
      }
      String where = message.getInstanceLocation().toString(); // $.steps[1].fields
      String path = where.startsWith("$") ? where.substring(1) : where;
      if (path.startsWith(".")) {
        path = path.substring(1);
      }
      String full = prefix.isEmpty() ? path : (path.isEmpty() ? prefix : prefix + "." + path);
      byPath.computeIfAbsent(full.isEmpty() ? "(top level)" : full, k -> new ArrayList<>()).add(message);
    }
    List<String> out = new ArrayList<>();
    byPath.forEach((path, found) -> {
      List<ValidationMessage> telling = new ArrayList<>();
      for (ValidationMessage message : found) {
        // "but 0 are valid": no branch applied, and the branches' own messages say why.
        boolean noBranch = ("oneOf".equals(message.getType()) && message.getMessage().contains("but 0 are valid")) || "anyOf".equals(message.getType());
        boolean noise = noBranch || "type".equals(message.getType());
        if (!noise) {
          telling.add(message);
        }
      }
      for (ValidationMessage message : telling.isEmpty() ? found : telling) {
        out.add(path + ": " + text(message));
      }
    });
    out.sort(null);
    return out;
  }

  /** The validator's reason, without the location it repeats, with the value at fault when it is a scalar. */
  private static String text(ValidationMessage message) {
    JsonNode value = message.getInstanceNode();
    Boolean negativeAllowed = "format".equals(message.getType()) ? DURATION_FORMATS.get(formatName(message)) : null;
    if (negativeAllowed != null && value != null && value.isTextual()) {
      // Durations' own line names the value and both accepted forms.
      return Durations.problem(value.asText(), negativeAllowed);
    }
    String text = message.getMessage();
    int colon = text.indexOf(": ");
    if (colon > 0 && text.startsWith("$")) {
      text = text.substring(colon + 2);
    }
    if (value != null && value.isValueNode() && !"required".equals(message.getType()) && !"additionalProperties".equals(message.getType())) {
      text += " (got " + (value.isTextual() ? "'" + value.asText() + "'" : value.toString()) + ")";
    }
    return text;
  }

  /** The name of the format a {@code format} message is about. */
  private static String formatName(ValidationMessage message) {
    JsonNode schema = message.getSchemaNode();
    if (schema != null && schema.isTextual()) {
      return schema.asText();
    }
    return schema != null && schema.has("format") ? schema.get("format").asText() : "";
  }
}
