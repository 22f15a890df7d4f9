package dev.streamtemplates.transforms.ml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.joda.time.ReadableInstant;

/**
 * Scores rows with a model served over HTTP: rows are sent in batches as JSON, and each row gets
 * the prediction the service returns for it as a new field.
 *
 * <pre>{@code
 * Result scored = readings.apply(
 *     ScoreService.at("http://models:8501/v1/models/defect:predict")
 *         .withInputs(Map.of("vibration", "vib_mm_s", "temperature", "temp_c")) // model input -> row field
 *         .withBatch(64).withTimeout(Duration.standardSeconds(5)).withRetries(2)
 *         .named("defect"));
 * }</pre>
 *
 * <p>The protocol is the "instances / predictions" JSON of TensorFlow Serving's and KServe's (v1)
 * REST predict APIs: a POST of {@code {"instances": [{"vibration": 4.2, "temperature": 71.0},
 * ...]}} answered by {@code 200} and {@code {"predictions": [p0, p1, ...]}}, one per instance in
 * order, where each is the predicted value (a number, string or boolean) or an object holding it
 * as {@code "prediction"}. A {@code null} prediction is a dead letter for its row.
 *
 * <p>Batching: rows are gathered per bundle, up to {@code batch} per request, and the last
 * partial batch is sent when the bundle ends, so nothing waits for a batch that never fills. The
 * results are emitted when the bundle ends, each with its row's own timestamp and window.
 * A request that fails for a reason that may pass (a connection error, a timeout, 429, or a 5xx
 * status) is retried up to {@code retries} times, with a pause of 100 ms doubling each time; then
 * every row of the batch is a dead letter naming the service, the status or the error, and the
 * attempts. Any other status (a 4xx: the service refuses the request), or an answer that is not
 * one prediction per instance, makes the batch's rows dead letters at once. The URL is printed
 * without its user info and query, and header values never, since they may hold credentials.
 *
 * <p>Stateless and element-wise: each row keeps its timestamp and window, so it works on every
 * runner. Counters: {@code records/<step>-scored}, {@code records/<step>-requests}, {@code
 * records/<step>-retries}, {@code dead-letter/<step>}.
 *
 * <p>Written by hand on the JDK's HTTP client because Beam's Java SDK has no HTTP inference
 * transform (RunInference is Python) and its {@code RequestResponseIO} is still experimental
 * and brings its own caching and throttling model; a batch per bundle with bounded retries is
 * what this step needs.
 */
public final class ScoreService extends PTransform<PCollection<Row>, Result> {
  /** The kinds of prediction the service may return, and the field type each gets. */
  public enum PredictionType {
    DOUBLE(FieldType.DOUBLE), INT64(FieldType.INT64), STRING(FieldType.STRING), BOOLEAN(FieldType.BOOLEAN);

    final FieldType fieldType;

    PredictionType(FieldType fieldType) {
      this.fieldType = fieldType;
    }

    /** The type named in a spec ({@code double}, {@code int64}, {@code string}, {@code boolean}). */
    public static PredictionType named(String name) {
      try {
        return valueOf(name.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + name + "' is not a prediction type; use double, int64, string or boolean");
      }
    }
  }

  private static final TupleTag<Row> SCORED = new TupleTag<Row>() {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};

  private final URI url;
  private final Map<String, String> inputs;
  private final Map<String, String> headers;
  private final int batch;
  private final Duration timeout;
  private final int retries;
  private final String predictionField;
  private final PredictionType predictionType;
  private final String step;

  private ScoreService(URI url, Map<String, String> inputs, Map<String, String> headers, int batch, Duration timeout, int retries,
      String predictionField, PredictionType predictionType, String step) {
    this.url = url;
    this.inputs = inputs;
    this.headers = headers;
    this.batch = batch;
    this.timeout = timeout;
    this.retries = retries;
    this.predictionField = predictionField;
    this.predictionType = predictionType;
    this.step = step;
  }

  /** A service at an http or https URL; an {@link IllegalArgumentException} naming the URL otherwise. */
  public static ScoreService at(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + printable(url) + "' is not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw new IllegalArgumentException("'" + printable(url) + "' is not an http:// or https:// URL with a host");
    }
    return new ScoreService(uri, Map.of(), Map.of(), 32, Duration.standardSeconds(10), 2, Score.PREDICTION, PredictionType.DOUBLE, "score");
  }

  /** Model input name to row field; each input is sent under its name, with the field's value. */
  public ScoreService withInputs(Map<String, String> modelInputToField) {
    if (modelInputToField.isEmpty()) {
      throw new IllegalArgumentException("the service needs at least one input: give inputs as {<model input>: <field>}");
    }
    return new ScoreService(url, new LinkedHashMap<>(modelInputToField), headers, batch, timeout, retries, predictionField, predictionType, step);
  }

  /** Headers sent with every request (e.g. an Authorization token); their values are never printed. */
  public ScoreService withHeaders(Map<String, String> headers) {
    return new ScoreService(url, inputs, new LinkedHashMap<>(headers), batch, timeout, retries, predictionField, predictionType, step);
  }

  /** At most this many rows per request (1 to 10,000; default 32). */
  public ScoreService withBatch(int rows) {
    if (rows < 1 || rows > 10_000) {
      throw new IllegalArgumentException("batch must be 1 to 10000 rows, got " + rows);
    }
    return new ScoreService(url, inputs, headers, rows, timeout, retries, predictionField, predictionType, step);
  }

  /** How long one request may take, connecting included (more than 0, at most 10 minutes; default 10 s). */
  public ScoreService withTimeout(Duration timeout) {
    if (timeout.getMillis() <= 0 || timeout.isLongerThan(Duration.standardMinutes(10))) {
      throw new IllegalArgumentException("timeout must be more than 0 and at most 10m, got " + timeout);
    }
    return new ScoreService(url, inputs, headers, batch, timeout, retries, predictionField, predictionType, step);
  }

  /** How many times a request that failed for a passing reason is tried again (0 to 10; default 2). */
  public ScoreService withRetries(int retries) {
    if (retries < 0 || retries > 10) {
      throw new IllegalArgumentException("retries must be 0 to 10, got " + retries);
    }
    return new ScoreService(url, inputs, headers, batch, timeout, retries, predictionField, predictionType, step);
  }

  /** The field of the prediction, and the type the service's predictions have. */
  public ScoreService withPrediction(String field, PredictionType type) {
    return new ScoreService(url, inputs, headers, batch, timeout, retries, field, type, step);
  }

  /** The step name, for counters and dead letters. */
  public ScoreService named(String name) {
    return new ScoreService(url, inputs, headers, batch, timeout, retries, predictionField, predictionType, name);
  }

  /** The output schema: the input's fields and the prediction; an {@link IllegalArgumentException} naming every problem otherwise. */
  public Schema outputSchema(Schema input) {
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("the service needs at least one input: give inputs as {<model input>: <field>}");
    }
    List<String> errors = new ArrayList<>();
    inputs.forEach((name, field) -> {
      if (!input.hasField(field)) {
        errors.add("model input '" + name + "' is mapped to field '" + field + "', which the rows do not have; fields are " + input.getFieldNames());
      } else {
        FieldType type = input.getField(field).getType();
        if (!type.getTypeName().isPrimitiveType() && !type.getTypeName().isLogicalType()) {
          errors.add("model input '" + name + "' is mapped to field '" + field + "', a " + type.getTypeName() + "; the service takes numbers, text, booleans and times");
        }
      }
    });
    if (input.hasField(predictionField)) {
      errors.add("the rows already have a field named '" + predictionField + "'; rename it first, or name the prediction otherwise");
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
    return Schema.builder().addFields(input.getFields()).addNullableField(predictionField, predictionType.fieldType).build();
  }

  @Override
  public Result expand(PCollection<Row> input) {
    Schema schema = outputSchema(input.getSchema());
    PCollectionTuple result = input.apply("Score with " + printable(url.toString()), ParDo.of(new ServiceFn(this, schema)).withOutputTags(SCORED, TupleTagList.of(FAILURES)));
    return Result.of(result.get(SCORED).setRowSchema(schema), result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
  }

  /** A URL as it may be printed: without user info and query, which may hold credentials. */
  static String printable(String url) {
    String noQuery = url.replaceAll("[?#].*$", "");
    return noQuery.replaceAll("^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", "$1");
  }

  /** Rows waiting for their batch to be sent, with what they need to be emitted or dead-lettered. */
  private record Pending(Row row, Instant timestamp, BoundedWindow window) {}

  /** Why a whole batch failed. */
  private static final class BatchFailed extends Exception {
    private static final long serialVersionUID = 1L;

    BatchFailed(String message) {
      super(message, null, false, false);
    }
  }

  private static final class ServiceFn extends DoFn<Row, Row> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ScoreService spec;
    private final Schema schema;
    private final String where;
    private final Counter scored;
    private final Counter requests;
    private final Counter retried;
    private final Counter failed;
    private transient HttpClient client;
    private transient List<Pending> pending;
    private transient List<Emitted> ready;

    ServiceFn(ScoreService spec, Schema schema) {
      this.spec = spec;
      this.schema = schema;
      this.where = printable(spec.url.toString());
      this.scored = Metrics.counter("records", spec.step + "-scored");
      this.requests = Metrics.counter("records", spec.step + "-requests");
      this.retried = Metrics.counter("records", spec.step + "-retries");
      this.failed = DeadLetter.counter(spec.step);
    }

    @Setup
    public void setup() {
      client = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofMillis(spec.timeout.getMillis())).build();
    }

    @StartBundle
    public void startBundle() {
      pending = new ArrayList<>();
      ready = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element Row row, @Timestamp Instant timestamp, BoundedWindow window) {
      pending.add(new Pending(row, timestamp, window));
      if (pending.size() >= spec.batch) {
        send();
      }
    }

    /**
     * Sends what is left, and emits the bundle's results, each with its own row's timestamp and
     * window: a batch can hold rows of several windows, and a row earlier than the element being
     * processed could not be emitted from {@code @ProcessElement}.
     */
    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      send();
      for (Emitted e : ready) {
        context.output(e.tag(), e.value(), e.from().timestamp(), e.from().window());
      }
      ready = new ArrayList<>();
    }

    @Teardown
    public void teardown() {
      client = null; // the JDK client has no close before Java 21; its threads end with it
    }

    /** A result waiting for the end of the bundle. */
    private record Emitted(TupleTag<Row> tag, Row value, Pending from) {}

    private void send() {
      if (pending.isEmpty()) {
        return;
      }
      List<Pending> rows = pending;
      pending = new ArrayList<>();
      List<JsonNode> predictions;
      try {
        predictions = call(rows);
      } catch (BatchFailed e) {
        for (Pending p : rows) {
          deadLetter(p, e.getMessage());
        }
        return;
      }
      for (int i = 0; i < rows.size(); i++) {
        Pending p = rows.get(i);
        try {
          Object prediction = prediction(predictions.get(i));
          ready.add(new Emitted(SCORED, Row.withSchema(schema).addValues(p.row().getValues()).addValue(prediction).build(), p));
          scored.inc();
        } catch (IllegalArgumentException e) {
          deadLetter(p, "the model service at " + where + " " + e.getMessage());
        }
      }
    }

    private void deadLetter(Pending p, String reason) {
      failed.inc();
      ready.add(new Emitted(FAILURES, DeadLetter.ofText(spec.step, reason, RowText.json(p.row()), DeadLetter.knownTime(p.timestamp())), p));
    }

    /** One request with its retries: the predictions, one per row, in order. */
    private List<JsonNode> call(List<Pending> rows) throws BatchFailed {
      byte[] body = requestBody(rows);
      HttpRequest.Builder request = HttpRequest.newBuilder(spec.url).timeout(java.time.Duration.ofMillis(spec.timeout.getMillis()))
          .header("Content-Type", "application/json").header("Accept", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      spec.headers.forEach(request::header);
      String lastFailure = null;
      long pause = 100;
      for (int attempt = 0; attempt <= spec.retries; attempt++) {
        if (attempt > 0) {
          retried.inc();
          sleep(pause);
          pause = Math.min(pause * 2, 10_000);
        }
        requests.inc();
        HttpResponse<String> response;
        try {
          response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpTimeoutException e) {
          lastFailure = "did not answer within " + spec.timeout.getMillis() + " ms";
          continue;
        } catch (IOException e) {
          lastFailure = "could not be reached: " + DeadLetter.reason(e);
          continue;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new BatchFailed("the model service at " + where + " was not called: the worker was interrupted");
        }
        int status = response.statusCode();
        if (status == 200) {
          return predictions(response.body(), rows.size());
        }
        lastFailure = "answered HTTP " + status + excerpt(response.body());
        if (status != 429 && status < 500) {
          throw new BatchFailed("the model service at " + where + " " + lastFailure + "; the request is not retried");
        }
      }
      int attempts = spec.retries + 1;
      throw new BatchFailed("the model service at " + where + " " + lastFailure + " (" + attempts + (attempts == 1 ? " attempt)" : " attempts)"));
    }

    private byte[] requestBody(List<Pending> rows) {
      ObjectNode root = JSON.createObjectNode();
      ArrayNode instances = root.putArray("instances");
      for (Pending p : rows) {
        ObjectNode instance = instances.addObject();
        spec.inputs.forEach((name, field) -> put(instance, name, p.row().getValue(field)));
      }
      try {
        return JSON.writeValueAsBytes(root);
      } catch (IOException e) {
        throw new IllegalStateException(e); // a tree of plain values always serializes
      }
    }

    private static void put(ObjectNode instance, String name, @Nullable Object value) {
      if (value == null) {
        instance.putNull(name);
      } else if (value instanceof Boolean) {
        instance.put(name, (Boolean) value);
      } else if (value instanceof BigDecimal) {
        instance.put(name, (BigDecimal) value);
      } else if (value instanceof Double || value instanceof Float) {
        instance.put(name, ((Number) value).doubleValue());
      } else if (value instanceof Number) {
        instance.put(name, ((Number) value).longValue());
      } else if (value instanceof ReadableInstant) {
        instance.put(name, new Instant(((ReadableInstant) value).getMillis()).toString());
      } else {
        instance.put(name, value.toString());
      }
    }

    private List<JsonNode> predictions(String body, int expected) throws BatchFailed {
      JsonNode root;
      try {
        root = JSON.readTree(body);
      } catch (IOException e) {
        throw new BatchFailed("the model service at " + where + " answered a body that is not JSON" + excerpt(body));
      }
      JsonNode predictions = root == null ? null : root.get("predictions");
      if (predictions == null || !predictions.isArray()) {
        throw new BatchFailed("the model service at " + where + " answered without a \"predictions\" array" + excerpt(body));
      }
      if (predictions.size() != expected) {
        throw new BatchFailed("the model service at " + where + " answered " + predictions.size() + " predictions for " + expected + " instances");
      }
      List<JsonNode> list = new ArrayList<>(expected);
      predictions.forEach(list::add);
      return list;
    }

    private Object prediction(JsonNode node) {
      JsonNode value = node != null && node.isObject() ? node.get("prediction") : node;
      if (value == null || value.isNull()) {
        throw new IllegalArgumentException("gave no prediction for this row");
      }
      switch (spec.predictionType) {
        case DOUBLE:
          if (!value.isNumber()) {
            throw new IllegalArgumentException("predicted " + value + ", which is not a number");
          }
          return value.doubleValue();
        case INT64:
          if (!value.canConvertToExactIntegral() || !value.canConvertToLong()) {
            throw new IllegalArgumentException("predicted " + value + ", which is not a 64-bit integer");
          }
          return value.longValue();
        case BOOLEAN:
          if (!value.isBoolean()) {
            throw new IllegalArgumentException("predicted " + value + ", which is not a boolean");
          }
          return value.booleanValue();
        default:
          return value.isTextual() ? value.textValue() : value.toString();
      }
    }

    private static String excerpt(String body) {
      if (body == null || body.isBlank()) {
        return "";
      }
      String text = body.strip().replaceAll("\\s+", " ");
      return ": " + (text.length() > 200 ? text.substring(0, 200) + "..." : text);
    }

    private static void sleep(long millis) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
