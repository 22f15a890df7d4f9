package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.io.Durations;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.aggregate.Aggregation;
import dev.streamtemplates.transforms.aggregate.WindowedAggregate;
import dev.streamtemplates.transforms.aggregate.Windowing;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code type: Aggregate}: windowed aggregation per key or globally.
 *
 * <pre>{@code
 * - name: per-user
 *   type: Aggregate
 *   input: payments
 *   key: [userId]
 *   window: {type: sliding, size: 10m, slide: 1s}
 *   aggregates:
 *     total: {fn: sum, field: amount}
 *     n: count
 *     p95: {fn: quantile, field: amount, q: 0.95}
 *   having: n >= 3
 *   top: {n: 10, by: total}
 *   allowedLateness: 5m
 *   late: accumulate        # drop (default) | accumulate | delta
 *   reportLateFor: 10m      # with late: drop, dead-letter late events up to this far past the window (default 10m)
 *   early: 10s
 * }</pre>
 */
public final class AggregateStep implements StepProvider {
  @Override
  public String type() {
    return "Aggregate";
  }

  @Override
  public String description() {
    return "Aggregate per key over tumbling, sliding, session, count or global windows; having; top-N.";
  }

  @Override
  public JsonNode configSchema() {
    return StepSchemas.read("Aggregate.schema.json");
  }

  @Override
  public StepResult apply(StepContext context) {
    SpecNode spec = context.spec();
    WindowedAggregate aggregate = WindowedAggregate.perKey(ThresholdStep.fieldList(spec.texts("key")))
        .withWindowing(windowing(spec.child("window")))
        .withAggregations(aggregations(spec))
        .named(context.name())
        .withOrigin(spec.path());
    String late = spec.text("late", "drop");
    if (spec.has("allowedLateness") || !"drop".equals(late)) {
      WindowedAggregate.LatePolicy policy = "accumulate".equals(late) ? WindowedAggregate.LatePolicy.UPDATE_ACCUMULATED
          : "delta".equals(late) ? WindowedAggregate.LatePolicy.UPDATE_DELTA : WindowedAggregate.LatePolicy.DROP;
      aggregate = aggregate.withAllowedLateness(
          Durations.parse(spec.text("allowedLateness", "0s"), spec.childPath("allowedLateness")), policy);
    }
    if (spec.has("reportLateFor")) {
      aggregate = aggregate.withLateEventsReportedFor(Durations.parse(spec.text("reportLateFor"), spec.childPath("reportLateFor")));
    }
    if (spec.has("early")) {
      aggregate = aggregate.withEarlyFirings(Durations.parse(spec.text("early"), spec.childPath("early")));
    }
    if (spec.has("having")) {
      aggregate = aggregate.withHaving(spec.text("having"));
    }
    if (spec.has("top")) {
      SpecNode top = spec.child("top");
      aggregate = aggregate.withTopN((int) top.number("n", 10), top.text("by"));
    }
    return StepResult.of(context.input().apply(context.name(), aggregate));
  }

  private static Windowing windowing(SpecNode window) {
    String type = window.text("type");
    switch (type) {
      case "tumbling":
        return Windowing.tumbling(Durations.parse(window.text("size"), window.childPath("size")));
      case "sliding":
        return Windowing.sliding(
            Durations.parse(window.text("size"), window.childPath("size")), Durations.parse(window.text("slide"), window.childPath("slide")));
      case "session":
        return Windowing.sessions(Durations.parse(window.text("gap"), window.childPath("gap")));
      case "count":
        long size = window.number("size", 0);
        return Windowing.count(size, window.number("slide", size));
      default:
        return Windowing.globalEvery(window.number("every", 1));
    }
  }

  private static List<Aggregation> aggregations(SpecNode spec) {
    List<Aggregation> out = new ArrayList<>();
    for (Map.Entry<String, SpecNode> entry : spec.entries("aggregates").entrySet()) {
      JsonNode value = entry.getValue().json();
      Aggregation aggregation;
      if (value.isTextual()) {
        aggregation = Aggregation.of(value.asText(), null);
      } else {
        String fn = value.path("fn").asText().toLowerCase(Locale.ROOT);
        String field = value.hasNonNull("field") ? value.get("field").asText() : null;
        aggregation = "quantile".equals(fn) ? Aggregation.quantile(field, value.path("q").asDouble()) : Aggregation.of(fn, field);
      }
      out.add(aggregation.as(entry.getKey()));
    }
    return out;
  }
}
