package dev.streamtemplates.transforms.time;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.state.BagState;
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
 * runner we target. The DoFn declares the state and timer (Beam needs them as its fields) and
 * calls {@link #hold} in {@code @ProcessElement} and {@link #release} in {@code @OnTimer}.
 */
public final class EventTimeOrder {
  private EventTimeOrder() {}

  /** State id of the buffered events, the same in every stateful DoFn that uses this mechanism. */
  public static final String BUFFER = "buffer";

  /** State id of the time the release timer is set for. */
  public static final String NEXT_RELEASE = "nextRelease";

  /** Timer id of the event-time timer that releases buffered events. */
  public static final String RELEASE = "release";

  /**
   * Events in timestamp order, ties broken by the row's text, so that events with the same event
   * time are taken in the same order on every runner and in every run (arrival order is not:
   * Direct shuffles bundles, Flink and Spark interleave their inputs differently).
   */
  public static final Comparator<TimestampedValue<Row>> BY_TIME_THEN_CONTENT =
      Comparator.<TimestampedValue<Row>, Instant>comparing(TimestampedValue::getTimestamp)
          .thenComparing(event -> event.getValue().toString());

  /** Buffers one event and makes sure the timer fires when the watermark passes it. */
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
  public static <T> List<TimestampedValue<T>> release(Instant now, BagState<TimestampedValue<T>> buffer, ValueState<Instant> nextRelease, Timer timer) {
    Released<T> released = take(now, buffer, Comparator.comparing(TimestampedValue::getTimestamp));
    schedule(released.oldestLeft(), nextRelease, timer);
    return released.ready();
  }

  /** As {@link #release}, with ties in {@code order} (e.g. {@link #BY_TIME_THEN_CONTENT}) instead of arrival order. */
  public static <T> List<TimestampedValue<T>> release(Instant now, BagState<TimestampedValue<T>> buffer, ValueState<Instant> nextRelease, Timer timer,
      Comparator<TimestampedValue<T>> order) {
    Released<T> released = take(now, buffer, order);
    schedule(released.oldestLeft(), nextRelease, timer);
    return released.ready();
  }

  /** The events taken from the buffer, in order, and the time of the oldest one left (null if none). */
  public record Released<T>(List<TimestampedValue<T>> ready, @Nullable Instant oldestLeft) {}

  /**
   * Removes the events at or before {@code now} and returns them sorted by {@code order}, with
   * the time of the oldest event left; for a caller that sets the timer itself with {@link
   * #schedule}, e.g. at whichever comes first of that event and a deadline of its own.
   */
  public static <T> Released<T> take(Instant now, BagState<TimestampedValue<T>> buffer, Comparator<TimestampedValue<T>> order) {
    List<TimestampedValue<T>> ready = new ArrayList<>();
    List<TimestampedValue<T>> later = new ArrayList<>();
    for (TimestampedValue<T> event : buffer.read()) {
      (event.getTimestamp().isAfter(now) ? later : ready).add(event);
    }
    ready.sort(order);
    buffer.clear();
    Instant oldest = null;
    for (TimestampedValue<T> event : later) {
      buffer.add(event);
      if (oldest == null || event.getTimestamp().isBefore(oldest)) {
        oldest = event.getTimestamp();
      }
    }
    return new Released<>(ready, oldest);
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
