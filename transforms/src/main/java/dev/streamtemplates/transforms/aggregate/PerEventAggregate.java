package dev.streamtemplates.transforms.aggregate;

import com.google.auto.value.AutoValue;
import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.core.Names;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.time.EventTimeOrder;
import dev.streamtemplates.transforms.time.EventTimeTimers;
import dev.streamtemplates.transforms.time.KeyTimers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
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
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Per-event ("OVER") windows: each event comes out once, with the aggregates of its key's events
 * over the last {@code range} of event time, or over its key's last {@code rows} events, itself
 * included.
 *
 * <pre>{@code
 * Result averaged = readings.apply(PerEventAggregate.perKey("sensorId")
 *     .overRange(Duration.standardMinutes(10))
 *     .withAggregations(Aggregation.of("mean", "celsius").as("avg10m"), Aggregation.of("max", "celsius").as("max10m"))
 *     .named("moving-average"));
 * }</pre>
 *
 * <p>The peers' semantics, which this follows: Flink SQL's {@code OVER (PARTITION BY k ORDER BY
 * rowtime RANGE BETWEEN INTERVAL '10' MINUTE PRECEDING AND CURRENT ROW)} and {@code ROWS BETWEEN
 * n-1 PRECEDING AND CURRENT ROW}; Kafka Streams' {@code SlidingWindows} and Siddhi's {@code
 * time}/{@code length} windows say the same per event. Flink's documentation: "a RANGE interval
 * ... all rows with a time attribute of at most 30 minutes less than the current row are included
 * in the aggregate"; "ROWS BETWEEN 10 PRECEDING AND CURRENT ROW" holds the current row and the 10
 * before it, 11 rows.
 *
 * <ul>
 *   <li><b>Range</b> ({@link #overRange}): an event at {@code t} is aggregated with every event of
 *       its key whose time is in {@code [t - range, t]}, both ends included. Events with the same
 *       time are peers: each of them is aggregated with all of them, so peers get the same
 *       aggregates (SQL's RANGE; Flink's {@code RowTimeRangeBoundedPrecedingFunction} adds all
 *       rows of a timestamp before it emits any of them).
 *   <li><b>Rows</b> ({@link #overRows}): an event is aggregated with the key's {@code rows - 1}
 *       events before it in event-time order, and itself; a key's first events have fewer. Events
 *       with the same time are taken in the order of their content ({@link
 *       EventTimeOrder#BY_TIME_THEN_CONTENT}), so every run and runner agrees (Flink takes them in
 *       arrival order).
 * </ul>
 *
 * <p>Output: the event's own fields, then one field per aggregate, with the event's timestamp.
 * When: an event is emitted once the watermark has passed its time, as Flink SQL does (rows are
 * processed in event-time order once the watermark passes them); the events of a key wait in state
 * until then ({@link EventTimeOrder}), so out-of-order input gives the same results as ordered
 * input. Late data: an event whose time is not after the last one its key has already emitted
 * (or, for a range, before the time up to which the key's window was discarded) would change
 * results already given; it goes to the dead-letter output with reason {@code late: ...}
 * (Flink drops it, counting it in {@code numLateRecordsDropped}). A result whose integer {@code
 * sum} overflows goes to the dead-letter output instead of the event.
 *
 * <p>State per key: the events waiting for the watermark, and the window: for a range, the events
 * of the last {@code range}, discarded when the watermark passes {@code range} after the key's
 * last event; for rows, the last {@code rows} events, kept as long as the job. Each result is
 * computed from the window's events with {@link RowAggregateFn} (one pass per distinct event
 * time): the aggregates include min, max, quantiles and distinct counts, which cannot take an
 * event back out, so the window is not updated incrementally. A window of thousands of events
 * per key therefore costs that many additions per event. Keys are the values of the key fields,
 * a null being a key of its own, as in the Aggregate's {@code GROUP BY}.
 *
 * <p>Runs where state and event-time timers do: Direct and Flink in batch and streaming, Spark in
 * batch; refused on Spark in streaming mode.
 */
public final class PerEventAggregate extends PTransform<PCollection<Row>, Result> {
  /** The most events a rows window may hold per key: they are kept in state. */
  public static final long MAX_ROWS = Windowing.MAX_COUNT;

  /** Every setting; immutable, copied with a change by each {@code withX}. */
  @AutoValue
  abstract static class Settings implements java.io.Serializable {
    abstract List<String> keyFields();

    abstract @Nullable Duration range();

    abstract long rows();

    abstract List<Aggregation> aggregations();

    abstract String step();

    abstract String origin();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder keyFields(List<String> keyFields);

      abstract Builder range(@Nullable Duration range);

      abstract Builder rows(long rows);

      abstract Builder aggregations(List<Aggregation> aggregations);

      abstract Builder step(String step);

      abstract Builder origin(String origin);

      abstract Settings build();
    }
  }

  private static final TupleTag<Row> OUT = new TupleTag<Row>() {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};

  private final Settings settings;

  private PerEventAggregate(Settings settings) {
    this.settings = settings;
  }

  private PerEventAggregate with(java.util.function.UnaryOperator<Settings.Builder> change) {
    return new PerEventAggregate(change.apply(settings.toBuilder()).build());
  }

  /** One window per distinct value of the key fields. */
  public static PerEventAggregate perKey(String... keyFields) {
    return perKey(Arrays.asList(keyFields));
  }

  public static PerEventAggregate perKey(List<String> keyFields) {
    keyFields.forEach(f -> Names.require(f, "key field"));
    return new PerEventAggregate(new AutoValue_PerEventAggregate_Settings.Builder()
        .keyFields(List.copyOf(keyFields)).rows(0).aggregations(List.of()).step("aggregate").origin("aggregates").build());
  }

  /** One window over all events. */
  public static PerEventAggregate globally() {
    return perKey(List.of());
  }

  /** Each event with its key's events of the last {@code range} of event time, ends included (SQL's RANGE). */
  @CheckReturnValue
  public PerEventAggregate overRange(Duration range) {
    if (range == null || range.getMillis() <= 0) {
      throw new IllegalArgumentException("range must be > 0, got range=" + range);
    }
    return with(b -> b.range(range).rows(0));
  }

  /** Each event with its key's last {@code rows} events, itself included (SQL's ROWS BETWEEN rows-1 PRECEDING AND CURRENT ROW). */
  @CheckReturnValue
  public PerEventAggregate overRows(long rows) {
    if (rows < 1 || rows > MAX_ROWS) {
      throw new IllegalArgumentException("rows must be between 1 and " + MAX_ROWS + " (they are kept in state per key), got rows=" + rows);
    }
    return with(b -> b.rows(rows).range(null));
  }

  @CheckReturnValue
  public PerEventAggregate withAggregations(Aggregation... aggregations) {
    return withAggregations(Arrays.asList(aggregations));
  }

  @CheckReturnValue
  public PerEventAggregate withAggregations(List<Aggregation> aggregations) {
    return with(b -> b.aggregations(List.copyOf(aggregations)));
  }

  /** The step name that dead letters and counters carry. */
  @CheckReturnValue
  public PerEventAggregate named(String step) {
    String name = Names.require(step, "step");
    return with(b -> b.step(name));
  }

  /** Where the step was declared, e.g. {@code steps[2]}, for error messages. */
  @CheckReturnValue
  public PerEventAggregate withOrigin(String origin) {
    String where = Names.require(origin, "origin");
    return with(b -> b.origin(where));
  }

  /** The schema of the output rows for events of {@code input}: its fields, then the aggregates. */
  public Schema outputSchema(Schema input) {
    return outputSchema(input, aggregateFn(input));
  }

  private Schema outputSchema(Schema input, RowAggregateFn aggregateFn) {
    List<String> clashes = new ArrayList<>();
    for (String name : aggregateFn.outputSchema().getFieldNames()) {
      if (input.hasField(name)) {
        clashes.add(name);
      }
    }
    if (!clashes.isEmpty()) {
      throw new IllegalArgumentException(settings.origin() + ": aggregates " + clashes + " have the names of input fields, and each event"
          + " keeps its fields; name the aggregates otherwise");
    }
    return Schema.builder().addFields(input.getFields()).addFields(aggregateFn.outputSchema().getFields()).build();
  }

  private RowAggregateFn aggregateFn(Schema input) {
    try {
      return RowAggregateFn.of(input, settings.aggregations());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(settings.origin() + ": " + e.getMessage(), e);
    }
  }

  private Schema keySchema(Schema input) {
    List<String> missing = new ArrayList<>();
    Schema.Builder keys = Schema.builder();
    for (String key : settings.keyFields()) {
      if (input.hasField(key)) {
        keys.addField(input.getField(key));
      } else {
        missing.add(key);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(settings.origin() + ": key fields " + missing + " are not in the input; fields are " + input.getFieldNames());
    }
    return keys.build();
  }

  @Override
  public Result expand(PCollection<Row> input) {
    if (settings.range() == null && settings.rows() == 0) {
      throw new IllegalArgumentException("no window: call overRange(duration) or overRows(n)");
    }
    if (settings.aggregations().isEmpty()) {
      throw new IllegalArgumentException("no aggregates: call withAggregations(...)");
    }
    Schema inputSchema = input.getSchema();
    Schema keySchema = keySchema(inputSchema);
    RowAggregateFn aggregateFn = aggregateFn(inputSchema);
    Schema outputSchema = outputSchema(inputSchema, aggregateFn);
    EventTimeTimers.require(settings.origin() + ": per-event windows need", input);
    PCollection<KV<Row, Row>> keyed = input.apply("Key by " + settings.keyFields(), ParDo.of(new KeyFn(inputSchema, keySchema)))
        .setCoder(KvCoder.of(SchemaCoder.of(keySchema), SchemaCoder.of(inputSchema)));
    String over = settings.range() != null ? "range " + settings.range() : "rows " + settings.rows();
    PCollectionTuple result = keyed.apply("Per event over " + over,
        ParDo.of(new OverFn(settings.range(), settings.rows(), aggregateFn, inputSchema, outputSchema, settings.step()))
            .withOutputTags(OUT, TupleTagList.of(FAILURES)));
    return Result.of(result.get(OUT).setRowSchema(outputSchema), result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
  }

  /** Keys each event by its key fields' values (their positions found once). */
  private static final class KeyFn extends DoFn<Row, KV<Row, Row>> {
    private final Schema keySchema;
    private final int[] keyFields;

    KeyFn(Schema inputSchema, Schema keySchema) {
      this.keySchema = keySchema;
      this.keyFields = keySchema.getFields().stream().mapToInt(field -> inputSchema.indexOf(field.getName())).toArray();
    }

    @ProcessElement
    public void process(@Element Row row, OutputReceiver<KV<Row, Row>> out) {
      List<Object> values = new ArrayList<>(keyFields.length);
      for (int field : keyFields) {
        values.add(row.getValue(field));
      }
      out.output(KV.of(Row.withSchema(keySchema).attachValues(values), row));
    }
  }

  /**
   * Per key: events wait in a bag until the watermark passes them ({@link EventTimeOrder}), then
   * join the window in event-time order and come out with its aggregates. One timer serves both
   * the release of waiting events and, for a range, the discarding of a quiet key's window.
   */
  private static final class OverFn extends DoFn<KV<Row, Row>, Row> {
    private static final String WINDOW = "window";
    private static final String LATE_BEFORE = "lateBefore";

    @StateId(EventTimeOrder.BUFFER)
    private final StateSpec<BagState<TimestampedValue<Row>>> bufferSpec;

    @StateId(EventTimeOrder.SORTED)
    private final StateSpec<ValueState<Deque<TimestampedValue<Row>>>> sortedSpec;

    @StateId(WINDOW)
    private final StateSpec<ValueState<List<TimestampedValue<Row>>>> windowSpec;

    /** Events before this time are late for the key (null: none yet). */
    @StateId(LATE_BEFORE)
    private final StateSpec<ValueState<Instant>> lateBeforeSpec = StateSpecs.value(InstantCoder.of());

    @StateId(EventTimeOrder.NEXT_RELEASE)
    private final StateSpec<ValueState<Instant>> nextReleaseSpec = StateSpecs.value(InstantCoder.of());

    @TimerFamily(EventTimeOrder.RELEASE)
    private final TimerSpec releaseSpec = KeyTimers.spec();

    private final @Nullable Duration range;
    private final long rows;
    private final RowAggregateFn aggregateFn;
    private final Schema outputSchema;
    private final String step;
    private final Counter emitted;
    private final Counter failed;

    OverFn(@Nullable Duration range, long rows, RowAggregateFn aggregateFn, Schema inputSchema, Schema outputSchema, String step) {
      this.range = range;
      this.rows = rows;
      this.aggregateFn = aggregateFn;
      this.outputSchema = outputSchema;
      this.step = step;
      TimestampedValue.TimestampedValueCoder<Row> eventCoder = TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(inputSchema));
      this.bufferSpec = StateSpecs.bag(eventCoder);
      this.sortedSpec = EventTimeOrder.sortedSpec(eventCoder);
      this.windowSpec = StateSpecs.value(ListCoder.of(eventCoder));
      this.emitted = Metrics.counter("records", step + "-aggregated");
      this.failed = DeadLetter.counter(step);
    }

    @ProcessElement
    public void process(
        @Element KV<Row, Row> element,
        @Timestamp Instant timestamp,
        @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
        @StateId(LATE_BEFORE) ValueState<Instant> lateBefore,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextRelease,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap releaseTimers,
        MultiOutputReceiver out) {
      Timer release = KeyTimers.of(releaseTimers, element.getKey());
      String late = EventTimeOrder.lateReason(timestamp, lateBefore.read(), "aggregated", String.valueOf(element.getKey().getValues()));
      if (late != null) {
        failed.inc();
        out.get(FAILURES).output(DeadLetter.ofText(step, late, RowText.json(element.getValue()), timestamp));
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
        @StateId(WINDOW) ValueState<List<TimestampedValue<Row>>> windowState,
        @StateId(LATE_BEFORE) ValueState<Instant> lateBeforeState,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextRelease,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap releaseTimers) {
      Timer release = releaseTimers.get(timerId);
      Instant now = context.fireTimestamp();
      EventTimeOrder.Released<Row> released = EventTimeOrder.take(now, buffer, sorted, EventTimeOrder.BY_TIME_THEN_CONTENT);
      List<TimestampedValue<Row>> ready = released.ready();
      List<TimestampedValue<Row>> window = windowState.read() == null ? new ArrayList<>() : new ArrayList<>(windowState.read());
      Instant lateBefore = lateBeforeState.read();
      int i = 0;
      while (i < ready.size()) {
        // The events from i to j (excluded) are aggregated together: one event for rows, the
        // event's peers (same time) for a range.
        Instant time = ready.get(i).getTimestamp();
        int j = i + 1;
        if (range != null) {
          while (j < ready.size() && ready.get(j).getTimestamp().equals(time)) {
            j++;
          }
        }
        window.addAll(ready.subList(i, j));
        if (range != null) {
          Instant from = time.minus(range);
          window.removeIf(event -> event.getTimestamp().isBefore(from));
        } else if (window.size() > rows) {
          window.subList(0, (int) (window.size() - rows)).clear();
        }
        Row aggregates = aggregate(window);
        for (TimestampedValue<Row> event : ready.subList(i, j)) {
          emit(event, aggregates, context);
        }
        i = j;
      }
      if (!ready.isEmpty()) {
        // An event at the time of one emitted would change results given (its peers' or its
        // predecessors'): from now on it is late, as in Flink (a row is late unless it is after
        // the last timestamp processed).
        lateBefore = later(lateBefore, ready.get(ready.size() - 1).getTimestamp().plus(1));
      }
      Instant next = released.oldestLeft();
      if (range != null && !window.isEmpty()) {
        // Once the watermark passes the newest event + range, no event still to come needs the
        // window (one older than that is late from then on): discard it, so a quiet key keeps
        // no events.
        Instant discardAt = window.get(window.size() - 1).getTimestamp().plus(range).plus(1);
        if (!now.isBefore(discardAt)) {
          window.clear();
          lateBefore = later(lateBefore, discardAt);
        } else if (next == null || discardAt.isBefore(next)) {
          next = discardAt;
        }
      }
      EventTimeOrder.schedule(next, nextRelease, release);
      if (window.isEmpty()) {
        windowState.clear();
      } else {
        windowState.write(window);
      }
      if (lateBefore != null) {
        lateBeforeState.write(lateBefore);
      }
    }

    private static Instant later(@Nullable Instant a, Instant b) {
      return a == null || b.isAfter(a) ? b : a;
    }

    private Row aggregate(List<TimestampedValue<Row>> window) {
      Object[] accumulator = aggregateFn.createAccumulator();
      for (TimestampedValue<Row> event : window) {
        accumulator = aggregateFn.addInput(accumulator, event);
      }
      return aggregateFn.extractOutput(accumulator);
    }

    /** The event with the aggregates, at the event's time; or its dead letter if an integer sum overflowed. */
    private void emit(TimestampedValue<Row> event, Row aggregates, OnTimerContext context) {
      List<Object> values = new ArrayList<>(outputSchema.getFieldCount());
      values.addAll(event.getValue().getValues());
      int count = aggregateFn.outputSchema().getFieldCount();
      for (int k = 0; k < count; k++) {
        values.add(aggregates.getValue(k));
      }
      Row row = Row.withSchema(outputSchema).attachValues(values);
      String overflow = RowAggregateFn.overflowIn(aggregates);
      if (overflow == null) {
        emitted.inc();
        context.outputWithTimestamp(OUT, row, event.getTimestamp());
      } else {
        failed.inc();
        context.outputWithTimestamp(FAILURES, WindowedAggregate.overflowed(step, overflow, row), event.getTimestamp());
      }
    }
  }
}
