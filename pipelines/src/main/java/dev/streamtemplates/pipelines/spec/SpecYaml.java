package dev.streamtemplates.pipelines.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads spec YAML into a tree, with anchors ({@code &stages}), aliases ({@code *stages}) and merge
 * keys ({@code <<: *base}) resolved.
 *
 * <p>Jackson's YAML parser, which read specs before, does not resolve aliases when it builds a
 * tree: it hands an alias on as a string holding the anchor's name, so {@code stages: *stages}
 * read as the text "stages" ("string found, array expected"). SnakeYAML (which Jackson's YAML
 * module is built on) does resolve them, so a spec is read by SnakeYAML into plain Java values,
 * then turned into a {@link JsonNode}.
 *
 * <p>Scalars are typed as Jackson typed them (YAML 1.2's core schema): {@code true}/{@code false}
 * are booleans, {@code yes}, {@code on} and dates stay text, {@code 010} stays text rather than
 * becoming the octal 8; only plain (unquoted) scalars are typed.
 *
 * <p>Aliases are bounded, so that a "billion laughs" spec (each anchor a list of aliases of the
 * previous one) is refused with one line instead of filling the heap: at most {@value
 * #MAX_ALIASES} aliases of collections, and the tree they expand to at most {@value #MAX_VALUES}
 * values; an alias inside its own anchor is refused too.
 */
final class SpecYaml {
  /** Aliases of lists and mappings a spec may use; a spec reuses a few stage lists or sink configs. */
  static final int MAX_ALIASES = 100;

  /** Values (scalars, lists and mappings) the expanded tree may hold; the catalogue's largest has a few hundred. */
  static final int MAX_VALUES = 100_000;

  private SpecYaml() {}

  /** A spec's YAML that cannot be read: the message is one line, with the line and column when known. */
  static final class Invalid extends Exception {
    Invalid(String message) {
      super(message);
    }
  }

  /** The tree of {@code yaml}, or null for an empty document. */
  static @Nullable JsonNode read(String yaml) throws Invalid {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(MAX_ALIASES);
    options.setAllowRecursiveKeys(false);
    Object value;
    try {
      value = new Yaml(new SafeConstructor(options), new Representer(new org.yaml.snakeyaml.DumperOptions()),
          new org.yaml.snakeyaml.DumperOptions(), options, new CoreSchema()).load(yaml);
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String where = mark == null ? "" : "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ": ";
      String problem = e.getProblem() != null ? e.getProblem() : e.getContext();
      throw new Invalid(where + "not valid YAML: " + oneLine(problem == null ? e.getMessage() : problem));
    } catch (YAMLException e) {
      // e.g. "Number of aliases for non-scalar nodes exceeds the specified max=100"
      throw new Invalid("not valid YAML: " + oneLine(e.getMessage()) + aliasHint(e.getMessage()));
    }
    return value == null ? null : new Converter().node(value);
  }

  private static String aliasHint(String message) {
    return message != null && message.contains("aliases") ? " (a spec may use at most " + MAX_ALIASES + " aliases of lists and mappings)" : "";
  }

  private static String oneLine(String text) {
    return text == null ? "" : text.replaceAll("\\s*\\R\\s*", " ").trim();
  }

  /** Java values to a tree, counting values and refusing a collection that contains itself. */
  private static final class Converter {
    private int values;
    private final Map<Object, Boolean> open = new IdentityHashMap<>();

    JsonNode node(Object value) throws Invalid {
      if (++values > MAX_VALUES) {
        throw new Invalid("(top level): the spec's aliases expand it to more than " + MAX_VALUES
            + " values; a spec that large is refused (an alias bomb?)");
      }
      JsonNodeFactory f = JsonNodeFactory.instance;
      if (value == null) {
        return f.nullNode();
      }
      if (value instanceof Map<?, ?> || value instanceof List<?>) {
        if (open.put(value, Boolean.TRUE) != null) {
          throw new Invalid("(top level): an alias refers to a list or mapping that contains it, which would never end");
        }
        JsonNode out;
        if (value instanceof Map<?, ?> map) {
          ObjectNode object = f.objectNode();
          for (Map.Entry<?, ?> e : map.entrySet()) {
            object.set(String.valueOf(e.getKey()), node(e.getValue()));
          }
          out = object;
        } else {
          ArrayNode array = f.arrayNode();
          for (Object item : (List<?>) value) {
            array.add(node(item));
          }
          out = array;
        }
        open.remove(value);
        return out;
      }
      if (value instanceof Boolean b) {
        return f.booleanNode(b);
      }
      if (value instanceof Integer i) {
        return f.numberNode(i);
      }
      if (value instanceof Long l) {
        return f.numberNode(l);
      }
      if (value instanceof BigInteger big) {
        return f.numberNode(big);
      }
      if (value instanceof Double d) {
        return f.numberNode(d);
      }
      if (value instanceof byte[] bytes) {
        return f.binaryNode(bytes); // !!binary, as Jackson read it
      }
      return f.textNode(String.valueOf(value));
    }
  }

  /**
   * YAML 1.2's core schema, as Jackson's YAML parser typed plain scalars, instead of SnakeYAML's
   * YAML 1.1 one (where {@code yes}, {@code off}, {@code 2024-05-01} and {@code 1:30} are not text).
   */
  private static final class CoreSchema extends Resolver {
    @Override
    protected void addImplicitResolvers() {
      addImplicitResolver(Tag.BOOL, Pattern.compile("^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF");
      addImplicitResolver(Tag.INT, Pattern.compile("^[-+]?(?:0|[1-9][0-9]*)$"), "-+0123456789");
      addImplicitResolver(Tag.FLOAT,
          Pattern.compile("^[-+]?(?:[0-9]+\\.[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?[0-9]+[eE][-+]?[0-9]+$"), "-+0123456789.");
      addImplicitResolver(Tag.MERGE, Pattern.compile("^(?:<<)$"), "<");
      addImplicitResolver(Tag.NULL, Pattern.compile("^(?:~|null|Null|NULL| )$"), "~nN\0");
      addImplicitResolver(Tag.NULL, Pattern.compile("^$"), null);
    }
  }
}
