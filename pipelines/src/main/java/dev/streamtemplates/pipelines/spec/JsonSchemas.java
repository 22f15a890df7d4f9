package dev.streamtemplates.pipelines.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.ArrayList;
import java.util.List;
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

  public static JsonSchema load(JsonNode schema) {
    SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().pathType(com.networknt.schema.PathType.JSON_PATH).build();
    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V201909).getSchema(schema, config);
  }

  /** Every violation of {@code schema} in {@code node}, each as "path: message", under {@code prefix}. */
  public static List<String> errors(JsonSchema schema, JsonNode node, String prefix) {
    Set<ValidationMessage> messages = schema.validate(node);
    List<String> out = new ArrayList<>();
    for (ValidationMessage message : messages) {
      String where = message.getInstanceLocation().toString(); // $.steps[1].fields
      String path = where.startsWith("$") ? where.substring(1) : where;
      if (path.startsWith(".")) {
        path = path.substring(1);
      }
      String full = prefix.isEmpty() ? path : (path.isEmpty() ? prefix : prefix + "." + path);
      String text = message.getMessage();
      // networknt repeats the location at the start of its message; keep the reason only.
      int colon = text.indexOf(": ");
      if (colon > 0 && text.startsWith("$")) {
        text = text.substring(colon + 2);
      }
      if (!"if".equals(message.getType()) && !"allOf".equals(message.getType())) {
        out.add((full.isEmpty() ? "(top level)" : full) + ": " + text);
      }
    }
    out.sort(null);
    return out;
  }
}
