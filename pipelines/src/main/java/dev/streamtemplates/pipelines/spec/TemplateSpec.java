package dev.streamtemplates.pipelines.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.networknt.schema.JsonSchema;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A template spec as written: YAML parsed into a tree and checked against {@code
 * template-spec.schema.json}, with its declared parameters. {@link #resolve} substitutes launch
 * values for {@code ${param}} and returns the tree the pipeline is built from.
 *
 * <pre>{@code
 * TemplateSpec spec = TemplateSpec.parse("xml-to-json.yaml", yamlText);
 * SpecNode root = spec.resolve(Map.of("input", "orders/*.xml"));
 * }</pre>
 */
public final class TemplateSpec {
  /** A parameter every spec has: the project directory, where test-data/ and target/ are. */
  public static final String HOME = "home";

  private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z][A-Za-z0-9]*)\\}");
  private static final JsonSchema SCHEMA = JsonSchemas.load(readSchema());
  private static final Map<NodeType.Kind, Map<String, JsonSchema>> NODE_SCHEMAS = nodeSchemas();

  private final String source;
  private final JsonNode tree;
  private final Map<String, ParameterSpec> parameters;

  private TemplateSpec(String source, JsonNode tree, Map<String, ParameterSpec> parameters) {
    this.source = source;
    this.tree = tree;
    this.parameters = parameters;
  }

  /**
   * Parses YAML text; checks the structure that does not depend on parameter values.
   *
   * @param source the file or catalogue name, used in error messages
   * @throws SpecException with every error found, each with its path
   */
  public static TemplateSpec parse(String source, String yaml) {
    JsonNode tree;
    try {
      tree = SpecYaml.read(yaml); // anchors, aliases and merge keys resolved, aliases bounded
    } catch (SpecYaml.Invalid e) {
      throw new SpecException(source, e.getMessage());
    }
    if (tree == null || !tree.isObject()) {
      throw new SpecException(source, "(top level): a spec must be a YAML mapping with name, description, sources and sinks");
    }
    Map<String, ParameterSpec> parameters = new LinkedHashMap<>();
    JsonNode declared = tree.get("parameters");
    if (declared != null && declared.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = declared.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode p = e.getValue();
        JsonNode def = p.get("default");
        parameters.put(
            e.getKey(),
            new ParameterSpec(
                e.getKey(),
                p.path("type").asText("string"),
                def == null || def.isNull() ? null : def.asText(),
                p.path("description").asText(""),
                p.hasNonNull("pattern") ? p.get("pattern").asText() : null,
                p.path("secret").asBoolean(false)));
      }
    }
    if (parameters.containsKey(HOME)) {
      throw new SpecException(source, "parameters." + HOME + ": '" + HOME + "' is built in (the project directory) and cannot be declared");
    }
    return new TemplateSpec(source, tree, parameters);
  }

  public static TemplateSpec parse(String source, InputStream in) {
    try {
      return parse(source, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + source, e);
    }
  }

  public String source() {
    return source;
  }

  public String name() {
    return tree.path("name").asText(source);
  }

  public String description() {
    return tree.path("description").asText("");
  }

  /** The declared parameters, in spec order. */
  public Map<String, ParameterSpec> parameters() {
    return parameters;
  }

  /**
   * Substitutes parameter values and validates the result.
   *
   * @param values launch values by parameter name; missing ones take their defaults, and {@code
   *     home} defaults to the working directory
   * @throws SpecException listing every missing, unknown or invalid value and every spec error
   */
  public SpecNode resolve(Map<String, String> values) {
    List<String> errors = new ArrayList<>();
    Map<String, String> effective = new LinkedHashMap<>();
    String home = values.getOrDefault(HOME, System.getProperty("templates.home", System.getProperty("user.dir")));
    for (ParameterSpec parameter : parameters.values()) {
      String value = values.get(parameter.name());
      if (value == null && parameter.defaultValue() != null) {
        // Defaults may point into the project directory, e.g. ${home}/test-data/input/orders.xml.
        value = parameter.defaultValue().replace("${" + HOME + "}", home);
      }
      if (value == null) {
        errors.add("--" + parameter.name() + " is required: " + parameter.description());
        continue;
      }
      String problem = parameter.check(value);
      if (problem != null) {
        errors.add(problem);
      }
      effective.put(parameter.name(), value);
    }
    for (String name : values.keySet()) {
      if (!parameters.containsKey(name) && !HOME.equals(name)) {
        errors.add("--" + name + " is not a parameter of " + name() + "; parameters are " + parameters.keySet());
      }
    }
    effective.put(HOME, home);
    JsonNode resolved = substitute(tree, "", effective, errors);
    if (errors.isEmpty()) {
      errors.addAll(JsonSchemas.errors(SCHEMA, resolved, ""));
      errors.addAll(nodeErrors(resolved));
    }
    if (!errors.isEmpty()) {
      throw new SpecException(source, errors);
    }
    return new SpecNode(resolved, "");
  }

  private static final Pattern STEP_PROPERTY = Pattern.compile("steps\\[(\\d+)\\]\\.(.+)");
  private static final Map<String, List<Pattern>> EXPRESSION_PATHS = new java.util.concurrent.ConcurrentHashMap<>();

  /** Whether the value at {@code path} is a CEL expression, as its step type's schema marks it ({@link CelParameters}). */
  private boolean isExpression(String path) {
    Matcher m = STEP_PROPERTY.matcher(path);
    if (!m.matches()) {
      return false;
    }
    String type = tree.path("steps").path(Integer.parseInt(m.group(1))).path("type").asText("");
    List<Pattern> patterns = EXPRESSION_PATHS.computeIfAbsent(type, t -> {
      String resource = "/step-schemas/" + t + ".schema.json";
      return t.matches("[A-Za-z0-9_]+") && TemplateSpec.class.getResource(resource) != null
          ? CelParameters.expressionPaths(JsonSchemas.resource(resource)) : List.of();
    });
    return patterns.stream().anyMatch(p -> p.matcher(m.group(2)).matches());
  }

  /** A CEL expression with its references replaced by literals of the values ({@link CelParameters}). */
  private JsonNode substituteInExpression(String text, String path, Map<String, String> values, List<String> errors) {
    try {
      return TextNode.valueOf(CelParameters.substitute(text, REFERENCE, name -> {
        String value = values.get(name);
        if (value == null) {
          if (!parameters.containsKey(name)) {
            errors.add(path + ": ${" + name + "} is not a declared parameter; parameters are " + parameters.keySet());
          }
          return null;
        }
        ParameterSpec parameter = parameters.get(name);
        // An invalid value was reported already; quote it whatever its type, so it stays data.
        String type = parameter == null || parameter.check(value) != null ? "string" : parameter.type();
        return new CelParameters.Value(value, type);
      }));
    } catch (IllegalArgumentException e) {
      errors.add(path + ": " + e.getMessage());
      return TextNode.valueOf(text);
    }
  }

  private JsonNode substitute(JsonNode node, String path, Map<String, String> values, List<String> errors) {
    if (node.isTextual() && isExpression(path)) {
      return substituteInExpression(node.asText(), path, values, errors);
    }
    if (node.isTextual()) {
      String text = node.asText();
      Matcher whole = REFERENCE.matcher(text);
      if (whole.matches()) {
        String name = whole.group(1);
        ParameterSpec parameter = parameters.get(name);
        String value = values.get(name);
        if (value == null) {
          if (parameter == null && !HOME.equals(name)) {
            errors.add(path + ": ${" + name + "} is not a declared parameter; parameters are " + parameters.keySet());
          }
          return node;
        }
        if (parameter == null || parameter.check(value) != null) {
          return TextNode.valueOf(value); // an invalid value was already reported
        }
        return typed(parameter.type(), value);
      }
      Matcher m = REFERENCE.matcher(text);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        String value = values.get(m.group(1));
        if (value == null) {
          if (!parameters.containsKey(m.group(1))) {
            errors.add(path + ": ${" + m.group(1) + "} is not a declared parameter; parameters are " + parameters.keySet());
          }
          value = m.group();
        }
        m.appendReplacement(out, Matcher.quoteReplacement(value));
      }
      m.appendTail(out);
      return TextNode.valueOf(out.toString());
    }
    if (node.isObject()) {
      ObjectNode copy = JsonNodeFactory.instance.objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        // Parameter declarations are not templates: their descriptions and patterns stay as written.
        boolean declarations = path.isEmpty() && e.getKey().equals("parameters");
        copy.set(e.getKey(), declarations ? e.getValue() : substitute(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), values, errors));
      }
      return copy;
    }
    if (node.isArray()) {
      ArrayNode copy = JsonNodeFactory.instance.arrayNode();
      for (int i = 0; i < node.size(); i++) {
        copy.add(substitute(node.get(i), path + "[" + i + "]", values, errors));
      }
      return copy;
    }
    return node;
  }

  private static JsonNode typed(String type, String value) {
    switch (type) {
      case "integer":
        return JsonNodeFactory.instance.numberNode(Long.parseLong(value));
      case "number":
        return JsonNodeFactory.instance.numberNode(Double.parseDouble(value));
      case "boolean":
        return JsonNodeFactory.instance.booleanNode(Boolean.parseBoolean(value));
      default:
        return TextNode.valueOf(value);
    }
  }

  /** Each source, sink and the dead-letter sink against its own type's schema. */
  private static List<String> nodeErrors(JsonNode root) {
    List<String> errors = new ArrayList<>();
    for (NodeType.Kind kind : NodeType.Kind.values()) {
      JsonNode nodes = root.path(kind.key());
      for (int i = 0; i < nodes.size(); i++) {
        errors.addAll(NodeType.errors(kind, NODE_SCHEMAS.get(kind), nodes.get(i), kind.key() + "[" + i + "]"));
      }
    }
    if (root.has("deadLetter")) {
      errors.addAll(NodeType.errors(NodeType.Kind.SINK, NODE_SCHEMAS.get(NodeType.Kind.SINK), root.get("deadLetter"), "deadLetter"));
    }
    errors.sort(null);
    return errors;
  }

  private static Map<NodeType.Kind, Map<String, JsonSchema>> nodeSchemas() {
    Map<NodeType.Kind, Map<String, JsonSchema>> schemas = new java.util.EnumMap<>(NodeType.Kind.class);
    for (NodeType.Kind kind : NodeType.Kind.values()) {
      Map<String, JsonSchema> byType = new java.util.TreeMap<>();
      NodeType.all(kind).forEach((type, provider) -> byType.put(type, JsonSchemas.load(provider.configSchema())));
      schemas.put(kind, byType);
    }
    return schemas;
  }

  private static JsonNode readSchema() {
    try (InputStream in = TemplateSpec.class.getResourceAsStream("/template-spec.schema.json")) {
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("template-spec.schema.json is missing from the classpath", e);
    }
  }
}
