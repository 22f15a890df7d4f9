package dev.streamtemplates.transforms.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamtemplates.transforms.core.Instants;
import java.util.Iterator;
import java.util.Optional;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;

/**
 * Readable reasons for JSON records that Beam's RowJson rejected.
 *
 * <p>RowJson's own messages do not always name the field ("Value "many" is out of range for the
 * type of the field"). Only after a failure, this walks the JSON tree against the schema to find
 * the first offending field and value; the happy path never pays for it.
 */
final class JsonErrors {
  private static final ObjectMapper TREES = new ObjectMapper();

  private JsonErrors() {}

  static String explain(Schema schema, byte[] payload, Throwable e) {
    JsonNode tree;
    try {
      tree = TREES.readerFor(JsonNode.class).with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readValue(payload);
    } catch (Exception syntax) {
      return "malformed JSON: " + reason(syntax);
    }
    if (tree == null || !tree.isObject()) {
      return "not a JSON object: " + (tree == null ? "empty payload" : TextValues.abbreviate(tree.toString()));
    }
    return firstProblem(schema, tree, "").orElse(reason(e));
  }

  private static Optional<String> firstProblem(Schema schema, JsonNode object, String prefix) {
    for (Schema.Field field : schema.getFields()) {
      String path = prefix + field.getName();
      Optional<String> problem = problem(field.getType(), object.get(field.getName()), path);
      if (problem.isPresent()) {
        return problem;
      }
    }
    return Optional.empty();
  }

  private static Optional<String> problem(FieldType type, JsonNode node, String path) {
    if (node == null || node.isNull()) {
      return type.getNullable() ? Optional.empty() : Optional.of("required field '" + path + "' is missing or null");
    }
    boolean ok;
    switch (type.getTypeName()) {
      case BYTE:
      case INT16:
      case INT32:
      case INT64:
        ok = node.isIntegralNumber() && fits(type, node);
        break;
      case FLOAT:
      case DOUBLE:
      case DECIMAL:
        ok = node.isNumber();
        break;
      case BOOLEAN:
        ok = node.isBoolean();
        break;
      case STRING:
        ok = node.isTextual();
        break;
      case DATETIME:
        ok = node.isIntegralNumber() || node.isTextual();
        if (node.isTextual()) {
          try {
            Instants.parseEpochMillis(node.asText());
          } catch (IllegalArgumentException bad) {
            return Optional.of("field '" + path + "': " + bad.getMessage());
          }
        }
        break;
      case ROW:
        if (!node.isObject()) {
          ok = false;
          break;
        }
        return firstProblem(type.getRowSchema(), node, path + ".");
      case ARRAY:
      case ITERABLE:
        if (!node.isArray()) {
          ok = false;
          break;
        }
        int i = 0;
        for (Iterator<JsonNode> it = node.elements(); it.hasNext(); i++) {
          Optional<String> inner = problem(type.getCollectionElementType(), it.next(), path + "[" + i + "]");
          if (inner.isPresent()) {
            return inner;
          }
        }
        return Optional.empty();
      default:
        return Optional.empty();
    }
    return ok
        ? Optional.empty()
        : Optional.of("field '" + path + "': " + TextValues.abbreviate(node.toString()) + " is not a valid " + TextValues.describe(type));
  }

  private static boolean fits(FieldType type, JsonNode node) {
    switch (type.getTypeName()) {
      case BYTE:
        return node.canConvertToInt() && node.intValue() >= Byte.MIN_VALUE && node.intValue() <= Byte.MAX_VALUE;
      case INT16:
        return node.canConvertToInt() && node.intValue() >= Short.MIN_VALUE && node.intValue() <= Short.MAX_VALUE;
      case INT32:
        return node.canConvertToInt();
      default:
        return node.canConvertToLong();
    }
  }

  static String reason(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    String message =
        cause instanceof JsonProcessingException
            ? ((JsonProcessingException) cause).getOriginalMessage()
            : cause.getMessage();
    return message == null ? cause.getClass().getSimpleName() : message.replace('\n', ' ');
  }
}
