package dev.streamtemplates.transforms.core;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;

/** Instants written as text, as every format and event-time source reads them. */
public final class Instants {
  private static final int SHOWN = 60;

  private Instants() {}

  /**
   * Epoch milliseconds of an ISO-8601 instant with offset ({@code 2024-05-01T10:00:00Z}, {@code
   * 2024-05-01T12:00:00+02:00}) or of a whole number of epoch milliseconds.
   *
   * @throws IllegalArgumentException for anything else
   */
  public static long parseEpochMillis(String value) {
    String text = value.trim();
    if (!text.isEmpty() && (Character.isDigit(text.charAt(0)) || text.charAt(0) == '-') && text.chars().skip(1).allMatch(Character::isDigit)) {
      return Long.parseLong(text);
    }
    long fast = canonical(text);
    if (fast != NOT_CANONICAL) {
      return fast;
    }
    try {
      return OffsetDateTime.parse(text).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      if (isLocalDateTime(text)) {
        throw new NoOffsetException(text);
      }
      throw new IllegalArgumentException(
          "'" + abbreviate(text) + "' is not an ISO-8601 time with offset (2024-05-01T10:00:00Z) or epoch milliseconds");
    }
  }

  private static final long NOT_CANONICAL = Long.MIN_VALUE;

  /**
   * The epoch millis of {@code yyyy-MM-ddTHH:mm:ss[.fraction](Z|+HH:MM|-HH:MM)}, the form nearly
   * every record holds, read digit by digit; {@link #NOT_CANONICAL} for any other text (lower-case
   * {@code t} or {@code z}, no seconds, offsets of 18 hours or with seconds, a date that does not
   * exist...), which {@code OffsetDateTime.parse} then reads or refuses. Written by hand because
   * that parse (a {@code DateTimeFormatter} filling a map of fields) was 9% of a JSON-to-Avro job's
   * samples; {@code InstantsTest} checks both agree on random and malformed times.
   */
  static long canonical(String t) {
    int n = t.length();
    if (n < 20 || t.charAt(4) != '-' || t.charAt(7) != '-' || t.charAt(10) != 'T' || t.charAt(13) != ':' || t.charAt(16) != ':') {
      return NOT_CANONICAL;
    }
    int year = digits(t, 0, 4);
    int month = digits(t, 5, 2);
    int day = digits(t, 8, 2);
    int hour = digits(t, 11, 2);
    int minute = digits(t, 14, 2);
    int second = digits(t, 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59
        || day > YearMonth.of(year, month).lengthOfMonth()) {
      return NOT_CANONICAL;
    }
    int i = 19;
    int millis = 0;
    if (t.charAt(i) == '.') {
      int start = ++i;
      while (i < n && t.charAt(i) >= '0' && t.charAt(i) <= '9') {
        if (i - start < 3) {
          millis = millis * 10 + (t.charAt(i) - '0');
        }
        i++;
      }
      int length = i - start;
      if (length == 0 || length > 9) {
        return NOT_CANONICAL;
      }
      for (int k = length; k < 3; k++) {
        millis *= 10;
      }
    }
    int offsetSeconds;
    if (i == n - 1 && t.charAt(i) == 'Z') {
      offsetSeconds = 0;
    } else if (i == n - 6 && (t.charAt(i) == '+' || t.charAt(i) == '-') && t.charAt(i + 3) == ':') {
      int offsetHours = digits(t, i + 1, 2);
      int offsetMinutes = digits(t, i + 4, 2);
      if (offsetHours < 0 || offsetHours > 17 || offsetMinutes < 0 || offsetMinutes > 59) {
        return NOT_CANONICAL;
      }
      offsetSeconds = (t.charAt(i) == '+' ? 1 : -1) * (offsetHours * 3600 + offsetMinutes * 60);
    } else {
      return NOT_CANONICAL;
    }
    long days = LocalDate.of(year, month, day).toEpochDay();
    long seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds;
    return seconds * 1000 + millis;
  }

  /** The number written with {@code count} ASCII digits from {@code from}, or -1. */
  private static int digits(String t, int from, int count) {
    int value = 0;
    for (int i = from; i < from + count; i++) {
      char c = t.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static boolean isLocalDateTime(String text) {
    try {
      LocalDateTime.parse(text);
      return true;
    } catch (DateTimeParseException e) {
      return false;
    }
  }

  /**
   * A date and time without a UTC offset ({@code 2024-05-01T10:00:00}). It is refused rather than
   * read as UTC: the writer's zone is unknown, and guessing would shift the instant silently.
   */
  public static final class NoOffsetException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    NoOffsetException(String text) {
      super("'" + abbreviate(text) + "' has no UTC offset; write e.g. " + abbreviate(text) + "Z");
    }
  }

  private static String abbreviate(String value) {
    return value.length() <= SHOWN ? value : value.substring(0, SHOWN - 3) + "...";
  }
}
