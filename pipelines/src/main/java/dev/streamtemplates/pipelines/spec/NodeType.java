package dev.streamtemplates.pipelines.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * A source or sink type of the spec format ({@code type: kafka}), as far as the spec is concerned:
 * its name and the JSON Schema of its node. The IO providers implement it (see {@code
 * pipelines.io.SourceProvider} and {@code SinkProvider}) and are listed in {@code
 * META-INF/services/dev.streamtemplates.pipelines.spec.NodeType}, so that {@link TemplateSpec}
 * checks every source and sink node against its own type's schema before launch without knowing
 * the types.
 */
public interface NodeType {
  /** Where in a spec a node of this type goes. */
  enum Kind {
    SOURCE("sources", "source"),
    SINK("sinks", "sink");

    private final String key;
    private final String noun;

    Kind(String key, String noun) {
      this.key = key;
      this.noun = noun;
    }

    /** The spec key holding nodes of this kind, e.g. {@code sources}. */
    public String key() {
      return key;
    }

    public String noun() {
      return noun;
    }
  }

  Kind kind();

  /** The {@code type:} value in a spec. */
  String type();

  /** One line for the docs and {@code --help}. */
  String description();

  /** A JSON Schema (draft 2019-09) for the whole node, including name, type and (for sinks) input. */
  JsonNode configSchema();

  /** The types of {@code kind} on the classpath, by their {@code type:} name. */
  static Map<String, NodeType> all(Kind kind) {
    Map<String, NodeType> types = new TreeMap<>();
    for (NodeType type : ServiceLoader.load(NodeType.class, NodeType.class.getClassLoader())) {
      if (type.kind() == kind) {
        types.put(type.type(), type);
      }
    }
    return types;
  }

  /**
   * Every error of {@code node} against its type's schema, under {@code path}; an unknown type is
   * one error naming the known ones.
   */
  static List<String> errors(Kind kind, Map<String, JsonSchema> schemas, JsonNode node, String path) {
    List<String> errors = new ArrayList<>();
    JsonNode type = node.get("type");
    if (type == null || !type.isTextual()) {
      return errors; // the template schema reports a missing type
    }
    JsonSchema schema = schemas.get(type.asText());
    if (schema == null) {
      errors.add(path + ".type: unknown " + kind.noun() + " type '" + type.asText() + "'; known types are " + schemas.keySet());
    } else {
      errors.addAll(JsonSchemas.errors(schema, node, path));
    }
    return errors;
  }
}
