package dev.streamtemplates.transforms.cep.runtime;

import dev.streamtemplates.transforms.cep.Pattern;
import dev.streamtemplates.transforms.cep.nfa.Nfa;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;

/**
 * Feeds events straight to the automaton, without a pipeline: for fast semantic tests of a
 * pattern, and for benchmarks of the automaton alone. Events of each key must be fed in
 * event-time order; {@link #advanceTo} plays the watermark for time bounds and absence.
 *
 * <pre>{@code
 * MatcherHarness harness = MatcherHarness.of(pattern, schema);
 * harness.feed("card-1", row1, 1_000).feed("card-1", row2, 5_000).advanceTo(Long.MAX_VALUE);
 * List<Match> matches = harness.matches();
 * }</pre>
 */
public final class MatcherHarness implements Matcher.Output {
  private final Matcher matcher;
  private final Map<String, KeyState> keys = new LinkedHashMap<>();
  private final List<Match> matches = new ArrayList<>();
  private final List<Match> timedOut = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();
  private long matchCount;

  private MatcherHarness(Matcher matcher) {
    this.matcher = matcher;
  }

  public static MatcherHarness of(Pattern pattern, Schema schema) {
    return new MatcherHarness(new Matcher(Nfa.compile("pattern", pattern, schema)));
  }

  /** Matches one event of {@code key} at {@code timestamp} (epoch millis). */
  public MatcherHarness feed(String key, Row event, long timestamp) {
    matcher.advance(keys.computeIfAbsent(key, k -> new KeyState()), event, timestamp, this);
    return this;
  }

  /** Ends, on every key, the partial matches whose time bound is at or before {@code time}. */
  public MatcherHarness advanceTo(long time) {
    for (KeyState state : keys.values()) {
      matcher.expire(state, time, this);
    }
    return this;
  }

  public List<Match> matches() {
    return matches;
  }

  public List<Match> timedOut() {
    return timedOut;
  }

  public List<String> failures() {
    return failures;
  }

  /** How many matches were emitted (also when they are not kept, see {@link #discardingMatches()}). */
  public long matchCount() {
    return matchCount;
  }

  /** The live state of a key, e.g. to check that it stays bounded. */
  public KeyState state(String key) {
    return keys.get(key);
  }

  private boolean keep = true;

  /** Counts matches without keeping them, for long benchmark runs. */
  public MatcherHarness discardingMatches() {
    keep = false;
    return this;
  }

  @Override
  public void match(Match match) {
    matchCount++;
    if (keep) {
      matches.add(match);
    }
  }

  @Override
  public void timedOut(Match partial) {
    if (keep) {
      timedOut.add(partial);
    }
  }

  @Override
  public void failed(Row event, long timestamp, String reason) {
    failures.add(reason);
  }
}
