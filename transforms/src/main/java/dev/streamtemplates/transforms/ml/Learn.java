package dev.streamtemplates.transforms.ml;

import dev.streamtemplates.transforms.core.KeyByFn;
import dev.streamtemplates.transforms.core.Keys;
import dev.streamtemplates.transforms.core.Names;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.time.EventTimeOrder;
import dev.streamtemplates.transforms.time.EventTimeTimers;
import dev.streamtemplates.transforms.time.KeyTimers;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.commons.math3.stat.regression.MillerUpdatingRegression;
import org.apache.commons.math3.stat.regression.ModelSpecificationException;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * An online linear regression per key: predicts a numeric label from numeric features, event by
 * event, and learns from every event that carries the label.
 *
 * <pre>{@code
 * Result forecasts = queue.apply(Learn.of("waitSeconds", List.of("queueLength", "staffed"))
 *     .perKey("lane").withWindow(500).named("forecast"));
 * }</pre>
 *
 * <p>Each event is first predicted from the key's model so far, then, if its label is not null,
 * learned from; so the error of a prediction is an honest out-of-sample error. The output is the
 * event with three fields added, all describing the model that made the prediction (before it
 * learned from this event): {@code prediction} (null until the model has learned from {@link
 * #minimumToPredict} events), {@code error} (the root-mean-square of the out-of-sample errors of
 * the labelled events the model holds, null before the first) and {@code learnedFrom} (labelled
 * events learned so far for the key).
 *
 * <p>The algebra is Commons Math's {@link MillerUpdatingRegression} (Gentleman's QR update, AS 274).
 * It cannot forget an observation, nor weight one, so the model is the least-squares fit of the
 * key's last {@code window} labelled events, re-fitted with the library from that bounded list
 * each time it changes. With a forgetting factor {@code f < 1}, the event learned k events ago
 * weighs {@code f^k}: weighted least squares, done with the same library by multiplying each
 * observation's row (the intercept's 1 included) and label by {@code sqrt(f^k)}. A feature that
 * is a linear combination of the others within the window (say, constant so far) gets coefficient
 * 0: the library reports it as redundant.
 *
 * <p>Events are put in event-time order per key ({@link EventTimeOrder}, ties by content) before
 * they are predicted and learned from, so results do not depend on arrival order. An event older
 * than one already released for its key is late: a dead letter ("late: ..."), the model unchanged.
 * A null key is a dead letter (the shared rule, {@link Keys}); so is a null, NaN or infinite
 * feature, or a NaN or infinite label, naming the field. The state per key is the events waiting
 * for the watermark, the model (the window's observations and the count learned from, with a
 * compact coder) and the time released up to; it is checkpointed by the runner like any Beam state. Needs event-time timers: refused on Spark in streaming mode.
 */
public final class Learn extends PTransform<PCollection<Row>, Result> {
  /** The fields added to each event. */
  public static final String PREDICTION = "prediction";

  public static final String ERROR = "error";
  public static final String LEARNED_FROM = "learnedFrom";

  /** The window when none is given. */
  public static final int DEFAULT_WINDOW = 500;

  private static final TupleTag<Row> OUTPUT = new TupleTag<Row>() {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};
  private static final TupleTag<KV<String, Row>> KEYED = new TupleTag<KV<String, Row>>() {};

  private final String label;
  private final List<String> features;
  private final @Nullable String keyField;
  private final int window;
  private final double forgetting;
  private final String step;

  private Learn(String label, List<String> features, @Nullable String keyField, int window, double forgetting, String step) {
    this.label = label;
    this.features = features;
    this.keyField = keyField;
    this.window = window;
    this.forgetting = forgetting;
    this.step = step;
  }

  /** Predicts {@code label} from {@code features}, one model per key (set with {@link #perKey}). */
  public static Learn of(String label, List<String> features) {
    Names.require(label, "label");
    if (features.isEmpty()) {
      throw new IllegalArgumentException("Learn needs at least one feature");
    }
    features.forEach(f -> Names.require(f, "feature"));
    if (features.contains(label) || features.stream().distinct().count() != features.size()) {
      throw new IllegalArgumentException("features must be distinct and not the label, got features " + features + " and label '" + label + "'");
    }
    return new Learn(label, List.copyOf(features), null, DEFAULT_WINDOW, 1.0, "learn");
  }

  /** One model per value of {@code keyField}; without it, one model for all events. */
  public Learn perKey(String keyField) {
    return new Learn(label, features, Names.require(keyField, "key field"), window, forgetting, step);
  }

  /** Learn from the last {@code window} labelled events of a key (at least the parameters + 1). */
  public Learn withWindow(int window) {
    if (window < features.size() + 2) {
      throw new IllegalArgumentException("window must be at least " + (features.size() + 2) + " (the features, the intercept and one more), got " + window);
    }
    return new Learn(label, features, keyField, window, forgetting, step);
  }

  /** Weigh the event learned k events ago {@code forgetting^k}, 0 < forgetting <= 1 (1: all alike). */
  public Learn withForgetting(double forgetting) {
    if (!(forgetting > 0 && forgetting <= 1)) {
      throw new IllegalArgumentException("forgetting must be in (0, 1], got " + forgetting);
    }
    return new Learn(label, features, keyField, window, forgetting, step);
  }

  public Learn named(String step) {
    return new Learn(label, features, keyField, window, forgetting, Names.require(step, "step"));
  }

  /** How many labelled events a model learns from before it predicts: the features, the intercept, and one more. */
  public int minimumToPredict() {
    return features.size() + 2;
  }

  /** The output schema for events of {@code input}: the input's fields, then prediction, error, learnedFrom. */
  public Schema outputSchema(Schema input) {
    List<String> errors = new ArrayList<>();
    for (String feature : features) {
      numeric(input, feature, "feature", errors);
    }
    numeric(input, label, "label", errors);
    if (keyField != null && !input.hasField(keyField)) {
      errors.add("key field '" + keyField + "' is not in the input; fields are " + input.getFieldNames());
    }
    for (String added : List.of(PREDICTION, ERROR, LEARNED_FROM)) {
      if (input.hasField(added)) {
        errors.add("the events already have a field named '" + added + "'; rename it first");
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
    return Schema.builder().addFields(input.getFields())
        .addNullableField(PREDICTION, FieldType.DOUBLE).addNullableField(ERROR, FieldType.DOUBLE).addInt64Field(LEARNED_FROM).build();
  }

  private static void numeric(Schema input, String field, String what, List<String> errors) {
    if (!input.hasField(field)) {
      errors.add(what + " '" + field + "' is not in the input; fields are " + input.getFieldNames());
    } else if (!input.getField(field).getType().getTypeName().isNumericType()) {
      errors.add(what + " '" + field + "' is a " + input.getField(field).getType().getTypeName() + ", not a number");
    }
  }

  @Override
  public Result expand(PCollection<Row> input) {
    Schema schema = input.getSchema();
    Schema output = outputSchema(schema);
    EventTimeTimers.require("Learn needs", input);
    Keys keys = keyField == null ? null : Keys.of(keyField);
    PCollectionTuple keying = input.apply("Key by " + (keyField == null ? "nothing" : keyField),
        ParDo.of(keys == null ? new OneKeyFn() : new KeyByFn.Rows(keys, step, KEYED, FAILURES)).withOutputTags(KEYED, TupleTagList.of(FAILURES)));
    PCollection<KV<String, Row>> keyed = keying.get(KEYED).setCoder(KvCoder.of(StringUtf8Coder.of(), SchemaCoder.of(schema)));
    PCollectionTuple learned = keyed.apply("Predict and learn in event time",
        ParDo.of(new LearnFn(new Spec(label, features, window, forgetting, output), step, schema)).withOutputTags(OUTPUT, TupleTagList.of(FAILURES)));
    PCollection<Row> failures = Result.allFailures(keying.get(FAILURES), learned.get(FAILURES));
    return Result.of(learned.get(OUTPUT).setRowSchema(output), failures);
  }

  /** Without a key field: every event under one key. */
  private static final class OneKeyFn extends DoFn<Row, KV<String, Row>> {
    @ProcessElement
    public void process(@Element Row row, MultiOutputReceiver out) {
      out.get(KEYED).output(KV.of("", row));
    }
  }

  /** What the DoFn needs of the settings; serializable. */
  private record Spec(String label, List<String> features, int window, double forgetting, Schema output) implements Serializable {}

  /** One labelled event learned from: its features, its label, and its out-of-sample squared error (NaN when it had no prediction). */
  record Observation(double[] x, double y, double squaredError) {}

  /**
   * A key's model: the last {@code window} observations, oldest first, and the number of labelled
   * events learned from; the fit is derived from them, cached until the next {@link #learn}.
   */
  static final class Model {
    final Deque<Observation> observations;
    long learnedFrom;
    private double @Nullable [] coefficients;
    private boolean fitted;

    Model(Deque<Observation> observations, long learnedFrom) {
      this.observations = observations;
      this.learnedFrom = learnedFrom;
    }

    /** The prediction for {@code x}, or null while the model has too few observations to fit. */
    @Nullable Double predict(double[] x, int minimum, double forgetting) {
      if (!fitted) {
        coefficients = observations.size() < minimum ? null : fit(forgetting);
        fitted = true;
      }
      if (coefficients == null) {
        return null;
      }
      double prediction = coefficients[0];
      for (int i = 0; i < x.length; i++) {
        prediction += coefficients[i + 1] * x[i];
      }
      return prediction;
    }

    /** Least squares over the window with Commons Math: [intercept, coefficients...]; a redundant variable's NaN becomes 0. */
    private double @Nullable [] fit(double forgetting) {
      int p = observations.peekFirst().x().length + 1;
      MillerUpdatingRegression regression = new MillerUpdatingRegression(p, false);
      int age = observations.size() - 1;
      for (Observation o : observations) {
        double scale = forgetting == 1.0 ? 1.0 : Math.sqrt(Math.pow(forgetting, age));
        double[] row = new double[p];
        row[0] = scale;
        for (int i = 0; i < o.x().length; i++) {
          row[i + 1] = scale * o.x()[i];
        }
        regression.addObservation(row, scale * o.y());
        age--;
      }
      try {
        double[] beta = regression.regress().getParameterEstimates();
        for (int i = 0; i < beta.length; i++) {
          if (Double.isNaN(beta[i])) {
            beta[i] = 0;
          }
        }
        return beta;
      } catch (ModelSpecificationException e) {
        return null;
      }
    }

    /** The root-mean-square of the out-of-sample errors held, or null when none. */
    @Nullable Double error() {
      double sum = 0;
      int n = 0;
      for (Observation o : observations) {
        if (!Double.isNaN(o.squaredError())) {
          sum += o.squaredError();
          n++;
        }
      }
      return n == 0 ? null : Math.sqrt(sum / n);
    }

    void learn(Observation observation, int window) {
      observations.addLast(observation);
      while (observations.size() > window) {
        observations.removeFirst();
      }
      learnedFrom++;
      fitted = false;
    }
  }

  /** A compact, versionless coder of {@link Model}: what Flink checkpoints. */
  static final class ModelCoder extends CustomCoder<Model> {
    private static final long serialVersionUID = 1L;

    @Override
    public void encode(Model model, OutputStream outStream) throws IOException {
      DataOutputStream out = new DataOutputStream(outStream);
      out.writeLong(model.learnedFrom);
      out.writeInt(model.observations.size());
      for (Observation o : model.observations) {
        out.writeInt(o.x().length);
        for (double v : o.x()) {
          out.writeDouble(v);
        }
        out.writeDouble(o.y());
        out.writeDouble(o.squaredError());
      }
      out.flush();
    }

    @Override
    public Model decode(InputStream inStream) throws IOException {
      DataInputStream in = new DataInputStream(inStream);
      long learnedFrom = in.readLong();
      int size = in.readInt();
      Deque<Observation> observations = new ArrayDeque<>(size);
      for (int i = 0; i < size; i++) {
        double[] x = new double[in.readInt()];
        for (int j = 0; j < x.length; j++) {
          x[j] = in.readDouble();
        }
        observations.addLast(new Observation(x, in.readDouble(), in.readDouble()));
      }
      return new Model(observations, learnedFrom);
    }

    @Override
    public void verifyDeterministic() {}
  }

  /** Per key: buffer events, release them in event-time order, predict each, learn from the labelled ones. */
  private static final class LearnFn extends DoFn<KV<String, Row>, Row> {
    private static final String MODEL = "model";
    private static final String RELEASED_UP_TO = "releasedUpTo";

    @StateId(EventTimeOrder.BUFFER)
    private final StateSpec<BagState<TimestampedValue<Row>>> buffer;

    @StateId(EventTimeOrder.SORTED)
    private final StateSpec<ValueState<Deque<TimestampedValue<Row>>>> sortedSpec;

    @StateId(MODEL)
    private final StateSpec<ValueState<Model>> modelSpec = StateSpecs.value(new ModelCoder());

    /** Apart from the model, so that the late check of each arriving event does not read the whole window. */
    @StateId(RELEASED_UP_TO)
    private final StateSpec<ValueState<Instant>> releasedSpec = StateSpecs.value(InstantCoder.of());

    @StateId(EventTimeOrder.NEXT_RELEASE)
    private final StateSpec<ValueState<Instant>> nextReleaseSpec = StateSpecs.value(InstantCoder.of());

    @TimerFamily(EventTimeOrder.RELEASE)
    private final TimerSpec releaseSpec = KeyTimers.spec();

    private final Spec spec;
    private final String step;
    private final Counter predicted;
    private final Counter learned;
    private final Counter failed;

    LearnFn(Spec spec, String step, Schema schema) {
      this.spec = spec;
      this.step = step;
      this.buffer = StateSpecs.bag(TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(schema)));
      this.sortedSpec = EventTimeOrder.sortedSpec(TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(schema)));
      this.predicted = Metrics.counter("records", step + "-predicted");
      this.learned = Metrics.counter("records", step + "-learned");
      this.failed = DeadLetter.counter(step);
    }

    /** Why the row cannot be used, naming the field, or null. */
    private @Nullable String invalid(Row row) {
      for (String feature : spec.features()) {
        Object value = row.getValue(feature);
        if (value == null) {
          return "feature '" + feature + "' is null";
        }
        double v = ((Number) value).doubleValue();
        if (!Double.isFinite(v)) {
          return "feature '" + feature + "' is " + v + ", not a finite number";
        }
      }
      Object label = row.getValue(spec.label());
      if (label != null && !Double.isFinite(((Number) label).doubleValue())) {
        return "label '" + spec.label() + "' is " + ((Number) label).doubleValue() + ", not a finite number";
      }
      return null;
    }

    @ProcessElement
    public void process(
        @Element KV<String, Row> element,
        @Timestamp Instant timestamp,
        @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
        @StateId(RELEASED_UP_TO) ValueState<Instant> releasedUpTo,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextRelease,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap releaseTimers,
        MultiOutputReceiver out) {
      Timer release = KeyTimers.of(releaseTimers, element.getKey());
      String reason = invalid(element.getValue());
      if (reason == null) {
        reason = EventTimeOrder.lateReason(timestamp, releasedUpTo.read(), "learned up to", "'" + element.getKey() + "'");
      }
      if (reason != null) {
        failed.inc();
        out.get(FAILURES).output(DeadLetter.ofText(step, reason, RowText.json(element.getValue()), timestamp));
        return;
      }
      EventTimeOrder.hold(element.getValue(), timestamp, buffer, nextRelease, release);
    }

    @OnTimerFamily(EventTimeOrder.RELEASE)
    public void onRelease(
        OnTimerContext context,
        @TimerId String timerId,
        @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
        @StateId(EventTimeOrder.SORTED) ValueState<Deque<TimestampedValue<Row>>> sorted,
        @StateId(MODEL) ValueState<Model> modelState,
        @StateId(RELEASED_UP_TO) ValueState<Instant> releasedUpTo,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextRelease,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap releaseTimers) {
      Timer release = releaseTimers.get(timerId);
      List<TimestampedValue<Row>> ready = EventTimeOrder.release(context.fireTimestamp(), buffer, sorted, nextRelease, release, EventTimeOrder.BY_TIME_THEN_CONTENT);
      if (ready.isEmpty()) {
        return;
      }
      Model model = modelState.read();
      if (model == null) {
        model = new Model(new ArrayDeque<>(), 0);
      }
      int minimum = spec.features().size() + 2;
      for (TimestampedValue<Row> event : ready) {
        Row row = event.getValue();
        double[] x = new double[spec.features().size()];
        for (int i = 0; i < x.length; i++) {
          x[i] = ((Number) row.getValue(spec.features().get(i))).doubleValue();
        }
        Double prediction = model.predict(x, minimum, spec.forgetting());
        Row result = Row.withSchema(spec.output()).addValues(row.getValues())
            .addValues(prediction, model.error(), model.learnedFrom).build();
        predicted.inc();
        context.outputWithTimestamp(OUTPUT, result, event.getTimestamp());
        Object label = row.getValue(spec.label());
        if (label != null) {
          double y = ((Number) label).doubleValue();
          model.learn(new Observation(x, y, prediction == null ? Double.NaN : (y - prediction) * (y - prediction)), spec.window());
          learned.inc();
        }
      }
      releasedUpTo.write(ready.get(ready.size() - 1).getTimestamp());
      modelState.write(model);
    }
  }
}
