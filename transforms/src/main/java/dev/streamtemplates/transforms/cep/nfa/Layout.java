package dev.streamtemplates.transforms.cep.nfa;

import dev.streamtemplates.transforms.cep.Pattern;
import dev.streamtemplates.transforms.cep.Pattern.Group;
import dev.streamtemplates.transforms.cep.Pattern.Stage;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where the automaton's nodes lie, and which nodes a run can enter next from each: the graph
 * behind {@link Nfa.Node#proceed()}. The pattern's positive stages form a line of elements, each a
 * stage or a group. A stage is one node (a loop stays in it); a group is laid out as copies of its
 * stages, one per repetition: {@code times(n, m)} as m copies of which the first n are required,
 * {@code timesOrMore(n)} as n + 1 copies whose last one loops back to its own first stage. So a
 * run's node says how many repetitions it has made, with no counter in the run's state, and a
 * node's contiguity is that of the way into it (the group's own for the first copy, the group's
 * inner one between repetitions). Written by hand: this is the compiler of our own automaton.
 */
final class Layout {

  /** The nodes a run can enter, in order, and whether it can end the pattern instead. */
  record Targets(int[] nodes, boolean toFinal) {}

  private record Element(int firstNode, int members, int copies, int min, boolean loopsBack, boolean optional, boolean[] memberOptional,
      int firstStage) {}

  private final List<Element> elements = new ArrayList<>();
  private final long size;
  private int[] elementOf;
  private int[] copyOf;
  private int[] memberOf;

  Layout(Pattern pattern, List<Integer> positive) {
    List<Stage> all = pattern.stages();
    long nodes = 0;
    int k = 0;
    while (k < positive.size()) {
      int s = positive.get(k);
      Group group = pattern.groupOf(s);
      if (group == null) {
        elements.add(new Element((int) Math.min(nodes, Integer.MAX_VALUE), 1, 1, 1, false, all.get(s).optional(), new boolean[] {false}, k));
        nodes++;
        k++;
        continue;
      }
      int members = group.to() - group.from() + 1;
      boolean unbounded = group.max() == Integer.MAX_VALUE;
      int copies = unbounded ? group.min() + 1 : group.max();
      boolean[] optional = new boolean[members];
      for (int m = 0; m < members; m++) {
        optional[m] = all.get(group.from() + m).optional();
      }
      elements.add(new Element((int) Math.min(nodes, Integer.MAX_VALUE), members, copies, group.min(), unbounded, group.optional(), optional, k));
      nodes += (long) members * copies;
      k += members;
    }
    size = nodes;
    if (size > Nfa.MAX_STAGES) {
      return; // the compiler refuses it; nothing more to lay out
    }
    elementOf = new int[(int) size];
    copyOf = new int[(int) size];
    memberOf = new int[(int) size];
    for (int e = 0; e < elements.size(); e++) {
      Element element = elements.get(e);
      for (int c = 0; c < element.copies(); c++) {
        for (int m = 0; m < element.members(); m++) {
          int node = element.firstNode() + c * element.members() + m;
          elementOf[node] = e;
          copyOf[node] = c;
          memberOf[node] = m;
        }
      }
    }
  }

  /** How many nodes the automaton has (may exceed {@link Nfa#MAX_STAGES}; then nothing else may be asked). */
  long size() {
    return size;
  }

  /** The positive stage of node {@code node}. */
  int stage(int node) {
    return elements.get(elementOf[node]).firstStage() + memberOf[node];
  }

  /** Which repetition of its group the node is (0 outside groups). */
  int copy(int node) {
    return copyOf[node];
  }

  /** The node's position inside its group (0 outside groups). */
  int member(int node) {
    return memberOf[node];
  }

  /** Where a new run can start. */
  Targets start() {
    Collector into = new Collector();
    enterElement(0, into);
    return into.targets();
  }

  /** Where a run can go once node {@code node} has its minimum. */
  Targets after(int node) {
    Collector into = new Collector();
    enterMember(elementOf[node], copyOf[node], memberOf[node] + 1, into);
    return into.targets();
  }

  private void enterElement(int e, Collector into) {
    if (e == elements.size()) {
      into.toFinal = true;
      return;
    }
    enterMember(e, 0, 0, into);
    if (elements.get(e).optional()) {
      enterElement(e + 1, into);
    }
  }

  private void enterMember(int e, int copy, int member, Collector into) {
    Element element = elements.get(e);
    if (member == element.members()) {
      afterCopy(e, copy, into);
      return;
    }
    into.nodes.add(element.firstNode() + copy * element.members() + member);
    if (element.memberOptional()[member]) {
      enterMember(e, copy, member + 1, into);
    }
  }

  /** After repetition {@code copy} of element {@code e}: the next repetition, and past the group once its minimum is met. */
  private void afterCopy(int e, int copy, Collector into) {
    Element element = elements.get(e);
    int done = copy + 1;
    if (done < element.copies()) {
      enterMember(e, copy + 1, 0, into);
    } else if (element.loopsBack()) {
      enterMember(e, copy, 0, into); // the first stage of a group is never optional: this adds one node and stops
    }
    if (done >= element.min()) {
      enterElement(e + 1, into);
    }
  }

  private static final class Collector {
    final Set<Integer> nodes = new LinkedHashSet<>();
    boolean toFinal;

    Targets targets() {
      return new Targets(nodes.stream().mapToInt(Integer::intValue).toArray(), toFinal);
    }
  }
}
