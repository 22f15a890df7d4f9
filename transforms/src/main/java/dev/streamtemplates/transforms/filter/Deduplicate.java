package dev.streamtemplates.transforms.filter;

import com.fasterxml.jackson.annotation.JsonProperty;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
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
 * Keeps one event per key within a span of event time, the first or the last; the others are
 * duplicates, counted and dropped or dead-lettered.
 *
 * <pre>{@code
 * Result unique = orders.apply(Deduplicate.perKey("orderId")
 *     .withSpan(Duration.standardMinutes(10))
 *     .withKeep(Deduplicate.Keep.FIRST)
 *     .withDuplicates(Deduplicate.Duplicates.DEAD_LETTER)
 *     .named("unique-orders"));
 * }</pre>
 *
 * <p>Semantics, in event time. A key's events are taken in event-time order (ties in the order of
 * their content, {@link EventTimeOrder#BY_TIME_THEN_CONTENT}). The first event of a key opens a
 * span {@code [t0, t0 + span)}; every other event of the key in it is a duplicate; the first
 * event at or after {@code t0 + span} opens the next span, and so on.
 *
 * <ul>
 *   <li>{@link Keep#FIRST}: the event that opens a span is kept, emitted as soon as the watermark
 *       passes it (Flink SQL's keep-first deduplication, {@code ROW_NUMBER() OVER (PARTITION BY k
 *       ORDER BY rowtime ASC) = 1}, per span). An event that arrives later than the kept one but
 *       falls in its span is a duplicate at once, whatever the watermark.
 *   <li>{@link Keep#LAST}: the span's latest event is kept, emitted when the watermark passes the
 *       span's end (Flink's keep-last, {@code ORDER BY rowtime DESC}, emits an update for each
 *       newer row, a changelog; our sinks are append-only, so one row per span, once it is closed).
 * </ul>
 *
 * <p>Kept events come out unchanged, with their own timestamps. Duplicates are counted ({@code
 * records/<step>-duplicates}) and, with {@link Duplicates#DROP} (the default), dropped and counted
 * as such too ({@code records/<step>-dropped}, so a run's balance read = written + dead-lettered
 * + dropped holds); with {@link Duplicates#DEAD_LETTER} each goes to the dead-letter output with
 * reason {@code duplicate: ...}. Late data: an event older than one its key has already decided
 * on, or in a span already closed, goes to the dead-letter output with reason {@code late: ...}
 * (except that it is a duplicate when it falls in the key's open span and cannot be kept, see
 * above). An event with a null key field is a dead letter ({@link Keys}).
 *
 * <p>Written by hand, not with Beam's {@code Deduplicate.keyedValues()}: that transform keeps the
 * first event to <i>arrive</i> (its state is a flag set by whichever element comes first, in any
 * time domain; {@code withTimeDomain(EVENT_TIME)} only sets when the flag expires, at the first
 * arrival's time + duration), drops duplicates without a trace (nothing to count or dead-letter),
 * and has no keep-last. State per key: the events waiting for the watermark, the open span's start
 * and (keep last) its latest event, both cleared when the span closes, and the time before which
 * events are late, kept as long as the job (one instant).
 *
 * <p>Runs where state and event-time timers do: Direct and Flink in batch and streaming, Spark in
 * batch; refused on Spark in streaming mode.
 */
public final class Deduplicate extends PTransform<PCollection<Row>, Result> {
  /** Which event of a span is kept. */
  public enum Keep {
    @JsonProperty("first") FIRST,
    @JsonProperty("last") LAST
  }

  /** What happens to duplicates (they are counted either way). */
  public enum Duplicates {
    @JsonProperty("drop") DROP,
    @JsonProperty("deadLetter") DEAD_LETTER
  }

  private static final TupleTag<Row> KEPT = new TupleTag<Row>() {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};
  private static final TupleTag<KV<String, Row>> KEYED = new TupleTag<KV<String, Row>>() {};

  private final List<String> keyFields;
  private final @Nullable Duration span;
  private final Keep keep;
  private final Duplicates duplicates;
  private final String step;

  private Deduplicate(List<String> keyFields, @Nullable Duration span, Keep keep, Duplicates duplicates, String step) {
    this.keyFields = keyFields;
    this.span = span;
    this.keep = keep;
    this.duplicates = duplicates;
    this.step = step;
  }

  /** Deduplicates by the values of {@code keyFields}. */
  public static Deduplicate perKey(String... keyFields) {
    return perKey(Arrays.asList(keyFields));
  }

  public static Deduplicate perKey(List<String> keyFields) {
    if (keyFields.isEmpty()) {
      throw new IllegalArgumentException("Deduplicate needs at least one key field");
    }
    keyFields.forEach(f -> Names.require(f, "key field"));
    return new Deduplicate(List.copyOf(keyFields), null, Keep.FIRST, Duplicates.DROP, "deduplicate");
  }

  /** How long after the event that opens it a span lasts (> 0). */
  @CheckReturnValue
  public Deduplicate withSpan(Duration span) {
    if (span == null || span.getMillis() <= 0) {
      throw new IllegalArgumentException("span must be > 0, got span=" + span);
    }
    return new Deduplicate(keyFields, span, keep, duplicates, step);
  }

  @CheckReturnValue
  public Deduplicate withKeep(Keep keep) {
    if (keep == null) {
      throw new IllegalArgumentException("keep must be FIRST or LAST, got null");
    }
    return new Deduplicate(keyFields, span, keep, duplicates, step);
  }

  @CheckReturnValue
  public Deduplicate withDuplicates(Duplicates duplicates) {
    if (duplicates == null) {
      throw new IllegalArgumentException("duplicates must be DROP or DEAD_LETTER, got null");
    }
    return new Deduplicate(keyFields, span, keep, duplicates, step);
  }

  /** The step name that dead letters and counters carry. */
  @CheckReturnValue
  public Deduplicate named(String step) {
    return new Deduplicate(keyFields, span, keep, duplicates, Names.require(step, "step"));
  }

  /** Checks that the key fields are in {@code input}; the output schema is the input's. */
  public Schema outputSchema(Schema input) {
    List<String> missing = new ArrayList<>();
    for (String field : keyFields) {
      if (!input.hasField(field)) {
        missing.add(field);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("key fields " + missing + " are not in the input; fields are " + input.getFieldNames());
    }
    return input;
  }

  @Override
  public Result expand(PCollection<Row> input) {
    if (span == null) {
      throw new IllegalArgumentException("no span: call withSpan(duration)");
    }
    Schema schema = outputSchema(input.getSchema());
    EventTimeTimers.require("Deduplicate needs", input);
    PCollectionTuple keying = input.apply("Key by " + keyFields,
        ParDo.of(new KeyByFn.Rows(Keys.of(keyFields), step, KEYED, FAILURES)).withOutputTags(KEYED, TupleTagList.of(FAILURES)));
    PCollection<KV<String, Row>> keyed = keying.get(KEYED).setCoder(KvCoder.of(StringUtf8Coder.of(), SchemaCoder.of(schema)));
    PCollectionTuple deduplicated = keyed.apply("Keep " + keep.name().toLowerCase() + " within " + span,
        ParDo.of(new DeduplicateFn(span, keep, duplicates, step, schema)).withOutputTags(KEPT, TupleTagList.of(FAILURES)));
    return Result.of(deduplicated.get(KEPT).setRowSchema(schema), Result.allFailures(keying.get(FAILURES), deduplicated.get(FAILURES)));
  }

  /**
   * Per key: events wait until the watermark passes them ({@link EventTimeOrder}), then are
   * decided in event-time order. One timer serves both the release of waiting events and the
   * close of the open span; its output timestamp is held at the kept-to-be event (keep last), so
   * that it can come out with its own time when the span closes.
   */
  private static final class DeduplicateFn extends DoFn<KV<String, Row>, Row> {
    private static final String SPAN_START = "spanStart";
    private static final String LATEST = "latest";
    private static final String LATE_BEFORE = "lateBefore";

    @StateId(EventTimeOrder.BUFFER)
    private final StateSpec<BagState<TimestampedValue<Row>>> bufferSpec;

    @StateId(EventTimeOrder.SORTED)
    private final StateSpec<ValueState<Deque<TimestampedValue<Row>>>> sortedSpec;

    /** The open span's start (null: no span open). */
    @StateId(SPAN_START)
    private final StateSpec<ValueState<Instant>> spanStartSpec = StateSpecs.value(InstantCoder.of());

    /** Keep last: the open span's latest event so far. */
    @StateId(LATEST)
    private final StateSpec<ValueState<TimestampedValue<Row>>> latestSpec;

    /** Events before this time are late for the key (null: none yet). */
    @StateId(LATE_BEFORE)
    private final StateSpec<ValueState<Instant>> lateBeforeSpec = StateSpecs.value(InstantCoder.of());

    /** When the timer is set for (null: not set). */
    @StateId(EventTimeOrder.NEXT_RELEASE)
    private final StateSpec<ValueState<Instant>> timerAtSpec = StateSpecs.value(InstantCoder.of());

    @TimerFamily(EventTimeOrder.RELEASE)
    private final TimerSpec timerSpec = KeyTimers.spec();

    private final Duration span;
    private final Keep keep;
    private final Duplicates duplicates;
    private final String step;
    private final Counter kept;
    private final Counter duplicated;
    private final Counter dropped;
    private final Counter failed;

    DeduplicateFn(Duration span, Keep keep, Duplicates duplicates, String step, Schema schema) {
      this.span = span;
      this.keep = keep;
      this.duplicates = duplicates;
      this.step = step;
      TimestampedValue.TimestampedValueCoder<Row> eventCoder = TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(schema));
      this.bufferSpec = StateSpecs.bag(eventCoder);
      this.sortedSpec = EventTimeOrder.sortedSpec(eventCoder);
      this.latestSpec = StateSpecs.value(eventCoder);
      this.kept = Metrics.counter("records", step + "-kept");
      this.duplicated = Metrics.counter("records", step + "-duplicates");
      this.dropped = Metrics.counter("records", step + "-dropped");
      this.failed = DeadLetter.counter(step);
    }

    /** Where a decided event goes, at which time. */
    private interface Out {
      void output(TupleTag<Row> tag, Row row, Instant at);
    }

    @ProcessElement
    public void process(
        @Element KV<String, Row> element,
        @Timestamp Instant timestamp,
        @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
        @StateId(SPAN_START) ValueState<Instant> spanStart,
        @StateId(LATEST) ValueState<TimestampedValue<Row>> latest,
        @StateId(LATE_BEFORE) ValueState<Instant> lateBefore,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> timerAt,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap timerTimers,
        MultiOutputReceiver out) {
      Timer timer = KeyTimers.of(timerTimers, element.getKey());
      Out now = (tag, row, at) -> out.get(tag).output(row);
      TimestampedValue<Row> event = TimestampedValue.of(element.getValue(), timestamp);
      Instant start = spanStart.read();
      if (start != null && !timestamp.isBefore(start) && timestamp.isBefore(start.plus(span))) {
        // In the open span: after its kept first event, or (keep last) before its latest so far,
        // it can never be kept, whatever else arrives.
        TimestampedValue<Row> last = keep == Keep.LAST ? latest.read() : null;
        if (keep == Keep.FIRST || timestamp.isBefore(last.getTimestamp())) {
          duplicate(event, element.getKey(), start, now);
          return;
        }
      }
      String late = EventTimeOrder.lateReason(timestamp, lateBefore.read(), "deduplicated", keyText(element.getKey()));
      if (late != null) {
        failed.inc();
        out.get(FAILURES).output(DeadLetter.ofText(step, late, RowText.json(element.getValue()), timestamp));
        return;
      }
      buffer.add(event);
      Instant at = timerAt.read();
      if (at == null || timestamp.isBefore(at)) {
        // Held at the event (Beam allows no earlier hold here). With a span open, an event that
        // gets this far is in it and not before its latest (see above), so the event to keep
        // comes out no earlier than this hold.
        timer.withOutputTimestamp(timestamp).set(timestamp);
        timerAt.write(timestamp);
      }
    }

    @OnTimerFamily(EventTimeOrder.RELEASE)
    public void onTimer(
        OnTimerContext context,
        @TimerId String timerId,
        @Key String key,
        @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
        @StateId(EventTimeOrder.SORTED) ValueState<Deque<TimestampedValue<Row>>> sorted,
        @StateId(SPAN_START) ValueState<Instant> spanStart,
        @StateId(LATEST) ValueState<TimestampedValue<Row>> latestState,
        @StateId(LATE_BEFORE) ValueState<Instant> lateBeforeState,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> timerAt,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap timerTimers) {
      Timer timer = timerTimers.get(timerId);
      Instant now = context.fireTimestamp();
      // Kept events come out with their own time; a dead letter with the firing time, which is
      // never before the timer's hold (a replaced latest event may be).
      Out out = (tag, row, at) -> context.outputWithTimestamp(tag, row, tag == KEPT ? at : now);
      EventTimeOrder.Released<Row> released = EventTimeOrder.take(now, buffer, sorted, EventTimeOrder.BY_TIME_THEN_CONTENT);
      Instant start = spanStart.read();
      TimestampedValue<Row> latest = latestState.read();
      Instant lateBefore = lateBeforeState.read();
      for (TimestampedValue<Row> event : released.ready()) {
        if (start != null && !event.getTimestamp().isBefore(start.plus(span))) {
          lateBefore = close(start, latest, lateBefore, out);
          start = null;
          latest = null;
        }
        if (start == null) {
          start = event.getTimestamp();
          if (keep == Keep.FIRST) {
            keep(event, out);
          } else {
            latest = event;
          }
        } else if (keep == Keep.FIRST) {
          duplicate(event, key, start, out);
        } else if (EventTimeOrder.BY_TIME_THEN_CONTENT.compare(event, latest) >= 0) {
          duplicate(latest, key, start, out);
          latest = event;
        } else {
          duplicate(event, key, start, out);
        }
        lateBefore = later(lateBefore, event.getTimestamp());
      }
      if (start != null && !now.isBefore(lastInstant(start))) {
        lateBefore = close(start, latest, lateBefore, out);
        start = null;
        latest = null;
      }
      Instant next = released.oldestLeft();
      if (start != null && (next == null || lastInstant(start).isBefore(next))) {
        next = lastInstant(start);
      }
      if (next == null) {
        timerAt.clear();
      } else {
        setTimer(next, released.oldestLeft(), latest, timer, timerAt);
      }
      write(spanStart, start);
      write(latestState, latest);
      write(lateBeforeState, lateBefore);
    }

    /** The last instant of the span that starts at {@code start}: when the watermark passes it, the span is closed. */
    private Instant lastInstant(Instant start) {
      return start.plus(span).minus(1);
    }

    /** Closes the span: keep last emits its latest event; events before the span's end are late from now on. */
    private Instant close(Instant start, @Nullable TimestampedValue<Row> latest, @Nullable Instant lateBefore, Out out) {
      if (keep == Keep.LAST && latest != null) {
        keep(latest, out);
      }
      return later(lateBefore, start.plus(span));
    }

    private void keep(TimestampedValue<Row> event, Out out) {
      kept.inc();
      out.output(KEPT, event.getValue(), event.getTimestamp());
    }

    private void duplicate(TimestampedValue<Row> event, String key, Instant start, Out out) {
      duplicated.inc();
      if (duplicates == Duplicates.DROP) {
        dropped.inc();
        return;
      }
      failed.inc();
      String reason = "duplicate: key " + keyText(key) + " " + (keep == Keep.FIRST ? "kept its first event at " + start + ", and this one is"
          : "has a later event than this one") + " in the span from " + start + " to " + start.plus(span) + " (keep: "
          + keep.name().toLowerCase() + ")";
      out.output(FAILURES, DeadLetter.ofText(step, reason, RowText.json(event.getValue()), event.getTimestamp()), event.getTimestamp());
    }

    /**
     * Sets the timer for {@code at} from {@code @OnTimer}, holding the output watermark only for
     * what is still to come out: the oldest waiting event and (keep last) the latest event of the
     * open span, which comes out with its own time when the span closes. A timer that only closes
     * a keep-first span holds nothing: nothing comes out then, so the steps after this one need
     * not wait for it.
     */
    private static void setTimer(Instant at, @Nullable Instant oldestWaiting, @Nullable TimestampedValue<Row> latest, Timer timer,
        ValueState<Instant> timerAt) {
      Instant hold = oldestWaiting;
      if (latest != null && (hold == null || latest.getTimestamp().isBefore(hold))) {
        hold = latest.getTimestamp();
      }
      if (hold == null) {
        timer.withNoOutputTimestamp().set(at);
      } else {
        timer.withOutputTimestamp(hold.isBefore(at) ? hold : at).set(at);
      }
      timerAt.write(at);
    }

    /** A key for a message: 'a' for one field, [a, b] for several (not the separator Keys joins them with). */
    private static String keyText(String key) {
      return key.indexOf('\u0001') < 0 ? "'" + key + "'" : "[" + key.replace("\u0001", ", ") + "]";
    }

    private static Instant later(@Nullable Instant a, Instant b) {
      return a == null || b.isAfter(a) ? b : a;
    }

    private static <T> void write(ValueState<T> state, @Nullable T value) {
      if (value == null) {
        state.clear();
      } else {
        state.write(value);
      }
    }
  }
}
