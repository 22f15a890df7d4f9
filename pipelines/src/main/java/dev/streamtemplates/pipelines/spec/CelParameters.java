package dev.streamtemplates.pipelines.spec;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Parameter values inside CEL expressions are data, never code. A step schema marks each
 * property that holds a CEL expression with {@code "contentMediaType": "text/x-cel"}; in such a
 * property a {@code ${name}} reference becomes a literal of the parameter's value:
 *
 * <ul>
 *   <li>inside a CEL string literal ({@code country == '${home}'}), the value is escaped for that
 *       literal (backslash, quotes, line breaks), so it cannot end the literal;
 *   <li>outside one, a string parameter becomes a quoted string literal ({@code country ==
 *       ${home}} reads {@code country == "FR"}), and integer, number and boolean parameters their
 *       checked value (only digits, a sign, a point, an exponent, true or false).
 * </ul>
 *
 * <p>So {@code --homeCountry="x' || true || '' == '"} compares the country with that text instead
 * of routing every record. A value that cannot be written inside a raw string literal ({@code
 * r'...'}, which has no escapes) is refused.
 *
 * <p>Written here because CEL-Java's parser offers no API to splice a value into expression text;
 * binding values as CEL variables would need every expression of every step to declare them.
 */
final class CelParameters {
  private CelParameters() {}

  /** The {@code contentMediaType} that marks a CEL expression in a step schema. */
  static final String MEDIA_TYPE = "text/x-cel";

  /**
   * The relative paths of the CEL properties of a step schema, as regular expressions over paths
   * like {@code stages[0].where} or {@code fields.total}: properties by name, {@code
   * additionalProperties} as any name, {@code items} as any index; {@code oneOf}, {@code anyOf}
   * and {@code allOf} branches at the same path.
   */
  static List<Pattern> expressionPaths(JsonNode schema) {
    List<String> found = new ArrayList<>();
    collect(schema, schema, "", found, new HashSet<>());
    List<Pattern> patterns = new ArrayList<>();
    found.forEach(p -> patterns.add(Pattern.compile(p)));
    return patterns;
  }

  /**
   * @param root the whole schema, for local references ({@code "$ref": "#/..."})
   * @param following the references being followed on this path: a schema that refers to itself
   *     (a Sequence group's stages are stages) is followed once
   */
  private static void collect(JsonNode root, JsonNode schema, String path, List<String> found, Set<String> following) {
    if (schema == null || !schema.isObject()) {
      return;
    }
    String ref = schema.path("$ref").asText("");
    if (ref.startsWith("#/") && following.add(ref)) {
      collect(root, root.at(ref.substring(1)), path, found, following);
      following.remove(ref);
    }
    if (MEDIA_TYPE.equals(schema.path("contentMediaType").asText(null)) && !found.contains(path)) {
      found.add(path);
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> property = it.next();
      collect(root, property.getValue(), (path.isEmpty() ? "" : path + "\\.") + Pattern.quote(property.getKey()), found, following);
    }
    collect(root, schema.get("additionalProperties"), (path.isEmpty() ? "" : path + "\\.") + "[^.\\[\\]]+", found, following);
    collect(root, schema.get("items"), path + "\\[\\d+\\]", found, following);
    for (String combinator : List.of("oneOf", "anyOf", "allOf")) {
      for (JsonNode branch : schema.path(combinator)) {
        collect(root, branch, path, found, following);
      }
    }
  }

  /** A parameter's value and type ({@code string}, {@code integer}, {@code number}, {@code boolean}). */
  record Value(String text, String type) {}

  /**
   * Substitutes the references in one CEL expression.
   *
   * @param values the value of a parameter by name, or null for an unknown one (left as written)
   * @throws IllegalArgumentException when a value cannot be put where its reference stands
   */
  static String substitute(String cel, Pattern reference, Function<String, @Nullable Value> values) {
    StringBuilder out = new StringBuilder();
    Matcher m = reference.matcher(cel);
    int copied = 0;
    Lexer lexer = new Lexer(cel);
    while (m.find()) {
      Literal literal = lexer.literalAt(m.start());
      out.append(cel, copied, m.start());
      copied = m.end();
      Value value = values.apply(m.group(1));
      if (value == null) {
        out.append(m.group());
      } else if (literal != null) {
        out.append(literal.escape(value.text(), m.group(1)));
      } else if (!Set.of("integer", "number", "boolean").contains(value.type())) { // string, duration: text
        out.append('"').append(Literal.DOUBLE.escape(value.text(), m.group(1))).append('"');
      } else {
        out.append(value.text()); // checked: a number or true/false, nothing else
      }
    }
    out.append(cel, copied, cel.length());
    return out.toString();
  }

  /** The kinds of CEL string literal, by their quotes. */
  enum Literal {
    SINGLE("'", false), DOUBLE("\"", false), TRIPLE_SINGLE("'''", false), TRIPLE_DOUBLE("\"\"\"", false),
    RAW_SINGLE("'", true), RAW_DOUBLE("\"", true), RAW_TRIPLE_SINGLE("'''", true), RAW_TRIPLE_DOUBLE("\"\"\"", true);

    final String quote;
    final boolean raw;

    Literal(String quote, boolean raw) {
      this.quote = quote;
      this.raw = raw;
    }

    /** The value, written so that it stays inside a literal of this kind. */
    String escape(String value, String name) {
      if (raw) {
        if (value.contains(quote.substring(0, 1)) || value.contains("\n") || value.contains("\r")) {
          throw new IllegalArgumentException("${" + name + "} stands in a raw CEL string (r'...'), which cannot hold its value's quotes"
              + " or line breaks; write the literal without the r prefix");
        }
        return value;
      }
      StringBuilder out = new StringBuilder(value.length() + 8);
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        switch (c) {
          case '\\': out.append("\\\\"); break;
          case '\'': out.append("\\'"); break;
          case '"': out.append("\\\""); break;
          case '\n': out.append("\\n"); break;
          case '\r': out.append("\\r"); break;
          case '\t': out.append("\\t"); break;
          default:
            if (c < 0x20 || c == 0x7f) {
              out.append(String.format("\\u%04x", (int) c));
            } else {
              out.append(c);
            }
        }
      }
      return out.toString();
    }
  }

  /** Finds, for a position in CEL text, the string literal it stands in (CEL's lexical rules for strings). */
  private static final class Lexer {
    private final String text;
    private int position;
    private @Nullable Literal open;

    Lexer(String text) {
      this.text = text;
    }

    /** The literal that {@code target} (at or after the previous target) is inside, or null. */
    @Nullable Literal literalAt(int target) {
      while (position < target) {
        if (open == null) {
          position = startOfLiteral(position);
        } else if (!open.raw && text.charAt(position) == '\\') {
          position += 2;
        } else if (text.startsWith(open.quote, position)) {
          position += open.quote.length();
          open = null;
        } else {
          position++;
        }
      }
      return open;
    }

    /** Past the opening quote of a literal starting at {@code i} (setting {@link #open}), else {@code i + 1}. */
    private int startOfLiteral(int i) {
      boolean raw = (text.charAt(i) == 'r' || text.charAt(i) == 'R') && i + 1 < text.length()
          && (text.charAt(i + 1) == '\'' || text.charAt(i + 1) == '"') && (i == 0 || !Character.isLetterOrDigit(text.charAt(i - 1)));
      int q = raw ? i + 1 : i;
      char c = text.charAt(q);
      if (c != '\'' && c != '"') {
        return i + 1;
      }
      boolean triple = text.startsWith(String.valueOf(c).repeat(3), q);
      if (c == '\'') {
        open = triple ? (raw ? Literal.RAW_TRIPLE_SINGLE : Literal.TRIPLE_SINGLE) : (raw ? Literal.RAW_SINGLE : Literal.SINGLE);
      } else {
        open = triple ? (raw ? Literal.RAW_TRIPLE_DOUBLE : Literal.TRIPLE_DOUBLE) : (raw ? Literal.RAW_DOUBLE : Literal.DOUBLE);
      }
      return q + (triple ? 3 : 1);
    }
  }
}
