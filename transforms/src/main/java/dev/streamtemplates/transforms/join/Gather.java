package dev.streamtemplates.transforms.join;

import com.fasterxml.jackson.annotation.JsonProperty;
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
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
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
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Fan-in: waits for one event from each of N named inputs that share a correlation id, and emits
 * them as one row; decides what to do when a partner never arrives.
 *
 * <pre>{@code
 * Result checks = PCollectionTuple.of("credit", credit).and("address", address).and("identity", identity)
 *     .apply("Checks", Gather.on("applicationId")
 *         .within(Duration.standardMinutes(30))
 *         .onTimeout(Gather.Timeout.PARTIAL)
 *         .onDuplicate(Gather.Duplicate.KEEP_FIRST));
 * }</pre>
 *
 * <p>Output rows are {@code {key, <one nullable record per input>, missing, complete, firstAt,
 * lastAt}}. Arrivals are decided in event-time order, as the watermark passes them, so the
 * result does not depend on the order events reach the runner: a group is complete when its last
 * input's time is at most {@code first + timeout}, and is emitted when the watermark passes that
 * time. The timeout runs in event time from the group's first event: at {@code first + timeout}, an
 * incomplete group is dropped (counted, {@code <step>-timed-out}), emitted as partial with the
 * names of the missing inputs, or sent to the {@link #REJECTED} output, by the {@link Timeout}
 * policy. A second event from the same input is handled by the {@link Duplicate} policy. A
 * completed group's id is remembered until its timeout passes, a timed-out one's for one more
 * timeout: events that arrive for it meanwhile are dead-lettered, not started as a new group;
 * then its state is cleared. An event with a null id is a dead letter ({@link Keys}). Each input is
 * a tagged member of the input tuple; its tag id names its field in the output. Needs state and
 * event-time timers: Direct and Flink in batch and streaming, Spark in batch.
 */
public final class Gather extends PTransform<PCollectionTuple, Result> {
  private static final long serialVersionUID = 1L;

  /** What happens to a group still incomplete when its timeout passes. */
  public enum Timeout {
    DROP, PARTIAL, REJECT
  }

  /** What happens to a second event from the same input for the same id. */
  public enum Duplicate {
    @JsonProperty("first") KEEP_FIRST,
    @JsonProperty("last") KEEP_LAST,
    @JsonProperty("dead-letter") DEAD_LETTER
  }

  /** The named output of groups rejected on timeout ({@link Timeout#REJECT}). */
  public static final String REJECTED = "rejected";

  private static final TupleTag<KV<String, Arrival>> KEYED = new TupleTag<KV<String, Arrival>>() {};
  private static final TupleTag<Row> GATHERED = new TupleTag<>("gathered");
  private static final TupleTag<Row> REJECTED_TAG = new TupleTag<>(REJECTED);
  private static final TupleTag<Row> FAILURES = new TupleTag<>("dead-letter");

  /** Every setting; immutable, copied with a change by each {@code withX}. */
  @AutoValue
  abstract static class Settings implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** The id field of every input, or null when {@link #keyFields} names one per input. */
    abstract @Nullable String keyField();

    abstract Map<String, String> keyFields();

    abstract Duration timeout();

    abstract Timeout onTimeout();

    abstract Duplicate onDuplicate();

    abstract String step();

    abstract String origin();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder keyField(String keyField);

      abstract Builder keyFields(Map<String, String> keyFields);

      abstract Builder timeout(Duration timeout);

      abstract Builder onTimeout(Timeout onTimeout);

      abstract Builder onDuplicate(Duplicate onDuplicate);

      abstract Builder step(String step);

      abstract Builder origin(String origin);

      abstract Settings build();
    }

    static Builder defaults() {
      return new AutoValue_Gather_Settings.Builder().keyFields(Map.of()).timeout(Duration.standardMinutes(10))
          .onTimeout(Timeout.PARTIAL).onDuplicate(Duplicate.KEEP_FIRST).step("gather").origin("gather");
    }
  }

  private final Settings settings;

  private Gather(Settings settings) {
    this.settings = settings;
  }

  private Gather with(UnaryOperator<Settings.Builder> change) {
    return new Gather(change.apply(settings.toBuilder()).build());
  }

  /** The correlation id is the field of this name in every input. */
  public static Gather on(String keyField) {
    return new Gather(Settings.defaults().keyField(Names.require(keyField, "key field")).build());
  }

  /** The correlation id field of each input, by input name (the tag id in the input tuple). */
  public static Gather on(Map<String, String> keyFields) {
    keyFields.values().forEach(field -> Names.require(field, "key field"));
    return new Gather(Settings.defaults().keyFields(new LinkedHashMap<>(keyFields)).build());
  }

  @CheckReturnValue
  public Gather within(Duration timeout) {
    if (timeout == null || timeout.getMillis() <= 0) {
      throw new IllegalArgumentException("timeout must be > 0, got timeout=" + timeout);
    }
    return with(b -> b.timeout(timeout));
  }

  @CheckReturnValue
  public Gather onTimeout(Timeout policy) {
    return with(b -> b.onTimeout(policy));
  }

  @CheckReturnValue
  public Gather onDuplicate(Duplicate policy) {
    return with(b -> b.onDuplicate(policy));
  }

  @CheckReturnValue
  public Gather named(String step) {
    String name = Names.require(step, "step");
    return with(b -> b.step(name));
  }

  @CheckReturnValue
  public Gather withOrigin(String origin) {
    String where = Names.require(origin, "origin");
    return with(b -> b.origin(where));
  }

  @Override
  public Result expand(PCollectionTuple tuple) {
    Map<String, PCollection<Row>> inputs = new LinkedHashMap<>();
    tuple.getAll().forEach((tag, collection) -> inputs.put(tag.getId(), asRows(collection)));
    if (inputs.size() < 2) {
      throw new IllegalArgumentException(settings.origin() + ": a gather needs at least two inputs, got " + inputs.keySet());
    }
    List<String> names = new ArrayList<>(inputs.keySet());
    List<String> errors = new ArrayList<>();
    Schema.Builder out = Schema.builder().addStringField("key");
    List<SchemaCoder<Row>> coders = new ArrayList<>();
    for (String name : names) {
      Schema schema = inputs.get(name).getSchema();
      String field = keyFieldOf(name);
      if (field == null) {
        errors.add("no key field for input '" + name + "': give one for every input in on(keyFields)");
      } else if (!schema.hasField(field)) {
        errors.add("key field '" + field + "' is not in input '" + name + "'; fields are " + schema.getFieldNames());
      }
      out.addNullableField(name, FieldType.row(schema));
      coders.add(SchemaCoder.of(schema));
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(settings.origin() + ": " + String.join("; ", errors));
    }
    Schema output = out.addArrayField("missing", FieldType.STRING).addBooleanField("complete")
        .addDateTimeField("firstAt").addDateTimeField("lastAt").build();
    EventTimeTimers.require(settings.origin() + ": the gather needs", inputs.values().toArray(new PCollection<?>[0]));
    ArrivalsCoder arrivalsCoder = new ArrivalsCoder(coders);
    List<PCollection<KV<String, Arrival>>> tagged = new ArrayList<>();
    List<PCollection<Row>> failures = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      PCollectionTuple keyed = inputs.get(name)
          .apply(name + " in the global window", Window.<Row>into(new GlobalWindows()))
          .apply("Key " + name, ParDo.of(new KeyFn(i, Keys.of(keyFieldOf(name)), settings.step())).withOutputTags(KEYED, TupleTagList.of(FAILURES)));
      tagged.add(keyed.get(KEYED).setCoder(KvCoder.of(StringUtf8Coder.of(), arrivalsCoder.arrivalCoder())));
      failures.add(keyed.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
    }
    PCollectionTuple result = PCollectionList.of(tagged)
        .apply("All inputs", Flatten.pCollections())
        .apply("Gather by id", ParDo.of(new GatherFn(names, output, arrivalsCoder, settings.timeout().getMillis(), settings.onTimeout(), settings.onDuplicate(), settings.step(),
                GATHERED, REJECTED_TAG, FAILURES))
            .withOutputTags(GATHERED, TupleTagList.of(REJECTED_TAG).and(FAILURES)));
    failures.add(result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
    return Result.of(result.get(GATHERED).setRowSchema(output), Map.of(REJECTED, result.get(REJECTED_TAG).setRowSchema(output)),
        Result.allFailures(failures));
  }

  private @Nullable String keyFieldOf(String input) {
    return settings.keyField() != null ? settings.keyField() : settings.keyFields().get(input);
  }

  @SuppressWarnings("unchecked")
  private static PCollection<Row> asRows(PCollection<?> collection) {
    if (!collection.hasSchema()) {
      throw new IllegalArgumentException("every input of a gather must be a PCollection<Row> with a schema, got " + collection.getName());
    }
    return (PCollection<Row>) collection;
  }

  /** One input's event for an id. */
  record Arrival(int input, Row row, long timestamp) {}

  /** Encodes arrivals of any input, each with its input's schema coder. */
  static final class ArrivalsCoder extends CustomCoder<List<Arrival>> {
    private final List<SchemaCoder<Row>> coders;

    ArrivalsCoder(List<SchemaCoder<Row>> coders) {
      this.coders = coders;
    }

    /** The coder of one arrival; equal for equal input schemas (Flink compares the coders of a union). */
    CustomCoder<Arrival> arrivalCoder() {
      return new ArrivalCoder(this);
    }

    void encodeOne(Arrival arrival, OutputStream out) throws IOException {
      VarIntCoder.of().encode(arrival.input(), out);
      coders.get(arrival.input()).encode(arrival.row(), out);
      VarLongCoder.of().encode(arrival.timestamp(), out);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof ArrivalsCoder && ((ArrivalsCoder) other).coders.equals(coders);
    }

    @Override
    public int hashCode() {
      return coders.hashCode();
    }

    Arrival decodeOne(InputStream in) throws IOException {
      int input = VarIntCoder.of().decode(in);
      return new Arrival(input, coders.get(input).decode(in), VarLongCoder.of().decode(in));
    }

    @Override
    public void encode(List<Arrival> arrivals, OutputStream out) throws IOException {
      VarIntCoder.of().encode(arrivals.size(), out);
      for (Arrival arrival : arrivals) {
        encodeOne(arrival, out);
      }
    }

    @Override
    public List<Arrival> decode(InputStream in) throws IOException {
      int size = VarIntCoder.of().decode(in);
      List<Arrival> arrivals = new ArrayList<>(size);
      for (int i = 0; i < size; i++) {
        arrivals.add(decodeOne(in));
      }
      return arrivals;
    }
  }

  static final class ArrivalCoder extends CustomCoder<Arrival> {
    private final ArrivalsCoder arrivals;

    ArrivalCoder(ArrivalsCoder arrivals) {
      this.arrivals = arrivals;
    }

    @Override
    public void encode(Arrival arrival, OutputStream out) throws IOException {
      arrivals.encodeOne(arrival, out);
    }

    @Override
    public Arrival decode(InputStream in) throws IOException {
      return arrivals.decodeOne(in);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof ArrivalCoder && ((ArrivalCoder) other).arrivals.equals(arrivals);
    }

    @Override
    public int hashCode() {
      return arrivals.hashCode();
    }
  }

  /** Keys one input's events by the id; an event with a null id is a dead letter ({@link Keys}). */
  private static final class KeyFn extends KeyByFn<Arrival> {
    private final int input;

    KeyFn(int input, Keys keys, String step) {
      super(keys, step, KEYED, FAILURES);
      this.input = input;
    }

    @Override
    protected Arrival value(Row row, Instant timestamp) {
      return new Arrival(input, row, timestamp.getMillis());
    }
  }

  /**
   * Per id, decided in event-time order: arrivals wait in a buffer and are released, sorted by
   * time, by one event-time timer as the watermark passes them; the same timer fires at the
   * current group's timeout and at the end of the time its id is remembered. So "first",
   * "complete" and "timed out" mean the same on every runner, whatever order events arrive in.
   */
  private static final class GatherFn extends DoFn<KV<String, Arrival>, Row> {
    private static final String GROUP = "group";
    private static final String GROUP_START = "groupStart";
    private static final String CLOSED_UNTIL = "closedUntil";

    @StateId(EventTimeOrder.BUFFER)
    private final StateSpec<BagState<TimestampedValue<Arrival>>> bufferSpec;

    @StateId(EventTimeOrder.SORTED)
    private final StateSpec<ValueState<Deque<TimestampedValue<Arrival>>>> sortedSpec;

    @StateId(EventTimeOrder.NEXT_RELEASE)
    private final StateSpec<ValueState<Instant>> nextSpec = StateSpecs.value();

    @StateId(GROUP)
    private final StateSpec<ValueState<List<Arrival>>> groupSpec;

    @StateId(GROUP_START)
    private final StateSpec<ValueState<Long>> groupStartSpec = StateSpecs.value(VarLongCoder.of());

    @StateId(CLOSED_UNTIL)
    private final StateSpec<ValueState<Long>> closedUntilSpec = StateSpecs.value(VarLongCoder.of());

    @TimerFamily(EventTimeOrder.RELEASE)
    private final TimerSpec tickSpec = KeyTimers.spec();

    private final List<String> names;
    private final Schema output;
    private final long timeout;
    private final Timeout onTimeout;
    private final Duplicate onDuplicate;
    private final String step;
    private final TupleTag<Row> gathered;
    private final TupleTag<Row> rejected;
    private final TupleTag<Row> failures;
    private final Counter complete;
    private final Counter timedOut;
    private final Counter duplicates;
    private final Counter failed;

    GatherFn(List<String> names, Schema output, ArrivalsCoder coder, long timeout, Timeout onTimeout, Duplicate onDuplicate,
        String step, TupleTag<Row> gathered, TupleTag<Row> rejected, TupleTag<Row> failures) {
      this.names = names;
      this.output = output;
      this.bufferSpec = StateSpecs.bag(TimestampedValue.TimestampedValueCoder.of(coder.arrivalCoder()));
      this.sortedSpec = EventTimeOrder.sortedSpec(TimestampedValue.TimestampedValueCoder.of(coder.arrivalCoder()));
      this.groupSpec = StateSpecs.value(coder);
      this.timeout = timeout;
      this.onTimeout = onTimeout;
      this.onDuplicate = onDuplicate;
      this.step = step;
      this.gathered = gathered;
      this.rejected = rejected;
      this.failures = failures;
      this.complete = Metrics.counter("records", step + "-complete");
      this.timedOut = Metrics.counter("records", step + "-timed-out");
      this.duplicates = Metrics.counter("records", step + "-duplicates");
      this.failed = DeadLetter.counter(step);
    }

    @ProcessElement
    public void process(@Element KV<String, Arrival> element, @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Arrival>> buffer,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> next, @TimerFamily(EventTimeOrder.RELEASE) TimerMap tickTimers) {
      Timer tick = KeyTimers.of(tickTimers, element.getKey());
      Arrival arrival = element.getValue();
      EventTimeOrder.hold(arrival, new Instant(arrival.timestamp()), buffer, next, tick);
    }

    @OnTimerFamily(EventTimeOrder.RELEASE)
    public void onTick(OnTimerContext context, @TimerId String timerId, @Key String key, @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Arrival>> buffer,
        @StateId(EventTimeOrder.SORTED) ValueState<Deque<TimestampedValue<Arrival>>> sorted,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> next, @StateId(GROUP) ValueState<List<Arrival>> groupState,
        @StateId(GROUP_START) ValueState<Long> groupStartState, @StateId(CLOSED_UNTIL) ValueState<Long> closedUntilState,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap tickTimers) {
      Timer tick = tickTimers.get(timerId);
      long now = context.fireTimestamp().getMillis();
      long hold = context.timestamp().getMillis();
      List<TimestampedValue<Arrival>> ready = EventTimeOrder.release(context.fireTimestamp(), buffer, sorted, next, tick);
      List<Arrival> group = groupState.read() == null ? new ArrayList<>() : new ArrayList<>(groupState.read());
      Long groupStart = groupStartState.read();
      Long closedUntil = closedUntilState.read();
      for (TimestampedValue<Arrival> released : ready) {
        Arrival arrival = released.getValue();
        if (groupStart != null && arrival.timestamp() > groupStart + timeout) {
          closedUntil = timeOut(context, key, group, groupStart, hold);
          group = new ArrayList<>();
          groupStart = null;
        }
        if (groupStart == null && closedUntil != null && arrival.timestamp() <= closedUntil) {
          deadLetter(context, arrival, "'" + names.get(arrival.input()) + "' for id '" + key + "' arrived after its group was emitted");
          continue;
        }
        if (groupStart == null) {
          groupStart = arrival.timestamp();
          closedUntil = null;
        }
        int existing = indexOf(group, arrival.input());
        if (existing >= 0) {
          duplicates.inc();
          if (onDuplicate == Duplicate.KEEP_LAST) {
            group.set(existing, arrival);
          } else if (onDuplicate == Duplicate.DEAD_LETTER) {
            deadLetter(context, arrival, "duplicate '" + names.get(arrival.input()) + "' for id '" + key + "'");
          }
          continue; // KEEP_FIRST: the earlier one in event time stays; counted as a duplicate
        }
        group.add(arrival);
        if (group.size() == names.size()) {
          complete.inc();
          context.outputWithTimestamp(gathered, row(key, group), new Instant(Math.max(arrival.timestamp(), hold)));
          closedUntil = groupStart + timeout;
          group = new ArrayList<>();
          groupStart = null;
        }
      }
      if (groupStart != null && groupStart + timeout <= now) {
        closedUntil = timeOut(context, key, group, groupStart, hold);
        group = new ArrayList<>();
        groupStart = null;
      }
      if (closedUntil != null && closedUntil <= now && groupStart == null) {
        closedUntil = null; // remembered long enough: forget the id
      }
      // Next tick: the oldest buffered arrival, the group's timeout, or the end of the memory of the id.
      long nextTick = Long.MAX_VALUE;
      Instant buffered = next.read();
      if (buffered != null) {
        nextTick = buffered.getMillis();
      }
      if (groupStart != null) {
        nextTick = Math.min(nextTick, groupStart + timeout);
      }
      if (closedUntil != null) {
        nextTick = Math.min(nextTick, closedUntil);
      }
      if (nextTick != Long.MAX_VALUE) {
        long holdAt = groupStart != null ? Math.min(groupStart, nextTick) : nextTick;
        if (buffered != null) {
          holdAt = Math.min(holdAt, buffered.getMillis());
        }
        tick.withOutputTimestamp(new Instant(Math.max(hold, holdAt))).set(new Instant(nextTick));
        next.write(new Instant(nextTick));
        if (buffered == null) {
          next.clear();
        }
      }
      if (group.isEmpty()) {
        groupState.clear();
      } else {
        groupState.write(group);
      }
      if (groupStart == null) {
        groupStartState.clear();
      } else {
        groupStartState.write(groupStart);
      }
      if (closedUntil == null) {
        closedUntilState.clear();
      } else {
        closedUntilState.write(closedUntil);
      }
    }

    /** Applies the timeout policy to an incomplete group; returns until when its id is remembered. */
    private long timeOut(OnTimerContext context, String key, List<Arrival> group, long groupStart, long hold) {
      timedOut.inc();
      Instant at = new Instant(Math.max(groupStart + timeout, hold));
      if (onTimeout == Timeout.PARTIAL) {
        context.outputWithTimestamp(gathered, row(key, group), at);
      } else if (onTimeout == Timeout.REJECT) {
        context.outputWithTimestamp(rejected, row(key, group), at);
      }
      return groupStart + 2 * timeout;
    }

    private Row row(String key, List<Arrival> arrivals) {
      List<Object> values = new ArrayList<>();
      values.add(key);
      List<String> missing = new ArrayList<>();
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      for (int i = 0; i < names.size(); i++) {
        int index = indexOf(arrivals, i);
        values.add(index < 0 ? null : arrivals.get(index).row());
        if (index < 0) {
          missing.add(names.get(i));
        } else {
          first = Math.min(first, arrivals.get(index).timestamp());
          last = Math.max(last, arrivals.get(index).timestamp());
        }
      }
      values.add(missing);
      values.add(missing.isEmpty());
      values.add(new Instant(first));
      values.add(new Instant(last));
      return Row.withSchema(output).addValues(values).build();
    }

    private void deadLetter(OnTimerContext context, Arrival arrival, String reason) {
      failed.inc();
      context.outputWithTimestamp(failures, DeadLetter.ofText(step, reason, RowText.json(arrival.row()), new Instant(arrival.timestamp())),
          new Instant(Math.max(arrival.timestamp(), context.timestamp().getMillis())));
    }

    private static int indexOf(List<Arrival> arrivals, int input) {
      for (int i = 0; i < arrivals.size(); i++) {
        if (arrivals.get(i).input() == input) {
          return i;
        }
      }
      return -1;
    }

  }
}
