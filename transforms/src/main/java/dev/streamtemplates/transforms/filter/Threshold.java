package dev.streamtemplates.transforms.filter;

import com.google.auto.value.AutoValue;
import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.core.KeyByFn;
import dev.streamtemplates.transforms.core.Keys;
import dev.streamtemplates.transforms.core.Names;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.time.EventTimeOrder;
import dev.streamtemplates.transforms.time.EventTimeTimers;
import dev.streamtemplates.transforms.time.KeyTimers;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.function.UnaryOperator;
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
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Turns events whose numeric field is beyond a limit into alert rows.
 *
 * <pre>{@code
 * Result alerts = transactions.apply(
 *     Threshold.above("amount", 10_000)
 *         .withContextFields("cardId", "country", "online")
 *         .withKeyField("cardId")
 *         .withDebounce(true));
 * }</pre>
 *
 * <p>Directions: {@link #above} ({@code value > limit}), {@link #below} ({@code value < limit}),
 * {@link #inside} ({@code lower <= value <= upper}) and {@link #outside} ({@code value < lower ||
 * value > upper}). The alert row holds {@code key} (with a key field), {@code field}, {@code
 * value}, {@code direction}, {@code limit} (the bound crossed; null for inside), {@code lower} and
 * {@code upper} (for ranges), {@code eventTime}, then the context fields. An event whose value is
 * null raises no alert.
 *
 * <p><b>Without debounce</b> it is element-wise: every event beyond the limit is an alert with the
 * event's timestamp and window. <b>With debounce</b> it alerts only when a key's value crosses the
 * limit, not on every event while it stays beyond. This is decided in event time: events are
 * buffered per key and released in timestamp order as the watermark passes them (an event-time
 * timer, holding the output watermark at the oldest buffered event), so out-of-order arrival
 * gives the same alerts as in-order arrival. An event older than one already released for its key
 * is late: it goes to the dead-letter output with reason "late" and does not change the state.
 * Debounce needs state and event-time timers: it runs on Direct and Flink in batch and streaming
 * and on Spark in batch; the Spark runner has no event-time timers in streaming, so there it is
 * refused when the pipeline is built.
 */
public final class Threshold extends PTransform<PCollection<Row>, Result> {

  /** How the value is compared with the limit. */
  public enum Direction {
    ABOVE,
    BELOW,
    INSIDE,
    OUTSIDE
  }

  private static final TupleTag<Row> ALERTS = new TupleTag<Row>() {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};
  private static final TupleTag<KV<String, Row>> KEYED = new TupleTag<KV<String, Row>>() {};

  /** Every setting; immutable, copied with a change by each {@code withX}. */
  @AutoValue
  abstract static class Settings implements Serializable {
    private static final long serialVersionUID = 1L;

    abstract String field();

    abstract Direction direction();

    abstract double lower();

    abstract double upper();

    abstract List<String> context();

    abstract @Nullable String keyField();

    abstract boolean debounce();

    abstract String step();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder field(String field);

      abstract Builder direction(Direction direction);

      abstract Builder lower(double lower);

      abstract Builder upper(double upper);

      abstract Builder context(List<String> context);

      abstract Builder keyField(String keyField);

      abstract Builder debounce(boolean debounce);

      abstract Builder step(String step);

      abstract Settings build();
    }
  }

  private final Settings settings;

  private Threshold(Settings settings) {
    this.settings = settings;
  }

  private Threshold with(UnaryOperator<Settings.Builder> change) {
    return new Threshold(change.apply(settings.toBuilder()).build());
  }

  /** Alerts when {@code field > limit}. */
  public static Threshold above(String field, double limit) {
    return of(field, Direction.ABOVE, limit, limit);
  }

  /** Alerts when {@code field < limit}. */
  public static Threshold below(String field, double limit) {
    return of(field, Direction.BELOW, limit, limit);
  }

  /** Alerts when {@code lower <= field <= upper}. */
  public static Threshold inside(String field, double lower, double upper) {
    return of(field, Direction.INSIDE, lower, upper);
  }

  /** Alerts when {@code field < lower || field > upper}. */
  public static Threshold outside(String field, double lower, double upper) {
    return of(field, Direction.OUTSIDE, lower, upper);
  }

  private static Threshold of(String field, Direction direction, double lower, double upper) {
    Names.require(field, "field");
    if (Double.isNaN(lower) || Double.isNaN(upper)) {
      throw new IllegalArgumentException("limits must be numbers, got lower=" + lower + " upper=" + upper);
    }
    if (lower > upper) {
      throw new IllegalArgumentException("lower must be <= upper, got lower=" + lower + " upper=" + upper);
    }
    return new Threshold(new AutoValue_Threshold_Settings.Builder().field(field).direction(direction).lower(lower).upper(upper)
        .context(List.of()).debounce(false).step("threshold").build());
  }

  /** Fields of the event copied into each alert, with their types. */
  @CheckReturnValue
  public Threshold withContextFields(String... fields) {
    return withContextFields(Arrays.asList(fields));
  }

  @CheckReturnValue
  public Threshold withContextFields(List<String> fields) {
    fields.forEach(f -> Names.require(f, "context field"));
    return with(b -> b.context(List.copyOf(fields)));
  }

  /** The field that identifies the entity (card, sensor, ...) whose crossings are debounced; copied into {@code key}. */
  @CheckReturnValue
  public Threshold withKeyField(String keyField) {
    String key = Names.require(keyField, "key field");
    return with(b -> b.keyField(key));
  }

  /** Alert only when a key's value crosses the limit, not on every event beyond it. Needs a key field. */
  @CheckReturnValue
  public Threshold withDebounce(boolean debounce) {
    return with(b -> b.debounce(debounce));
  }

  @CheckReturnValue
  public Threshold named(String step) {
    String name = Names.require(step, "step");
    return with(b -> b.step(name));
  }

  /** The schema of the alerts for events of {@code input}. */
  public Schema alertSchema(Schema input) {
    List<String> errors = new ArrayList<>();
    if (!input.hasField(settings.field())) {
      errors.add("field '" + settings.field() + "' is not in the input; fields are " + input.getFieldNames());
    } else if (!input.getField(settings.field()).getType().getTypeName().isNumericType()) {
      errors.add("field '" + settings.field() + "' is a " + input.getField(settings.field()).getType().getTypeName() + ", not a number");
    }
    if (settings.keyField() != null && !input.hasField(settings.keyField())) {
      errors.add("key field '" + settings.keyField() + "' is not in the input; fields are " + input.getFieldNames());
    }
    for (String name : settings.context()) {
      if (!input.hasField(name)) {
        errors.add("context field '" + name + "' is not in the input; fields are " + input.getFieldNames());
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
    Schema.Builder schema = Schema.builder();
    if (settings.keyField() != null) {
      schema.addNullableField("key", FieldType.STRING);
    }
    schema.addStringField("field").addDoubleField("value").addStringField("direction")
        .addNullableField("limit", FieldType.DOUBLE).addNullableField("lower", FieldType.DOUBLE)
        .addNullableField("upper", FieldType.DOUBLE).addDateTimeField("eventTime");
    for (String name : settings.context()) {
      if (List.of("key", "field", "value", "direction", "limit", "lower", "upper", "eventTime").contains(name)) {
        throw new IllegalArgumentException("context field '" + name + "' clashes with an alert field; rename it first");
      }
      schema.addField(input.getField(name));
    }
    return schema.build();
  }

  @Override
  public Result expand(PCollection<Row> input) {
    Schema alertSchema = alertSchema(input.getSchema());
    Rule rule = new Rule(settings.field(), settings.direction(), settings.lower(), settings.upper(), settings.keyField(), settings.context(), alertSchema);
    if (!settings.debounce()) {
      // Every event is decided alone and nothing can fail (a null value is not beyond): no
      // dead-letter output (see Result.withoutFailures).
      return Result.withoutFailures(
          input.apply("Beyond the limit", ParDo.of(new EveryFn(rule, settings.step()))).setRowSchema(alertSchema));
    } else {
      if (settings.keyField() == null) {
        throw new IllegalArgumentException("debounce needs a key: call withKeyField(field)");
      }
      EventTimeTimers.require("Threshold debounce needs", input);
      Schema schema = input.getSchema();
      PCollectionTuple keying = input.apply("Key by " + settings.keyField(),
          ParDo.of(new KeyByFn.Rows(Keys.of(settings.keyField()), settings.step(), KEYED, FAILURES)).withOutputTags(KEYED, TupleTagList.of(FAILURES)));
      PCollection<KV<String, Row>> keyed = keying.get(KEYED).setCoder(KvCoder.of(StringUtf8Coder.of(), SchemaCoder.of(schema)));
      PCollectionTuple debounced =
          keyed.apply("Crossings in event time", ParDo.of(new DebounceFn(rule, settings.step(), schema)).withOutputTags(ALERTS, TupleTagList.of(FAILURES)));
      PCollection<Row> failures = Result.allFailures(keying.get(FAILURES), debounced.get(FAILURES));
      return Result.of(debounced.get(ALERTS).setRowSchema(alertSchema), failures);
    }
  }

  /** The comparison and the alert layout; serializable, shared by both DoFns. */
  private static final class Rule implements Serializable {
    private static final long serialVersionUID = 1L;
    final String field;
    final Direction direction;
    final double lower;
    final double upper;
    final @Nullable String keyField;
    final List<String> context;
    final Schema alertSchema;

    Rule(String field, Direction direction, double lower, double upper, @Nullable String keyField, List<String> context, Schema alertSchema) {
      this.field = field;
      this.direction = direction;
      this.lower = lower;
      this.upper = upper;
      this.keyField = keyField;
      this.context = context;
      this.alertSchema = alertSchema;
    }

    /** The value, or null when the event has none. */
    @Nullable Double value(Row row) {
      Object value = row.getValue(field);
      return value == null ? null : ((Number) value).doubleValue();
    }

    boolean beyond(double value) {
      switch (direction) {
        case ABOVE:
          return value > upper;
        case BELOW:
          return value < lower;
        case INSIDE:
          return value >= lower && value <= upper;
        default:
          return value < lower || value > upper;
      }
    }

    Row alert(Row row, double value, Instant eventTime) {
      Row.Builder alert = Row.withSchema(alertSchema);
      if (keyField != null) {
        Object key = row.getValue(keyField);
        alert.addValue(key == null ? null : key.toString());
      }
      Double limit;
      switch (direction) {
        case ABOVE:
          limit = upper;
          break;
        case BELOW:
          limit = lower;
          break;
        case OUTSIDE:
          limit = value < lower ? lower : upper;
          break;
        default:
          limit = null;
      }
      boolean range = direction == Direction.INSIDE || direction == Direction.OUTSIDE;
      alert.addValues(field, value, direction.name().toLowerCase(java.util.Locale.ROOT), limit,
          range ? lower : null, range ? upper : null, eventTime);
      for (String name : context) {
        alert.addValue(row.getValue(name));
      }
      return alert.build();
    }
  }

  private static final class EveryFn extends DoFn<Row, Row> {
    private final Rule rule;
    private final Counter alerts;
    private final Counter dropped;

    EveryFn(Rule rule, String step) {
      this.rule = rule;
      this.alerts = Metrics.counter("records", step + "-alerts");
      this.dropped = Metrics.counter("records", step + "-dropped");
    }

    // Counted per bundle and added to the counters once, as Filter does: a metric update per
    // element costs more than the comparison.
    private transient long alertsInBundle;
    private transient long droppedInBundle;

    @StartBundle
    public void startBundle() {
      alertsInBundle = 0;
      droppedInBundle = 0;
    }

    @ProcessElement
    public void process(@Element Row row, @Timestamp Instant timestamp, OutputReceiver<Row> out) {
      Double value = rule.value(row);
      if (value != null && rule.beyond(value)) {
        alertsInBundle++;
        out.output(rule.alert(row, value, timestamp));
      } else {
        droppedInBundle++;
      }
    }

    @FinishBundle
    public void finishBundle() {
      alerts.inc(alertsInBundle);
      dropped.inc(droppedInBundle);
    }
  }

  /**
   * Per-key crossing detector in event time. Written by hand because Beam has no portable
   * "process in timestamp order" primitive: {@code @RequiresTimeSortedInput} is not supported by
   * every runner we target, so events are buffered in a bag and released by an event-time timer.
   */
  private static final class DebounceFn extends DoFn<KV<String, Row>, Row> {
    private static final String BEYOND = "beyond";
    private static final String RELEASED_UP_TO = "releasedUpTo";

    @StateId(EventTimeOrder.BUFFER)
    private final StateSpec<BagState<TimestampedValue<Row>>> buffer;

    @StateId(EventTimeOrder.SORTED)
    private final StateSpec<ValueState<Deque<TimestampedValue<Row>>>> sortedSpec;

    @StateId(BEYOND)
    private final StateSpec<ValueState<Boolean>> beyondSpec = StateSpecs.value();

    @StateId(RELEASED_UP_TO)
    private final StateSpec<ValueState<Instant>> releasedSpec = StateSpecs.value();

    @StateId(EventTimeOrder.NEXT_RELEASE)
    private final StateSpec<ValueState<Instant>> nextFlushSpec = StateSpecs.value();

    @TimerFamily(EventTimeOrder.RELEASE)
    private final TimerSpec flushSpec = KeyTimers.spec();

    private final Rule rule;
    private final String step;
    private final Counter alerts;
    private final Counter dropped;
    private final Counter failed;

    DebounceFn(Rule rule, String step, Schema schema) {
      this.rule = rule;
      this.step = step;
      this.buffer = StateSpecs.bag(TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(schema)));
      this.sortedSpec = EventTimeOrder.sortedSpec(TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(schema)));
      this.alerts = Metrics.counter("records", step + "-alerts");
      this.dropped = Metrics.counter("records", step + "-dropped");
      this.failed = DeadLetter.counter(step);
    }

    @ProcessElement
    public void process(
        @Element KV<String, Row> element,
        @Timestamp Instant timestamp,
        @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
        @StateId(RELEASED_UP_TO) ValueState<Instant> releasedUpTo,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextFlush,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap flushTimers,
        MultiOutputReceiver out) {
      Timer flush = KeyTimers.of(flushTimers, element.getKey());
      String late = EventTimeOrder.lateReason(timestamp, releasedUpTo.read(), "decided", "'" + element.getKey() + "'");
      if (late != null) {
        failed.inc();
        out.get(FAILURES).output(DeadLetter.ofText(step, late, RowText.json(element.getValue()), timestamp));
        return;
      }
      EventTimeOrder.hold(element.getValue(), timestamp, buffer, nextFlush, flush);
    }

    @OnTimerFamily(EventTimeOrder.RELEASE)
    public void onFlush(
        OnTimerContext context,
        @TimerId String timerId,
        @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
        @StateId(EventTimeOrder.SORTED) ValueState<Deque<TimestampedValue<Row>>> sorted,
        @StateId(BEYOND) ValueState<Boolean> beyondState,
        @StateId(RELEASED_UP_TO) ValueState<Instant> releasedUpTo,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextFlush,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap flushTimers) {
      Timer flush = flushTimers.get(timerId);
      List<TimestampedValue<Row>> ready = EventTimeOrder.release(context.fireTimestamp(), buffer, sorted, nextFlush, flush, EventTimeOrder.BY_TIME_THEN_CONTENT);
      boolean beyond = Boolean.TRUE.equals(beyondState.read());
      for (TimestampedValue<Row> event : ready) {
        Double value = rule.value(event.getValue());
        if (value == null) {
          dropped.inc();
          continue;
        }
        boolean nowBeyond = rule.beyond(value);
        if (nowBeyond && !beyond) {
          alerts.inc();
          context.outputWithTimestamp(ALERTS, rule.alert(event.getValue(), value, event.getTimestamp()), event.getTimestamp());
        } else {
          dropped.inc();
        }
        beyond = nowBeyond;
      }
      beyondState.write(beyond);
      if (!ready.isEmpty()) {
        releasedUpTo.write(ready.get(ready.size() - 1).getTimestamp());
      }
    }
  }
}
