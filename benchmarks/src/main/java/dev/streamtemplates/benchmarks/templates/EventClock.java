package dev.streamtemplates.benchmarks.templates;

/**
 * Event times for generated input: {@code events} events spread evenly over {@code spanMillis}
 * from {@code startMillis}, in the order they are written, except that a share of them arrive
 * late: their time is up to {@code maxDelayMillis} before their place in the file (a device that
 * buffered, a retried upload). So the files are mostly in order with some disorder, as a log
 * collected from many producers is.
 */
record EventClock(long startMillis, long spanMillis, long events, double lateShare, long maxDelayMillis) {

  /** 2024-05-01T08:00:00Z. */
  static final long START = 1_714_550_400_000L;

  /** One hour of event time; 5% of the events up to 30 s late. */
  static EventClock hour(long events) {
    return new EventClock(START, 3_600_000L, events, 0.05, 30_000L);
  }

  EventClock {
    if (events < 1 || spanMillis < 1 || lateShare < 0 || lateShare > 1 || maxDelayMillis < 0) {
      throw new IllegalArgumentException("events >= 1, spanMillis >= 1, 0 <= lateShare <= 1 and maxDelayMillis >= 0 expected, got "
          + events + ", " + spanMillis + ", " + lateShare + ", " + maxDelayMillis);
    }
  }

  /** The time of the event written at position {@code i}: its even share of the span, perhaps delayed. */
  long millis(long i, Draw draw) {
    long nominal = startMillis + (long) ((double) i * spanMillis / events);
    long delay = draw.chance(lateShare) ? (long) (draw.unit() * (maxDelayMillis + 1)) : 0;
    return Math.max(startMillis, nominal - delay);
  }

  /** Milliseconds since the start: where {@code millis} is in the span. */
  long elapsed(long millis) {
    return millis - startMillis;
  }
}
