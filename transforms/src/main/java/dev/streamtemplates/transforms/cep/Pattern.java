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
 * A looping stage's condition also sees its own events taken so far, as a list. Quantifier methods
 * ({@link #times}, {@link #oneOrMore}, {@link #optional}, ...) and {@link #where} apply to the most
 * recently added stage. Checks that need the whole pattern (a pattern that ends in a negation
 * without {@code within}, a skip to an unknown stage, ...) run in {@link #validate()}, which the
 * compiler calls; every message names the stage.
 */
public final class Pattern implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Names a stage cannot take: they are CEL variables or fields of the match row. */
  public static final Set<String> RESERVED_NAMES = Set.of("event", "prev", "key", "pattern", "firstAt", "lastAt", "timedOutAt");

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

  /** One stage. {@code max} is {@link Integer#MAX_VALUE} for an unbounded loop. */
  public record Stage(String name, Kind kind, Contiguity contiguity, String condition, int min, int max, boolean optional,
      boolean greedy, Contiguity inner, @Nullable String until) implements Serializable {

    /** Whether the stage may take more than one event. */
    public boolean looping() {
      return max > 1;
    }

    Stage withCondition(String text) {
      return new Stage(name, kind, contiguity, text, min, max, optional, greedy, inner, until);
    }

    Stage withTimes(int newMin, int newMax) {
      return new Stage(name, kind, contiguity, condition, newMin, newMax, optional, greedy, inner, until);
    }

    Stage withOptional() {
      return new Stage(name, kind, contiguity, condition, min, max, true, greedy, inner, until);
    }

    Stage withGreedy() {
      return new Stage(name, kind, contiguity, condition, min, max, optional, true, inner, until);
    }

    Stage withInner(Contiguity newInner) {
      return new Stage(name, kind, contiguity, condition, min, max, optional, greedy, newInner, until);
    }

    Stage withUntil(String text) {
      return new Stage(name, kind, contiguity, condition, min, max, optional, greedy, inner, text);
    }

    /** How the stage reads in the fluent API, for messages. */
    String describe() {
      return "stage '" + name + "'";
    }
  }

  private final String name;
  private final List<Stage> stages;
  private final @Nullable Duration within;
  private final SkipStrategy skip;

  private Pattern(String name, List<Stage> stages, @Nullable Duration within, SkipStrategy skip) {
    this.name = name;
    this.stages = List.copyOf(stages);
    this.within = within;
    this.skip = skip;
  }

  /** Starts a pattern with its first stage. */
  public static Pattern begin(String stage) {
    return new Pattern("pattern", List.of(), null, SkipStrategy.noSkip()).add(stage, Kind.POSITIVE, Contiguity.STRICT);
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
    Stage stage = quantifiable("times");
    if (min < 1 || max < min) {
      throw new IllegalArgumentException(stage.describe() + ": times(min, max) needs 1 <= min <= max, got min=" + min + " max=" + max);
    }
    return replaceLast(stage.withTimes(min, max));
  }

  /** The most recent stage takes one or more events. */
  @CheckReturnValue
  public Pattern oneOrMore() {
    return timesOrMore(1);
  }

  /** The most recent stage takes {@code n} or more events. */
  @CheckReturnValue
  public Pattern timesOrMore(int n) {
    Stage stage = quantifiable("timesOrMore");
    if (n < 1) {
      throw new IllegalArgumentException(stage.describe() + ": timesOrMore(n) needs n >= 1, got n=" + n);
    }
    return replaceLast(stage.withTimes(n, Integer.MAX_VALUE));
  }

  /** The most recent stage may take no event at all. */
  @CheckReturnValue
  public Pattern optional() {
    Stage stage = quantifiable("optional");
    return replaceLast(stage.withOptional());
  }

  /** The most recent (looping) stage takes as many events as it can, rather than letting the next stage start. */
  @CheckReturnValue
  public Pattern greedy() {
    Stage stage = quantifiable("greedy");
    requireLooping(stage, "greedy()");
    return replaceLast(stage.withGreedy());
  }

  /** The most recent (looping) stage takes only consecutive events: strict contiguity inside the loop. */
  @CheckReturnValue
  public Pattern consecutive() {
    Stage stage = quantifiable("consecutive");
    requireLooping(stage, "consecutive()");
    return replaceLast(stage.withInner(Contiguity.STRICT));
  }

  /** The most recent (looping) stage may skip matching events too: non-deterministic relaxed contiguity inside the loop. */
  @CheckReturnValue
  public Pattern allowCombinations() {
    Stage stage = quantifiable("allowCombinations");
    requireLooping(stage, "allowCombinations()");
    return replaceLast(stage.withInner(Contiguity.NON_DETERMINISTIC));
  }

  /** The most recent (looping) stage stops taking events at the first event that matches {@code condition}; that event is not taken. */
  @CheckReturnValue
  public Pattern until(String condition) {
    Stage stage = quantifiable("until");
    if (stage.max() != Integer.MAX_VALUE) {
      throw new IllegalArgumentException(stage.describe() + ": until(...) applies to oneOrMore() or timesOrMore(n), call one of them first");
    }
    if (condition == null || condition.isBlank()) {
      throw new IllegalArgumentException(stage.describe() + ": until(...) needs a CEL condition, got '" + condition + "'");
    }
    return replaceLast(stage.withUntil(condition));
  }

  /** The whole match must fit in this time: last event time - first event time < {@code window}. */
  @CheckReturnValue
  public Pattern within(Duration window) {
    if (window == null || window.getMillis() <= 0) {
      throw new IllegalArgumentException("within must be > 0, got within=" + window);
    }
    return new Pattern(name, stages, window, skip);
  }

  /** What happens to other partial matches when a match is emitted; {@link SkipStrategy#noSkip()} by default. */
  @CheckReturnValue
  public Pattern skip(SkipStrategy strategy) {
    return new Pattern(name, stages, within, Objects.requireNonNull(strategy, "skip strategy"));
  }

  /** The pattern's name, written to each match; {@code "pattern"} by default. */
  @CheckReturnValue
  public Pattern named(String patternName) {
    if (patternName == null || patternName.isBlank()) {
      throw new IllegalArgumentException("pattern name must be non-empty, got '" + patternName + "'");
    }
    return new Pattern(patternName, stages, within, skip);
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
    Stage last = stages.get(stages.size() - 1);
    if (last.kind() == Kind.NOT_NEXT) {
      errors.add(last.describe() + ": a pattern cannot end in notNext(); for absence at the end use notFollowedBy(...) with within(...)");
    }
    if (last.kind() == Kind.NOT_FOLLOWED_BY && within == null) {
      errors.add(last.describe() + ": a pattern can end in notFollowedBy() only with within(...), which says how long the absence must last");
    }
    List<Stage> positive = stages.stream().filter(s -> s.kind() == Kind.POSITIVE).toList();
    if (positive.stream().allMatch(Stage::optional)) {
      errors.add("every stage of pattern '" + name + "' is optional, so it would match nothing; make one stage required");
    }
    Stage lastPositive = positive.get(positive.size() - 1);
    if (lastPositive.greedy() && lastPositive == last) {
      errors.add(lastPositive.describe() + ": greedy() needs a later stage to compete with; it has no effect on the last stage");
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

  private Pattern add(String stage, Kind kind, Contiguity contiguity) {
    if (stage == null || !stage.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("stage name must be an identifier (letters, digits, _), got '" + stage + "'");
    }
    if (RESERVED_NAMES.contains(stage)) {
      throw new IllegalArgumentException("stage name '" + stage + "' is reserved; reserved names are " + RESERVED_NAMES);
    }
    if (stages.stream().anyMatch(s -> s.name().equals(stage))) {
      throw new IllegalArgumentException("stage name '" + stage + "' is used twice in pattern '" + name + "'");
    }
    List<Stage> next = new ArrayList<>(stages);
    next.add(new Stage(stage, kind, contiguity, "true", 1, 1, false, false, Contiguity.RELAXED, null));
    return new Pattern(name, next, within, skip);
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
    return new Pattern(name, next, within, skip);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Pattern p && p.name.equals(name) && p.stages.equals(stages) && Objects.equals(p.within, within) && p.skip.equals(skip);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, stages, within, skip);
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder(name).append(": ");
    for (Stage stage : stages) {
      text.append(stage.kind() == Kind.POSITIVE ? "" : "!").append(stage.name())
          .append(stage.min() == 1 && stage.max() == 1 ? "" : "{" + stage.min() + "," + (stage.max() == Integer.MAX_VALUE ? "" : stage.max()) + "}")
          .append(stage.optional() ? "?" : "").append(' ');
    }
    return text.append(within == null ? "" : "within " + within).toString().trim();
  }
}
