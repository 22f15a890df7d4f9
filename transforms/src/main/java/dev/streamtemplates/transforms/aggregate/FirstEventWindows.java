package dev.streamtemplates.transforms.aggregate;

import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.time.EventTimeOrder;
import dev.streamtemplates.transforms.time.KeyTimers;
import java.util.Deque;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;

/**
 * Tumbling windows that start at each key's first event ({@link Windowing#fromFirstEvent}):
 * {@code [first, first + size)}, then back to back, {@code first + k * size}, as Esper's and
 * Siddhi's time-batch windows, but in event time. A Beam {@code WindowFn} places an event from its
 * own timestamp and cannot know the key's first event, so this is a stateful DoFn: a key's events
 * wait until the watermark passes them ({@link EventTimeOrder}), so its first event is the
 * earliest in event time, not the first to arrive; then each window collects its events and comes
 * out once, when the watermark passes its end (an event-time timer), with the window's last
 * instant as its event time, as Beam's own windows. Windows without events give nothing. An event
 * before the key's first event, or in a window that already came out, is late: a dead letter.
 *
 * <p>Applied by {@link CountWindows#apply}, which also serves the other per-key windows. State per key: the events waiting for the watermark, the open window's events, the key's
 * first event time and where the open (or next) window may start. Runs where state and event-time
 * timers do: Direct and Flink in batch and streaming, Spark in batch.
 */
final class FirstEventWindows extends DoFn<KV<Row, TimestampedValue<Row>>, Row> {
  private static final String WINDOW = "window";
  private static final String KEY = "key";
  private static final String FIRST = "first";
  private static final String OPEN_FROM = "openFrom";
  private static final String CLOSE = "close";

  @StateId(EventTimeOrder.BUFFER)
  private final StateSpec<BagState<TimestampedValue<Row>>> bufferSpec;

  @StateId(EventTimeOrder.SORTED)
  private final StateSpec<ValueState<Deque<TimestampedValue<Row>>>> sortedSpec;

  /** The open window's events: a bag, so that taking an event appends it rather than rewriting the window. */
  @StateId(WINDOW)
  private final StateSpec<BagState<TimestampedValue<Row>>> windowSpec;

  @StateId(KEY)
  private final StateSpec<ValueState<Row>> keySpec;

  /** The key's first event time: the origin of its windows. */
  @StateId(FIRST)
  private final StateSpec<ValueState<Instant>> firstSpec = StateSpecs.value();

  /** The start of the open window, or where the next one may start once the last closed: earlier events are late. */
  @StateId(OPEN_FROM)
  private final StateSpec<ValueState<Instant>> openFromSpec = StateSpecs.value();

  @StateId(EventTimeOrder.NEXT_RELEASE)
  private final StateSpec<ValueState<Instant>> nextReleaseSpec = StateSpecs.value();

  @TimerFamily(EventTimeOrder.RELEASE)
  private final TimerSpec releaseSpec = KeyTimers.spec();

  @TimerFamily(CLOSE)
  private final TimerSpec closeSpec = KeyTimers.spec();

  private final long size;
  private final RowAggregateFn aggregateFn;
  private final Schema outputSchema;
  private final String step;
  private final Counter failed;

  FirstEventWindows(long size, RowAggregateFn aggregateFn, Schema outputSchema, Schema inputSchema, String step) {
    this.size = size;
    this.aggregateFn = aggregateFn;
    this.outputSchema = outputSchema;
    this.step = step;
    this.bufferSpec = StateSpecs.bag(CountWindows.eventCoder(inputSchema));
    this.sortedSpec = EventTimeOrder.sortedSpec(CountWindows.eventCoder(inputSchema));
    this.windowSpec = StateSpecs.bag(CountWindows.eventCoder(inputSchema));
    this.keySpec = CountWindows.keySpec(outputSchema);
    this.failed = DeadLetter.counter(step);
  }

  @ProcessElement
  public void process(
      @Element KV<Row, TimestampedValue<Row>> element,
      @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
      @StateId(KEY) ValueState<Row> key,
      @StateId(FIRST) ValueState<Instant> first,
      @StateId(OPEN_FROM) ValueState<Instant> openFrom,
      @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextRelease,
      @TimerFamily(EventTimeOrder.RELEASE) TimerMap releaseTimers,
      MultiOutputReceiver out) {
    Timer release = KeyTimers.of(releaseTimers, element.getKey());
    Instant timestamp = element.getValue().getTimestamp();
    Instant from = openFrom.read();
    if (from != null && timestamp.isBefore(from)) {
      Instant origin = first.read();
      String reason = timestamp.isBefore(origin)
          ? "late: event time " + timestamp + " is before the first event of key " + element.getKey().getValues() + " at " + origin
              + ", where its windows start"
          : "late: event time " + timestamp + " is in a window of key " + element.getKey().getValues() + " that already came out"
              + " (windows before " + from + ")";
      failed.inc();
      out.get(CountWindows.FAILURES).output(DeadLetter.ofText(step, reason, RowText.json(element.getValue().getValue()), timestamp));
      return;
    }
    key.write(element.getKey());
    EventTimeOrder.hold(element.getValue().getValue(), timestamp, buffer, nextRelease, release);
  }

  @OnTimerFamily(EventTimeOrder.RELEASE)
  public void onRelease(
      OnTimerContext context,
      @TimerId String timerId,
      @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
      @StateId(EventTimeOrder.SORTED) ValueState<Deque<TimestampedValue<Row>>> sorted,
      @StateId(WINDOW) BagState<TimestampedValue<Row>> window,
      @StateId(KEY) ValueState<Row> key,
      @StateId(FIRST) ValueState<Instant> first,
      @StateId(OPEN_FROM) ValueState<Instant> openFrom,
      @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextRelease,
      @TimerFamily(EventTimeOrder.RELEASE) TimerMap releaseTimers,
      @TimerFamily(CLOSE) TimerMap closeTimers) {
    Timer release = releaseTimers.get(timerId);
    Timer close = closeTimers.get(timerId);
    List<TimestampedValue<Row>> ready =
        EventTimeOrder.release(context.fireTimestamp(), buffer, sorted, nextRelease, release, EventTimeOrder.BY_TIME_THEN_CONTENT);
    take(ready, window, key.read(), first, openFrom, close, (tag, row, at) -> context.outputWithTimestamp(tag, row, context.fireTimestamp()));
  }

  /** The watermark passed the open window's end: it comes out, then events at its end or later open the next. */
  @OnTimerFamily(CLOSE)
  public void onClose(
      OnTimerContext context,
      @TimerId String timerId,
      @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
      @StateId(EventTimeOrder.SORTED) ValueState<Deque<TimestampedValue<Row>>> sorted,
      @StateId(WINDOW) BagState<TimestampedValue<Row>> window,
      @StateId(KEY) ValueState<Row> key,
      @StateId(FIRST) ValueState<Instant> first,
      @StateId(OPEN_FROM) ValueState<Instant> openFrom,
      @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextRelease,
      @TimerFamily(EventTimeOrder.RELEASE) TimerMap releaseTimers,
      @TimerFamily(CLOSE) TimerMap closeTimers) {
    Timer release = releaseTimers.get(timerId);
    Timer close = closeTimers.get(timerId);
    Instant now = context.fireTimestamp();
    if (!window.isEmpty().read()) {
      long start = openFrom.read().getMillis();
      emit(window.read(), key.read(), start, (tag, row, at) -> context.outputWithTimestamp(tag, row, at));
      window.clear();
      openFrom.write(new Instant(start + size));
    }
    List<TimestampedValue<Row>> ready = EventTimeOrder.release(now, buffer, sorted, nextRelease, release, EventTimeOrder.BY_TIME_THEN_CONTENT);
    take(ready, window, key.read(), first, openFrom, close, (tag, row, at) -> context.outputWithTimestamp(tag, row, now));
  }

  /** Puts released events (in event-time order) in their windows, opening a window (and its close timer) as needed. */
  private void take(List<TimestampedValue<Row>> ready, BagState<TimestampedValue<Row>> window, Row key,
      ValueState<Instant> first, ValueState<Instant> openFrom, Timer close, CountWindows.Emitter overdue) {
    if (ready.isEmpty()) {
      return;
    }
    Instant origin = first.read();
    if (origin == null) {
      origin = ready.get(0).getTimestamp();
      first.write(origin);
    }
    boolean open = !window.isEmpty().read();
    long start = open ? openFrom.read().getMillis() : Long.MIN_VALUE;
    for (TimestampedValue<Row> event : ready) {
      long at = windowStart(origin, event.getTimestamp());
      if (open && at != start) {
        // Only if a runner fired the release before the close timer of an earlier instant: out now, at the timer's time.
        emit(window.read(), key, start, overdue);
        window.clear();
        open = false;
      }
      if (!open) {
        start = at;
        openFrom.write(new Instant(start));
        close.withOutputTimestamp(new Instant(start + size - 1)).set(new Instant(start + size));
        open = true;
      }
      window.add(event);
    }
  }

  /** The start of the window of the key's windows from {@code origin} that holds {@code timestamp}. */
  private long windowStart(Instant origin, Instant timestamp) {
    return origin.getMillis() + Math.floorDiv(timestamp.getMillis() - origin.getMillis(), size) * size;
  }

  /** One window's result, at the window's last instant as event time (as Beam's own windows). */
  private void emit(Iterable<TimestampedValue<Row>> window, Row key, long start, CountWindows.Emitter out) {
    CountWindows.emitWindow(window, key, new Instant(start), new Instant(start + size), new Instant(start + size - 1), aggregateFn,
        outputSchema, step, failed, out);
  }
}
