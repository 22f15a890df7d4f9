package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.streamtemplates.transforms.join.Enrich;
import java.util.List;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

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
public final class EnrichStep extends StepType<EnrichStep.Config> {
  /** changelog: a stream of updates applied in event time; lookup: a bounded table read whole. */
  public enum Table {
    CHANGELOG, LOOKUP
  }

  /** The spec of an Enrich step; {@code wait} (a name records cannot use) binds to {@code waitUpTo}. */
  public record Config(String key, String tableKey, @Nullable Table table, @Nullable List<String> valueFields,
      @JsonProperty("wait") @Nullable Duration waitUpTo) {
    public Config {
      table = table == null ? Table.CHANGELOG : table;
      waitUpTo = waitUpTo == null ? Duration.ZERO : waitUpTo;
    }
  }

  public EnrichStep() {
    super("Enrich", "Join each event with the latest value of its key in a changelog or lookup table, as of the event's time.", Config.class);
  }

  @Override
  public boolean treatsEachRecordAsAnEvent(StepContext<Config> step) {
    return true;
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    Config config = step.config();
    List<PCollection<Row>> inputs = step.inputs(2, "enrichment takes two inputs, [events, table]");
    Enrich enrich = (config.table() == Table.LOOKUP ? Enrich.fromLookup(inputs.get(1), config.tableKey())
        : Enrich.fromChangelog(inputs.get(1), config.tableKey()))
        .withKey(config.key()).named(step.name()).waitingUpTo(config.waitUpTo());
    if (config.valueFields() != null) {
      enrich = enrich.withValueFields(config.valueFields());
    }
    return StepResult.of(inputs.get(0).apply(step.name(), enrich));
  }
}
