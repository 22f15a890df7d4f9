package dev.streamtemplates.transforms.core;

import java.time.LocalDateTime;
import java.time.OffsetDateTime;
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
