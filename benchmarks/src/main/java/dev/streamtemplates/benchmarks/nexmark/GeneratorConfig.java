package dev.streamtemplates.benchmarks.nexmark;

import java.io.Serializable;

/**
 * What the event generator makes: how many events, from which seed, how fast in event time, how
 * many live keys, and how far out of order.
 *
 * @param seed the same seed gives the same events, on every runner and in every contestant
 * @param events how many events (indices {@code 0 .. events-1}); the unbounded source stops there too
 * @param eventsPerSecond event-time rate: event {@code i} is nominally at {@code firstMillis + i * 1000 / eventsPerSecond}
 * @param activePersons bidders and sellers are drawn from the latest this many persons (the number of keys)
 * @param activeAuctions bids go to the latest this many auctions
 * @param maxOutOfOrderMillis each event's time is up to this much before its nominal time, so an
 *     event is never more than this behind an event that came before it
 * @param firstMillis the nominal time of event 0
 */
public record GeneratorConfig(long seed, long events, long eventsPerSecond, int activePersons, int activeAuctions,
    long maxOutOfOrderMillis, long firstMillis) implements Serializable {

  /** Nexmark's usual shape: 10,000 events/s of event time, 1,000 live persons and auctions, in order. */
  public static GeneratorConfig of(long events) {
    return new GeneratorConfig(42, events, 10_000, 1_000, 1_000, 0, 1_700_000_000_000L);
  }

  public GeneratorConfig {
    if (events < 0 || eventsPerSecond < 1 || activePersons < 1 || activeAuctions < 1 || maxOutOfOrderMillis < 0) {
      throw new IllegalArgumentException("events >= 0, eventsPerSecond >= 1, activePersons >= 1, activeAuctions >= 1 and "
          + "maxOutOfOrderMillis >= 0 expected, got " + events + ", " + eventsPerSecond + ", " + activePersons + ", "
          + activeAuctions + ", " + maxOutOfOrderMillis);
    }
  }

  public GeneratorConfig withSeed(long seed) {
    return new GeneratorConfig(seed, events, eventsPerSecond, activePersons, activeAuctions, maxOutOfOrderMillis, firstMillis);
  }

  public GeneratorConfig withEvents(long events) {
    return new GeneratorConfig(seed, events, eventsPerSecond, activePersons, activeAuctions, maxOutOfOrderMillis, firstMillis);
  }

  public GeneratorConfig withKeys(int persons, int auctions) {
    return new GeneratorConfig(seed, events, eventsPerSecond, persons, auctions, maxOutOfOrderMillis, firstMillis);
  }

  public GeneratorConfig withEventsPerSecond(long eventsPerSecond) {
    return new GeneratorConfig(seed, events, eventsPerSecond, activePersons, activeAuctions, maxOutOfOrderMillis, firstMillis);
  }

  public GeneratorConfig withMaxOutOfOrderMillis(long millis) {
    return new GeneratorConfig(seed, events, eventsPerSecond, activePersons, activeAuctions, millis, firstMillis);
  }
}
