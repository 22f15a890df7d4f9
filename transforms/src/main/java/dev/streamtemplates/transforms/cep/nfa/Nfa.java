package dev.streamtemplates.transforms.cep.nfa;

import dev.streamtemplates.transforms.cep.Pattern;
import dev.streamtemplates.transforms.cep.Pattern.Contiguity;
import dev.streamtemplates.transforms.cep.Pattern.Kind;
import dev.streamtemplates.transforms.cep.Pattern.Stage;
import dev.streamtemplates.transforms.cep.SkipStrategy;
import dev.streamtemplates.transforms.expr.ExpressionException;
import dev.streamtemplates.transforms.expr.ScopedExpression;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The automaton compiled from a {@link Pattern}: immutable, serializable, and shared by every key.
 * Per-key run state lives apart from it, in the runtime.
 *
 * <p>Each positive stage is a {@link Node}; negations become {@link Guard}s on the node they
 * precede (or on the end of the pattern). A partial match ("run") sits at a node with a count of
 * events taken there, and waits at a set of <em>points</em>: the node itself, while its loop can
 * take more, and the nodes it can proceed to once its count reaches the minimum ({@link
 * Node#proceed()}, through optional nodes). Conditions are type-checked here, with every variable
 * they may read declared: {@code event}, {@code prev}, and earlier stages by name.
 */
public final class Nfa implements Serializable {
  private static final long serialVersionUID = 1L;

  /** At most this many positive stages: a run keeps its waiting points in one {@code long}. */
  public static final int MAX_STAGES = 62;

  /**
   * A negation that guards the way into a node (or into the end of the pattern, or the start).
   *
   * @param lastingMillis how long the absence must last from the run's last event, or 0 for as
   *     long as the run waits for the next node (or {@code within} at the end)
   */
  public record Guard(String name, Kind kind, ScopedExpression condition, boolean eventOnly, long lastingMillis) implements Serializable {}

  /**
   * A positive stage, or one repetition of a stage in a group (a group repeated n times is laid
   * out as n copies of its stages; an unbounded group as its minimum plus one copy that loops back).
   *
   * @param stage the stage's position among the pattern's positive stages: copies share it, and
   *     the match's events are reported per stage
   * @param withinPreviousMillis the longest time from a run's last event to an event this node
   *     takes (exclusive), or 0 for no bound
   * @param guards the negations between the previous node and this one
   * @param proceed the nodes a run can move to once this node's minimum is met, in order
   * @param proceedFinal whether the end of the pattern is among them
   */
  public record Node(int index, String name, int stage, Contiguity contiguity, int min, int max, boolean optional, boolean greedy,
      Contiguity inner, ScopedExpression condition, boolean eventOnly, @Nullable ScopedExpression until, boolean untilEventOnly,
      long withinPreviousMillis, List<Guard> guards, int[] proceed, boolean proceedFinal) implements Serializable {

    public boolean looping() {
      return max > 1;
    }

    /** How long after a run's last event this node's absences last: it takes no event before. */
    public long quietMillis() {
      return guards.stream().mapToLong(Guard::lastingMillis).max().orElse(0);
    }

    Node withProceed(int[] targets, boolean toFinal) {
      return new Node(index, name, stage, contiguity, min, max, optional, greedy, inner, condition, eventOnly, until, untilEventOnly,
          withinPreviousMillis, guards, targets, toFinal);
    }
  }

  private final String patternName;
  private final Schema eventSchema;
  private final Node[] nodes;
  private final String[] stageNames;
  private final boolean[] stageLists;
  private final int[] start;
  private final List<Guard> leadingGuards;
  private final List<Guard> finalGuards;
  private final boolean repeating;
  private final long withinMillis;
  private final SkipStrategy skip;
  private final int skipStage;

  private Nfa(String patternName, Schema eventSchema, Node[] nodes, String[] stageNames, boolean[] stageLists, int[] start,
      List<Guard> leadingGuards, List<Guard> finalGuards, boolean repeating, long withinMillis, SkipStrategy skip, int skipStage) {
    this.patternName = patternName;
    this.eventSchema = eventSchema;
    this.nodes = nodes;
    this.stageNames = stageNames;
    this.stageLists = stageLists;
    this.start = start;
    this.leadingGuards = leadingGuards;
    this.finalGuards = finalGuards;
    this.repeating = repeating;
    this.withinMillis = withinMillis;
    this.skip = skip;
    this.skipStage = skipStage;
  }

  /**
   * Compiles a pattern over events of {@code eventSchema}.
   *
   * @param origin where the pattern was declared, e.g. {@code steps[2]}, for error messages
   * @throws IllegalArgumentException naming the stage, for a malformed pattern or a condition that
   *     does not type-check
   */
  public static Nfa compile(String origin, Pattern pattern, Schema eventSchema) {
    pattern.validate();
    List<Stage> all = pattern.stages();
    FieldType eventType = FieldType.row(eventSchema);
    List<String> errors = new ArrayList<>();
    List<Integer> positive = new ArrayList<>();
    for (int s = 0; s < all.size(); s++) {
      if (all.get(s).kind() == Kind.POSITIVE) {
        positive.add(s);
      }
    }
    int stageCount = positive.size();
    String[] names = new String[stageCount];
    boolean[] lists = new boolean[stageCount];
    ScopedExpression[] conditions = new ScopedExpression[stageCount];
    ScopedExpression[] untils = new ScopedExpression[stageCount];
    List<List<Guard>> guardsBefore = new ArrayList<>();
    List<Guard> pending = new ArrayList<>();
    List<Guard> leading = new ArrayList<>();
    int index = 0;
    for (int s = 0; s < all.size(); s++) {
      Stage stage = all.get(s);
      Map<String, FieldType> scope = new LinkedHashMap<>();
      scope.put("event", eventType);
      if (index > 0 || stage.kind() == Kind.POSITIVE) {
        // A leading absence is checked on the key's events before any match starts: it sees only the event.
        scope.put("prev", eventType);
      }
      for (int k = 0; k < index; k++) {
        scope.put(all.get(positive.get(k)).name(), pattern.listValued(positive.get(k)) ? FieldType.array(eventType) : eventType);
      }
      Pattern.Group group = pattern.groupOf(s);
      if (group != null && group.looping()) {
        // A repeating group's stages also see the events its later stages took in earlier repetitions.
        for (int m = group.from(); m <= group.to(); m++) {
          scope.put(all.get(m).name(), FieldType.array(eventType));
        }
      }
      String where = origin + ".stages." + stage.name();
      if (stage.kind() != Kind.POSITIVE) {
        ScopedExpression condition = condition(where + ".where", scope, stage.condition(), errors);
        if (condition != null) {
          Guard guard = new Guard(stage.name(), stage.kind(), condition, eventOnly(condition),
              stage.lasting() == null ? 0 : stage.lasting().getMillis());
          (index == 0 ? leading : pending).add(guard);
        }
        continue;
      }
      if (pattern.listValued(s)) {
        scope.put(stage.name(), FieldType.array(eventType));
      }
      names[index] = stage.name();
      lists[index] = pattern.listValued(s);
      conditions[index] = condition(where + ".where", scope, stage.condition(), errors);
      untils[index] = stage.until() == null ? null : condition(where + ".until", scope, stage.until(), errors);
      guardsBefore.add(List.copyOf(pending));
      pending.clear();
      index++;
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
    Layout layout = new Layout(pattern, positive);
    if (layout.size() > MAX_STAGES) {
      throw new IllegalArgumentException(origin + ": pattern '" + pattern.name() + "' needs " + layout.size()
          + " automaton nodes (a group takes one per stage and repetition, up to its minimum plus one when it has no maximum);"
          + " at most " + MAX_STAGES + " are supported; use fewer stages, a smaller times(...), or timesOrMore(n)");
    }
    Node[] nodes = new Node[(int) layout.size()];
    for (int i = 0; i < nodes.length; i++) {
      int k = layout.stage(i);
      Stage stage = all.get(positive.get(k));
      Pattern.Group group = pattern.groupOf(positive.get(k));
      boolean entry = group == null || layout.member(i) == 0;
      Contiguity contiguity = entry && layout.copy(i) > 0 ? group.inner() : stage.contiguity();
      List<Guard> guards = entry && layout.copy(i) == 0 ? guardsBefore.get(k) : List.of();
      ScopedExpression until = untils[k];
      nodes[i] = new Node(i, stage.name(), k, contiguity, stage.min(), stage.max(), stage.optional(), stage.greedy(), stage.inner(),
          conditions[k], eventOnly(conditions[k]), until, until != null && eventOnly(until),
          stage.withinPrevious() == null ? 0 : stage.withinPrevious().getMillis(), guards, null, false);
    }
    for (int i = 0; i < nodes.length; i++) {
      Layout.Targets targets = layout.after(i);
      nodes[i] = nodes[i].withProceed(targets.nodes(), targets.toFinal());
    }
    long within = pattern.within() == null ? 0 : pattern.within().getMillis();
    int skipStage = -1;
    if (pattern.skipStrategy().stage() != null) {
      skipStage = java.util.Arrays.asList(names).indexOf(pattern.skipStrategy().stage());
    }
    boolean repeating = all.stream().anyMatch(Stage::repeating);
    return new Nfa(pattern.name(), eventSchema, nodes, names, lists, layout.start().nodes(), List.copyOf(leading),
        List.copyOf(pending), repeating, within, pattern.skipStrategy(), skipStage);
  }

  private static @Nullable ScopedExpression condition(String origin, Map<String, FieldType> scope, String text, List<String> errors) {
    try {
      return ScopedExpression.compile(origin, scope, text).requireBoolean();
    } catch (ExpressionException e) {
      errors.add(e.getMessage());
      return null;
    }
  }

  private static boolean eventOnly(ScopedExpression condition) {
    return condition.referencedVariables().stream().allMatch("event"::equals);
  }

  public String patternName() {
    return patternName;
  }

  public Schema eventSchema() {
    return eventSchema;
  }

  public int size() {
    return nodes.length;
  }

  public Node node(int index) {
    return nodes[index];
  }

  /** How many positive stages the pattern has; the match reports its events per stage. */
  public int stageCount() {
    return stageNames.length;
  }

  /** The name of positive stage {@code stage}. */
  public String stageName(int stage) {
    return stageNames[stage];
  }

  /** Whether positive stage {@code stage} can take several events in a match (it loops, or its group repeats): a list, not a record. */
  public boolean stageIsList(int stage) {
    return stageLists[stage];
  }

  /** The nodes a new run can start at: the first, and past it while it is optional. */
  public int[] start() {
    return start.clone();
  }

  /**
   * Negations at the end of the pattern (absence): the match waits for {@link #finalLastingMillis()}
   * after its last event, or for {@link #withinMillis()} after its first when they have no duration.
   */
  public List<Guard> finalGuards() {
    return finalGuards;
  }

  /** How long the absence at the end lasts after the match's last event, or 0 when it has no duration of its own. */
  public long finalLastingMillis() {
    return finalGuards.stream().mapToLong(Guard::lastingMillis).max().orElse(0);
  }

  /** Whether the absence at the end matches again for every further {@link #finalLastingMillis()} of silence. */
  public boolean repeating() {
    return repeating;
  }

  /** Absences before the first stage: a match starts only after the key went that long without such an event. */
  public List<Guard> leadingGuards() {
    return leadingGuards;
  }

  /** Whether anything in the pattern depends on time passing (a bound or a duration). */
  public boolean timed() {
    return withinMillis > 0 || finalLastingMillis() > 0 || java.util.Arrays.stream(nodes).anyMatch(n -> n.withinPreviousMillis() > 0);
  }

  /** The time bound of a match in milliseconds, or 0 for none. */
  public long withinMillis() {
    return withinMillis;
  }

  public SkipStrategy skip() {
    return skip;
  }

  /** The stage (see {@link Node#stage()}) named by skipToFirst/skipToLast, or -1. */
  public int skipStage() {
    return skipStage;
  }
}
