package dev.streamtemplates.pipelines.spec;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.joda.time.Duration;

/** Parses spec durations such as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 1d}, {@code -5s}. */
public final class Durations {
  private static final Pattern DURATION = Pattern.compile("(-?\\d+)(ms|s|m|h|d)");

  private Durations() {}

  /** What is wrong with {@code text} as a duration, or null if nothing. */
  public static String problem(String text) {
    return text != null && DURATION.matcher(text.trim()).matches() ? null
        : "'" + text + "' is not a duration; write e.g. 500ms, 30s, 5m, 2h or 1d";
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
