package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.io.Durations;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.join.Enrich;
import java.util.List;

/**
 * {@code type: Enrich}: each event joined with the latest value of its key in a table, as of the
 * event's time.
 *
 * <pre>{@code
 * - name: with-price
 *   type: Enrich
 *   input: [tweets, prices]     # [events, table]
 *   key: company                # the events' key field
 *   tableKey: symbol            # the table's key field
 *   table: changelog            # changelog (default: a stream of updates) | lookup (read whole, e.g. a file)
 *   wait: 1m                    # when no value is known yet, wait up to this for one (default 0s)
 *   valueFields: [price]        # all null = tombstone (default: all but the key and DATETIME fields)
 * }</pre>
 */
public final class EnrichStep implements StepProvider {
  @Override
  public String type() {
    return "Enrich";
  }

  @Override
  public String description() {
    return "Join each event with the latest value of its key in a changelog or lookup table, as of the event's time.";
  }

  @Override
  public JsonNode configSchema() {
    return StepSchemas.read("Enrich.schema.json");
  }

  @Override
  public StepResult apply(StepContext context) {
    SpecNode spec = context.spec();
    if (context.inputs().size() != 2) {
      throw new IllegalArgumentException(spec.childPath("input") + ": enrichment takes two inputs, [events, table]; got " + context.inputs().size());
    }
    Enrich enrich = Enrich.events(context.inputs().get(0)).withKey(spec.text("key")).named(context.name())
        .waitingUpTo(Durations.parse(spec.text("wait", "0s"), spec.childPath("wait")));
    if (spec.has("valueFields")) {
      enrich = enrich.withValueFields(spec.texts("valueFields"));
    }
    enrich = "lookup".equals(spec.text("table", "changelog"))
        ? enrich.fromLookup(context.inputs().get(1), spec.text("tableKey"))
        : enrich.fromChangelog(context.inputs().get(1), spec.text("tableKey"));
    return new StepResult(enrich.expand(), java.util.Map.of(), List.of());
  }
}
