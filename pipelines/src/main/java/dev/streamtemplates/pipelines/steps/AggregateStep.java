package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.spec.Durations;
import dev.streamtemplates.pipelines.spec.FieldList;
import dev.streamtemplates.transforms.aggregate.Aggregation;
import dev.streamtemplates.transforms.aggregate.Ranking;
import dev.streamtemplates.transforms.aggregate.WindowedAggregate;
import dev.streamtemplates.transforms.aggregate.Windowing;
import java.time.DayOfWeek;
import java.time.Month;
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
 *     slowest: {fn: largest, field: latencyMs, n: 3}   # a list, largest first (smallest: the other way)
 *   having: n >= 3
 *   top: {n: 10, by: total} # order: desc (default) | asc; per: [key field...] ranks within each of their values
 *   allowedLateness: 5m
 *   late: accumulate        # drop (default) | accumulate | delta
 *   reportLateFor: 10m      # with late: drop, dead-letter late events up to this far past the window (default 10m)
 *   early: 10s
 *   previous: [total]       # adds totalPrevious, totalChange, totalChangePct: the key's previous window
 *
 * - name: daily
 *   type: Aggregate
 *   input: sales
 *   key: store
 *   window: {type: calendar, unit: day, timeZone: Europe/Paris}   # or {type: tumbling, size: 8h, offset: 6h}
 *   aggregates: {total: {fn: sum, field: amount}}
 *   emit: {every: 100}      # onClose (default) | onUpdate | {every: N}: EARLY rows every N events, then ON_TIME
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
      @Nullable FieldList previous,
      @Nullable Emit emit) {
    public Config {
      key = key == null ? FieldList.NONE : key;
      previous = previous == null ? FieldList.NONE : previous;
      aggregates = new LinkedHashMap<>(aggregates);
    }
  }

  /** The kinds of window a spec can name. */
  public enum WindowType {
    TUMBLING, SLIDING, SESSION, COUNT, GLOBAL, CALENDAR,
    /** Each event with the aggregates of its key's last range or rows, see {@link PerEventWindows}. */
    @JsonProperty("perEvent") PER_EVENT
  }

  /**
   * {@code window:}; which of size, slide, gap, every, unit and timeZone are required depends on
   * the type (the schema says); range or rows for perEvent.
   */
  public record Window(WindowType type, @Nullable Extent size, @Nullable Extent slide, @Nullable Duration gap, @Nullable Long every,
      @Nullable Duration offset, Windowing.@Nullable CalendarUnit unit, @Nullable String timeZone, @Nullable DayOfWeek startOfWeek,
      @Nullable Month startOfYear, @Nullable Duration range, @Nullable Long rows, @Nullable From from) {}

  /** {@code from:} where tumbling windows start: the epoch (shifted by offset), or each key's first event. */
  public enum From {
    @JsonProperty("epoch") EPOCH,
    @JsonProperty("firstEvent") FIRST_EVENT
  }

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
  public record Aggregate(String fn, @Nullable String field, @Nullable Double q, @Nullable Integer n) {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Aggregate of(JsonNode node) {
      if (!node.isObject()) {
        return new Aggregate(node.asText(), null, null, null);
      }
      return new Aggregate(node.path("fn").asText(), node.hasNonNull("field") ? node.get("field").asText() : null,
          node.hasNonNull("q") ? node.get("q").asDouble() : null, node.hasNonNull("n") ? node.get("n").asInt() : null);
    }

    Aggregation toAggregation(String name) {
      String function = fn.toLowerCase(Locale.ROOT);
      Aggregation aggregation;
      switch (function) {
        case "quantile":
          aggregation = Aggregation.quantile(field, q == null ? 0 : q);
          break;
        case "largest":
          aggregation = Aggregation.largest(field, n == null ? 1 : n);
          break;
        case "smallest":
          aggregation = Aggregation.smallest(field, n == null ? 1 : n);
          break;
        default:
          aggregation = Aggregation.of(function, field);
      }
      return aggregation.as(name);
    }
  }

  /** {@code top: {n, by, order, per}}: the n rows of each window (and partition) first in {@code by}'s order. */
  public record Top(@Nullable Integer n, String by, Ranking.@Nullable Order order, @Nullable FieldList per) {
    public Top {
      n = n == null ? 10 : n;
      order = order == null ? Ranking.Order.DESC : order;
      per = per == null ? FieldList.NONE : per;
    }

    Ranking ranking() {
      return Ranking.of(n, by, order).per(per.names());
    }
  }

  /** {@code emit:} {@code onClose} (the default: every = 0), {@code onUpdate} (every = 1), or {@code {every: N}}. */
  public record Emit(int every) {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Emit of(JsonNode node) {
      if (node.isObject()) {
        return new Emit(node.path("every").asInt());
      }
      return new Emit("onupdate".equalsIgnoreCase(node.asText()) ? 1 : 0);
    }
  }

  public AggregateStep() {
    super("Aggregate", "Aggregate per key over tumbling, sliding, session, calendar, count or global windows, or per event (OVER); having; top-N.", Config.class);
  }

  @Override
  public boolean revisesResults(StepContext<Config> step) {
    return step.config().early() != null || (step.config().emit() != null && step.config().emit().every() > 0)
        || (step.config().late() != null && step.config().late() != WindowedAggregate.LatePolicy.DROP);
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
    if (config.emit() != null && config.emit().every() > 0) {
      aggregate = aggregate.withEarlyFiringsEvery(config.emit().every());
    }
    if (config.having() != null) {
      aggregate = aggregate.withHaving(config.having());
    }
    if (config.top() != null) {
      aggregate = aggregate.withRanking(config.top().ranking());
    }
    if (!config.previous().names().isEmpty()) {
      aggregate = aggregate.withPrevious(config.previous().names());
    }
    return StepResult.of(step.input().apply(step.name(), aggregate));
  }

  private static Windowing windowing(Window window, String path) {
    List<String> misplaced = new ArrayList<>();
    String type = window.type().name().toLowerCase(Locale.ROOT);
    if (window.offset() != null && window.type() != WindowType.TUMBLING && window.type() != WindowType.SLIDING) {
      misplaced.add(path + ".offset: offset shifts tumbling and sliding windows only, not " + type + " windows"
          + (window.type() == WindowType.CALENDAR ? " (they start at local midnight in their timeZone)" : ""));
    }
    if (window.from() == From.FIRST_EVENT && window.type() != WindowType.TUMBLING) {
      misplaced.add(path + ".from: from: firstEvent starts tumbling windows at each key's first event, not " + type + " windows");
    }
    if (window.from() == From.FIRST_EVENT && window.offset() != null) {
      misplaced.add(path + ".offset: offset shifts windows from the epoch; with from: firstEvent they start at each key's first event:"
          + " remove one of them");
    }
    if (window.type() != WindowType.CALENDAR) {
      Map<String, Object> calendarKeys = new LinkedHashMap<>();
      calendarKeys.put("unit", window.unit());
      calendarKeys.put("timeZone", window.timeZone());
      calendarKeys.put("startOfWeek", window.startOfWeek());
      calendarKeys.put("startOfYear", window.startOfYear());
      calendarKeys.forEach((key, value) -> {
        if (value != null) {
          misplaced.add(path + "." + key + ": " + key + " belongs to calendar windows, not " + type + " windows; write type: calendar");
        }
      });
    }
    if (!misplaced.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", misplaced));
    }
    switch (window.type()) {
      case TUMBLING:
        Windowing tumbling = Windowing.tumbling(window.size().duration(path + ".size"));
        if (window.from() == From.FIRST_EVENT) {
          return tumbling.fromFirstEvent();
        }
        return window.offset() == null ? tumbling : tumbling.withOffset(window.offset());
      case SLIDING:
        Windowing sliding = Windowing.sliding(window.size().duration(path + ".size"), window.slide().duration(path + ".slide"));
        return window.offset() == null ? sliding : sliding.withOffset(window.offset());
      case CALENDAR:
        return calendar(window, path);
      case SESSION:
        return Windowing.sessions(window.gap());
      case COUNT:
        long size = window.size().events(path + ".size");
        return Windowing.count(size, window.slide() == null ? size : window.slide().events(path + ".slide"));
      default:
        return Windowing.globalEvery(window.every());
    }
  }

  /** Calendar windows; a bad time zone, or a start that does not fit the unit, is one line naming the field. */
  private static Windowing calendar(Window window, String path) {
    Windowing calendar;
    try {
      calendar = Windowing.calendar(window.unit(), window.timeZone());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(path + ".timeZone: " + e.getMessage());
    }
    String unit = window.unit().name().toLowerCase(Locale.ROOT);
    if (window.startOfWeek() != null) {
      if (window.unit() != Windowing.CalendarUnit.WEEK) {
        throw new IllegalArgumentException(path + ".startOfWeek: startOfWeek belongs to unit: week, not unit: " + unit);
      }
      calendar = calendar.withStartOfWeek(window.startOfWeek());
    }
    if (window.startOfYear() != null) {
      if (window.unit() != Windowing.CalendarUnit.YEAR) {
        throw new IllegalArgumentException(path + ".startOfYear: startOfYear belongs to unit: year, not unit: " + unit);
      }
      calendar = calendar.withStartOfYear(window.startOfYear());
    }
    return calendar;
  }
}
