package dev.streamtemplates.transforms.cep.runtime;

import dev.streamtemplates.transforms.cep.nfa.Nfa;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.time.EventTimeOrder;
import dev.streamtemplates.transforms.time.KeyTimers;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * The two ways to run the automaton in a pipeline. {@link TimerFn} keeps each key's state in Beam
 * state and is driven by event-time timers (Direct, Flink, Spark batch). {@link WindowFn} needs no
 * timers (Spark streaming): events are grouped by key into sliding windows twice the time bound
 * long, matched in memory, and each match is kept only from the window whose first half holds its
 * first event, so it comes out exactly once.
 */
public final class SequenceFns {
  private SequenceFns() {}

  /** What both DoFns are given: the automaton, the output rows, the step name and the output tags. */
  public record Spec(Nfa nfa, MatchRows rows, String step, TupleTag<Row> matches, TupleTag<Row> timedOut,
      TupleTag<Row> failures) implements java.io.Serializable {}

  /** Why a late event is a dead letter: it can no longer be put in event-time order. */
  public static final String LATE_REASON = "late: the event arrived after its key had been matched past its event time"
      + " (it is behind the watermark and can no longer be put in order)";

  /** The dead letter of a late event, with its event time. */
  static Row late(Spec spec, Row event, Instant timestamp) {
    return DeadLetter.ofText(spec.step(), LATE_REASON, RowText.json(event), DeadLetter.knownTime(timestamp));
  }

  /** Same timestamp: order by the record's text, so ties are broken the same way on every runner. */
  static final Comparator<TimestampedValue<Row>> EVENT_ORDER = EventTimeOrder.BY_TIME_THEN_CONTENT;

  /** Receives the matcher's results for one key and turns them into rows. */
  private abstract static class Results implements Matcher.Output {
    final MatchRows rows;
    final String step;
    final Spec tags;
    final Counter matched;
    final Counter timedOutCount;
    final Counter failed;
    String key;
    /** Results carry at least this timestamp (the firing timer's hold, or the window's). */
    long floor;
    /** Only matches that start at or after this time are kept (the window mode); else Long.MIN_VALUE. */
    long keepFrom = Long.MIN_VALUE;
    long keepBefore = Long.MAX_VALUE;

    Results(Spec spec) {
      this.rows = spec.rows();
      this.step = spec.step();
      this.tags = spec;
      this.matched = Metrics.counter("records", step + "-matches");
      this.timedOutCount = Metrics.counter("records", step + "-timed-out");
      this.failed = DeadLetter.counter(step);
    }

    abstract void emit(TupleTag<Row> tag, Row row, long timestamp);

    private boolean kept(Match match) {
      return match.firstTs() >= keepFrom && match.firstTs() < keepBefore;
    }

    @Override
    public void match(Match match) {
      if (!kept(match)) {
        return;
      }
      long at = Math.max(floor, match.lastTs());
      try {
        emit(tags.matches(), rows.match(key, match), at);
        matched.inc();
      } catch (Exception e) {
        failed.inc();
        emit(tags.failures(), DeadLetter.ofText(step, "emit failed for the match of key '" + key + "': " + DeadLetter.reason(e),
            RowText.json(rows.fullMatch(key, match)), new Instant(match.lastTs())), at);
      }
    }

    @Override
    public void timedOut(Match partial) {
      if (!kept(partial)) {
        return;
      }
      timedOutCount.inc();
      emit(tags.timedOut(), rows.timedOut(key, partial), Math.max(floor, partial.timedOutAt() - 1));
    }

    @Override
    public void failed(Row event, long timestamp, String reason) {
      if (timestamp < keepFrom || timestamp >= keepBefore) {
        return;
      }
      failed.inc();
      emit(tags.failures(), DeadLetter.ofText(step, reason, RowText.json(event), new Instant(timestamp)), Math.max(floor, timestamp));
    }
  }

  /**
   * Per key: events wait in a bag and are released in event-time order (ties broken by content)
   * by one event-time timer as the watermark passes them; the same timer fires at the next time
   * bound of a partial match. An event at or before the time the key has been matched up to
   * cannot be put in order any more, and goes to the dead-letter output.
   */
  public static final class TimerFn extends DoFn<KV<String, Row>, Row> {
    private static final String STATE = "state";

    @StateId(EventTimeOrder.BUFFER)
    private final StateSpec<BagState<TimestampedValue<Row>>> bufferSpec;

    @StateId(EventTimeOrder.SORTED)
    private final StateSpec<ValueState<Deque<TimestampedValue<Row>>>> sortedSpec;

    @StateId(EventTimeOrder.NEXT_RELEASE)
    private final StateSpec<ValueState<Instant>> scheduledSpec = StateSpecs.value();

    @StateId(STATE)
    private final StateSpec<ValueState<KeyState>> stateSpec;

    @TimerFamily(EventTimeOrder.RELEASE)
    private final TimerSpec tickSpec = KeyTimers.spec();

    private final Spec spec;
    private final Counter lateCount;
    private transient Matcher matcher;

    public TimerFn(Spec spec) {
      this.spec = spec;
      this.bufferSpec = StateSpecs.bag(TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(spec.nfa().eventSchema())));
      this.sortedSpec = EventTimeOrder.sortedSpec(TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(spec.nfa().eventSchema())));
      this.stateSpec = StateSpecs.value(KeyStateCoder.of(spec.nfa().eventSchema()));
      this.lateCount = Metrics.counter("records", spec.step() + "-late");
    }

    @Setup
    public void setup() {
      matcher = new Matcher(spec.nfa());
      spec.rows().prepare();
    }

    @ProcessElement
    public void process(@Element KV<String, Row> element, @Timestamp Instant timestamp, MultiOutputReceiver out,
        @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer, @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> scheduled,
        @StateId(STATE) ValueState<KeyState> state, @TimerFamily(EventTimeOrder.RELEASE) TimerMap tickTimers) {
      Timer tick = KeyTimers.of(tickTimers, element.getKey());
      KeyState keyState = state.read();
      if (keyState != null && timestamp.getMillis() <= keyState.matchedUpTo()) {
        lateCount.inc();
        out.get(spec.failures()).output(late(spec, element.getValue(), timestamp));
        return;
      }
      EventTimeOrder.hold(element.getValue(), timestamp, buffer, scheduled, tick);
    }

    @OnTimerFamily(EventTimeOrder.RELEASE)
    public void onTick(OnTimerContext context, @TimerId String timerId, @Key String key, @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
        @StateId(EventTimeOrder.SORTED) ValueState<Deque<TimestampedValue<Row>>> sorted,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> scheduled, @StateId(STATE) ValueState<KeyState> state, @TimerFamily(EventTimeOrder.RELEASE) TimerMap tickTimers) {
      Timer tick = tickTimers.get(timerId);
      Instant now = context.fireTimestamp();
      EventTimeOrder.Released<Row> released = EventTimeOrder.take(now, buffer, sorted, EVENT_ORDER);
      KeyState keyState = state.read() == null ? new KeyState() : state.read();
      Results results = new Results(spec) {
        @Override
        void emit(TupleTag<Row> tag, Row row, long timestamp) {
          context.outputWithTimestamp(tag, row, new Instant(timestamp));
        }
      };
      results.key = key;
      results.floor = context.timestamp().getMillis();
      for (TimestampedValue<Row> event : released.ready()) {
        matcher.advance(keyState, event.getValue(), event.getTimestamp().getMillis(), results);
      }
      matcher.expire(keyState, now.getMillis(), results);
      state.write(keyState);
      // The timer fires at the oldest waiting event or the next time a partial match ends or repeats, whichever comes first.
      long next = matcher.nextDeadline(keyState);
      if (released.oldestLeft() != null) {
        next = Math.min(next, released.oldestLeft().getMillis());
      }
      EventTimeOrder.schedule(next == Long.MAX_VALUE ? null : new Instant(next), scheduled, tick);
    }
  }

  /**
   * Without timers: one key's events of one sliding window (size twice the time bound, slide the
   * time bound), matched in memory in event-time order. A match lies within the bound, so the
   * window that starts at or before its first event by less than the slide holds it entirely;
   * only that window emits it, as it emits only the timed-out partial matches and failures of its
   * first half. Late panes (events the watermark had passed) go to the dead-letter output, once, from the
   * window whose first half holds them.
   */
  public static final class WindowFn extends DoFn<KV<String, Iterable<TimestampedValue<Row>>>, Row> {
    private final Spec spec;
    private final Counter lateCount;
    private transient Matcher matcher;

    public WindowFn(Spec spec) {
      this.spec = spec;
      this.lateCount = Metrics.counter("records", spec.step() + "-late");
    }

    @Setup
    public void setup() {
      matcher = new Matcher(spec.nfa());
      spec.rows().prepare();
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<TimestampedValue<Row>>> element, BoundedWindow window, PaneInfo pane,
        @Timestamp Instant timestamp, MultiOutputReceiver out) {
      IntervalWindow interval = (IntervalWindow) window;
      long start = interval.start().getMillis();
      long half = start + spec.nfa().withinMillis();
      if (pane.getTiming() == PaneInfo.Timing.LATE) {
        for (TimestampedValue<Row> event : element.getValue()) {
          long at = event.getTimestamp().getMillis();
          if (at >= start && at < half) {
            lateCount.inc();
            out.get(spec.failures()).outputWithTimestamp(late(spec, event.getValue(), timestamp), timestamp);
          }
        }
        return;
      }
      List<TimestampedValue<Row>> events = new ArrayList<>();
      element.getValue().forEach(events::add);
      events.sort(EVENT_ORDER);
      Results results = new Results(spec) {
        @Override
        void emit(TupleTag<Row> tag, Row row, long at) {
          out.get(tag).outputWithTimestamp(row, new Instant(Math.max(at, timestamp.getMillis())));
        }
      };
      results.key = element.getKey();
      results.floor = timestamp.getMillis();
      results.keepFrom = start;
      results.keepBefore = half;
      KeyState keyState = new KeyState();
      for (TimestampedValue<Row> event : events) {
        matcher.advance(keyState, event.getValue(), event.getTimestamp().getMillis(), results);
      }
      matcher.expire(keyState, interval.end().getMillis(), results);
    }
  }
}
