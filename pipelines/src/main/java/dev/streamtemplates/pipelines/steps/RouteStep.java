package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.filter.Route;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;

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
public final class RouteStep implements StepProvider {
  @Override
  public String type() {
    return "Route";
  }

  @Override
  public String description() {
    return "Split a stream into named routes by CEL conditions (first match or all matches), with a default route.";
  }

  @Override
  public JsonNode configSchema() {
    return StepSchemas.read("Route.schema.json");
  }

  @Override
  public List<String> outputNames(StepContext.Config config) {
    return route(config.spec()).routeNames();
  }

  @Override
  public StepResult apply(StepContext context) {
    Route route = route(context.spec()).named(context.name());
    PCollectionTuple routes = context.input().apply(context.name(), route);
    Map<String, PCollection<Row>> named = new LinkedHashMap<>();
    for (String name : route.routeNames()) {
      named.put(name, routes.get(name));
    }
    // The main output of a Route is its first route; name routes explicitly as step.route.
    return new StepResult(named.get(route.routeNames().get(0)), named, List.of(routes.<Row>get(Route.DEAD_LETTER)));
  }

  private static Route route(SpecNode spec) {
    Route route = "all".equals(spec.text("mode", "first")) ? Route.allMatches() : Route.firstMatch();
    route = route.withOrigin(spec.childPath("routes"));
    for (SpecNode entry : spec.items("routes")) {
      route = route.when(entry.text("name"), entry.text("when"));
    }
    if (spec.has("default")) {
      route = route.otherwise(spec.text("default"));
    }
    return route;
  }

}
