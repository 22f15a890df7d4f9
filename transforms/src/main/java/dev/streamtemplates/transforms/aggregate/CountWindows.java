package dev.streamtemplates.transforms.aggregate;

import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.time.EventTimeOrder;
import dev.streamtemplates.transforms.time.EventTimeTimers;
import dev.streamtemplates.transforms.time.KeyTimers;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.metrics.Counter;
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
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Instant;

/**
 * Count windows per key: the aggregate of every window of N consecutive events of a key, in
 * event-time order. Beam has no count windows, so this is a stateful DoFn: events are buffered per
 * key and released in timestamp order by an event-time timer as the watermark passes them; the
 * last N released events are kept in state. A window is emitted at its N-th event (windowStart
 * and windowEnd are its first and last event times); a trailing window with fewer than N events
 * is never emitted. Events with the same event time are taken in the order of their content
 * ({@link EventTimeOrder#BY_TIME_THEN_CONTENT}), so every run and every runner forms the same
 * windows. An event older than one already released for its key is late and goes to the
 * dead-letter output.
 *
 * <p>A global window fired every N events ({@link Windowing#globalEvery}) is the same mechanism
 * with windows of N every N, plus the key's last, shorter group, emitted when the input ends
 * (with the end of time as its event time): exactly every N events of a key in event-time order,
 * the same on every runner (Beam's {@code AfterPane.elementCountAtLeast} means "at least N" and
 * depends on bundling; Flink and Spark in batch fire it once per key).
 *
 * <p>Runs where state and event-time timers do: Direct and Flink in batch and streaming, Spark in
 * batch.
 */
final class CountWindows {
  private CountWindows() {}

  record Result(PCollection<Row> output, PCollection<Row> failures) {}

  static final TupleTag<Row> OUT = new TupleTag<Row>() {};
  static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};

  /** Count and global windows, and tumbling windows from each key's first event ({@link FirstEventWindows}). */
  static Result apply(PCollection<KV<Row, TimestampedValue<Row>>> keyed, Windowing windowing, RowAggregateFn aggregateFn,
      Schema inputSchema, Schema outputSchema, String step) {
    boolean global = windowing.kind() == Windowing.Kind.GLOBAL;
    boolean first = windowing.startsAtFirstEvent();
    long slide = global ? windowing.count() : windowing.countSlide();
    EventTimeTimers.require(first ? "windows from each key's first event need" : global ? "global windows fired every N events need"
        : "count windows need", keyed);
    DoFn<KV<Row, TimestampedValue<Row>>, Row> fn = first
        ? new FirstEventWindows(windowing.size().getMillis(), aggregateFn, outputSchema, inputSchema, step)
        : new CountWindowFn(windowing.count(), slide, global, aggregateFn, outputSchema, inputSchema, step);
    PCollectionTuple result = keyed.apply((first ? "Windows " : global ? "Every " : "Count windows ") + windowing,
        ParDo.of(fn).withOutputTags(OUT, TupleTagList.of(FAILURES)));
    return new Result(result.get(OUT).setRowSchema(outputSchema), result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
  }

  /** Where a window's row (or dead letter) goes, with its event time. */
  interface Emitter {
    void emit(TupleTag<Row> tag, Row row, Instant at);
  }

  /** The state spec of a key's events and of the key itself, shared by the per-key window DoFns. */
  static TimestampedValue.TimestampedValueCoder<Row> eventCoder(Schema inputSchema) {
    return TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(inputSchema));
  }

  static StateSpec<ValueState<Row>> keySpec(Schema outputSchema) {
    Schema keySchema = Schema.builder().addFields(outputSchema.getFields().subList(0, outputSchema.indexOf("windowStart"))).build();
    return StateSpecs.value(SchemaCoder.of(keySchema));
  }

  /** The aggregate of one window of events as its output row, or its dead letter if an integer sum overflowed. */
  static void emitWindow(Iterable<TimestampedValue<Row>> window, Row key, Instant start, Instant end, Instant at, RowAggregateFn aggregateFn,
      Schema outputSchema, String step, Counter failed, Emitter out) {
    Object[] accumulator = aggregateFn.createAccumulator();
    for (TimestampedValue<Row> event : window) {
      accumulator = aggregateFn.addInput(accumulator, event);
    }
    Row aggregates = aggregateFn.extractOutput(accumulator);
    Row row = WindowedAggregate.output(outputSchema, key, aggregates, start, end, outputSchema.hasField("rank"));
    String overflow = RowAggregateFn.overflowIn(aggregates);
    if (overflow == null) {
      out.emit(OUT, row, at);
    } else {
      failed.inc();
      out.emit(FAILURES, WindowedAggregate.overflowed(step, overflow, row), at);
    }
  }

  private static final class CountWindowFn extends DoFn<KV<Row, TimestampedValue<Row>>, Row> {
    private static final String LAST_N = "lastN";
    private static final String SINCE_EMIT = "sinceEmit";
    private static final String RELEASED_UP_TO = "releasedUpTo";
    private static final String KEY = "key";
    private static final String END = "end";

    @StateId(EventTimeOrder.BUFFER)
    private final StateSpec<BagState<TimestampedValue<Row>>> bufferSpec;

    @StateId(EventTimeOrder.SORTED)
    private final StateSpec<ValueState<Deque<TimestampedValue<Row>>>> sortedSpec;

    @StateId(LAST_N)
    private final StateSpec<ValueState<List<TimestampedValue<Row>>>> lastNSpec;

    @StateId(KEY)
    private final StateSpec<ValueState<Row>> keySpec;

    @StateId(SINCE_EMIT)
    private final StateSpec<ValueState<Long>> sinceEmitSpec = StateSpecs.value();

    @StateId(RELEASED_UP_TO)
    private final StateSpec<ValueState<Instant>> releasedSpec = StateSpecs.value();

    @StateId(EventTimeOrder.NEXT_RELEASE)
    private final StateSpec<ValueState<Instant>> nextFlushSpec = StateSpecs.value();

    @TimerFamily(EventTimeOrder.RELEASE)
    private final TimerSpec flushSpec = KeyTimers.spec();

    @TimerFamily(END)
    private final TimerSpec endSpec = KeyTimers.spec();

    private final long size;
    private final long slide;
    private final boolean remainder;
    private final RowAggregateFn aggregateFn;
    private final Schema outputSchema;
    private final String step;
    private final Counter failed;

    CountWindowFn(long size, long slide, boolean remainder, RowAggregateFn aggregateFn, Schema outputSchema, Schema inputSchema, String step) {
      this.size = size;
      this.slide = slide;
      this.remainder = remainder;
      this.aggregateFn = aggregateFn;
      this.outputSchema = outputSchema;
      this.step = step;
      this.bufferSpec = StateSpecs.bag(eventCoder(inputSchema));
      this.sortedSpec = EventTimeOrder.sortedSpec(eventCoder(inputSchema));
      this.lastNSpec = StateSpecs.value(ListCoder.of(eventCoder(inputSchema)));
      this.keySpec = keySpec(outputSchema);
      this.failed = DeadLetter.counter(step);
    }

    @ProcessElement
    public void process(
        @Element KV<Row, TimestampedValue<Row>> element,
        @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
        @StateId(KEY) ValueState<Row> key,
        @StateId(RELEASED_UP_TO) ValueState<Instant> releasedUpTo,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextFlush,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap flushTimers,
        @TimerFamily(END) TimerMap endTimers,
        MultiOutputReceiver out) {
      Timer flush = KeyTimers.of(flushTimers, element.getKey());
      Timer end = KeyTimers.of(endTimers, element.getKey());
      Instant timestamp = element.getValue().getTimestamp();
      String late = EventTimeOrder.lateReason(timestamp, releasedUpTo.read(), "counted", String.valueOf(element.getKey().getValues()));
      if (late != null) {
        failed.inc();
        out.get(FAILURES).output(DeadLetter.ofText(step, late, RowText.json(element.getValue().getValue()), timestamp));
        return;
      }
      if (remainder && key.read() == null) {
        end.set(GlobalWindow.INSTANCE.maxTimestamp());
      }
      key.write(element.getKey());
      EventTimeOrder.hold(element.getValue().getValue(), timestamp, buffer, nextFlush, flush);
    }

    @OnTimerFamily(EventTimeOrder.RELEASE)
    public void onFlush(
        OnTimerContext context,
        @TimerId String timerId,
        @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
        @StateId(EventTimeOrder.SORTED) ValueState<Deque<TimestampedValue<Row>>> sorted,
        @StateId(LAST_N) ValueState<List<TimestampedValue<Row>>> lastNState,
        @StateId(KEY) ValueState<Row> key,
        @StateId(SINCE_EMIT) ValueState<Long> sinceEmitState,
        @StateId(RELEASED_UP_TO) ValueState<Instant> releasedUpTo,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextFlush,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap flushTimers) {
      Timer flush = flushTimers.get(timerId);
      List<TimestampedValue<Row>> ready =
          EventTimeOrder.release(context.fireTimestamp(), buffer, sorted, nextFlush, flush, EventTimeOrder.BY_TIME_THEN_CONTENT);
      decide(ready, lastNState, key.read(), sinceEmitState, releasedUpTo, (tag, row, at) -> context.outputWithTimestamp(tag, row, at));
    }

    /** The input has ended: the events still waiting, then the key's last group if it is short. */
    @OnTimerFamily(END)
    public void onEnd(
        OnTimerContext context,
        @TimerId String timerId,
        @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
        @StateId(EventTimeOrder.SORTED) ValueState<Deque<TimestampedValue<Row>>> sorted,
        @StateId(LAST_N) ValueState<List<TimestampedValue<Row>>> lastNState,
        @StateId(KEY) ValueState<Row> key,
        @StateId(SINCE_EMIT) ValueState<Long> sinceEmitState,
        @StateId(RELEASED_UP_TO) ValueState<Instant> releasedUpTo,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextFlush,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap flushTimers) {
      Timer flush = flushTimers.get(timerId);
      Instant now = context.fireTimestamp();
      // Output timestamps may not be earlier than the timer's: everything left goes out at its time.
      Emitter atEnd = (tag, row, at) -> context.outputWithTimestamp(tag, row, now);
      decide(EventTimeOrder.release(now, buffer, sorted, nextFlush, flush, EventTimeOrder.BY_TIME_THEN_CONTENT),
          lastNState, key.read(), sinceEmitState, releasedUpTo, atEnd);
      List<TimestampedValue<Row>> lastN = lastNState.read();
      long pending = sinceEmitState.read() == null ? 0 : sinceEmitState.read();
      if (lastN != null && pending > 0) {
        emit(lastN.subList(lastN.size() - (int) pending, lastN.size()), key.read(), atEnd);
      }
      sinceEmitState.write(0L);
    }

    private void decide(List<TimestampedValue<Row>> ready, ValueState<List<TimestampedValue<Row>>> lastNState, Row key,
        ValueState<Long> sinceEmitState, ValueState<Instant> releasedUpTo, Emitter out) {
      List<TimestampedValue<Row>> lastN = lastNState.read() == null ? new ArrayList<>() : new ArrayList<>(lastNState.read());
      long sinceEmit = sinceEmitState.read() == null ? 0 : sinceEmitState.read();
      for (TimestampedValue<Row> event : ready) {
        lastN.add(event);
        if (lastN.size() > size) {
          lastN.remove(0);
        }
        sinceEmit++;
        if (lastN.size() == size && sinceEmit >= slide) {
          emit(lastN, key, out);
          sinceEmit = 0;
        }
      }
      lastNState.write(lastN);
      sinceEmitState.write(sinceEmit);
      if (!ready.isEmpty()) {
        releasedUpTo.write(ready.get(ready.size() - 1).getTimestamp());
      }
    }

    private void emit(List<TimestampedValue<Row>> window, Row key, Emitter out) {
      Instant end = window.get(window.size() - 1).getTimestamp();
      emitWindow(window, key, window.get(0).getTimestamp(), end, end, aggregateFn, outputSchema, step, failed, out);
    }
  }
}
