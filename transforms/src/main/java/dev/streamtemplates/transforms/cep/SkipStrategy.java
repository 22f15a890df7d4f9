package dev.streamtemplates.transforms.cep;

import java.io.Serializable;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What happens to the other partial matches of a key when a match is emitted. A partial match
 * is discarded when it started at or after the emitted match's first event and before the point
 * the strategy names; partial matches that started earlier are kept. Matches completed by the same
 * event are emitted in order of their first event (then longest first), each one pruning the next.
 */
public final class SkipStrategy implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The kinds of strategy. */
  public enum Kind {
    /** Every match is emitted. */
    NO_SKIP,
    /** Discards partial matches that started with the same event as the match. */
    SKIP_TO_NEXT,
    /** Discards partial matches that started from the match's first event up to and including its last event. */
    SKIP_PAST_LAST_EVENT,
    /** Discards partial matches that started from the match's first event up to (not including) the first event of a stage. */
    SKIP_TO_FIRST,
    /** Discards partial matches that started from the match's first event up to (not including) the last event of a stage. */
    SKIP_TO_LAST
  }

  private final Kind kind;
  private final @Nullable String stage;

  private SkipStrategy(Kind kind, @Nullable String stage) {
    this.kind = kind;
    this.stage = stage;
  }

  public static SkipStrategy noSkip() {
    return new SkipStrategy(Kind.NO_SKIP, null);
  }

  public static SkipStrategy skipToNext() {
    return new SkipStrategy(Kind.SKIP_TO_NEXT, null);
  }

  public static SkipStrategy skipPastLastEvent() {
    return new SkipStrategy(Kind.SKIP_PAST_LAST_EVENT, null);
  }

  /** Skips to the first event of {@code stage} in the match; when the stage took nothing, nothing is skipped. */
  public static SkipStrategy skipToFirst(String stage) {
    return new SkipStrategy(Kind.SKIP_TO_FIRST, requireStage(stage, "skipToFirst"));
  }

  /** Skips to the last event of {@code stage} in the match; when the stage took nothing, nothing is skipped. */
  public static SkipStrategy skipToLast(String stage) {
    return new SkipStrategy(Kind.SKIP_TO_LAST, requireStage(stage, "skipToLast"));
  }

  /**
   * Parses the spec form: {@code noSkip}, {@code skipToNext}, {@code skipPastLastEvent},
   * {@code skipToFirst(stage)} or {@code skipToLast(stage)}.
   */
  public static SkipStrategy parse(String text) {
    String value = text == null ? "" : text.trim();
    java.util.regex.Matcher call = java.util.regex.Pattern.compile("(skipToFirst|skipToLast)\\(\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)").matcher(value);
    if (call.matches()) {
      return call.group(1).equals("skipToFirst") ? skipToFirst(call.group(2)) : skipToLast(call.group(2));
    }
    switch (value) {
      case "noSkip":
        return noSkip();
      case "skipToNext":
        return skipToNext();
      case "skipPastLastEvent":
        return skipPastLastEvent();
      default:
        throw new IllegalArgumentException("skip strategy must be one of noSkip, skipToNext, skipPastLastEvent, skipToFirst(stage),"
            + " skipToLast(stage), got '" + text + "'");
    }
  }

  private static String requireStage(String stage, String method) {
    if (stage == null || stage.isBlank()) {
      throw new IllegalArgumentException(method + "(stage) needs a stage name, got '" + stage + "'");
    }
    return stage;
  }

  public Kind kind() {
    return kind;
  }

  /** The stage named by skipToFirst/skipToLast, else null. */
  public @Nullable String stage() {
    return stage;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SkipStrategy s && s.kind == kind && Objects.equals(s.stage, stage);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, stage);
  }

  @Override
  public String toString() {
    switch (kind) {
      case NO_SKIP:
        return "noSkip";
      case SKIP_TO_NEXT:
        return "skipToNext";
      case SKIP_PAST_LAST_EVENT:
        return "skipPastLastEvent";
      case SKIP_TO_FIRST:
        return "skipToFirst(" + stage + ")";
      default:
        return "skipToLast(" + stage + ")";
    }
  }
}
