package dev.streamtemplates.pipelines.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A list of field names as a spec writes it: a list, a comma-separated string (as a launch
 * parameter gives it), or a list whose entries are themselves comma-separated.
 *
 * <pre>{@code
 * key: [cardId, country]      # or
 * key: cardId, country        # or
 * key: ${keyFields}           # --keyFields=cardId,country
 * }</pre>
 */
public record FieldList(List<String> names) {
  public FieldList {
    names = List.copyOf(names);
  }

  public static final FieldList NONE = new FieldList(List.of());

  /** Jackson binds a string or an array of strings here. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static FieldList of(JsonNode node) {
    List<String> names = new ArrayList<>();
    if (node.isArray()) {
      node.forEach(item -> split(item.asText(), names));
    } else if (!node.isNull()) {
      split(node.asText(), names);
    }
    return new FieldList(names);
  }

  private static void split(String entry, List<String> names) {
    for (String name : entry.split(",")) {
      if (!name.isBlank()) {
        names.add(name.trim());
      }
    }
  }
}
