package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.spec.Durations;
import dev.streamtemplates.pipelines.spec.FieldList;
import dev.streamtemplates.transforms.aggregate.Aggregation;
import dev.streamtemplates.transforms.aggregate.WindowedAggregate;
import dev.streamtemplates.transforms.aggregate.Windowing;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

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
 *   previous: [total]       # adds totalPrevious, totalChange, totalChangePct: the key's previous window
 * }</pre>
 *
 * <p>{@code window: {type: perEvent, range: 10m}} or {@code {type: perEvent, rows: 5}}: each event
 * with its key's aggregates over the last range or rows ({@link PerEventWindows}).
 */
public final class AggregateStep extends StepType<AggregateStep.Config> {
  /** The spec of an Aggregate step. */
  public record Config(
      @Nullable FieldList key,
      Window window,
      Map<String, Aggregate> aggregates,
      @Nullable String having,
      @Nullable Top top,
      @Nullable Duration allowedLateness,
      WindowedAggregate.@Nullable LatePolicy late,
      @Nullable Duration reportLateFor,
      @Nullable Duration early,
      @Nullable FieldList previous) {
    public Config {
      key = key == null ? FieldList.NONE : key;
      previous = previous == null ? FieldList.NONE : previous;
      aggregates = new LinkedHashMap<>(aggregates);
    }
  }

  /** The kinds of window a spec can name. */
  public enum WindowType {
    TUMBLING, SLIDING, SESSION, COUNT, GLOBAL,
    /** Each event with the aggregates of its key's last range or rows, see {@link PerEventWindows}. */
    @JsonProperty("perEvent") PER_EVENT
  }

  /** {@code window:}; which of size, slide, gap and every are required depends on the type (the schema says); range or rows for perEvent. */
  public record Window(WindowType type, @Nullable Extent size, @Nullable Extent slide, @Nullable Duration gap, @Nullable Long every,
      @Nullable Duration range, @Nullable Long rows) {}

  /** A window size or slide: a duration ({@code 5m}) for time windows, a number of events for count windows. */
  public record Extent(@Nullable String duration, long events) {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Extent of(JsonNode node) {
      return node.isIntegralNumber() ? new Extent(null, node.asLong()) : new Extent(node.asText(), 0);
    }

    Duration duration(String path) {
      return Durations.parse(duration == null ? String.valueOf(events) : duration, path);
    }

    long events(String path) {
      if (duration != null) {
        throw new IllegalArgumentException(path + ": a count window is measured in events, write a number, got '" + duration + "'");
      }
      return events;
    }
  }

  /** One aggregate: {@code count}, or {@code {fn, field, q}}. */
  public record Aggregate(String fn, @Nullable String field, @Nullable Double q) {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Aggregate of(JsonNode node) {
      if (!node.isObject()) {
        return new Aggregate(node.asText(), null, null);
      }
      return new Aggregate(node.path("fn").asText(), node.hasNonNull("field") ? node.get("field").asText() : null,
          node.hasNonNull("q") ? node.get("q").asDouble() : null);
    }

    Aggregation toAggregation(String name) {
      String function = fn.toLowerCase(Locale.ROOT);
      Aggregation aggregation = "quantile".equals(function) ? Aggregation.quantile(field, q == null ? 0 : q) : Aggregation.of(function, field);
      return aggregation.as(name);
    }
  }

  /** {@code top: {n, by}}: the n rows of each window with the largest {@code by}. */
  public record Top(@Nullable Integer n, String by) {
    public Top {
      n = n == null ? 10 : n;
    }
  }

  public AggregateStep() {
    super("Aggregate", "Aggregate per key over tumbling, sliding, session, count or global windows, or per event (OVER); having; top-N.", Config.class);
  }

  @Override
  public boolean revisesResults(StepContext<Config> step) {
    return step.config().early() != null || (step.config().late() != null && step.config().late() != WindowedAggregate.LatePolicy.DROP);
  }

  @Override
  public boolean treatsEachRecordAsAnEvent(StepContext<Config> step) {
    return true;
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    Config config = step.config();
    if (config.window().type() == WindowType.PER_EVENT) {
      return PerEventWindows.apply(step);
    }
    PerEventWindows.refuseOutside(step);
    List<Aggregation> aggregations = new ArrayList<>();
    config.aggregates().forEach((name, aggregate) -> aggregations.add(aggregate.toAggregation(name)));
    WindowedAggregate aggregate = WindowedAggregate.perKey(config.key().names())
        .withWindowing(windowing(config.window(), step.childPath("window")))
        .withAggregations(aggregations)
        .named(step.name())
        .withOrigin(step.path());
    WindowedAggregate.LatePolicy late = config.late() == null ? WindowedAggregate.LatePolicy.DROP : config.late();
    if (config.allowedLateness() != null || late != WindowedAggregate.LatePolicy.DROP) {
      aggregate = aggregate.withAllowedLateness(config.allowedLateness() == null ? Duration.ZERO : config.allowedLateness(), late);
    }
    if (config.reportLateFor() != null) {
      aggregate = aggregate.withLateEventsReportedFor(config.reportLateFor());
    }
    if (config.early() != null) {
      aggregate = aggregate.withEarlyFirings(config.early());
    }
    if (config.having() != null) {
      aggregate = aggregate.withHaving(config.having());
    }
    if (config.top() != null) {
      aggregate = aggregate.withTopN(config.top().n(), config.top().by());
    }
    if (!config.previous().names().isEmpty()) {
      aggregate = aggregate.withPrevious(config.previous().names());
    }
    return StepResult.of(step.input().apply(step.name(), aggregate));
  }

  private static Windowing windowing(Window window, String path) {
    switch (window.type()) {
      case TUMBLING:
        return Windowing.tumbling(window.size().duration(path + ".size"));
      case SLIDING:
        return Windowing.sliding(window.size().duration(path + ".size"), window.slide().duration(path + ".slide"));
      case SESSION:
        return Windowing.sessions(window.gap());
      case COUNT:
        long size = window.size().events(path + ".size");
        return Windowing.count(size, window.slide() == null ? size : window.slide().events(path + ".slide"));
      default:
        return Windowing.globalEvery(window.every());
    }
  }
}
