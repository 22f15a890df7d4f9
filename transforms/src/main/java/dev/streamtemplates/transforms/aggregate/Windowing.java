package dev.streamtemplates.transforms.aggregate;

import com.google.errorprone.annotations.CheckReturnValue;
import java.io.Serializable;
import java.time.DayOfWeek;
import java.time.Month;
import java.util.Locale;
import org.apache.beam.sdk.transforms.windowing.CalendarWindows;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.DateTimeZone;
import org.joda.time.Duration;

/**
 * Which events are aggregated together: tumbling, sliding and session windows in event time, a
 * global window fired by a trigger, count windows of the last N events per key, or calendar
 * windows (days, weeks, months, years) in a time zone.
 *
 * <pre>{@code
 * Windowing.tumbling(Duration.standardMinutes(1))
 * Windowing.tumbling(Duration.standardHours(8)).withOffset(Duration.standardHours(6))  // shifts 06-14, 14-22, 22-06 UTC
 * Windowing.sliding(Duration.standardMinutes(10), Duration.standardSeconds(1))
 * Windowing.calendar(Windowing.CalendarUnit.DAY, "Europe/Paris")   // local days, 23 or 25 hours at DST
 * Windowing.calendar(Windowing.CalendarUnit.WEEK, "America/New_York").withStartOfWeek(DayOfWeek.SUNDAY)
 * Windowing.sessions(Duration.standardMinutes(5))
 * Windowing.countSliding(3)      // the last 3 events of a key, at each event
 * Windowing.countTumbling(100)   // every 100 events of a key
 * Windowing.globalEvery(1000)    // one global window, fired every 1000 events
 * }</pre>
 *
 * <p>Alignment. Tumbling and sliding windows start at the epoch plus whole sizes (slides), shifted
 * by {@link #withOffset}: a window starts at {@code offset + k * size} (sliding: {@code offset + k
 * * slide}), the offset taken modulo the size (slide), positive or negative, as Flink SQL's {@code
 * TUMBLE(..., size, offset)} documents it ("Window Offset", Flink 1.19 window TVF docs: for a
 * 10-minute window, offsets -16, -6 and 4 minutes give the same windows). Beam's {@code
 * FixedWindows.withOffset} and {@code SlidingWindows.withOffset}. Calendar windows are Beam's
 * {@code CalendarWindows}: a day runs from local midnight to local midnight in the time zone (23
 * or 25 hours on a daylight-saving change), a week from {@link #withStartOfWeek} (default Monday),
 * a month from the 1st, a year from January 1st or {@link #withStartOfYear}.
 *
 * <p>Windows that start at each key's first event (Esper's and Siddhi's time batch windows) are
 * not offered: a Beam {@code WindowFn} places an event from its timestamp alone, so a per-key
 * origin would need per-key state, event-time buffering and timers (as count windows do), and
 * its windows would depend on which event came first in arrival, not in event time. A known
 * origin is an {@code offset}; a per-key span from the first event is a session window.
 */
public final class Windowing implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The kinds of windows. */
  public enum Kind {
    TUMBLING, SLIDING, SESSION, GLOBAL, COUNT, CALENDAR
  }

  /** The units of calendar windows. */
  public enum CalendarUnit {
    DAY, WEEK, MONTH, YEAR
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
  private final Duration offset;
  private final @Nullable CalendarUnit unit;
  private final @Nullable DateTimeZone timeZone;
  private final DayOfWeek weekStart;
  private final Month yearStart;
  private final boolean fromFirstEvent;

  private Windowing(Kind kind, Duration size, Duration slide, long count, long countSlide) {
    this(kind, size, slide, count, countSlide, Duration.ZERO, null, null, DayOfWeek.MONDAY, Month.JANUARY);
  }

  private Windowing(Kind kind, Duration size, Duration slide, long count, long countSlide, Duration offset,
      @Nullable CalendarUnit unit, @Nullable DateTimeZone timeZone, DayOfWeek weekStart, Month yearStart) {
    this(kind, size, slide, count, countSlide, offset, unit, timeZone, weekStart, yearStart, false);
  }

  private Windowing(Kind kind, Duration size, Duration slide, long count, long countSlide, Duration offset,
      @Nullable CalendarUnit unit, @Nullable DateTimeZone timeZone, DayOfWeek weekStart, Month yearStart, boolean fromFirstEvent) {
    this.fromFirstEvent = fromFirstEvent;
    this.kind = kind;
    this.size = size;
    this.slide = slide;
    this.count = count;
    this.countSlide = countSlide;
    this.offset = offset;
    this.unit = unit;
    this.timeZone = timeZone;
    this.weekStart = weekStart;
    this.yearStart = yearStart;
  }

  /**
   * Calendar windows of one {@code unit} in {@code timeZone}, an IANA name such as {@code
   * Europe/Paris} (or {@code UTC}, or a fixed offset such as {@code +05:30}).
   */
  public static Windowing calendar(CalendarUnit unit, String timeZone) {
    if (unit == null) {
      throw new IllegalArgumentException("unit must be one of " + java.util.Arrays.toString(CalendarUnit.values()).toLowerCase(Locale.ROOT)
          + ", got unit=null");
    }
    return new Windowing(Kind.CALENDAR, Duration.ZERO, Duration.ZERO, 0, 0, Duration.ZERO, unit, zone(timeZone), DayOfWeek.MONDAY, Month.JANUARY);
  }

  /** The time zone named {@code id}, or an exception that names the value and what to write. */
  static DateTimeZone zone(@Nullable String id) {
    try {
      if (id == null || id.isBlank()) {
        throw new IllegalArgumentException("empty");
      }
      return DateTimeZone.forID(id.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("time zone '" + id + "' is not known; write an IANA name such as Europe/Paris,"
          + " America/New_York or Asia/Kolkata, UTC, or a fixed offset such as +05:30");
    }
  }

  /**
   * Shifts tumbling or sliding windows by {@code offset} from the epoch; taken modulo the size
   * (tumbling) or the slide (sliding), so it may be negative or longer than the window.
   */
  @CheckReturnValue
  public Windowing withOffset(Duration offset) {
    if (offset == null) {
      throw new IllegalArgumentException("offset must be a duration, got offset=null");
    }
    if ((kind != Kind.TUMBLING && kind != Kind.SLIDING) || fromFirstEvent) {
      throw new IllegalArgumentException("offset applies to tumbling and sliding windows from the epoch, not to " + this
          + "; calendar windows align to local midnight in their time zone");
    }
    long period = slide.getMillis();
    Duration normalized = Duration.millis(Math.floorMod(offset.getMillis(), period));
    return new Windowing(kind, size, slide, count, countSlide, normalized, unit, timeZone, weekStart, yearStart);
  }

  /**
   * Tumbling windows that start at each key's first event (in event time) rather than at the
   * epoch: {@code [first, first + size)}, then back to back, as Esper's and Siddhi's time-batch
   * windows. A Beam WindowFn places an event from its own timestamp only, so these are per-key
   * state and event-time timers ({@link FirstEventWindows}): the key's events wait until the
   * watermark passes them, so "first" is the earliest in event time, not the first to arrive.
   */
  @CheckReturnValue
  public Windowing fromFirstEvent() {
    if (kind != Kind.TUMBLING || offset.getMillis() != 0) {
      throw new IllegalArgumentException("from: firstEvent applies to tumbling windows without an offset, not to " + this);
    }
    return new Windowing(kind, size, slide, count, countSlide, offset, unit, timeZone, weekStart, yearStart, true);
  }

  /** Whether tumbling windows start at each key's first event ({@link #fromFirstEvent}). */
  public boolean startsAtFirstEvent() {
    return fromFirstEvent;
  }

  /** The day weekly calendar windows start on (default Monday, as ISO 8601). */
  @CheckReturnValue
  public Windowing withStartOfWeek(DayOfWeek day) {
    if (kind != Kind.CALENDAR || unit != CalendarUnit.WEEK || day == null) {
      throw new IllegalArgumentException("startOfWeek applies to calendar windows of a week, not to " + this + (day == null ? " (got null)" : ""));
    }
    return new Windowing(kind, size, slide, count, countSlide, offset, unit, timeZone, day, yearStart);
  }

  /** The month yearly calendar windows start on (default January), e.g. April for a fiscal year. */
  @CheckReturnValue
  public Windowing withStartOfYear(Month month) {
    if (kind != Kind.CALENDAR || unit != CalendarUnit.YEAR || month == null) {
      throw new IllegalArgumentException("startOfYear applies to calendar windows of a year, not to " + this + (month == null ? " (got null)" : ""));
    }
    return new Windowing(kind, size, slide, count, countSlide, offset, unit, timeZone, weekStart, month);
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

  /** The offset of tumbling and sliding windows, in [0, slide); zero otherwise. */
  public Duration offset() {
    return offset;
  }

  /** The unit of calendar windows, or null. */
  public @Nullable CalendarUnit unit() {
    return unit;
  }

  /** The time zone of calendar windows, or null. */
  public @Nullable DateTimeZone timeZone() {
    return timeZone;
  }

  /** Whether an event falls in exactly one window (tumbling, calendar, session, or sliding with slide = size). */
  boolean oneWindowPerEvent() {
    return kind == Kind.TUMBLING || kind == Kind.SESSION || kind == Kind.CALENDAR || (kind == Kind.SLIDING && size.equals(slide));
  }

  /** The Beam WindowFn for time and global windows. */
  WindowFn<Object, ?> windowFn() {
    switch (kind) {
      case TUMBLING:
        return FixedWindows.of(size).withOffset(offset);
      case SLIDING:
        return SlidingWindows.of(size).every(slide).withOffset(offset);
      case CALENDAR:
        return calendarWindows();
      case SESSION:
        return Sessions.withGapDuration(size);
      case GLOBAL:
        return new GlobalWindows();
      default:
        throw new IllegalStateException("count windows are not Beam windows");
    }
  }

  /** Beam's calendar windows for the unit, time zone and start day or month. */
  private WindowFn<Object, ?> calendarWindows() {
    switch (unit) {
      case DAY:
        return CalendarWindows.days(1).withTimeZone(timeZone);
      case WEEK:
        return CalendarWindows.weeks(1, weekStart.getValue()).withTimeZone(timeZone); // both ISO: Monday = 1
      case MONTH:
        return CalendarWindows.months(1).withTimeZone(timeZone);
      default:
        return CalendarWindows.years(1).beginningOnDay(yearStart.getValue(), 1).withTimeZone(timeZone);
    }
  }

  @Override
  public String toString() {
    String shifted = offset.getMillis() == 0 ? "" : " offset " + offset;
    switch (kind) {
      case TUMBLING:
        return "tumbling " + size + shifted + (fromFirstEvent ? " from each key's first event" : "");
      case SLIDING:
        return "sliding " + size + " every " + slide + shifted;
      case CALENDAR:
        return "calendar " + unit.name().toLowerCase(Locale.ROOT) + " in " + timeZone.getID()
            + (unit == CalendarUnit.WEEK && weekStart != DayOfWeek.MONDAY ? " from " + weekStart.name().toLowerCase(Locale.ROOT) : "")
            + (unit == CalendarUnit.YEAR && yearStart != Month.JANUARY ? " from " + yearStart.name().toLowerCase(Locale.ROOT) : "");
      case SESSION:
        return "sessions with gap " + size;
      case GLOBAL:
        return "global, every " + count + " events";
      default:
        return "count " + count + " every " + countSlide;
    }
  }
}
