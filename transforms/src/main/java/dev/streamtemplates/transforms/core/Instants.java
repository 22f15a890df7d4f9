package dev.streamtemplates.transforms.core;

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
      throw new IllegalArgumentException(
          "'" + abbreviate(text) + "' is not an ISO-8601 time with offset (2024-05-01T10:00:00Z) or epoch milliseconds");
    }
  }

  private static String abbreviate(String value) {
    return value.length() <= SHOWN ? value : value.substring(0, SHOWN - 3) + "...";
  }
}
