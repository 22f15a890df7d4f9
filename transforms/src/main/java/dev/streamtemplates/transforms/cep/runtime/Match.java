package dev.streamtemplates.transforms.cep.runtime;

import dev.streamtemplates.transforms.cep.nfa.Nfa;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.values.Row;

/**
 * A complete match, or a partial match that timed out: the events each positive stage took, in
 * event-time order, indexed like the automaton's nodes (an empty list for a stage that took none).
 *
 * @param startSeq the key's sequence number of the first event, for ordering
 * @param timedOutAt for a timed-out partial match, the time its bound passed; else {@link Long#MIN_VALUE}
 * @param absentUntil for a match that ends in an absence with a duration, the time the absence
 *     lasted until (last event + the duration, times the repetition); else {@link Long#MIN_VALUE}
 */
public record Match(List<List<Row>> stages, long firstTs, long lastTs, long startSeq, long timedOutAt, long absentUntil) {

  static Match of(KeyState state, KeyState.Run run, Nfa nfa, long timedOutAt, long absentUntil) {
    List<List<Row>> stages = new ArrayList<>(nfa.stageCount());
    for (int i = 0; i < nfa.stageCount(); i++) {
      stages.add(new ArrayList<>(1));
    }
    long[] seqs = run.seqs();
    for (int i = 0; i < seqs.length; i++) {
      stages.get(nfa.node(run.nodes()[i]).stage()).add(state.event(seqs[i]).row());
    }
    return new Match(stages, state.event(seqs[0]).timestamp(), state.event(seqs[seqs.length - 1]).timestamp(), run.startSeq(), timedOutAt, absentUntil);
  }

  public boolean timedOut() {
    return timedOutAt != Long.MIN_VALUE;
  }
}
