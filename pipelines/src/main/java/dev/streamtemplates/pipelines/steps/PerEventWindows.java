package dev.streamtemplates.pipelines.steps;

import dev.streamtemplates.transforms.aggregate.Aggregation;
import dev.streamtemplates.transforms.aggregate.PerEventAggregate;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.filter.Filter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * The Aggregate step with {@code window: {type: perEvent, ...}}: each event comes out once, with
 * its key's aggregates over the last {@code range} of event time or the last {@code rows} events
 * ({@link PerEventAggregate}, Flink SQL's OVER windows).
 *
 * <pre>{@code
 * - name: moving
 *   type: Aggregate
 *   input: readings
 *   key: sensorId
 *   window: {type: perEvent, range: 10m}     # or {type: perEvent, rows: 5}
 *   aggregates:
 *     avg10m: {fn: mean, field: celsius}
 *     max10m: {fn: max, field: celsius}
 *   having: celsius > 1.5 * avg10m           # optional: keep only these events
 * }</pre>
 *
 * <p>The window options that shape or revise window results ({@code top}, {@code previous},
 * {@code early}, {@code emit}, {@code late}, {@code allowedLateness}, {@code reportLateFor}, and
 * the window's offset and calendar settings) do not apply: each
 * event is emitted once, when the watermark passes it, and a late event is a dead letter. They are
 * refused in one line, as are a window with both or neither of range and rows, and range or rows on
 * another window type.
 */
final class PerEventWindows {
  private PerEventWindows() {}

  static StepResult apply(StepContext<AggregateStep.Config> step) {
    AggregateStep.Config config = step.config();
    AggregateStep.Window window = config.window();
    String windowPath = step.childPath("window");
    Map<String, Boolean> given = new LinkedHashMap<>();
    given.put("window.size", window.size() != null);
    given.put("window.slide", window.slide() != null);
    given.put("window.gap", window.gap() != null);
    given.put("window.every", window.every() != null);
    given.put("window.offset", window.offset() != null);
    given.put("window.from", window.from() != null);
    given.put("window.unit", window.unit() != null);
    given.put("window.timeZone", window.timeZone() != null);
    given.put("window.startOfWeek", window.startOfWeek() != null);
    given.put("window.startOfYear", window.startOfYear() != null);
    given.put("top", config.top() != null);
    given.put("previous", !config.previous().names().isEmpty());
    given.put("early", config.early() != null);
    given.put("late", config.late() != null);
    given.put("allowedLateness", config.allowedLateness() != null);
    given.put("reportLateFor", config.reportLateFor() != null);
    given.put("emit", config.emit() != null);
    List<String> extra = new ArrayList<>();
    given.forEach((key, present) -> {
      if (present) {
        extra.add(key);
      }
    });
    if (!extra.isEmpty()) {
      throw new IllegalArgumentException(step.path() + ": " + String.join(", ", extra) + (extra.size() == 1 ? " does" : " do")
          + " not apply to a perEvent window (each event is emitted once, when the watermark passes it, and a late one is a dead letter);"
          + " remove " + (extra.size() == 1 ? "it" : "them"));
    }
    if ((window.range() == null) == (window.rows() == null)) {
      throw new IllegalArgumentException(windowPath + ": a perEvent window needs range (a duration, e.g. 10m) or rows (a number of events),"
          + (window.range() == null ? " got neither" : " not both"));
    }
    List<Aggregation> aggregations = new ArrayList<>();
    config.aggregates().forEach((name, aggregate) -> aggregations.add(aggregate.toAggregation(name)));
    PerEventAggregate perEvent = PerEventAggregate.perKey(config.key().names()).withAggregations(aggregations).named(step.name()).withOrigin(step.path());
    try {
      perEvent = window.range() != null ? perEvent.overRange(window.range()) : perEvent.overRows(window.rows());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(windowPath + (window.range() != null ? ".range: " : ".rows: ") + e.getMessage(), e);
    }
    Result result = step.input().apply(step.name(), perEvent);
    if (config.having() == null) {
      return StepResult.of(result);
    }
    Result kept = result.output().apply(step.name() + " having",
        Filter.where(config.having()).named(step.name()).withOrigin(step.childPath("having")));
    List<PCollection<Row>> deadLetters = new ArrayList<>();
    result.failuresIfAny().ifPresent(deadLetters::add);
    kept.failuresIfAny().ifPresent(deadLetters::add);
    return new StepResult(kept.output(), Map.of(), deadLetters);
  }

  /** Refuses range and rows on a window of another type, where they would be ignored. */
  static void refuseOutside(StepContext<AggregateStep.Config> step) {
    AggregateStep.Window window = step.config().window();
    if (window.range() != null || window.rows() != null) {
      throw new IllegalArgumentException(step.childPath("window") + ": " + (window.range() != null ? "range" : "rows")
          + " is for type: perEvent, not " + window.type().name().toLowerCase(java.util.Locale.ROOT) + "; remove it or use type: perEvent");
    }
  }
}
