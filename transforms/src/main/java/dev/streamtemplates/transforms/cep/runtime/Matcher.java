package dev.streamtemplates.transforms.cep.runtime;

import dev.cel.runtime.CelEvaluationException;
import dev.streamtemplates.transforms.cep.Pattern.Contiguity;
import dev.streamtemplates.transforms.cep.Pattern.Kind;
import dev.streamtemplates.transforms.cep.SkipStrategy;
import dev.streamtemplates.transforms.cep.nfa.Nfa;
import dev.streamtemplates.transforms.cep.nfa.Nfa.Guard;
import dev.streamtemplates.transforms.cep.nfa.Nfa.Node;
import dev.streamtemplates.transforms.cep.runtime.KeyState.Event;
import dev.streamtemplates.transforms.cep.runtime.KeyState.Run;
import dev.streamtemplates.transforms.expr.ScopedExpression;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Runs the automaton over one key's events, given in event-time order, against that key's
 * {@link KeyState}. Not thread-safe and not serializable: make one per DoFn instance (it compiles
 * the conditions) and use it for every key.
 *
 * <p>For each event, in order: partial matches whose time bound has passed end first (absence
 * matches are emitted, the others reported as timed out); then every partial match tries the
 * event at each point it waits at, and a new match starts if the event fits the first stage (and
 * the key's leading absences have lasted). A stage's negations kill a partial match that sits at
 * the stage before them (a negation with a duration only during that duration). A condition that
 * reads only {@code event} is evaluated once per event, however many partial matches try it.
 *
 * <p>Time ends a partial match at the earliest of: first event + {@code within} (an absence at the
 * end without a duration is then a match, anything else timed out); last event + the duration of
 * the absence at the end (a match, and, repeating, again one duration later); last event + the
 * largest {@code withinPrevious} of the stages it waits for, when each has one (timed out).
 */
public final class Matcher {

  /** Where results go. */
  public interface Output {
    void match(Match match);

    void timedOut(Match partial);

    /** A condition failed on this event (not a false result: an error); it counts as false. */
    void failed(Row event, long timestamp, String reason);
  }

  /** By first event, then longest first, then by the events taken (earliest first): the same order on every runner. */
  private static final Comparator<Run> EMIT_ORDER =
      Comparator.comparingLong(Run::startSeq).thenComparing(Comparator.comparingInt((Run r) -> r.seqs().length).reversed())
          .thenComparing((a, b) -> Arrays.compare(a.seqs(), b.seqs()));

  private final Nfa nfa;
  private final int size;
  private final long finalBit;
  private final ScopedExpression.Compiled[] conditions;
  private final ScopedExpression.@Nullable Compiled[] untils;
  private final ScopedExpression.Compiled[][] guards;
  private final boolean[][] guardEventOnly;
  private final Kind[][] guardKinds;
  private final long[][] guardLasting;
  private final ScopedExpression.Compiled[] leading;
  private final Map<String, Integer> stageIndex = new HashMap<>();
  private final byte[] conditionCache;
  private final byte[] untilCache;
  private final byte[][] guardCache;
  private boolean failedThisEvent;

  public Matcher(Nfa nfa) {
    this.nfa = nfa;
    this.size = nfa.size();
    this.finalBit = 1L << size;
    this.guards = new ScopedExpression.Compiled[size + 1][];
    this.guardEventOnly = new boolean[size + 1][];
    this.guardKinds = new Kind[size + 1][];
    this.guardLasting = new long[size + 1][];
    for (int i = 0; i <= size; i++) {
      List<Guard> list = i < size ? nfa.node(i).guards() : nfa.finalGuards();
      guards[i] = new ScopedExpression.Compiled[list.size()];
      guardEventOnly[i] = new boolean[list.size()];
      guardKinds[i] = new Kind[list.size()];
      guardLasting[i] = new long[list.size()];
      for (int g = 0; g < list.size(); g++) {
        guards[i][g] = list.get(g).condition().program();
        guardEventOnly[i][g] = list.get(g).eventOnly();
        guardKinds[i][g] = list.get(g).kind();
        // A repeating absence goes on for as long as it repeats: it never stops guarding.
        guardLasting[i][g] = i == size && nfa.repeating() ? 0 : list.get(g).lastingMillis();
      }
    }
    this.leading = nfa.leadingGuards().stream().map(g -> g.condition().program()).toArray(ScopedExpression.Compiled[]::new);
    // Conditions belong to stages: the copies of a stage in a repeating group share them (and their cached results).
    int stages = nfa.stageCount();
    this.conditions = new ScopedExpression.Compiled[stages];
    this.untils = new ScopedExpression.Compiled[stages];
    for (int i = 0; i < size; i++) {
      Node node = nfa.node(i);
      if (conditions[node.stage()] == null) {
        conditions[node.stage()] = node.condition().program();
        untils[node.stage()] = node.until() == null ? null : node.until().program();
      }
    }
    for (int k = 0; k < stages; k++) {
      stageIndex.put(nfa.stageName(k), k);
    }
    this.conditionCache = new byte[stages];
    this.untilCache = new byte[stages];
    this.guardCache = new byte[size + 1][];
    for (int i = 0; i <= size; i++) {
      guardCache[i] = new byte[guards[i].length];
    }
  }

  public Nfa nfa() {
    return nfa;
  }

  /**
   * Matches one event. A key's events must come in event-time order (ties in any fixed order).
   *
   * @throws IllegalArgumentException when {@code timestamp} is earlier than an event already matched
   */
  public void advance(KeyState state, Row row, long timestamp, Output out) {
    if (timestamp < state.matchedUpTo) {
      throw new IllegalArgumentException("events of a key must come in event-time order: got " + new org.joda.time.Instant(timestamp)
          + " after " + new org.joda.time.Instant(state.matchedUpTo));
    }
    expire(state, timestamp, out);
    Event event = state.append(row, timestamp);
    Arrays.fill(conditionCache, (byte) 0);
    Arrays.fill(untilCache, (byte) 0);
    for (byte[] cache : guardCache) {
      Arrays.fill(cache, (byte) 0);
    }
    failedThisEvent = false;
    if (state.firstTs == Long.MIN_VALUE) {
      state.firstTs = timestamp;
    }
    List<Run> next = new ArrayList<>(state.runs.size() + 2);
    List<Run> completed = new ArrayList<>(2);
    for (Run run : state.runs) {
      step(state, run, event, next, completed, out);
    }
    if (leadingAbsenceLasted(state, timestamp)) {
      for (int j : nfa.start()) {
        if (condition(j, state, null, event, out)) {
          successor(Run.first(j, event.seq, timestamp), next, completed);
        }
      }
    }
    breakLeadingAbsence(state, event, out);
    state.runs = next;
    release(state, completed, out);
    state.compact();
  }

  /**
   * Ends the partial matches whose time is up at or before {@code upTo} (see the class comment):
   * an absence that lasted is emitted as a match, any other partial match that has not already
   * matched is reported as timed out. Call it when the watermark passes {@code upTo}; {@link
   * #advance} calls it too.
   */
  public void expire(KeyState state, long upTo, Output out) {
    state.matchedUpTo(upTo);
    if (!nfa.timed() || state.runs.isEmpty()) {
      return;
    }
    boolean any = false;
    for (Run run : state.runs) {
      any |= deadline(state, run) <= upTo;
    }
    if (!any) {
      return;
    }
    List<Run> due = new ArrayList<>();
    List<Run> alive = new ArrayList<>(state.runs.size());
    for (Run run : state.runs) {
      (deadline(state, run) <= upTo ? due : alive).add(run);
    }
    due.sort(EMIT_ORDER);
    List<Run> completed = new ArrayList<>();
    for (Run run : due) {
      Run left = passTime(state, run, upTo, completed, out);
      if (left != null) {
        alive.add(left);
      }
    }
    state.runs = alive;
    release(state, completed, out);
    state.compact();
  }

  /**
   * Lets time pass up to {@code upTo} for one run: each period of its absence at the end that has
   * lasted is a match (one for a plain absence, one per period for a repeating one); a bound that
   * passes ends it (a match for an absence without a duration, else timed out unless it matched).
   *
   * @return the run as it goes on waiting, or null when it ended
   */
  private @Nullable Run passTime(KeyState state, Run run, long upTo, List<Run> completed, Output out) {
    Run current = run;
    long at;
    while ((at = deadline(state, current)) <= upTo) {
      if (at != absenceEnd(state, current)) {
        if ((current.mask() & finalBit) != 0 && nfa.finalLastingMillis() == 0) {
          completed.add(current);
        } else if (!matchedAlready(current)) {
          out.timedOut(Match.of(state, current, nfa, at, Long.MIN_VALUE));
        }
        return null;
      }
      current = current.withAlerts(current.alerts() + 1);
      completed.add(current);
      if (!nfa.repeating()) {
        return null;
      }
    }
    return current;
  }

  /** The earliest time at which time alone ends or advances a partial match of the key, or {@link Long#MAX_VALUE}. */
  public long nextDeadline(KeyState state) {
    long earliest = Long.MAX_VALUE;
    if (nfa.timed()) {
      for (Run run : state.runs) {
        earliest = Math.min(earliest, deadline(state, run));
      }
    }
    return earliest;
  }

  private long deadline(KeyState state, Run run) {
    long within = nfa.withinMillis() > 0 ? run.startTs() + nfa.withinMillis() : Long.MAX_VALUE;
    return Math.min(within, Math.min(absenceEnd(state, run), previousEnd(state, run)));
  }

  /** When the absence at the end that this run waits for has lasted (again, when repeating), if it fits in within; else MAX_VALUE. */
  private long absenceEnd(KeyState state, Run run) {
    long lasting = nfa.finalLastingMillis();
    if ((run.mask() & finalBit) == 0 || lasting == 0) {
      return Long.MAX_VALUE;
    }
    long end = lastTs(state, run) + lasting * (run.alerts() + 1L);
    return nfa.withinMillis() > 0 && end > run.startTs() + nfa.withinMillis() ? Long.MAX_VALUE : end;
  }

  /** When every point the run waits at is past its withinPrevious bound, or MAX_VALUE when one has none. */
  private long previousEnd(KeyState state, Run run) {
    if ((run.mask() & finalBit) != 0) {
      return Long.MAX_VALUE;
    }
    long bound = 0;
    for (int j = 0; j < size; j++) {
      if ((run.mask() & (1L << j)) != 0) {
        long own = nfa.node(j).withinPreviousMillis();
        if (own == 0) {
          return Long.MAX_VALUE;
        }
        bound = Math.max(bound, own);
      }
    }
    return lastTs(state, run) + bound;
  }

  private static long lastTs(KeyState state, Run run) {
    return state.event(run.lastSeq()).timestamp();
  }

  /** Whether the run already matched: it sits where the pattern can end (then it was emitted when it got there), or its absence repeated. */
  private boolean matchedAlready(Run run) {
    Node node = nfa.node(run.node());
    return run.alerts() > 0 || (run.count() >= node.min() && node.proceedFinal() && nfa.finalGuards().isEmpty());
  }

  /** Whether every absence the pattern starts with has lasted up to {@code timestamp} on this key (its time starts at its first event). */
  private boolean leadingAbsenceLasted(KeyState state, long timestamp) {
    List<Guard> list = nfa.leadingGuards();
    for (int g = 0; g < list.size(); g++) {
      long lasting = list.get(g).lastingMillis();
      if (timestamp - state.firstTs < lasting) {
        return false;
      }
      if (g < state.lastBroken.length && state.lastBroken[g] != Long.MIN_VALUE && timestamp - state.lastBroken[g] < lasting) {
        return false;
      }
    }
    return true;
  }

  /** Records the events that break a leading absence, after they were tried as the start of a match. */
  private void breakLeadingAbsence(KeyState state, Event event, Output out) {
    if (leading.length == 0) {
      return;
    }
    if (state.lastBroken.length != leading.length) {
      state.lastBroken = new long[leading.length];
      Arrays.fill(state.lastBroken, Long.MIN_VALUE);
    }
    for (int g = 0; g < leading.length; g++) {
      if (evaluate(leading[g], state, null, event, out)) {
        state.lastBroken[g] = event.timestamp();
      }
    }
  }

  private void step(KeyState state, Run run, Event event, List<Run> next, List<Run> completed, Output out) {
    int i = run.node();
    Node node = nfa.node(i);
    boolean adjacent = event.seq == run.lastSeq() + 1;
    long since = event.timestamp() - lastTs(state, run);
    // The negations right after this run's stage: an event they forbid kills the whole run,
    // its loop included (what follows the stage must not contain it); one with a duration only
    // until that duration has passed since the run's last event.
    int slot = Math.min(i + 1, size);
    for (int g = 0; g < guards[slot].length; g++) {
      if (guardKinds[slot][g] == Kind.NOT_NEXT && !adjacent) {
        continue;
      }
      if (guardLasting[slot][g] > 0 && since >= guardLasting[slot][g]) {
        continue;
      }
      if (guard(slot, g, state, run, event, out)) {
        return;
      }
    }
    long mask = run.mask();
    long loopBit = 1L << i;
    boolean loopTook = false;
    if ((mask & loopBit) != 0) {
      if (node.inner() == Contiguity.STRICT && !adjacent) {
        mask &= ~loopBit;
      } else if (node.withinPreviousMillis() > 0 && since >= node.withinPreviousMillis()) {
        mask &= ~loopBit;
      } else if (untils[node.stage()] != null && until(i, state, run, event, out)) {
        mask &= ~loopBit;
      } else if (condition(i, state, run, event, out)) {
        successor(run.take(i, event.seq), next, completed);
        loopTook = true;
        if (node.inner() != Contiguity.NON_DETERMINISTIC) {
          mask &= ~loopBit;
        }
      } else if (node.inner() == Contiguity.STRICT) {
        mask &= ~loopBit;
      }
    }
    // Greedy: once a greedy stage took the event, this run may not go past that stage without it.
    boolean greedyTook = node.greedy() && loopTook;
    for (int j : node.proceed()) {
      long bit = 1L << j;
      if ((mask & bit) == 0) {
        continue;
      }
      Node target = nfa.node(j);
      if (target.contiguity() == Contiguity.STRICT && !adjacent) {
        mask &= ~bit;
      } else if (greedyTook) {
        mask &= ~bit;
      } else if (target.withinPreviousMillis() > 0 && since >= target.withinPreviousMillis()) {
        mask &= ~bit;
      } else if (since < target.quietMillis()) {
        continue; // the absence before the target has not lasted yet: it takes nothing before
      } else if (condition(j, state, run, event, out)) {
        successor(run.take(j, event.seq), next, completed);
        greedyTook = target.greedy();
        if (target.contiguity() != Contiguity.NON_DETERMINISTIC) {
          mask &= ~bit;
        }
      } else if (target.contiguity() == Contiguity.STRICT) {
        mask &= ~bit;
      }
    }
    if (mask != 0) {
      next.add(mask == run.mask() ? run : run.withMask(mask));
    }
  }

  /** Files a run that just took an event: where it waits next, and whether it completed the pattern. */
  private void successor(Run child, List<Run> next, List<Run> completed) {
    Node node = nfa.node(child.node());
    long mask = 0;
    if (child.count() < node.max()) {
      mask |= 1L << child.node();
    }
    if (child.count() >= node.min()) {
      for (int j : node.proceed()) {
        mask |= 1L << j;
      }
      if (node.proceedFinal()) {
        if (nfa.finalGuards().isEmpty()) {
          completed.add(child);
        } else {
          mask |= finalBit;
        }
      }
    }
    if (mask != 0) {
      next.add(child.withMask(mask));
    }
  }

  /**
   * Emits complete matches. Without a skip strategy, at once; with one, in order of their first
   * event, each held back until no partial match that started earlier is left, and each pruning
   * the partial and held matches its strategy discards.
   */
  private void release(KeyState state, List<Run> completed, Output out) {
    SkipStrategy.Kind kind = nfa.skip().kind();
    if (kind == SkipStrategy.Kind.NO_SKIP) {
      completed.sort(EMIT_ORDER);
      for (Run run : completed) {
        out.match(match(state, run));
      }
      return;
    }
    if (completed.isEmpty() && state.held.isEmpty()) {
      return;
    }
    List<Run> held = new ArrayList<>(state.held);
    held.addAll(completed);
    held.sort(EMIT_ORDER);
    while (!held.isEmpty()) {
      Run match = held.get(0);
      boolean earlierPartial = false;
      for (Run run : state.runs) {
        earlierPartial |= run.startSeq() < match.startSeq();
      }
      if (earlierPartial) {
        break;
      }
      held.remove(0);
      out.match(match(state, match));
      long[] range = pruneRange(match);
      if (range != null) {
        state.runs = without(state.runs, range);
        held = without(held, range);
      }
    }
    state.held = held;
  }

  /** A complete match; after an absence with a duration at the end, with the time that absence lasted until. */
  private Match match(KeyState state, Run run) {
    long absentUntil = run.alerts() > 0 ? lastTs(state, run) + nfa.finalLastingMillis() * run.alerts() : Long.MIN_VALUE;
    return Match.of(state, run, nfa, Long.MIN_VALUE, absentUntil);
  }

  /** The start sequence numbers [from, to) of the partial matches the skip strategy discards after {@code match}. */
  private long @Nullable [] pruneRange(Run match) {
    long from = match.startSeq();
    switch (nfa.skip().kind()) {
      case SKIP_TO_NEXT:
        return new long[] {from, from + 1};
      case SKIP_PAST_LAST_EVENT:
        return new long[] {from, match.lastSeq() + 1};
      case SKIP_TO_FIRST:
      case SKIP_TO_LAST:
        long target = -1;
        for (int e = 0; e < match.seqs().length; e++) {
          if (nfa.node(match.nodes()[e]).stage() == nfa.skipStage()) {
            target = match.seqs()[e];
            if (nfa.skip().kind() == SkipStrategy.Kind.SKIP_TO_FIRST) {
              break;
            }
          }
        }
        // The stage took nothing: nothing is skipped (as Flink CEP does without throwExceptionOnMiss).
        return target < 0 ? null : new long[] {from, target};
      default:
        return null;
    }
  }

  private static List<Run> without(List<Run> runs, long[] range) {
    List<Run> kept = new ArrayList<>(runs.size());
    for (Run run : runs) {
      if (run.startSeq() < range[0] || run.startSeq() >= range[1]) {
        kept.add(run);
      }
    }
    return kept;
  }

  private boolean condition(int node, KeyState state, @Nullable Run run, Event event, Output out) {
    int stage = nfa.node(node).stage();
    return cached(conditionCache, stage, nfa.node(node).eventOnly(), conditions[stage], state, run, event, out);
  }

  private boolean until(int node, KeyState state, Run run, Event event, Output out) {
    int stage = nfa.node(node).stage();
    return cached(untilCache, stage, nfa.node(node).untilEventOnly(), untils[stage], state, run, event, out);
  }

  private boolean guard(int slot, int g, KeyState state, Run run, Event event, Output out) {
    return cached(guardCache[slot], g, guardEventOnly[slot][g], guards[slot][g], state, run, event, out);
  }

  /** Evaluates once per event when the expression reads only {@code event}, else for this run. */
  private boolean cached(byte[] cache, int slot, boolean eventOnly, ScopedExpression.Compiled program, KeyState state,
      @Nullable Run run, Event event, Output out) {
    if (!eventOnly) {
      return evaluate(program, state, run, event, out);
    }
    if (cache[slot] == 0) {
      boolean result = program.hasRowFastPath() ? program.testEvent(event.row()) : evaluate(program, state, null, event, out);
      cache[slot] = result ? (byte) 2 : (byte) 1;
    }
    return cache[slot] == 2;
  }

  private boolean evaluate(ScopedExpression.Compiled condition, KeyState state, @Nullable Run run, Event event, Output out) {
    try {
      return condition.test(variables(state, run, event));
    } catch (CelEvaluationException | RuntimeException e) {
      if (!failedThisEvent) {
        failedThisEvent = true;
        out.failed(event.row(), event.timestamp(), condition.expression().origin() + ": " + e.getMessage());
      }
      return false;
    }
  }

  /** The CEL variables of a condition tried by {@code run} (null for a new run) on {@code event}. */
  private Function<String, Object> variables(KeyState state, @Nullable Run run, Event event) {
    return name -> {
      if (name.equals("event")) {
        return event.cel();
      }
      if (name.equals("prev")) {
        return run == null ? null : state.event(run.lastSeq()).cel();
      }
      Integer index = stageIndex.get(name);
      if (index == null) {
        return null;
      }
      boolean looping = nfa.stageIsList(index);
      List<Object> taken = looping ? new ArrayList<>() : null;
      if (run != null) {
        for (int e = 0; e < run.seqs().length; e++) {
          if (nfa.node(run.nodes()[e]).stage() == index) {
            Map<String, Object> value = state.event(run.seqs()[e]).cel();
            if (!looping) {
              return value;
            }
            taken.add(value);
          }
        }
      }
      return taken;
    };
  }
}
