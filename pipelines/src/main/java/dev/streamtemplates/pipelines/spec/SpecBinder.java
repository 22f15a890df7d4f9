package dev.streamtemplates.pipelines.spec;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Set;
import org.joda.time.Duration;

/**
 * Binds a spec node to the typed config record of its step, source or sink type, in one place.
 *
 * <p>The node has passed its type's JSON Schema before it is bound, so binding errors are rare;
 * when one happens it names the spec path, e.g. {@code steps[2].window.size: '5x' is not a
 * duration; ...}. The keys every node has ({@code name}, {@code type}, {@code input}, {@code
 * description}) are not part of a config. Unknown keys are errors, which keeps each config and
 * its schema in agreement at run time too (a test checks them against each other).
 *
 * <p>Durations bind to Joda {@link Duration} via {@link Durations}; a single value binds to a
 * list; enums match their constant name case-insensitively or their {@code @JsonProperty} name.
 */
public final class SpecBinder {
  /** Keys of every source, step and sink node that belong to the graph, not to a type's config. */
  public static final Set<String> GRAPH_KEYS = Set.of("name", "type", "input", "description");

  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
      .addModule(new SimpleModule("spec-types").addDeserializer(Duration.class, new DurationDeserializer()))
      .build();

  private SpecBinder() {}

  /** The config of {@code node} as {@code type}; an {@link IllegalArgumentException} naming the path if it does not bind. */
  public static <C> C bind(SpecNode node, Class<C> type) {
    ObjectNode body = node.json().isObject() ? ((ObjectNode) node.json()).deepCopy() : MAPPER.createObjectNode();
    body.remove(GRAPH_KEYS);
    try {
      return MAPPER.treeToValue(body, type);
    } catch (JsonMappingException e) {
      throw new IllegalArgumentException(path(node.path(), e) + ": " + e.getOriginalMessage(), e);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(node.path() + ": " + e.getOriginalMessage(), e);
    }
  }

  private static String path(String prefix, JsonMappingException e) {
    StringBuilder path = new StringBuilder(prefix);
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    return path.toString();
  }

  private static final class DurationDeserializer extends JsonDeserializer<Duration> {
    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      String text = p.getValueAsString() == null ? p.getText() : p.getValueAsString();
      String problem = Durations.problem(text);
      if (problem != null) {
        throw new InvalidFormatException(p, problem, text, Duration.class);
      }
      return Durations.parse(text, "");
    }
  }
}
