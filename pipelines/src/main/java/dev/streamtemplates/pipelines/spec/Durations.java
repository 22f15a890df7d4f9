package dev.streamtemplates.pipelines.spec;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.joda.time.Duration;

/** Parses spec durations such as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, {@code -5s}. */
public final class Durations {
  private static final Pattern DURATION = Pattern.compile("(-?\\d+)(ms|s|m|h|d)");

  private Durations() {}

  /**
   * The longest duration a spec may give: 100 years. Longer ones mean nothing for a window, a
   * lateness or a pattern, and past about 292 million years they do not fit in milliseconds.
   */
  public static final Duration LONGEST = Duration.standardDays(36_525);

  /** What is wrong with {@code text} as a duration, or null if nothing. */
  public static String problem(String text) {
    Matcher m = text == null ? null : DURATION.matcher(text.trim());
    if (m == null || !m.matches()) {
      return "'" + text + "' is not a duration; write e.g. 500ms, 30s, 5m, 2h or 1d";
    }
    long millis;
    try {
      long n = Long.parseLong(m.group(1));
      long unit = switch (m.group(2)) {
        case "ms" -> 1L;
        case "s" -> 1_000L;
        case "m" -> 60_000L;
        case "h" -> 3_600_000L;
        default -> 86_400_000L;
      };
      millis = Math.multiplyExact(n, unit);
    } catch (NumberFormatException | ArithmeticException e) {
      millis = Long.MAX_VALUE;
    }
    return Math.abs(millis) > LONGEST.getMillis() ? "'" + text + "' is longer than the longest duration allowed, 36525d (100 years)" : null;
  }

  public static Duration parse(String text, String path) {
    String problem = problem(text);
    if (problem != null) {
      throw new IllegalArgumentException(path + ": " + problem);
    }
    Matcher m = DURATION.matcher(text.trim());
    m.matches();
    long n = Long.parseLong(m.group(1));
    switch (m.group(2)) {
      case "ms":
        return Duration.millis(n);
      case "s":
        return Duration.standardSeconds(n);
      case "m":
        return Duration.standardMinutes(n);
      case "h":
        return Duration.standardHours(n);
      default:
        return Duration.standardDays(n);
    }
  }
}
