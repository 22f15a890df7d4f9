package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.mapping.MapFields;
import java.util.Map;

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
public final class MapFieldsStep implements StepProvider {

  @Override
  public String type() {
    return "MapFields";
  }

  @Override
  public String description() {
    return "Compute fields with CEL expressions, then select, drop and rename fields.";
  }

  @Override
  public JsonNode configSchema() {
    return StepSchemas.read("MapFields.schema.json");
  }

  @Override
  public StepResult apply(StepContext context) {
    SpecNode spec = context.spec();
    MapFields mapping = MapFields.create().named(context.name()).withOrigin(spec.childPath("fields"));
    for (Map.Entry<String, SpecNode> field : spec.entries("fields").entrySet()) {
      JsonNode value = field.getValue().json();
      if (value.isObject()) {
        mapping = mapping.withField(
            field.getKey(),
            value.path("expr").asText(),
            value.hasNonNull("type") ? FieldTypes.parse(value.get("type").asText(), field.getValue().path() + ".type") : null);
      } else {
        mapping = mapping.withField(field.getKey(), value.asText());
      }
    }
    if (spec.has("select")) {
      mapping = mapping.withSelect(spec.texts("select"));
    }
    mapping = mapping.withDrop(spec.texts("drop"));
    for (Map.Entry<String, String> rename : spec.stringMap("rename").entrySet()) {
      mapping = mapping.withRename(rename.getKey(), rename.getValue());
    }
    return StepResult.of(context.input().apply(context.name(), mapping));
  }
}
