package dev.streamtemplates.pipelines.steps;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import dev.streamtemplates.pipelines.TemplatePipeline;
import dev.streamtemplates.pipelines.spec.NodeType;
import dev.streamtemplates.pipelines.spec.SpecBinder;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.Test;

/**
 * Each step type's JSON Schema and its config record say the same thing: the same keys at every
 * level (nested objects and lists of objects too), and the same values for every enum. The
 * schema is what users read in errors; the record is what the code reads; this keeps them one.
 */
public class StepConfigSchemaTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  public void everyStepSchemaAgreesWithItsConfigRecord() {
    List<String> disagreements = new ArrayList<>();
    Map<String, StepProvider<Object>> types = TemplatePipeline.stepTypes();
    assertThat(types, hasKey("Aggregate"));
    types.forEach((type, provider) -> {
      JsonNode schema = provider.configSchema();
      assertThat(type + " schema type", schema.path("properties").path("type").path("const").asText(), equalTo(type));
      compare(type, schema, provider.configClass(), SpecBinder.GRAPH_KEYS, disagreements);
    });
    assertThat(String.join("\n", disagreements), disagreements, empty());
  }

  @Test
  public void everySourceAndSinkSchemaNamesItsType() {
    for (NodeType.Kind kind : NodeType.Kind.values()) {
      NodeType.all(kind).forEach((type, provider) ->
          assertThat(kind + " " + type, provider.configSchema().path("properties").path("type").path("const").asText(), equalTo(type)));
    }
    assertThat(NodeType.all(NodeType.Kind.SOURCE).keySet(), equalTo(Set.of("file", "kafka")));
    assertThat(NodeType.all(NodeType.Kind.SINK).keySet(), equalTo(Set.of("file", "kafka", "stdout")));
  }

  private static void compare(String path, JsonNode schema, Class<?> type, Set<String> ignored, List<String> out) {
    Set<String> schemaKeys = new TreeSet<>();
    schema.path("properties").fieldNames().forEachRemaining(schemaKeys::add);
    schemaKeys.removeAll(ignored);
    BeanDescription bean = MAPPER.getDeserializationConfig().introspect(MAPPER.constructType(type));
    Set<String> configKeys = new TreeSet<>();
    for (BeanPropertyDefinition property : bean.findProperties()) {
      configKeys.add(property.getName());
    }
    if (!schemaKeys.equals(configKeys)) {
      out.add(path + ": schema has " + schemaKeys + ", " + type.getSimpleName() + " has " + configKeys);
      return;
    }
    for (RecordComponent component : type.getRecordComponents()) {
      JsonProperty renamed = component.getAnnotation(JsonProperty.class);
      String key = renamed == null ? component.getName() : renamed.value();
      JsonNode property = schema.path("properties").path(key);
      compareValue(path + "." + key, property, component.getGenericType(), out);
    }
  }

  private static void compareValue(String path, JsonNode property, Type type, List<String> out) {
    Class<?> raw = type instanceof ParameterizedType ? (Class<?>) ((ParameterizedType) type).getRawType() : (Class<?>) type;
    if (raw.isEnum()) {
      Set<String> schemaValues = new TreeSet<>();
      property.path("enum").forEach(v -> schemaValues.add(v.asText().toLowerCase(Locale.ROOT)));
      Set<String> javaValues = new TreeSet<>();
      for (Object constant : raw.getEnumConstants()) {
        javaValues.add(jsonName((Enum<?>) constant).toLowerCase(Locale.ROOT));
      }
      if (!schemaValues.equals(javaValues)) {
        out.add(path + ": schema enum " + schemaValues + ", " + raw.getSimpleName() + " " + javaValues);
      }
    } else if (raw.isRecord() && property.has("properties")) {
      compare(path, property, raw, Set.of(), out);
    } else if (List.class.isAssignableFrom(raw) && property.path("items").has("properties")) {
      compareValue(path + "[]", property.get("items"), ((ParameterizedType) type).getActualTypeArguments()[0], out);
    }
  }

  private static String jsonName(Enum<?> constant) {
    try {
      JsonProperty name = constant.getDeclaringClass().getField(constant.name()).getAnnotation(JsonProperty.class);
      return name == null ? constant.name() : name.value();
    } catch (NoSuchFieldException e) {
      throw new IllegalStateException(e);
    }
  }
}
