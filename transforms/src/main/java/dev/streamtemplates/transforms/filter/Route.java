package dev.streamtemplates.transforms.filter;

import dev.streamtemplates.transforms.core.Names;
import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.expr.ExpressionException;
import dev.streamtemplates.transforms.expr.RowExpression;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Splits a stream into named routes, each chosen by a CEL condition, with an optional default.
 *
 * <pre>{@code
 * PCollectionTuple routes = shipments.apply(
 *     Route.firstMatch()
 *         .when("domestic", "origin == destination")
 *         .when("eu", "destination in ['FR', 'DE', 'IT', 'ES']")
 *         .otherwise("international"));
 * PCollection<Row> domestic = routes.get("domestic");
 * PCollection<Row> deadLetters = routes.get(Route.DEAD_LETTER);
 * }</pre>
 *
 * <p>{@link #firstMatch()} sends each row to the first route whose condition holds; {@link
 * #allMatches()} to every such route. A row that matches none goes to the default route, or is
 * dropped and counted ({@code records/<step>-dropped}) when there is none. Conditions are
 * null-safe as in {@link Filter}; a condition that fails on a row sends that row to the
 * {@link #DEAD_LETTER} output and to no route. Element-wise and stateless: timestamps, windows
 * and panes are kept.
 */
public final class Route extends PTransform<PCollection<Row>, PCollectionTuple> {

  /** The tag id of the dead-letter output in the result. */
  public static final String DEAD_LETTER = "dead-letter";

  private final boolean all;
  private final Map<String, String> conditions;
  private final @Nullable String otherwise;
  private final String step;
  private final String origin;

  private Route(boolean all, Map<String, String> conditions, @Nullable String otherwise, String step, String origin) {
    this.all = all;
    this.conditions = conditions;
    this.otherwise = otherwise;
    this.step = step;
    this.origin = origin;
  }

  /** Each row goes to the first route whose condition holds. */
  public static Route firstMatch() {
    return new Route(false, new LinkedHashMap<>(), null, "route", "routes");
  }

  /** Each row goes to every route whose condition holds. */
  public static Route allMatches() {
    return new Route(true, new LinkedHashMap<>(), null, "route", "routes");
  }

  /** Adds route {@code name}, taken when {@code condition} holds; routes are tried in the order added. */
  @CheckReturnValue
  public Route when(String name, String condition) {
    checkRouteName(name);
    if (conditions.containsKey(name) || name.equals(otherwise)) {
      throw new IllegalArgumentException("route '" + name + "' is defined twice");
    }
    if (condition == null || condition.isBlank()) {
      throw new IllegalArgumentException("condition of route '" + name + "' must be a non-empty CEL expression");
    }
    Map<String, String> next = new LinkedHashMap<>(conditions);
    next.put(name, condition);
    return new Route(all, next, otherwise, step, origin);
  }

  /** The route for rows that match no condition. */
  @CheckReturnValue
  public Route otherwise(String name) {
    checkRouteName(name);
    if (conditions.containsKey(name)) {
      throw new IllegalArgumentException("route '" + name + "' is defined twice");
    }
    return new Route(all, new LinkedHashMap<>(conditions), name, step, origin);
  }

  @CheckReturnValue
  public Route named(String step) {
    return new Route(all, new LinkedHashMap<>(conditions), otherwise, Names.require(step, "step"), origin);
  }

  /** Where the routes were declared, e.g. {@code steps[1].routes}, for error messages. */
  @CheckReturnValue
  public Route withOrigin(String origin) {
    return new Route(all, new LinkedHashMap<>(conditions), otherwise, step, Names.require(origin, "origin"));
  }

  /** The route names, in order, the default last. */
  public List<String> routeNames() {
    List<String> names = new ArrayList<>(conditions.keySet());
    if (otherwise != null) {
      names.add(otherwise);
    }
    return names;
  }

  private static void checkRouteName(String name) {
    Names.require(name, "route name");
    if (DEAD_LETTER.equals(name)) {
      throw new IllegalArgumentException("'" + DEAD_LETTER + "' is reserved for the dead-letter output; choose another route name");
    }
  }

  @Override
  public PCollectionTuple expand(PCollection<Row> input) {
    if (conditions.isEmpty()) {
      throw new IllegalArgumentException("a Route needs at least one route: call when(name, condition)");
    }
    Schema schema = input.getSchema();
    List<RowExpression> expressions = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    int i = 0;
    for (Map.Entry<String, String> route : conditions.entrySet()) {
      try {
        expressions.add(RowExpression.compile(origin + "[" + i + "].when", schema, route.getValue()).requireBoolean());
      } catch (ExpressionException e) {
        errors.add(e.getMessage());
      }
      i++;
    }
    if (!errors.isEmpty()) {
      throw new ExpressionException(String.join("; ", errors));
    }
    List<String> names = routeNames();
    List<TupleTag<Row>> tags = new ArrayList<>();
    names.forEach(name -> tags.add(new TupleTag<>(name)));
    TupleTag<Row> failures = new TupleTag<>(DEAD_LETTER);
    PCollectionTuple result =
        input.apply(
            all ? "Route to all matches" : "Route to first match",
            ParDo.of(new RouteFn(expressions, tags, otherwise != null, all, failures, step))
                .withOutputTags(failures, TupleTagList.of(new ArrayList<>(tags))));
    for (TupleTag<Row> tag : tags) {
      result.get(tag).setRowSchema(schema);
    }
    result.get(failures).setRowSchema(DeadLetter.SCHEMA);
    return result;
  }

  private static final class RouteFn extends DoFn<Row, Row> {
    private final List<RowExpression> expressions;
    private final List<TupleTag<Row>> tags;
    private final boolean hasDefault;
    private final boolean all;
    private final TupleTag<Row> failures;
    private final String step;
    private final Counter unrouted;
    private final Counter failed;
    private transient RowExpression.Compiled[] programs;

    RouteFn(List<RowExpression> expressions, List<TupleTag<Row>> tags, boolean hasDefault, boolean all, TupleTag<Row> failures, String step) {
      this.expressions = expressions;
      this.tags = tags;
      this.hasDefault = hasDefault;
      this.all = all;
      this.failures = failures;
      this.step = step;
      this.unrouted = Metrics.counter("records", step + "-dropped");
      this.failed = DeadLetter.counter(step);
    }

    @Setup
    public void setup() {
      programs = new RowExpression.Compiled[expressions.size()];
      for (int i = 0; i < programs.length; i++) {
        programs[i] = expressions.get(i).program();
      }
    }

    @ProcessElement
    public void process(@Element Row row, @Timestamp Instant timestamp, MultiOutputReceiver out) {
      // Decide every route before emitting, so that a failing condition sends the row nowhere but the dead letters.
      boolean[] matches = new boolean[programs.length];
      for (int i = 0; i < programs.length; i++) {
        try {
          matches[i] = programs[i].testNullSafe(row);
        } catch (Exception e) {
          failed.inc();
          out.get(failures).output(DeadLetter.ofText(step, expressions.get(i).origin() + ": " + e.getMessage(), RowText.json(row), DeadLetter.knownTime(timestamp)));
          return;
        }
        if (matches[i] && !all) {
          break;
        }
      }
      boolean routed = false;
      for (int i = 0; i < programs.length; i++) {
        if (matches[i]) {
          out.get(tags.get(i)).output(row);
          routed = true;
        }
      }
      if (!routed) {
        if (hasDefault) {
          out.get(tags.get(tags.size() - 1)).output(row);
        } else {
          unrouted.inc();
        }
      }
    }
  }
}
