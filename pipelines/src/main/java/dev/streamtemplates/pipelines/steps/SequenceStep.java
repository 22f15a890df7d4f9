package dev.streamtemplates.pipelines.steps;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.streamtemplates.transforms.cep.Pattern;
import dev.streamtemplates.transforms.cep.Sequence;
import dev.streamtemplates.transforms.cep.SkipStrategy;
import java.util.List;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * {@code type: Sequence}: temporal sequence detection (CEP) per key, in event time.
 *
 * <pre>{@code
 * - name: fraud
 *   type: Sequence
 *   input: transactions
 *   key: card
 *   within: 3h                       # the whole match must fit in it; needed unless every partial match ends by itself
 *   skip: skipPastLastEvent          # noSkip (default) | skipToNext | skipPastLastEvent | skipToFirst(s) | skipToLast(s)
 *   mode: auto                       # auto (default) | timers | windows (timer-free, for Spark streaming)
 *   stages:
 *     - name: us
 *       where: "event.country == 'US'"
 *     - name: abroad
 *       after: followedBy            # next | followedBy (default) | followedByAny | notNext | notFollowedBy
 *       where: "event.country != 'US' && event.amount > us.amount"
 *       # times: 3 | times: {min: 2, max: 4} | oneOrMore: true | timesOrMore: 2
 *       # optional, greedy, consecutive, allowCombinations: true; until: "<cel>"
 *       # withinPrevious: 30s             each event less than 30 s after the match's previous one
 *     # - name: quiet                    an absence with its own duration; first stage: a leading absence
 *     #   after: notFollowedBy
 *     #   for: 5m
 *     #   repeat: true                   at the end: again for every further 5 minutes of silence
 *     # - name: retries                  a group: its stages repeat together, (fail retry)+
 *     #   group: [{name: fail, where: ...}, {name: retry, after: next, where: ...}]
 *     #   oneOrMore: true                times, timesOrMore, optional, consecutive, allowCombinations apply to the group
 *   emit:                            # optional projection; else one field per stage
 *     card: "key"
 *     amountAbroad: "abroad.amount"
 * }</pre>
 *
 * <p>Outputs: the matches; {@code <name>.timedOut}, the partial matches whose time bound passed.
 * Late events (behind the time the key was already matched up to) and failed conditions go to
 * the dead-letter output with the reason.
 */
public final class SequenceStep extends StepType<SequenceStep.Config> {
  /** The spec of a Sequence step. */
  public record Config(
      @Nullable String key,
      @Nullable Duration within,
      @Nullable String skip,
      Sequence.@Nullable Mode mode,
      @Nullable String pattern,
      @Nullable Map<String, String> emit,
      List<Stage> stages) {
    public Config {
      skip = skip == null ? "noSkip" : skip;
      mode = mode == null ? Sequence.Mode.AUTO : mode;
      emit = emit == null ? Map.of() : new java.util.LinkedHashMap<>(emit);
      stages = List.copyOf(stages);
    }
  }

  /** How a stage follows the one before it (Flink CEP's contiguity). */
  public enum After {
    @JsonProperty("next") NEXT,
    @JsonProperty("followedBy") FOLLOWED_BY,
    @JsonProperty("followedByAny") FOLLOWED_BY_ANY,
    @JsonProperty("notNext") NOT_NEXT,
    @JsonProperty("notFollowedBy") NOT_FOLLOWED_BY
  }

  /** One stage of the pattern. */
  public record Stage(
      String name,
      @Nullable After after,
      @Nullable String where,
      @Nullable Times times,
      @Nullable Boolean oneOrMore,
      @Nullable Integer timesOrMore,
      @Nullable Boolean optional,
      @Nullable Boolean greedy,
      @Nullable Boolean consecutive,
      @Nullable Boolean allowCombinations,
      @Nullable String until,
      @JsonProperty("for") @Nullable Duration lasting,
      @Nullable Boolean repeat,
      @Nullable Duration withinPrevious,
      @Nullable List<Stage> group) {}

  /** {@code times: 3} or {@code times: {min: 2, max: 4}}. */
  public record Times(int min, int max) {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Times of(JsonNode node) {
      return node.isObject() ? new Times(node.path("min").asInt(), node.path("max").asInt()) : new Times(node.asInt(), node.asInt());
    }
  }

  public SequenceStep() {
    super("Sequence", "Detect a temporal sequence of events per key (CEP): stages, contiguity, loops, absence, within a time bound.", Config.class);
  }

  @Override
  public List<String> outputNames(StepContext<Config> step) {
    return List.of(Sequence.TIMED_OUT);
  }

  @Override
  public boolean treatsEachRecordAsAnEvent(StepContext<Config> step) {
    return true;
  }

  @Override
  public StepResult apply(StepContext<Config> step) {
    try {
      return detect(step);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(inSpecWords(e.getMessage()), e);
    }
  }

  /**
   * The pattern API's words in a message turned into the spec's keys: a spec author writes
   * {@code oneOrMore: true} and {@code for: 5m}, not {@code oneOrMore()} and {@code lasting(...)}.
   * The transforms speak their Java API to Java users; this is the spec's side.
   */
  static String inSpecWords(String message) {
    String text = message;
    for (String[] words : SPEC_WORDS) {
      text = text.replace(words[0], words[1]);
    }
    return text;
  }

  /** Pattern API words and their spec keys, longest phrases first. */
  private static final String[][] SPEC_WORDS = {
      {"call notFollowedBy(...).lasting(...) first", "use after: notFollowedBy with for: <duration>"},
      {"call oneOrMore(), times(n) or timesOrMore(n) first", "add oneOrMore: true, times: n or timesOrMore: n"},
      {"oneOrMore() or timesOrMore(n), call one of them first", "oneOrMore: true or timesOrMore: n; add one of them"},
      {"notFollowedBy(...) with lasting(...)", "after: notFollowedBy with for: <duration>"},
      {"notFollowedBy (or beginAbsence)", "after: notFollowedBy"},
      {"e.g. followedBy(...)", "e.g. a stage with after: followedBy"},
      {"notFollowedBy()", "after: notFollowedBy"},
      {"notNext()", "after: notNext"},
      {"oneOrMore()", "oneOrMore: true"},
      {"timesOrMore(n)", "timesOrMore: n"},
      {"times(n)", "times: n"},
      {"consecutive()", "consecutive: true"},
      {"allowCombinations()", "allowCombinations: true"},
      {"greedy()", "greedy: true"},
      {"optional()", "optional: true"},
      {"repeating()", "repeat: true"},
      {"withinPrevious(...)", "withinPrevious: <duration>"},
      {"within(...)", "within: <duration>"},
      {"lasting(...)", "for: <duration>"},
      {"until(...)", "until"},
      {"where(...)", "where"},
  };

  private StepResult detect(StepContext<Config> step) {
    Config config = step.config();
    Sequence sequence = Sequence.detect(pattern(step))
        .withEmit(config.emit())
        .withMode(config.mode())
        .named(step.name())
        .withOrigin(step.path());
    if (config.key() != null) {
      sequence = sequence.perKey(config.key());
    }
    return StepResult.of(step.input().apply(step.name(), sequence));
  }

  /** The pattern of a spec; every error names the spec path of the stage. */
  static Pattern pattern(StepContext<Config> step) {
    Config config = step.config();
    Pattern pattern = null;
    for (int i = 0; i < config.stages().size(); i++) {
      try {
        pattern = stage(pattern, config.stages().get(i));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(step.childPath("stages") + "[" + i + "]: " + e.getMessage(), e);
      }
    }
    try {
      if (config.within() != null) {
        pattern = pattern.within(config.within());
      }
      pattern = pattern
          .skip(SkipStrategy.parse(config.skip()))
          .named(config.pattern() == null ? step.name() : config.pattern());
      return pattern.validate();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage().startsWith(step.path()) ? e.getMessage() : step.path() + ": " + e.getMessage(), e);
    }
  }

  private static Pattern stage(Pattern pattern, Stage stage) {
    String name = stage.name();
    if (stage.group() != null) {
      return quantify(group(pattern, stage), stage);
    }
    if (pattern == null) {
      if (stage.after() == After.NOT_FOLLOWED_BY && stage.lasting() != null) {
        pattern = Pattern.beginAbsence(name);
      } else if (stage.after() != null) {
        throw new IllegalArgumentException("the first stage cannot have 'after' (there is nothing before it), got after: "
            + afterName(stage.after()) + "; only a leading absence can, with after: notFollowedBy and for: <duration>");
      } else {
        pattern = Pattern.begin(name);
      }
    } else {
      switch (stage.after() == null ? After.FOLLOWED_BY : stage.after()) {
        case NEXT:
          pattern = pattern.next(name);
          break;
        case FOLLOWED_BY_ANY:
          pattern = pattern.followedByAny(name);
          break;
        case NOT_NEXT:
          pattern = pattern.notNext(name);
          break;
        case NOT_FOLLOWED_BY:
          pattern = pattern.notFollowedBy(name);
          break;
        default:
          pattern = pattern.followedBy(name);
      }
    }
    if (stage.where() != null) {
      pattern = pattern.where(stage.where());
    }
    return quantify(pattern, stage);
  }

  /** Adds a group stage: its stages make a pattern of their own, added as a group. */
  private static Pattern group(@Nullable Pattern pattern, Stage stage) {
    if (stage.where() != null) {
      throw new IllegalArgumentException("a group has no where of its own; put the conditions on the stages in group:");
    }
    Pattern inner = null;
    for (int j = 0; j < stage.group().size(); j++) {
      try {
        inner = stage(inner, stage.group().get(j));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("group[" + j + "]: " + e.getMessage(), e);
      }
    }
    if (pattern == null) {
      if (stage.after() != null) {
        throw new IllegalArgumentException("the first stage cannot have 'after' (there is nothing before it), got after: " + afterName(stage.after()));
      }
      return Pattern.beginGroup(stage.name(), inner);
    }
    switch (stage.after() == null ? After.FOLLOWED_BY : stage.after()) {
      case NEXT:
        return pattern.next(stage.name(), inner);
      case FOLLOWED_BY_ANY:
        return pattern.followedByAny(stage.name(), inner);
      case NOT_NEXT:
      case NOT_FOLLOWED_BY:
        throw new IllegalArgumentException("a group cannot be a negation (after: " + afterName(stage.after())
            + "); use next, followedBy or followedByAny, and negate single stages");
      default:
        return pattern.followedBy(stage.name(), inner);
    }
  }

  /** The quantifiers and other keys of a stage (or group), in the order the fluent API takes them. */
  private static Pattern quantify(Pattern pattern, Stage stage) {
    if (stage.times() != null) {
      pattern = stage.times().min() == stage.times().max() ? pattern.times(stage.times().min())
          : pattern.times(stage.times().min(), stage.times().max());
    }
    if (Boolean.TRUE.equals(stage.oneOrMore())) {
      pattern = pattern.oneOrMore();
    }
    if (stage.timesOrMore() != null) {
      pattern = pattern.timesOrMore(stage.timesOrMore());
    }
    if (Boolean.TRUE.equals(stage.optional())) {
      pattern = pattern.optional();
    }
    if (Boolean.TRUE.equals(stage.greedy())) {
      pattern = pattern.greedy();
    }
    if (Boolean.TRUE.equals(stage.consecutive())) {
      pattern = pattern.consecutive();
    }
    if (Boolean.TRUE.equals(stage.allowCombinations())) {
      pattern = pattern.allowCombinations();
    }
    if (stage.until() != null) {
      pattern = pattern.until(stage.until());
    }
    if (stage.withinPrevious() != null) {
      pattern = pattern.withinPrevious(stage.withinPrevious());
    }
    if (stage.lasting() != null) {
      pattern = pattern.lasting(stage.lasting());
    }
    if (Boolean.TRUE.equals(stage.repeat())) {
      if (stage.lasting() == null) {
        throw new IllegalArgumentException("repeat: true needs for: <duration>, the period of silence that repeats");
      }
      pattern = pattern.repeating();
    }
    return pattern;
  }

  private static String afterName(After after) {
    try {
      return After.class.getField(after.name()).getAnnotation(JsonProperty.class).value();
    } catch (NoSuchFieldException e) {
      throw new IllegalStateException(e);
    }
  }
}
