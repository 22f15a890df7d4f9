package dev.streamtemplates.transforms.cep.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One key's run state: the partial matches ("runs") and the events they took, kept apart from
 * the automaton so it can be stored in Beam state and checkpointed. Events are stored once, by
 * sequence number (the key's own event counter), and shared by all runs; an event is dropped as
 * soon as no live run started at or before it.
 */
public final class KeyState {
  /** One event of the key, in the order it was matched. */
  public static final class Event {
    final long seq;
    final Row row;
    final long timestamp;
    private @Nullable Map<String, Object> cel;

    Event(long seq, Row row, long timestamp) {
      this.seq = seq;
      this.row = row;
      this.timestamp = timestamp;
    }

    public Row row() {
      return row;
    }

    public long timestamp() {
      return timestamp;
    }

    Map<String, Object> cel() {
      if (cel == null) {
        cel = dev.streamtemplates.transforms.expr.ScopedExpression.celValue(row);
      }
      return cel;
    }
  }

  /**
   * A partial match: at {@code node} after taking {@code count} events there, waiting at the
   * points set in {@code mask} (bit {@code node}: its loop; higher bits: the nodes it can proceed
   * to; bit {@code size}: the end, waiting for an absence to last). {@code alerts} counts the
   * matches a repeating absence at the end has emitted. Immutable.
   */
  public record Run(int node, int count, long mask, long startSeq, long lastSeq, long startTs, long[] seqs, byte[] nodes, int alerts) {

    Run(int node, int count, long mask, long startSeq, long lastSeq, long startTs, long[] seqs, byte[] nodes) {
      this(node, count, mask, startSeq, lastSeq, startTs, seqs, nodes, 0);
    }

    Run withMask(long newMask) {
      return new Run(node, count, newMask, startSeq, lastSeq, startTs, seqs, nodes, alerts);
    }

    Run withAlerts(int newAlerts) {
      return new Run(node, count, mask, startSeq, lastSeq, startTs, seqs, nodes, newAlerts);
    }

    /** This run after taking event {@code seq} into {@code target}. */
    Run take(int target, long seq) {
      long[] s = java.util.Arrays.copyOf(seqs, seqs.length + 1);
      byte[] n = java.util.Arrays.copyOf(nodes, nodes.length + 1);
      s[seqs.length] = seq;
      n[nodes.length] = (byte) target;
      return new Run(target, target == node ? count + 1 : 1, 0L, startSeq, seq, startTs, s, n);
    }

    static Run first(int target, long seq, long timestamp) {
      return new Run(target, 1, 0L, seq, seq, timestamp, new long[] {seq}, new byte[] {(byte) target});
    }
  }

  long nextSeq;
  long baseSeq;
  final ArrayList<Event> events;
  List<Run> runs;
  /** Complete matches held back, under a skip strategy, until no partial match that started earlier is left. */
  List<Run> held;
  /** The time up to which events have been matched; an event at or before it can no longer be put in order. */
  long matchedUpTo = Long.MIN_VALUE;
  /** The time of the key's first event, where its time starts for a leading absence; Long.MIN_VALUE before it. */
  long firstTs = Long.MIN_VALUE;
  /** Per leading absence of the pattern: the time of the key's last event that broke it, or Long.MIN_VALUE. */
  long[] lastBroken = new long[0];

  public KeyState() {
    this(0, 0, new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), Long.MIN_VALUE, Long.MIN_VALUE, new long[0]);
  }

  KeyState(long nextSeq, long baseSeq, ArrayList<Event> events, List<Run> runs, List<Run> held, long matchedUpTo, long firstTs,
      long[] lastBroken) {
    this.nextSeq = nextSeq;
    this.baseSeq = baseSeq;
    this.events = events;
    this.runs = runs;
    this.held = held;
    this.matchedUpTo = matchedUpTo;
    this.firstTs = firstTs;
    this.lastBroken = lastBroken;
  }

  Event event(long seq) {
    return events.get((int) (seq - baseSeq));
  }

  Event append(Row row, long timestamp) {
    Event event = new Event(nextSeq++, row, timestamp);
    events.add(event);
    return event;
  }

  /** Drops the events no live run can still refer to. */
  void compact() {
    long keepFrom = nextSeq;
    for (Run run : runs) {
      keepFrom = Math.min(keepFrom, run.startSeq());
    }
    for (Run run : held) {
      keepFrom = Math.min(keepFrom, run.startSeq());
    }
    int drop = (int) (keepFrom - baseSeq);
    if (drop > 0) {
      if (drop >= events.size()) {
        events.clear();
      } else {
        events.subList(0, drop).clear();
      }
      baseSeq = keepFrom;
    }
  }

  /** The live partial matches. */
  public List<Run> runs() {
    return runs;
  }

  /** How many events are kept for the live partial matches. */
  public int bufferedEvents() {
    return events.size();
  }

  /** The time up to which this key's events have been matched (exclusive of later events). */
  public long matchedUpTo() {
    return matchedUpTo;
  }

  /** Sets the time up to which events have been matched; later events at or before it are late. */
  public void matchedUpTo(long time) {
    matchedUpTo = Math.max(matchedUpTo, time);
  }

  /** Whether nothing is left: no partial match waits, so the key's state can be cleared. */
  public boolean isEmpty() {
    return runs.isEmpty() && held.isEmpty();
  }
}
