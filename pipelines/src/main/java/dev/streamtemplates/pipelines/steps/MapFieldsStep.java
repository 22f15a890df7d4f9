package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.transforms.mapping.MapFields;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code type: MapFields}: computed fields from CEL expressions, then select, drop, rename.
 *
 * <pre>{@code
 * - name: enrich
 *   type: MapFields
 *   input: orders
 *   fields:
 *     total: double(quantity) * unitPrice
 *     code: {expr: "int(ref)", type: int32}
 *   drop: [internalNote]
 *   rename: {id: orderId}
 * }</pre>
 */
public final class MapFieldsStep extends StepType<MapFieldsStep.Config> {
  /** The spec of a MapFields step. */
  public record Config(
      @Nullable Map<String, Field> fields, @Nullable List<String> select, @Nullable List<String> drop, @Nullable Map<String, String> rename) {
    public Config {
      fields = fields == null ? Map.of() : new LinkedHashMap<>(fields);
      drop = drop == null ? List.of() : List.copyOf(drop);
      rename = rename == null ? Map.of() : new LinkedHashMap<>(rename);
    }
  }

  /** A computed field: a CEL expression, written alone or as {@code {expr, type}}. */
  public record Field(String expr, @Nullable String type) {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Field of(JsonNode node) {
      return node.isObject()
          ? new Field(node.path("expr").asText(), node.hasNonNull("type") ? node.get("type").asText() : null)
          : new Field(node.asText(), null);
    }
  }

  public MapFieldsStep() {
    super("MapFields", "Compute fields with CEL expressions, then select, drop and rename fields.", Config.class);
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    Config config = step.config();
    MapFields mapping = MapFields.create().named(step.name()).withOrigin(step.childPath("fields"));
    for (Map.Entry<String, Field> field : config.fields().entrySet()) {
      Field value = field.getValue();
      mapping = value.type() == null
          ? mapping.withField(field.getKey(), value.expr())
          : mapping.withField(field.getKey(), value.expr(),
              FieldTypes.parse(value.type(), step.childPath("fields") + "." + field.getKey() + ".type"));
    }
    if (config.select() != null) {
      mapping = mapping.withSelect(config.select());
    }
    mapping = mapping.withDrop(config.drop());
    for (Map.Entry<String, String> rename : config.rename().entrySet()) {
      mapping = mapping.withRename(rename.getKey(), rename.getValue());
    }
    return StepResult.of(step.input().apply(step.name(), mapping));
  }
}
