package dev.streamtemplates.pipelines.spec;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;

/**
 * Parses spec durations in either of two forms: the short one, {@code 250ms}, {@code 30s},
 * {@code 5m}, {@code 2h}, {@code 1d}, {@code -5s}; or ISO-8601 as {@code java.time.Duration.parse}
 * reads it, {@code PT5M}, {@code PT0.25S}, {@code PT1H30M}, {@code P1D}, {@code -PT5S} (days at
 * most: a month or a year has no fixed length). Both are bounded by {@link #LONGEST} and are whole
 * milliseconds.
 *
 * <p>Every duration of a spec or option is checked here, so that a refused one reads the same
 * wherever it is written: the JSON Schemas mark duration properties with {@code "format":
 * "duration"} (or {@code "signed-duration"} where a negative one is allowed), {@link JsonSchemas}
 * runs {@link #problem} for that format, and a parameter of {@code type: duration} is checked by
 * {@link ParameterSpec} with it too.
 */
public final class Durations {
  private static final Pattern SHORT = Pattern.compile("(-?\\d+)(ms|s|m|h|d)");

  /** What a refused duration is told to look like. */
  public static final String EXAMPLES = "5m, 90s, 250ms, 2h, 1d or ISO-8601 PT5M";

  private Durations() {}

  /**
   * The longest duration a spec may give: 100 years. Longer ones mean nothing for a window, a
   * lateness or a pattern, and past about 292 million years they do not fit in milliseconds.
   */
  public static final Duration LONGEST = Duration.standardDays(36_525);

  /** What is wrong with {@code text} as a duration (negative ones allowed), or null if nothing. */
  public static @Nullable String problem(@Nullable String text) {
    return problem(text, true);
  }

  /**
   * What is wrong with {@code text} as a duration, or null if nothing: one phrase that starts
   * with the value in quotes, e.g. {@code '5 minutes' is not a duration; write e.g. 5m, ...}.
   */
  public static @Nullable String problem(@Nullable String text, boolean negativeAllowed) {
    String reason = reason(text, negativeAllowed);
    return reason == null ? null : "'" + text + "' " + reason;
  }

  /** {@link #problem} without the value: {@code is not a duration; write e.g. ...}, or null. */
  public static @Nullable String reason(@Nullable String text, boolean negativeAllowed) {
    long millis;
    try {
      millis = millis(text);
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    return millis < 0 && !negativeAllowed ? "is negative; a duration here is zero or more, e.g. " + EXAMPLES : null;
  }

  public static Duration parse(String text, String path) {
    try {
      return Duration.millis(millis(text));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(path + ": '" + text + "' " + e.getMessage());
    }
  }

  /** The length of {@code text} in milliseconds; an exception saying what is wrong, after the quoted value. */
  private static long millis(@Nullable String text) {
    String trimmed = text == null ? "" : text.trim();
    Matcher m = SHORT.matcher(trimmed);
    long millis;
    if (m.matches()) {
      long unit = switch (m.group(2)) {
        case "ms" -> 1L;
        case "s" -> 1_000L;
        case "m" -> 60_000L;
        case "h" -> 3_600_000L;
        default -> 86_400_000L;
      };
      try {
        millis = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
      } catch (NumberFormatException | ArithmeticException e) {
        millis = Long.MAX_VALUE;
      }
    } else if (trimmed.matches("[-+]?[Pp].*")) {
      java.time.Duration iso;
      try {
        iso = java.time.Duration.parse(trimmed);
      } catch (java.time.format.DateTimeParseException e) {
        // Java reports a number too large for a long, or for its seconds, as a parse error with that cause.
        if (!(e.getCause() instanceof ArithmeticException || e.getCause() instanceof NumberFormatException)) {
          throw new IllegalArgumentException("is not a duration; write e.g. " + EXAMPLES);
        }
        iso = null;
      }
      if (iso != null && iso.getNano() % 1_000_000 != 0) {
        throw new IllegalArgumentException("is finer than a millisecond, the finest duration a spec may give");
      }
      try {
        millis = iso == null ? Long.MAX_VALUE : iso.toMillis();
      } catch (ArithmeticException e) {
        millis = Long.MAX_VALUE;
      }
    } else {
      throw new IllegalArgumentException("is not a duration; write e.g. " + EXAMPLES);
    }
    if (Math.abs(millis) > LONGEST.getMillis() || millis == Long.MIN_VALUE) {
      throw new IllegalArgumentException("is longer than the longest duration allowed, 36525d (100 years)");
    }
    return millis;
  }
}
