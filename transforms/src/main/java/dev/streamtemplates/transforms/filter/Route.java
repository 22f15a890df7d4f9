package dev.streamtemplates.transforms.filter;

import com.google.auto.value.AutoValue;
import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.core.Names;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.expr.ExpressionException;
import dev.streamtemplates.transforms.expr.RowExpression;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
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
 * Result routes = shipments.apply(
 *     Route.firstMatch()
 *         .when("domestic", "origin == destination")
 *         .when("eu", "destination in ['FR', 'DE', 'IT', 'ES']")
 *         .otherwise("international"));
 * PCollection<Row> domestic = routes.output("domestic");
 * PCollection<Row> deadLetters = routes.failures();
 * }</pre>
 *
 * <p>{@link #firstMatch()} sends each row to the first route whose condition holds; {@link
 * #allMatches()} to every such route. A row that matches none goes to the default route, or is
 * dropped and counted ({@code records/<step>-dropped}) when there is none. Conditions are
 * null-safe as in {@link Filter}; a condition that fails on a row sends that row to the
 * dead-letter output ({@link Result#failures()}) and to no route. The main output ({@link
 * Result#output()}) is the first route; every route is a named output. Element-wise and stateless: timestamps, windows
 * and panes are kept.
 */
public final class Route extends PTransform<PCollection<Row>, Result> {

  /** Reserved: no route may be called this. */
  public static final String DEAD_LETTER = "dead-letter";

  /** Every setting; immutable, copied with a change by each {@code withX}. */
  @AutoValue
  abstract static class Settings implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    abstract boolean all();

    abstract Map<String, String> conditions();

    abstract @Nullable String otherwise();

    abstract String step();

    abstract String origin();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder all(boolean all);

      abstract Builder conditions(Map<String, String> conditions);

      abstract Builder otherwise(String otherwise);

      abstract Builder step(String step);

      abstract Builder origin(String origin);

      abstract Settings build();
    }
  }

  private final Settings settings;

  private Route(Settings settings) {
    this.settings = settings;
  }

  private Route with(UnaryOperator<Settings.Builder> change) {
    return new Route(change.apply(settings.toBuilder()).build());
  }

  private static Route create(boolean all) {
    return new Route(new AutoValue_Route_Settings.Builder().all(all).conditions(Map.of()).step("route").origin("routes").build());
  }

  /** Each row goes to the first route whose condition holds. */
  public static Route firstMatch() {
    return create(false);
  }

  /** Each row goes to every route whose condition holds. */
  public static Route allMatches() {
    return create(true);
  }

  /** Adds route {@code name}, taken when {@code condition} holds; routes are tried in the order added. */
  @CheckReturnValue
  public Route when(String name, String condition) {
    checkRouteName(name);
    if (settings.conditions().containsKey(name) || name.equals(settings.otherwise())) {
      throw new IllegalArgumentException("route '" + name + "' is defined twice");
    }
    if (condition == null || condition.isBlank()) {
      throw new IllegalArgumentException("condition of route '" + name + "' must be a non-empty CEL expression");
    }
    Map<String, String> next = new LinkedHashMap<>(settings.conditions());
    next.put(name, condition);
    return with(b -> b.conditions(java.util.Collections.unmodifiableMap(next)));
  }

  /** The route for rows that match no condition. */
  @CheckReturnValue
  public Route otherwise(String name) {
    checkRouteName(name);
    if (settings.conditions().containsKey(name)) {
      throw new IllegalArgumentException("route '" + name + "' is defined twice");
    }
    return with(b -> b.otherwise(name));
  }

  @CheckReturnValue
  public Route named(String step) {
    String name = Names.require(step, "step");
    return with(b -> b.step(name));
  }

  /** Where the routes were declared, e.g. {@code steps[1].routes}, for error messages. */
  @CheckReturnValue
  public Route withOrigin(String origin) {
    String where = Names.require(origin, "origin");
    return with(b -> b.origin(where));
  }

  /** The route names, in order, the default last. */
  public List<String> routeNames() {
    List<String> names = new ArrayList<>(settings.conditions().keySet());
    if (settings.otherwise() != null) {
      names.add(settings.otherwise());
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
  public Result expand(PCollection<Row> input) {
    if (settings.conditions().isEmpty()) {
      throw new IllegalArgumentException("a Route needs at least one route: call when(name, condition)");
    }
    Schema schema = input.getSchema();
    List<RowExpression> expressions = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    int i = 0;
    for (Map.Entry<String, String> route : settings.conditions().entrySet()) {
      try {
        expressions.add(RowExpression.compile(settings.origin() + "[" + i + "].when", schema, route.getValue()).requireBoolean());
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
            settings.all() ? "Route to all matches" : "Route to first match",
            ParDo.of(new RouteFn(expressions, tags, settings.otherwise() != null, settings.all(), failures, settings.step()))
                .withOutputTags(failures, TupleTagList.of(new ArrayList<>(tags))));
    Map<String, PCollection<Row>> routes = new java.util.LinkedHashMap<>();
    for (TupleTag<Row> tag : tags) {
      routes.put(tag.getId(), result.get(tag).setRowSchema(schema));
    }
    return Result.of(routes.get(names.get(0)), routes, result.get(failures).setRowSchema(DeadLetter.SCHEMA));
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
