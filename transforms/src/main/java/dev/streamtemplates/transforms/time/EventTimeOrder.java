package dev.streamtemplates.transforms.time;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.DequeCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Puts a key's events back in event-time order inside a stateful DoFn: events wait in a bag and
 * are released, sorted by timestamp, by an event-time timer once the watermark has passed them.
 * The timer holds the output watermark at the oldest waiting event, so results emitted with an
 * event's timestamp are never late downstream.
 *
 * <p>Written by hand because Beam's {@code @RequiresTimeSortedInput} is not supported by every
 * runner we target. The DoFn declares the state ({@link #BUFFER}, a bag of new arrivals, {@link
 * #SORTED}, the ones already sorted, and {@link #NEXT_RELEASE}) and the timer family {@link
 * #RELEASE} ({@link KeyTimers}: the key's timer, by an id made from the key; Beam needs them as its
 * fields), and calls {@link #hold} in {@code @ProcessElement} and {@link #release} in {@code
 * @OnTimerFamily}.
 */
public final class EventTimeOrder {
  private EventTimeOrder() {}

  /** State id of the buffered events, the same in every stateful DoFn that uses this mechanism. */
  public static final String BUFFER = "buffer";

  /** State id of the events already taken from the bag and sorted, waiting for the watermark ({@link #sortedSpec}). */
  public static final String SORTED = "sorted";

  /** State id of the time the release timer is set for. */
  public static final String NEXT_RELEASE = "nextRelease";

  /** Timer family id of the event-time timers ({@link KeyTimers}, one per key) that release buffered events. */
  public static final String RELEASE = "release";

  /**
   * Events in timestamp order, ties broken by the row's text, so that events with the same event
   * time are taken in the same order on every runner and in every run (arrival order is not:
   * Direct shuffles bundles, Flink and Spark interleave their inputs differently).
   */
  public static final Comparator<TimestampedValue<Row>> BY_TIME_THEN_CONTENT =
      Comparator.<TimestampedValue<Row>, Instant>comparing(TimestampedValue::getTimestamp)
          .thenComparing(event -> event.getValue().toString());

  /**
   * Why an event is late for its key, or null: its event time is before the time up to which the
   * key's events were already used ({@code done}: "decided", "counted", ...), so putting it in
   * order would change a result already given.
   */
  public static @Nullable String lateReason(Instant timestamp, @Nullable Instant releasedUpTo, String done, String key) {
    if (releasedUpTo == null || !timestamp.isBefore(releasedUpTo)) {
      return null;
    }
    return "late: event time " + timestamp + " is before " + releasedUpTo + ", already " + done + " for key " + key;
  }

  /** Buffers one event and makes sure the timer fires when the watermark passes it. */
  public static <T> void hold(T event, Instant timestamp, BagState<TimestampedValue<T>> buffer, ValueState<Instant> nextRelease, Timer timer) {
    buffer.add(TimestampedValue.of(event, timestamp));
    Instant next = nextRelease.read();
    if (next == null || timestamp.isBefore(next)) {
      timer.withOutputTimestamp(timestamp).set(timestamp);
      nextRelease.write(timestamp);
    }
  }

  /**
   * Removes the events at or before {@code now} (the timer's firing time) and returns them in
   * timestamp order (ties in arrival order); the others stay buffered, with the timer set for
   * the oldest of them.
   */
  public static <T> List<TimestampedValue<T>> release(Instant now, BagState<TimestampedValue<T>> buffer,
      ValueState<Deque<TimestampedValue<T>>> sorted, ValueState<Instant> nextRelease, Timer timer) {
    return release(now, buffer, sorted, nextRelease, timer, Comparator.comparing(TimestampedValue::getTimestamp));
  }

  /** As {@link #release}, with ties in {@code order} (e.g. {@link #BY_TIME_THEN_CONTENT}) instead of arrival order. */
  public static <T> List<TimestampedValue<T>> release(Instant now, BagState<TimestampedValue<T>> buffer,
      ValueState<Deque<TimestampedValue<T>>> sorted, ValueState<Instant> nextRelease, Timer timer, Comparator<TimestampedValue<T>> order) {
    Released<T> released = take(now, buffer, sorted, order);
    schedule(released.oldestLeft(), nextRelease, timer);
    return released.ready();
  }

  /** The events taken from the buffer, in order, and the time of the oldest one left (null if none). */
  public record Released<T>(List<TimestampedValue<T>> ready, @Nullable Instant oldestLeft) {}

  /**
   * The state spec of the events already sorted ({@link #SORTED}), for the DoFn's field next to
   * its {@link #BUFFER} bag, with the bag's coder.
   */
  public static <T> StateSpec<ValueState<Deque<TimestampedValue<T>>>> sortedSpec(Coder<TimestampedValue<T>> eventCoder) {
    return StateSpecs.value(DequeCoder.of(eventCoder));
  }

  /**
   * Removes the events at or before {@code now} and returns them sorted by {@code order}, with
   * the time of the oldest event left; for a caller that sets the timer itself with {@link
   * #schedule}, e.g. at whichever comes first of that event and a deadline of its own.
   *
   * <p>{@code order} must sort by timestamp first (both orders here do) and be the same at every
   * call of a DoFn. New arrivals wait in the bag (an append, cheap on every state backend); at a
   * release they are sorted and merged into {@code sorted}, the key's waiting events in order, and
   * the ready ones are taken from its head. So a release costs what it releases plus what arrived
   * since the last one, not every event still waiting: in batch, where the watermark jumps to the
   * end once the input is read and the timer fires once per distinct event time of a key, reading
   * and rewriting the whole bag at each firing was quadratic in the key's events
   * ({@code consecutive-rejections} over 1M requests: most of its 125 s).
   */
  public static <T> Released<T> take(Instant now, BagState<TimestampedValue<T>> buffer, ValueState<Deque<TimestampedValue<T>>> sorted,
      Comparator<TimestampedValue<T>> order) {
    Deque<TimestampedValue<T>> waiting = sorted.read();
    List<TimestampedValue<T>> arrived = new ArrayList<>();
    buffer.read().forEach(arrived::add);
    if (!arrived.isEmpty()) {
      buffer.clear();
      arrived.sort(order);
    }
    if (waiting == null) {
      // Nothing was waiting (a key with few events, or each released soon after it came): the
      // arrivals alone, and the sorted state only if some of them stay.
      int ready = 0;
      while (ready < arrived.size() && !arrived.get(ready).getTimestamp().isAfter(now)) {
        ready++;
      }
      if (ready == arrived.size()) {
        return new Released<>(arrived, null);
      }
      Deque<TimestampedValue<T>> left = new ArrayDeque<>(arrived.subList(ready, arrived.size()));
      sorted.write(left);
      return new Released<>(new ArrayList<>(arrived.subList(0, ready)), left.peekFirst().getTimestamp());
    }
    if (!arrived.isEmpty()) {
      waiting = merge(waiting, arrived, order);
    }
    List<TimestampedValue<T>> ready = new ArrayList<>();
    while (!waiting.isEmpty() && !waiting.peekFirst().getTimestamp().isAfter(now)) {
      ready.add(waiting.pollFirst());
    }
    if (waiting.isEmpty()) {
      sorted.clear();
      return new Released<>(ready, null);
    }
    // Written back even when it is the object read: state backends that copy need the write.
    sorted.write(waiting);
    return new Released<>(ready, waiting.peekFirst().getTimestamp());
  }

  /**
   * The waiting events and the new arrivals (each sorted) in one order; on a tie the one waiting
   * comes first (it arrived first). Arrivals later than every waiting event, the usual case, are
   * appended.
   */
  private static <T> Deque<TimestampedValue<T>> merge(Deque<TimestampedValue<T>> waiting, List<TimestampedValue<T>> arrived,
      Comparator<TimestampedValue<T>> order) {
    if (waiting.isEmpty() || order.compare(waiting.peekLast(), arrived.get(0)) <= 0) {
      waiting.addAll(arrived);
      return waiting;
    }
    Deque<TimestampedValue<T>> merged = new ArrayDeque<>(waiting.size() + arrived.size());
    int next = 0;
    for (TimestampedValue<T> old : waiting) {
      while (next < arrived.size() && order.compare(arrived.get(next), old) < 0) {
        merged.addLast(arrived.get(next++));
      }
      merged.addLast(old);
    }
    while (next < arrived.size()) {
      merged.addLast(arrived.get(next++));
    }
    return merged;
  }

  /** Sets the timer (holding the output watermark there) for {@code at}, or clears the schedule when it is null. */
  public static void schedule(@Nullable Instant at, ValueState<Instant> nextRelease, Timer timer) {
    if (at == null) {
      nextRelease.clear();
    } else {
      timer.withOutputTimestamp(at).set(at);
      nextRelease.write(at);
    }
  }
}
