package dev.streamtemplates.transforms.ml;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.streamtemplates.transforms.core.Result;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;

/**
 * {@link ScoreService} against a real HTTP server on loopback that serves a linear model, y = 2 *
 * vibration + temperature / 10, in the "instances / predictions" protocol; with paths that fail
 * once, always, slowly, refuse the request, or answer the wrong number of predictions.
 */
public class ScoreServiceTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Schema READING = Schema.builder().addStringField("part").addDoubleField("vib").addNullableField("temp", Schema.FieldType.DOUBLE).build();

  private HttpServer server;
  private String base;
  /** Requests per path, and the batch sizes the model path saw (a static: the DoFn runs in copies). */
  private static final Map<String, AtomicInteger> CALLS = new java.util.concurrent.ConcurrentHashMap<>();
  private static final List<Integer> BATCHES = Collections.synchronizedList(new ArrayList<>());
  private static final List<String> AUTHORIZATION = Collections.synchronizedList(new ArrayList<>());

  @Before
  public void start() throws IOException {
    CALLS.clear();
    BATCHES.clear();
    AUTHORIZATION.clear();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/model", exchange -> answer(exchange, 200, predict(exchange, 0)));
    server.createContext("/flaky", exchange -> {
      boolean first = CALLS.computeIfAbsent("/flaky-seen", k -> new AtomicInteger()).getAndIncrement() == 0;
      answer(exchange, first ? 503 : 200, first ? "{\"error\": \"warming up\"}" : predict(exchange, 0));
    });
    server.createContext("/down", exchange -> answer(exchange, 500, "{\"error\": \"model not loaded\"}"));
    server.createContext("/refuses", exchange -> answer(exchange, 400, "{\"error\": \"instances[0]: unknown input 'vib'\"}"));
    server.createContext("/short", exchange -> answer(exchange, 200, predict(exchange, 1)));
    server.createContext("/slow", exchange -> {
      try {
        Thread.sleep(1_500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      answer(exchange, 200, predict(exchange, 0));
    });
    server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
    server.start();
    base = "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
  }

  @After
  public void stop() {
    server.stop(0);
  }

  /** The model: one prediction per instance, null where an input is null; {@code drop} predictions left off the end. */
  private static String predict(HttpExchange exchange, int drop) throws IOException {
    CALLS.computeIfAbsent(exchange.getHttpContext().getPath(), k -> new AtomicInteger()).incrementAndGet();
    String auth = exchange.getRequestHeaders().getFirst("Authorization");
    if (auth != null) {
      AUTHORIZATION.add(auth);
    }
    JsonNode request = JSON.readTree(exchange.getRequestBody());
    ArrayNode instances = (ArrayNode) request.get("instances");
    BATCHES.add(instances.size());
    ObjectNode response = JSON.createObjectNode();
    ArrayNode predictions = response.putArray("predictions");
    for (int i = 0; i < instances.size() - drop; i++) {
      JsonNode in = instances.get(i);
      if (in.get("temperature").isNull()) {
        predictions.addNull();
      } else {
        predictions.add(2 * in.get("vibration").asDouble() + in.get("temperature").asDouble() / 10);
      }
    }
    return JSON.writeValueAsString(response);
  }

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private PCollection<Row> readings(String name, int n) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(Row.withSchema(READING).addValues("p" + i, (double) i, i == 3 ? null : 20.0 + i).build());
    }
    return pipeline.apply(name, Create.of(rows).withRowSchema(READING));
  }

  private ScoreService service(String path) {
    return ScoreService.at(base + path).withInputs(Map.of("vibration", "vib", "temperature", "temp")).withBatch(4)
        .withTimeout(Duration.millis(500)).withRetries(1).named("defect");
  }

  private static PCollection<String> text(PCollection<Row> rows, String name, String field) {
    return rows.apply(name, MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("part") + "=" + r.getValue(field)));
  }

  @Test
  public void scoresInBatchesAndDeadLettersARowTheModelGivesNoPredictionFor() {
    Result scored = readings("readings", 10).apply(service("/model").withHeaders(Map.of("Authorization", "Bearer s3cret")));
    // Expected by hand: 2 * i + (20 + i) / 10 for part i; part 3 has no temperature.
    PAssert.that(text(scored.output(), "predictions", "prediction")).containsInAnyOrder(
        "p0=2.0", "p1=4.1", "p2=6.2", "p4=10.4", "p5=12.5", "p6=14.6", "p7=16.7", "p8=18.8", "p9=20.9");
    PAssert.that(scored.failures().apply("errors", MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("error"))))
        .containsInAnyOrder("the model service at " + base + "/model gave no prediction for this row");
    pipeline.run().waitUntilFinish();
    int sent = BATCHES.stream().mapToInt(Integer::intValue).sum();
    assertEquals(10, sent);
    assertThat(BATCHES.toString(), BATCHES.stream().allMatch(b -> b <= 4), org.hamcrest.Matchers.is(true));
    assertEquals(CALLS.get("/model").get(), AUTHORIZATION.size());
    assertThat(AUTHORIZATION.toString(), AUTHORIZATION.stream().allMatch("Bearer s3cret"::equals), org.hamcrest.Matchers.is(true));
  }

  @Test
  public void aFailureThatMayPassIsRetried() {
    Result scored = readings("readings", 2).apply(service("/flaky").withBatch(10));
    PAssert.that(text(scored.output(), "predictions", "prediction")).containsInAnyOrder("p0=2.0", "p1=4.1");
    PAssert.that(scored.failures()).empty();
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void aServiceThatKeepsFailingTimesOutOrRefusesDeadLettersItsRowsWithTheReason() {
    String down = base + "/down";
    String slow = base + "/slow";
    String refuses = base + "/refuses";
    String shortAnswer = base + "/short";
    List<Result> results = List.of(
        readings("a", 2).apply("down", service("/down")),
        readings("b", 1).apply("slow", service("/slow").withRetries(0)),
        readings("c", 1).apply("refuses", service("/refuses")),
        readings("d", 1).apply("short", service("/short").withBatch(10)));
    PCollection<String> errors = org.apache.beam.sdk.values.PCollectionList.of(results.stream().map(Result::failures).toList())
        .apply(org.apache.beam.sdk.transforms.Flatten.pCollections())
        .apply(MapElements.into(TypeDescriptors.strings()).via(r -> r.getString("error")));
    PAssert.that(errors).containsInAnyOrder(
        "the model service at " + down + " answered HTTP 500: {\"error\": \"model not loaded\"} (2 attempts)",
        "the model service at " + down + " answered HTTP 500: {\"error\": \"model not loaded\"} (2 attempts)",
        "the model service at " + slow + " did not answer within 500 ms (1 attempt)",
        "the model service at " + refuses + " answered HTTP 400: {\"error\": \"instances[0]: unknown input 'vib'\"}; the request is not retried",
        "the model service at " + shortAnswer + " answered 0 predictions for 1 instances");
    for (int i = 0; i < results.size(); i++) {
      PAssert.that("nothing scored " + i, results.get(i).output()).empty();
    }
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void launchChecksNameTheProblem() {
    assertThat(assertThrows(IllegalArgumentException.class, () -> ScoreService.at("ftp://models/x")).getMessage(),
        containsString("'ftp://models/x' is not an http:// or https:// URL with a host"));
    IllegalArgumentException noField = assertThrows(IllegalArgumentException.class,
        () -> ScoreService.at("http://models/predict").withInputs(Map.of("vibration", "vibration")).outputSchema(READING));
    assertThat(noField.getMessage(), containsString("model input 'vibration' is mapped to field 'vibration', which the rows do not have"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> ScoreService.at("http://m/p").withBatch(0)).getMessage(),
        containsString("batch must be 1 to 10000 rows, got 0"));
    // Credentials in the URL are not printed.
    String printed = ScoreService.printable("https://user:pa55@models.example:8443/v1/models/defect:predict?key=abc");
    assertEquals("https://models.example:8443/v1/models/defect:predict", printed);
    assertThat(printed, not(containsString("pa55")));
  }
}
