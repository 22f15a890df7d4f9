package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.streamtemplates.transforms.filter.Route;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code type: Route}: named routes chosen by CEL conditions, each addressable as {@code
 * step.route} by later steps and sinks.
 *
 * <pre>{@code
 * - name: by-region
 *   type: Route
 *   input: shipments
 *   mode: first          # first (default) or all
 *   routes:
 *     - {name: domestic, when: "origin == destination"}
 *     - {name: europe, when: "destination in ['FR', 'DE']"}
 *   default: international
 * # later: input: by-region.europe
 * }</pre>
 */
public final class RouteStep extends StepType<RouteStep.Config> {
  /** first: each event takes the first matching route; all: every matching route. */
  public enum Mode {
    FIRST, ALL
  }

  /** One named route and its condition. */
  public record When(String name, String when) {}

  /** The spec of a Route step; {@code default} is the route of events that match none. */
  public record Config(@Nullable Mode mode, List<When> routes, @JsonProperty("default") @Nullable String otherwise) {
    public Config {
      mode = mode == null ? Mode.FIRST : mode;
      routes = List.copyOf(routes);
    }
  }

  public RouteStep() {
    super("Route", "Split a stream into named routes by CEL conditions (first match or all matches), with a default route.", Config.class);
  }

  @Override
  public List<String> outputNames(StepContext<Config> step) {
    return route(step.config(), step.childPath("routes")).routeNames();
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    // The main output of a Route is its first route; name routes explicitly as step.route.
    return StepResult.of(step.input().apply(step.name(), route(step.config(), step.childPath("routes")).named(step.name())));
  }

  private static Route route(Config config, String origin) {
    Route route = config.mode() == Mode.ALL ? Route.allMatches() : Route.firstMatch();
    route = route.withOrigin(origin);
    for (When entry : config.routes()) {
      route = route.when(entry.name(), entry.when());
    }
    if (config.otherwise() != null) {
      route = route.otherwise(config.otherwise());
    }
    return route;
  }
}
