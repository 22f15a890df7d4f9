package dev.streamtemplates.transforms.cep;

import com.google.errorprone.annotations.CheckReturnValue;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * A temporal sequence pattern: named stages, each with a CEL condition, joined by a contiguity,
 * with quantifiers, negations, a time bound for the whole match and an after-match skip strategy.
 * Immutable and serializable: every method returns a new pattern, so a pattern can be shared,
 * stored in a DoFn and extended in two directions without surprises.
 *
 * <pre>{@code
 * Pattern fraud = Pattern.begin("us").where("event.country == 'US'")
 *     .followedBy("abroad").where("event.country != 'US' && event.amount > us.amount")
 *     .within(Duration.standardHours(3))
 *     .skip(SkipStrategy.skipPastLastEvent());
 * }</pre>
 *
 * <p>A condition sees the current event as {@code event}, the previous matched event as
 * {@code prev} (null at the first event), and each earlier stage by its name: a record for a
 * single stage (null when an optional stage took nothing), a list of records for a looping stage.
 * A looping stage's condition also sees its own events taken so far, as a list (aggregate it with
 * {@code sum(stage, 'field')}, {@code avg}, {@code min}, {@code max}, {@code count}). A negation
 * can have a duration of its own ({@link #lasting}), repeat at the end ({@link #repeating}), or
 * start the pattern ({@link #beginAbsence}); a stage can bound the time from the match's previous
 * event ({@link #withinPrevious}). A group of stages repeats as a whole ({@link #beginGroup},
 * {@link #followedBy(String, Pattern)}, ...: Flink CEP's group patterns, {@code (A B)+ C}); its
 * stages are then lists in conditions, holding the events of every repetition. Quantifier methods
 * ({@link #times}, {@link #oneOrMore}, {@link #optional}, ...) and {@link #where} apply to the most
 * recently added stage, or group. Checks that need the whole pattern (a pattern that ends in a negation
 * without {@code within}, a skip to an unknown stage, ...) run in {@link #validate()}, which the
 * compiler calls; every message names the stage.
 */
public final class Pattern implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Names a stage cannot take: they are CEL variables or fields of the match row. */
  public static final Set<String> RESERVED_NAMES = Set.of("event", "prev", "key", "pattern", "firstAt", "lastAt", "timedOutAt",
      "absentUntil");

  /** How a stage's first event must follow the previous stage's last event. */
  public enum Contiguity {
    /** {@code next}: the very next event of the key. */
    STRICT,
    /** {@code followedBy}: the first matching event after it; events that do not match are skipped. */
    RELAXED,
    /** {@code followedByAny}: any later matching event; a matching event may also be skipped. */
    NON_DETERMINISTIC
  }

  /** Whether a stage matches events, or forbids them. */
  public enum Kind {
    POSITIVE, NOT_NEXT, NOT_FOLLOWED_BY
  }

  /**
   * One stage. {@code max} is {@link Integer#MAX_VALUE} for an unbounded loop. {@code lasting} is
   * how long a negation's absence must last (null: until the next stage, or until {@code within}
   * at the end); {@code repeating}, that a trailing absence matches again for every further
   * {@code lasting} of silence; {@code withinPrevious}, the longest time from the match's previous
   * event to each event this stage takes (null: no bound).
   */
  public record Stage(String name, Kind kind, Contiguity contiguity, String condition, int min, int max, boolean optional,
      boolean greedy, Contiguity inner, @Nullable String until, @Nullable Duration lasting, boolean repeating,
      @Nullable Duration withinPrevious) implements Serializable {

    /** Whether the stage may take more than one event. */
    public boolean looping() {
      return max > 1;
    }

    Stage withCondition(String text) {
      return new Stage(name, kind, contiguity, text, min, max, optional, greedy, inner, until, lasting, repeating, withinPrevious);
    }

    Stage withTimes(int newMin, int newMax) {
      return new Stage(name, kind, contiguity, condition, newMin, newMax, optional, greedy, inner, until, lasting, repeating, withinPrevious);
    }

    Stage withOptional() {
      return new Stage(name, kind, contiguity, condition, min, max, true, greedy, inner, until, lasting, repeating, withinPrevious);
    }

    Stage withGreedy() {
      return new Stage(name, kind, contiguity, condition, min, max, optional, true, inner, until, lasting, repeating, withinPrevious);
    }

    Stage withInner(Contiguity newInner) {
      return new Stage(name, kind, contiguity, condition, min, max, optional, greedy, newInner, until, lasting, repeating, withinPrevious);
    }

    Stage withUntil(String text) {
      return new Stage(name, kind, contiguity, condition, min, max, optional, greedy, inner, text, lasting, repeating, withinPrevious);
    }

    Stage withLasting(Duration duration, boolean repeat) {
      return new Stage(name, kind, contiguity, condition, min, max, optional, greedy, inner, until, duration, repeat, withinPrevious);
    }

    Stage withWithinPrevious(Duration bound) {
      return new Stage(name, kind, contiguity, condition, min, max, optional, greedy, inner, until, lasting, repeating, bound);
    }

    /** How the stage reads in the fluent API, for messages. */
    String describe() {
      return "stage '" + name + "'";
    }
  }

  /**
   * A group pattern (Flink CEP's {@code GroupPattern}): the consecutive positive stages {@code
   * from..to} (indices into {@link #stages()}) repeat together, {@code min} to {@code max} times
   * ({@link Integer#MAX_VALUE}: no bound), each repetition's first stage following the previous
   * repetition's last event with {@code inner} contiguity.
   */
  public record Group(String name, int from, int to, int min, int max, boolean optional, Contiguity inner) implements Serializable {

    /** Whether the group may repeat. */
    public boolean looping() {
      return max > 1;
    }

    boolean contains(int stage) {
      return stage >= from && stage <= to;
    }

    Group withTimes(int newMin, int newMax) {
      return new Group(name, from, to, newMin, newMax, optional, inner);
    }

    Group withOptional() {
      return new Group(name, from, to, min, max, true, inner);
    }

    Group withInner(Contiguity newInner) {
      return new Group(name, from, to, min, max, optional, newInner);
    }

    String describe() {
      return "group '" + name + "'";
    }
  }

  private final String name;
  private final List<Stage> stages;
  private final List<Group> groups;
  /** Whether quantifiers apply to the last group rather than to the last stage (a group was added last). */
  private final boolean groupLast;
  private final @Nullable Duration within;
  private final SkipStrategy skip;

  private Pattern(String name, List<Stage> stages, List<Group> groups, boolean groupLast, @Nullable Duration within, SkipStrategy skip) {
    this.name = name;
    this.stages = List.copyOf(stages);
    this.groups = List.copyOf(groups);
    this.groupLast = groupLast;
    this.within = within;
    this.skip = skip;
  }

  /** Starts a pattern with its first stage. */
  public static Pattern begin(String stage) {
    return new Pattern("pattern", List.of(), List.of(), false, null, SkipStrategy.noSkip()).add(stage, Kind.POSITIVE, Contiguity.STRICT);
  }

  /** The stage's first event is the very next event of the key after the previous stage. */
  @CheckReturnValue
  public Pattern next(String stage) {
    return add(stage, Kind.POSITIVE, Contiguity.STRICT);
  }

  /** The stage's first event is the first matching event after the previous stage. */
  @CheckReturnValue
  public Pattern followedBy(String stage) {
    return add(stage, Kind.POSITIVE, Contiguity.RELAXED);
  }

  /** The stage's first event is any later matching event: each one starts its own match. */
  @CheckReturnValue
  public Pattern followedByAny(String stage) {
    return add(stage, Kind.POSITIVE, Contiguity.NON_DETERMINISTIC);
  }

  /**
   * Starts a pattern with a group: the stages of {@code group} (a pattern of its own, made of
   * stages that take events) repeat together, as Flink CEP's {@code Pattern.begin(Pattern)}.
   * Quantify the group with {@link #times}, {@link #oneOrMore}, {@link #timesOrMore}, {@link
   * #optional}, and set the contiguity between its repetitions with {@link #consecutive} or {@link
   * #allowCombinations} (relaxed by default), right after adding it.
   */
  public static Pattern beginGroup(String groupName, Pattern group) {
    return new Pattern("pattern", List.of(), List.of(), false, null, SkipStrategy.noSkip()).addGroup(groupName, group, Contiguity.STRICT);
  }

  /** A group whose first event is the very next event of the key after the previous stage; see {@link #beginGroup}. */
  @CheckReturnValue
  public Pattern next(String groupName, Pattern group) {
    return addGroup(groupName, group, Contiguity.STRICT);
  }

  /** A group whose first event is the first matching event after the previous stage; see {@link #beginGroup}. */
  @CheckReturnValue
  public Pattern followedBy(String groupName, Pattern group) {
    return addGroup(groupName, group, Contiguity.RELAXED);
  }

  /** A group whose first event is any later matching event; see {@link #beginGroup}. */
  @CheckReturnValue
  public Pattern followedByAny(String groupName, Pattern group) {
    return addGroup(groupName, group, Contiguity.NON_DETERMINISTIC);
  }

  /** The event right after the previous stage must not match this stage's condition. */
  @CheckReturnValue
  public Pattern notNext(String stage) {
    return add(stage, Kind.NOT_NEXT, Contiguity.STRICT);
  }

  /**
   * No event between the previous stage and the next one may match this stage's condition. At
   * the end of a pattern with {@link #within}, this is absence: the match is emitted when the time
   * bound passes without such an event.
   */
  @CheckReturnValue
  public Pattern notFollowedBy(String stage) {
    return add(stage, Kind.NOT_FOLLOWED_BY, Contiguity.RELAXED);
  }

  /** The condition of the most recent stage, in CEL. A stage without one matches every event. */
  @CheckReturnValue
  public Pattern where(String condition) {
    notOnGroup("where(...)");
    if (condition == null || condition.isBlank()) {
      throw new IllegalArgumentException(last().describe() + ": where(...) needs a CEL condition, got '" + condition + "'");
    }
    return replaceLast(last().withCondition(condition));
  }

  /** The most recent stage takes exactly {@code n} events. */
  @CheckReturnValue
  public Pattern times(int n) {
    return times(n, n);
  }

  /** The most recent stage takes from {@code min} to {@code max} events. */
  @CheckReturnValue
  public Pattern times(int min, int max) {
    String what = groupLast ? lastGroup().describe() : quantifiable("times").describe();
    if (min < 1 || max < min) {
      throw new IllegalArgumentException(what + ": times(min, max) needs 1 <= min <= max, got min=" + min + " max=" + max);
    }
    return groupLast ? replaceLastGroup(lastGroup().withTimes(min, max)) : replaceLast(last().withTimes(min, max));
  }

  /** The most recent stage takes one or more events. */
  @CheckReturnValue
  public Pattern oneOrMore() {
    return timesOrMore(1);
  }

  /** The most recent stage takes {@code n} or more events. */
  @CheckReturnValue
  public Pattern timesOrMore(int n) {
    String what = groupLast ? lastGroup().describe() : quantifiable("timesOrMore").describe();
    if (n < 1) {
      throw new IllegalArgumentException(what + ": timesOrMore(n) needs n >= 1, got n=" + n);
    }
    return groupLast ? replaceLastGroup(lastGroup().withTimes(n, Integer.MAX_VALUE)) : replaceLast(last().withTimes(n, Integer.MAX_VALUE));
  }

  /** The most recent stage may take no event at all. */
  @CheckReturnValue
  public Pattern optional() {
    if (groupLast) {
      return replaceLastGroup(lastGroup().withOptional());
    }
    Stage stage = quantifiable("optional");
    return replaceLast(stage.withOptional());
  }

  /** The most recent (looping) stage takes as many events as it can, rather than letting the next stage start. */
  @CheckReturnValue
  public Pattern greedy() {
    notOnGroup("greedy()");
    Stage stage = quantifiable("greedy");
    requireLooping(stage, "greedy()");
    return replaceLast(stage.withGreedy());
  }

  /** The most recent (looping) stage takes only consecutive events: strict contiguity inside the loop. */
  @CheckReturnValue
  public Pattern consecutive() {
    if (groupLast) {
      return replaceLastGroup(loopingGroup("consecutive()").withInner(Contiguity.STRICT));
    }
    Stage stage = quantifiable("consecutive");
    requireLooping(stage, "consecutive()");
    return replaceLast(stage.withInner(Contiguity.STRICT));
  }

  /** The most recent (looping) stage may skip matching events too: non-deterministic relaxed contiguity inside the loop. */
  @CheckReturnValue
  public Pattern allowCombinations() {
    if (groupLast) {
      return replaceLastGroup(loopingGroup("allowCombinations()").withInner(Contiguity.NON_DETERMINISTIC));
    }
    Stage stage = quantifiable("allowCombinations");
    requireLooping(stage, "allowCombinations()");
    return replaceLast(stage.withInner(Contiguity.NON_DETERMINISTIC));
  }

  /** The most recent (looping) stage stops taking events at the first event that matches {@code condition}; that event is not taken. */
  @CheckReturnValue
  public Pattern until(String condition) {
    notOnGroup("until(...)");
    Stage stage = quantifiable("until");
    if (stage.max() != Integer.MAX_VALUE) {
      throw new IllegalArgumentException(stage.describe() + ": until(...) applies to oneOrMore() or timesOrMore(n), call one of them first");
    }
    if (condition == null || condition.isBlank()) {
      throw new IllegalArgumentException(stage.describe() + ": until(...) needs a CEL condition, got '" + condition + "'");
    }
    return replaceLast(stage.withUntil(condition));
  }

  /**
   * Starts a pattern with an absence (a leading negation): the next stage's first event must come
   * after at least {@link #lasting} without an event of the key that matches this stage's
   * condition. The key's time starts at its first event, so the key must also have been seen at
   * least that long before. Needs {@link #lasting}.
   */
  public static Pattern beginAbsence(String stage) {
    return new Pattern("pattern", List.of(), List.of(), false, null, SkipStrategy.noSkip()).add(stage, Kind.NOT_FOLLOWED_BY, Contiguity.RELAXED);
  }

  /**
   * How long the most recent negation ({@link #notFollowedBy}, {@link #beginAbsence}) must last,
   * counted from the last event of the stage before it (from the next stage's first event, going
   * back, for a leading absence). At the end of a pattern the match is emitted when event time
   * passes that event + {@code duration} with no event that matches the negation; in the middle,
   * the next stage can take events only from then on. An event exactly at the end of the
   * duration is outside it.
   */
  @CheckReturnValue
  public Pattern lasting(Duration duration) {
    notOnGroup("lasting(...)");
    Stage stage = last();
    if (stage.kind() != Kind.NOT_FOLLOWED_BY) {
      throw new IllegalArgumentException(stage.describe() + ": lasting(...) applies to a negation with notFollowedBy (or beginAbsence), not to "
          + (stage.kind() == Kind.NOT_NEXT ? "notNext, which forbids only the very next event" : "a stage that takes events"));
    }
    if (duration == null || duration.getMillis() <= 0) {
      throw new IllegalArgumentException(stage.describe() + ": lasting must be > 0, got " + (duration == null ? null : text(duration)));
    }
    return replaceLast(stage.withLasting(duration, stage.repeating()));
  }

  /**
   * The most recent negation, at the end of the pattern and with {@link #lasting}, matches again
   * for every further {@code lasting} without such an event (a heartbeat: "every 5 minutes without
   * a reading"), as Siddhi's {@code every not B for T}. The repetitions end with the first event
   * that matches the negation, or when {@link #within} (required) has passed since the match's
   * first event.
   */
  @CheckReturnValue
  public Pattern repeating() {
    notOnGroup("repeating()");
    Stage stage = last();
    if (stage.kind() != Kind.NOT_FOLLOWED_BY || stage.lasting() == null) {
      throw new IllegalArgumentException(stage.describe() + ": repeating() applies to a negation with lasting(...); call notFollowedBy(...).lasting(...) first");
    }
    return replaceLast(stage.withLasting(stage.lasting(), true));
  }

  /**
   * Each event the most recent stage takes must come less than {@code bound} after the match's
   * previous event (Flink's {@code WithinType.PREVIOUS_AND_CURRENT}, per stage; on a looping first
   * stage, each event after its first). A partial match that can go on only through stages whose
   * bound has passed is timed out at that bound.
   */
  @CheckReturnValue
  public Pattern withinPrevious(Duration bound) {
    notOnGroup("withinPrevious(...)");
    Stage stage = quantifiable("withinPrevious");
    if (bound == null || bound.getMillis() <= 0) {
      throw new IllegalArgumentException(stage.describe() + ": withinPrevious must be > 0, got " + (bound == null ? null : text(bound)));
    }
    return replaceLast(stage.withWithinPrevious(bound));
  }

  /** The whole match must fit in this time: last event time - first event time < {@code window}. */
  @CheckReturnValue
  public Pattern within(Duration window) {
    if (window == null || window.getMillis() <= 0) {
      throw new IllegalArgumentException("within must be > 0, got within=" + window);
    }
    return new Pattern(name, stages, groups, groupLast, window, skip);
  }

  /** What happens to other partial matches when a match is emitted; {@link SkipStrategy#noSkip()} by default. */
  @CheckReturnValue
  public Pattern skip(SkipStrategy strategy) {
    return new Pattern(name, stages, groups, groupLast, within, Objects.requireNonNull(strategy, "skip strategy"));
  }

  /** The pattern's name, written to each match; {@code "pattern"} by default. */
  @CheckReturnValue
  public Pattern named(String patternName) {
    if (patternName == null || patternName.isBlank()) {
      throw new IllegalArgumentException("pattern name must be non-empty, got '" + patternName + "'");
    }
    return new Pattern(patternName, stages, groups, groupLast, within, skip);
  }

  public String name() {
    return name;
  }

  public List<Stage> stages() {
    return stages;
  }

  public @Nullable Duration within() {
    return within;
  }

  /** The groups, in order; a stage belongs to at most one. */
  public List<Group> groups() {
    return groups;
  }

  /** The group stage {@code index} (of {@link #stages()}) belongs to, or null. */
  public @Nullable Group groupOf(int index) {
    for (Group group : groups) {
      if (group.contains(index)) {
        return group;
      }
    }
    return null;
  }

  /** Whether stage {@code index} can take more than one event in a match (it loops, or its group does): conditions then see it as a list. */
  public boolean listValued(int index) {
    Group group = groupOf(index);
    return stages.get(index).looping() || (group != null && group.looping());
  }

  /** Whether stage {@code index} may take no event: it is optional, or its group is. */
  private boolean skippable(int index) {
    Group group = groupOf(index);
    return stages.get(index).optional() || (group != null && group.optional());
  }

  public SkipStrategy skipStrategy() {
    return skip;
  }

  /**
   * Checks what needs the whole pattern; the compiler calls it.
   *
   * @throws IllegalArgumentException naming the stage
   */
  public Pattern validate() {
    List<String> errors = new ArrayList<>();
    List<Stage> positive = stages.stream().filter(s -> s.kind() == Kind.POSITIVE).toList();
    if (positive.isEmpty()) {
      throw new IllegalArgumentException("pattern '" + name + "' has no stage that takes events; add one after the absence, e.g. followedBy(...)");
    }
    int first = stages.indexOf(positive.get(0));
    int lastPositive = stages.indexOf(positive.get(positive.size() - 1));
    Stage last = stages.get(stages.size() - 1);
    for (int i = 0; i < stages.size(); i++) {
      Stage stage = stages.get(i);
      if (stage.kind() == Kind.POSITIVE) {
        continue;
      }
      if (i < first && stage.lasting() == null) {
        errors.add(stage.describe() + ": a pattern can start with an absence only with lasting(...), which says how long it must last before the next stage");
      }
      if (stage.repeating() && i < lastPositive) {
        errors.add(stage.describe() + ": repeating() applies only to the absence at the end of a pattern");
      }
      if (stage.lasting() != null && i + 1 < stages.size() && stages.get(i + 1).kind() == Kind.POSITIVE
          && stages.get(i + 1).contiguity() == Contiguity.STRICT) {
        errors.add(stages.get(i + 1).describe() + ": after an absence with lasting(...), the next stage must use followedBy or followedByAny,"
            + " not next (the absence is made of the events in between)");
      }
    }
    if (last.kind() == Kind.NOT_NEXT) {
      errors.add(last.describe() + ": a pattern cannot end in notNext(); for absence at the end use notFollowedBy(...) with lasting(...) or within(...)");
    }
    List<Stage> trailing = stages.subList(lastPositive + 1, stages.size());
    boolean timed = trailing.stream().anyMatch(s -> s.lasting() != null);
    boolean plain = trailing.stream().anyMatch(s -> s.kind() == Kind.NOT_FOLLOWED_BY && s.lasting() == null);
    if (timed && plain) {
      errors.add("the absences at the end of pattern '" + name + "' mix lasting(...) and none; give each one lasting(...), or none (then within(...) says how long)");
    } else if (plain && within == null) {
      errors.add(last.describe() + ": a pattern can end in notFollowedBy() only with lasting(...) or within(...), which says how long the absence must last");
    }
    for (Stage stage : trailing) {
      if (stage.lasting() != null && within != null && stage.lasting().isLongerThan(within)) {
        errors.add(stage.describe() + ": lasting " + text(stage.lasting()) + " is longer than within " + text(within)
            + ", so the absence could never fit in a match");
      }
      if (stage.repeating()) {
        if (within == null) {
          errors.add(stage.describe() + ": repeating() needs within(...), how long after the match's first event the repetitions go on:"
              + " at the end of a bounded input event time passes every bound, so an endless silence would match for ever");
        }
        if (trailing.size() > 1) {
          errors.add(stage.describe() + ": repeating() needs the absence to be the only negation at the end");
        }
        if (skip.kind() != SkipStrategy.Kind.NO_SKIP) {
          errors.add(stage.describe() + ": repeating() emits several matches from one partial match, which skip strategy " + skip
              + " would prune; use noSkip");
        }
      }
    }
    if (positive.get(0).withinPrevious() != null && !listValued(first)) {
      errors.add(positive.get(0).describe() + ": withinPrevious(...) on the first stage has no previous event to count from"
          + " (on a looping first stage it bounds the steps of the loop); put it on a later stage");
    }
    boolean allSkippable = true;
    for (int i = 0; i < stages.size(); i++) {
      allSkippable &= stages.get(i).kind() != Kind.POSITIVE || skippable(i);
    }
    for (Group group : groups) {
      if (group.to() + 1 < stages.size() && stages.get(group.to() + 1).kind() != Kind.POSITIVE
          && (group.optional() || group.min() != group.max())) {
        errors.add(stages.get(group.to() + 1).describe() + ": a negation cannot follow " + group.describe()
            + ", which may repeat a varying number of times or be skipped, because it would not be clear where it applies;"
            + " give the group a fixed times(n), or put a stage that takes events in between");
      }
    }
    if (allSkippable) {
      errors.add("every stage of pattern '" + name + "' is optional, so it would match nothing; make one stage required");
    }
    Stage lastTaking = positive.get(positive.size() - 1);
    if (lastTaking.greedy() && lastTaking == last) {
      errors.add(lastTaking.describe() + ": greedy() needs a later stage to compete with; it has no effect on the last stage");
    }
    for (int i = 1; i < stages.size(); i++) {
      Stage stage = stages.get(i);
      Stage previous = stages.get(i - 1);
      if (stage.kind() != Kind.POSITIVE && previous.kind() == Kind.POSITIVE && previous.optional()) {
        errors.add(stage.describe() + ": a negation cannot follow the optional " + previous.describe()
            + ", because it would not be clear where it applies");
      }
    }
    String target = skip.stage();
    if (target != null && positive.stream().noneMatch(s -> s.name().equals(target))) {
      errors.add("skip strategy " + skip + " names stage '" + target + "', which is not a stage of pattern '" + name
          + "'; stages are " + positive.stream().map(Stage::name).toList());
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
    return this;
  }

  /**
   * Where a partial match of this pattern could wait with no end in sight, or null when every
   * partial match ends by itself, so that the pattern needs no {@link #within}: a stage after the
   * first with {@code next} (it ends at the key's next event) or {@link #withinPrevious}; a loop
   * that is {@link #consecutive}, has {@link #until} or {@link #withinPrevious}; an absence at the
   * end with {@link #lasting} (not repeating).
   */
  public @Nullable String unboundedWait() {
    for (Group group : groups) {
      if (group.looping() && group.inner() != Contiguity.STRICT && stages.get(group.from()).withinPrevious() == null) {
        return "the repetitions of " + group.describe() + " wait for more events (not consecutive, no withinPrevious on its first stage '"
            + stages.get(group.from()).name() + "')";
      }
    }
    List<Stage> positive = stages.stream().filter(s -> s.kind() == Kind.POSITIVE).toList();
    for (int i = 0; i < positive.size(); i++) {
      Stage stage = positive.get(i);
      if (i > 0 && stage.contiguity() != Contiguity.STRICT && stage.withinPrevious() == null) {
        return "a partial match waits for " + stage.describe() + " ("
            + (stage.contiguity() == Contiguity.RELAXED ? "followedBy" : "followedByAny") + ", no withinPrevious)";
      }
      if (stage.looping() && stage.inner() != Contiguity.STRICT && stage.until() == null && stage.withinPrevious() == null) {
        return "the loop of " + stage.describe() + " waits for more events (not consecutive, no until or withinPrevious)";
      }
    }
    for (Stage stage : stages.subList(stages.indexOf(positive.get(positive.size() - 1)) + 1, stages.size())) {
      if (stage.lasting() == null || stage.repeating()) {
        return "the absence " + stage.describe() + " at the end " + (stage.repeating() ? "repeats" : "has no lasting(...)");
      }
    }
    return null;
  }

  private Pattern add(String stage, Kind kind, Contiguity contiguity) {
    if (stage == null || !stage.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("stage name must be an identifier (letters, digits, _), got '" + stage + "'");
    }
    if (RESERVED_NAMES.contains(stage)) {
      throw new IllegalArgumentException("stage name '" + stage + "' is reserved; reserved names are " + RESERVED_NAMES);
    }
    checkUnused(stage);
    List<Stage> next = new ArrayList<>(stages);
    next.add(new Stage(stage, kind, contiguity, "true", 1, 1, false, false, Contiguity.RELAXED, null, null, false, null));
    return new Pattern(name, next, groups, false, within, skip);
  }

  private void checkUnused(String stage) {
    if (stages.stream().anyMatch(s -> s.name().equals(stage)) || groups.stream().anyMatch(g -> g.name().equals(stage))) {
      throw new IllegalArgumentException("name '" + stage + "' is used twice in pattern '" + name + "'");
    }
  }

  private Pattern addGroup(String groupName, Pattern group, Contiguity contiguity) {
    if (groupName == null || !groupName.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("group name must be an identifier (letters, digits, _), got '" + groupName + "'");
    }
    if (RESERVED_NAMES.contains(groupName)) {
      throw new IllegalArgumentException("group name '" + groupName + "' is reserved; reserved names are " + RESERVED_NAMES);
    }
    checkUnused(groupName);
    String what = "group '" + groupName + "'";
    if (!group.groups.isEmpty()) {
      throw new IllegalArgumentException(what + ": groups cannot nest; group '" + group.groups.get(0).name() + "' is inside it");
    }
    if (group.within != null || group.skip.kind() != SkipStrategy.Kind.NO_SKIP) {
      throw new IllegalArgumentException(what + ": a group has no within or skip strategy of its own; set them on the whole pattern");
    }
    for (Stage stage : group.stages) {
      if (stage.kind() != Kind.POSITIVE) {
        throw new IllegalArgumentException(what + ": stage '" + stage.name() + "' is a negation; a group holds only stages that take events");
      }
      checkUnused(stage.name());
    }
    if (group.stages.size() < 2) {
      throw new IllegalArgumentException(what + " has one stage; quantify the stage itself (times, oneOrMore, ...) instead of a group");
    }
    if (group.stages.get(0).optional()) {
      throw new IllegalArgumentException(what + ": its first stage '" + group.stages.get(0).name()
          + "' cannot be optional (each repetition of the group starts with it)");
    }
    List<Stage> next = new ArrayList<>(stages);
    Stage first = group.stages.get(0);
    next.add(new Stage(first.name(), first.kind(), contiguity, first.condition(), first.min(), first.max(), first.optional(),
        first.greedy(), first.inner(), first.until(), first.lasting(), first.repeating(), first.withinPrevious()));
    next.addAll(group.stages.subList(1, group.stages.size()));
    List<Group> nextGroups = new ArrayList<>(groups);
    nextGroups.add(new Group(groupName, stages.size(), next.size() - 1, 1, 1, false, Contiguity.RELAXED));
    return new Pattern(name, next, nextGroups, true, within, skip);
  }

  private Group lastGroup() {
    return groups.get(groups.size() - 1);
  }

  private Group loopingGroup(String method) {
    Group group = lastGroup();
    if (!group.looping()) {
      throw new IllegalArgumentException(group.describe() + ": " + method + " applies to a repeating group; call oneOrMore(), times(n) or timesOrMore(n) first");
    }
    return group;
  }

  private void notOnGroup(String method) {
    if (groupLast) {
      throw new IllegalArgumentException(lastGroup().describe() + ": " + method + " applies to a stage, not to a group;"
          + " set it on the group's stages before adding the group");
    }
  }

  private Pattern replaceLastGroup(Group group) {
    List<Group> next = new ArrayList<>(groups);
    next.set(next.size() - 1, group);
    return new Pattern(name, stages, next, true, within, skip);
  }

  private Stage last() {
    return stages.get(stages.size() - 1);
  }

  private Stage quantifiable(String method) {
    Stage stage = last();
    if (stage.kind() != Kind.POSITIVE) {
      throw new IllegalArgumentException(stage.describe() + ": " + method + "() cannot apply to a negation (notNext/notFollowedBy)");
    }
    return stage;
  }

  private static void requireLooping(Stage stage, String method) {
    if (!stage.looping()) {
      throw new IllegalArgumentException(stage.describe() + ": " + method + " applies to a looping stage; call oneOrMore(), times(n) or timesOrMore(n) first");
    }
  }

  private Pattern replaceLast(Stage stage) {
    List<Stage> next = new ArrayList<>(stages);
    next.set(next.size() - 1, stage);
    return new Pattern(name, next, groups, false, within, skip);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Pattern p && p.name.equals(name) && p.stages.equals(stages) && p.groups.equals(groups) && p.groupLast == groupLast && Objects.equals(p.within, within) && p.skip.equals(skip);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, stages, groups, groupLast, within, skip);
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder(name).append(": ");
    for (int i = 0; i < stages.size(); i++) {
      Stage stage = stages.get(i);
      Group group = groupOf(i);
      if (group != null && group.from() == i) {
        text.append(group.name()).append("=(");
      }
      text.append(stage.kind() == Kind.POSITIVE ? "" : "!").append(stage.name())
          .append(stage.min() == 1 && stage.max() == 1 ? "" : "{" + stage.min() + "," + (stage.max() == Integer.MAX_VALUE ? "" : stage.max()) + "}")
          .append(stage.optional() ? "?" : "")
          .append(stage.lasting() == null ? "" : " for " + text(stage.lasting()) + (stage.repeating() ? " repeating" : ""))
          .append(stage.withinPrevious() == null ? "" : " withinPrevious " + text(stage.withinPrevious()));
      if (group != null && group.to() == i) {
        text.append(')').append(group.min() == 1 && group.max() == 1 ? "" : "{" + group.min() + "," + (group.max() == Integer.MAX_VALUE ? "" : group.max()) + "}")
            .append(group.optional() ? "?" : "");
      }
      text.append(' ');
    }
    return text.append(within == null ? "" : "within " + text(within)).toString().trim();
  }

  /** A duration as the spec writes it: 5m, 90s, 250ms, 2h, 1d. */
  static String text(Duration duration) {
    long millis = duration.getMillis();
    long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
    String[] names = {"d", "h", "m", "s"};
    for (int i = 0; i < units.length; i++) {
      if (millis % units[i] == 0) {
        return millis / units[i] + names[i];
      }
    }
    return millis + "ms";
  }
}
