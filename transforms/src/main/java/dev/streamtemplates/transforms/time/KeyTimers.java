package dev.streamtemplates.transforms.time;

import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Event-time timers with the key in their id: each stateful DoFn declares its timers as a timer
 * family ({@link #spec}) and takes the key's timer with {@link #of}, or in {@code @OnTimerFamily}
 * the one that fired, by its id.
 *
 * <p>Why not a plain {@code @TimerId} timer: the Direct runner (Beam 2.70, {@code WatermarkManager})
 * keeps a step's pending event-time timers in one multiset ordered by time, output time, id and
 * window, without the key, so the same timer of two keys counts as one element twice. When a timer
 * set in {@code @OnTimer} fires within the same bundle (at the end of the input, when the step's
 * garbage-collection timer fires with it), the runner removes the timer that fired twice: once as
 * the entry the new timer replaced, once as completed. The second removal takes another key's
 * identical timer, and with it that key's hold on the output watermark; the key's results then come
 * behind the watermark and a windowed GroupByKey after the step drops them without a trace
 * ({@code TimersAcrossKeysTest}: a sliding top-N lost all 300 windows of its busiest key in 3 of 20
 * runs). With the key in the id, no two keys' timers are equal and a second removal removes
 * nothing. Other runners key their timers themselves; the id changes nothing there.
 */
public final class KeyTimers {
  private KeyTimers() {}

  /** The spec of an event-time timer family, one timer per key. */
  public static TimerSpec spec() {
    return TimerSpecs.timerMap(TimeDomain.EVENT_TIME);
  }

  /**
   * The key's timer of the family, looked up when first used: steps take it for every event but
   * set it for few, and the id hashes the key's text (for a key Row, its whole text).
   */
  public static Timer of(TimerMap timers, Object key) {
    return new Lazy(timers, key);
  }

  /**
   * The id of a key's timer: a 64-bit FNV-1a hash of the key's text, in hex (bounded length
   * however long the key; the JDK has no 64-bit string hash). Keys whose hashes collide share
   * the Direct runner's old behaviour between them, no worse; at 64 bits, a million keys have
   * about one chance in 36 million of any collision.
   */
  static String id(Object key) {
    String text = String.valueOf(key);
    long hash = 0xcbf29ce484222325L;
    for (int i = 0; i < text.length(); i++) {
      hash ^= text.charAt(i);
      hash *= 0x100000001b3L;
    }
    return Long.toHexString(hash);
  }

  /** A key's timer that looks itself up in the family on first use. */
  private static final class Lazy implements Timer {
    private final TimerMap timers;
    private final Object key;
    private Timer timer;

    Lazy(TimerMap timers, Object key) {
      this.timers = timers;
      this.key = key;
    }

    private Timer timer() {
      if (timer == null) {
        timer = timers.get(id(key));
      }
      return timer;
    }

    @Override
    public void set(Instant time) {
      timer().set(time);
    }

    @Override
    public void setRelative() {
      timer().setRelative();
    }

    @Override
    public void clear() {
      timer().clear();
    }

    @Override
    public Timer offset(Duration offset) {
      return timer().offset(offset);
    }

    @Override
    public Timer align(Duration period) {
      return timer().align(period);
    }

    @Override
    public Timer withOutputTimestamp(Instant outputTime) {
      return timer().withOutputTimestamp(outputTime);
    }

    @Override
    public Timer withNoOutputTimestamp() {
      return timer().withNoOutputTimestamp();
    }

    @Override
    public Instant getCurrentRelativeTime() {
      return timer().getCurrentRelativeTime();
    }
  }
}
