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
 * event at each point it waits at, and a new match starts if the event fits the first stage.
 * A stage's negations kill a partial match that sits at the stage before them. A condition that
 * reads only {@code event} is evaluated once per event, however many partial matches try it.
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
  private final Map<String, Integer> nodeIndex = new HashMap<>();
  private final byte[] conditionCache;
  private final byte[] untilCache;
  private final byte[][] guardCache;
  private boolean failedThisEvent;

  public Matcher(Nfa nfa) {
    this.nfa = nfa;
    this.size = nfa.size();
    this.finalBit = 1L << size;
    this.conditions = new ScopedExpression.Compiled[size];
    this.untils = new ScopedExpression.Compiled[size];
    this.guards = new ScopedExpression.Compiled[size + 1][];
    this.guardEventOnly = new boolean[size + 1][];
    this.guardKinds = new Kind[size + 1][];
    for (int i = 0; i <= size; i++) {
      List<Guard> list = i < size ? nfa.node(i).guards() : nfa.finalGuards();
      guards[i] = new ScopedExpression.Compiled[list.size()];
      guardEventOnly[i] = new boolean[list.size()];
      guardKinds[i] = new Kind[list.size()];
      for (int g = 0; g < list.size(); g++) {
        guards[i][g] = list.get(g).condition().program();
        guardEventOnly[i][g] = list.get(g).eventOnly();
        guardKinds[i][g] = list.get(g).kind();
      }
    }
    for (int i = 0; i < size; i++) {
      Node node = nfa.node(i);
      conditions[i] = node.condition().program();
      untils[i] = node.until() == null ? null : node.until().program();
      nodeIndex.put(node.name(), i);
    }
    this.conditionCache = new byte[size];
    this.untilCache = new byte[size];
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
    List<Run> next = new ArrayList<>(state.runs.size() + 2);
    List<Run> completed = new ArrayList<>(2);
    for (Run run : state.runs) {
      step(state, run, event, next, completed, out);
    }
    for (int j : nfa.start()) {
      if (condition(j, state, null, event, out)) {
        successor(Run.first(j, event.seq, timestamp), next, completed);
      }
    }
    state.runs = next;
    release(state, completed, out);
    state.compact();
  }

  /**
   * Ends the partial matches whose time bound is at or before {@code upTo}: an absence that lasted
   * is emitted as a match, any other partial match that has not already matched is reported as
   * timed out. Call it when the watermark passes {@code upTo}; {@link #advance} calls it too.
   */
  public void expire(KeyState state, long upTo, Output out) {
    state.matchedUpTo(upTo);
    long within = nfa.withinMillis();
    if (within <= 0) {
      return;
    }
    boolean any = false;
    for (Run run : state.runs) {
      any |= run.startTs() + within <= upTo;
    }
    if (!any) {
      return;
    }
    List<Run> expired = new ArrayList<>();
    List<Run> alive = new ArrayList<>(state.runs.size());
    for (Run run : state.runs) {
      (run.startTs() + within <= upTo ? expired : alive).add(run);
    }
    if (expired.isEmpty()) {
      return;
    }
    state.runs = alive;
    expired.sort(EMIT_ORDER);
    List<Run> completed = new ArrayList<>();
    for (Run run : expired) {
      if ((run.mask() & finalBit) != 0) {
        completed.add(run);
      } else if (!matchedAlready(run)) {
        out.timedOut(Match.of(state, run, size, run.startTs() + within));
      }
    }
    release(state, completed, out);
    state.compact();
  }

  /** Whether the run sits where the pattern can end, so it was emitted as a match when it got there. */
  private boolean matchedAlready(Run run) {
    Node node = nfa.node(run.node());
    return run.count() >= node.min() && node.proceedFinal() && nfa.finalGuards().isEmpty();
  }

  private void step(KeyState state, Run run, Event event, List<Run> next, List<Run> completed, Output out) {
    int i = run.node();
    Node node = nfa.node(i);
    boolean adjacent = event.seq == run.lastSeq() + 1;
    // The negations right after this run's stage: an event they forbid kills the whole run,
    // its loop included (what follows the stage must not contain it).
    int slot = Math.min(i + 1, size);
    for (int g = 0; g < guards[slot].length; g++) {
      if (guardKinds[slot][g] == Kind.NOT_NEXT && !adjacent) {
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
      } else if (untils[i] != null && until(i, state, run, event, out)) {
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
        out.match(Match.of(state, run, size, Long.MIN_VALUE));
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
      out.match(Match.of(state, match, size, Long.MIN_VALUE));
      long[] range = pruneRange(match);
      if (range != null) {
        state.runs = without(state.runs, range);
        held = without(held, range);
      }
    }
    state.held = held;
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
          if (match.nodes()[e] == nfa.skipStage()) {
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
    return cached(conditionCache, node, nfa.node(node).eventOnly(), conditions[node], state, run, event, out);
  }

  private boolean until(int node, KeyState state, Run run, Event event, Output out) {
    return cached(untilCache, node, nfa.node(node).untilEventOnly(), untils[node], state, run, event, out);
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
      Integer index = nodeIndex.get(name);
      if (index == null) {
        return null;
      }
      boolean looping = nfa.node(index).looping();
      List<Object> taken = looping ? new ArrayList<>() : null;
      if (run != null) {
        for (int e = 0; e < run.seqs().length; e++) {
          if (run.nodes()[e] == index) {
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
