package dev.streamtemplates.transforms.aggregate;

import java.io.Serializable;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.joda.time.Duration;

/**
 * Which events are aggregated together: tumbling, sliding and session windows in event time, a
 * global window fired by a trigger, or count windows of the last N events per key.
 *
 * <pre>{@code
 * Windowing.tumbling(Duration.standardMinutes(1))
 * Windowing.sliding(Duration.standardMinutes(10), Duration.standardSeconds(1))
 * Windowing.sessions(Duration.standardMinutes(5))
 * Windowing.countSliding(3)      // the last 3 events of a key, at each event
 * Windowing.countTumbling(100)   // every 100 events of a key
 * Windowing.globalEvery(1000)    // one global window, fired every 1000 events
 * }</pre>
 */
public final class Windowing implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The kinds of windows. */
  public enum Kind {
    TUMBLING, SLIDING, SESSION, GLOBAL, COUNT
  }

  /**
   * The most windows one event may fall in (size / slide of a sliding window): each costs state
   * per key (a slice) and a result per window; 1d every 1ms would be 86,400,000.
   */
  public static final long MAX_WINDOWS_PER_EVENT = 100_000;

  private final Kind kind;
  private final Duration size;
  private final Duration slide;
  private final long count;
  private final long countSlide;

  private Windowing(Kind kind, Duration size, Duration slide, long count, long countSlide) {
    this.kind = kind;
    this.size = size;
    this.slide = slide;
    this.count = count;
    this.countSlide = countSlide;
  }

  public static Windowing tumbling(Duration size) {
    requirePositive(size, "size");
    return new Windowing(Kind.TUMBLING, size, size, 0, 0);
  }

  public static Windowing sliding(Duration size, Duration slide) {
    requirePositive(size, "size");
    requirePositive(slide, "slide");
    if (slide.isLongerThan(size)) {
      throw new IllegalArgumentException("slide must be > 0 and <= size, got slide=" + slide + " size=" + size);
    }
    if (size.getMillis() % slide.getMillis() != 0) {
      throw new IllegalArgumentException("size must be a whole number of slides, got size=" + size + " slide=" + slide);
    }
    if (size.getMillis() / slide.getMillis() > MAX_WINDOWS_PER_EVENT) {
      throw new IllegalArgumentException("a sliding window of size=" + size + " every slide=" + slide + " holds each event in "
          + size.getMillis() / slide.getMillis() + " windows; at most " + MAX_WINDOWS_PER_EVENT + " are allowed (state and work grow"
          + " with it): make the slide at least size/" + MAX_WINDOWS_PER_EVENT + " = " + Duration.millis(
              (size.getMillis() + MAX_WINDOWS_PER_EVENT - 1) / MAX_WINDOWS_PER_EVENT));
    }
    return new Windowing(Kind.SLIDING, size, slide, 0, 0);
  }

  public static Windowing sessions(Duration gap) {
    requirePositive(gap, "gap");
    return new Windowing(Kind.SESSION, gap, gap, 0, 0);
  }

  /**
   * Every {@code events} events of a key, in event-time order, and the key's last, shorter group
   * when the input ends: exactly that many per result on every runner (see {@link CountWindows}).
   */
  public static Windowing globalEvery(long events) {
    if (events < 1) {
      throw new IllegalArgumentException("events must be >= 1, got events=" + events);
    }
    requireAtMostMaxCount(events, "events");
    return new Windowing(Kind.GLOBAL, Duration.ZERO, Duration.ZERO, events, 0);
  }

  /** The last {@code n} events of a key, emitted at every event once n have arrived. */
  public static Windowing countSliding(long n) {
    return count(n, 1);
  }

  /** Consecutive groups of {@code n} events of a key. */
  public static Windowing countTumbling(long n) {
    return count(n, n);
  }

  /** Windows of {@code n} events of a key, a new one every {@code slide} events (1 <= slide <= n). */
  public static Windowing count(long n, long slide) {
    if (n < 1) {
      throw new IllegalArgumentException("count window size must be >= 1, got size=" + n);
    }
    if (slide < 1 || slide > n) {
      throw new IllegalArgumentException("slide must be > 0 and <= size, got slide=" + slide + " size=" + n);
    }
    requireAtMostMaxCount(n, "count window size");
    return new Windowing(Kind.COUNT, Duration.ZERO, Duration.ZERO, n, slide);
  }

  /** The most events a count or global window may hold per key: they are kept in state until it is emitted. */
  public static final long MAX_COUNT = 100_000;

  private static void requireAtMostMaxCount(long n, String what) {
    if (n > MAX_COUNT) {
      throw new IllegalArgumentException(what + " must be at most " + MAX_COUNT + " (a window's events are kept in state per key until it"
          + " is emitted), got " + n);
    }
  }

  private static void requirePositive(Duration duration, String what) {
    if (duration == null || duration.getMillis() <= 0) {
      throw new IllegalArgumentException(what + " must be > 0, got " + what + "=" + duration);
    }
  }

  public Kind kind() {
    return kind;
  }

  public Duration size() {
    return size;
  }

  public Duration slide() {
    return slide;
  }

  public long count() {
    return count;
  }

  public long countSlide() {
    return countSlide;
  }

  /** The Beam WindowFn for time and global windows. */
  WindowFn<Object, ?> windowFn() {
    switch (kind) {
      case TUMBLING:
        return FixedWindows.of(size);
      case SLIDING:
        return SlidingWindows.of(size).every(slide);
      case SESSION:
        return Sessions.withGapDuration(size);
      case GLOBAL:
        return new GlobalWindows();
      default:
        throw new IllegalStateException("count windows are not Beam windows");
    }
  }

  @Override
  public String toString() {
    switch (kind) {
      case TUMBLING:
        return "tumbling " + size;
      case SLIDING:
        return "sliding " + size + " every " + slide;
      case SESSION:
        return "sessions with gap " + size;
      case GLOBAL:
        return "global, every " + count + " events";
      default:
        return "count " + count + " every " + countSlide;
    }
  }
}
