package dev.streamtemplates.transforms.core;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Random;
import org.junit.Test;

/**
 * The hand-written reading of canonical times must agree with {@code OffsetDateTime.parse}, the
 * reading it stands in for: on random valid times of every shape (fractions of 1 to 9 digits,
 * Z and offsets, years 0 to 9999, leap days) and on broken ones (dates that do not exist, hours
 * 24, lower-case letters, no seconds, no offset, offsets of 18 hours or with seconds, stray
 * characters), the fast reading gives the same millis or leaves the text to {@code
 * OffsetDateTime}, and never accepts what it refuses.
 */
public class InstantsTest {
  @Test
  public void canonicalAgreesWithOffsetDateTime() {
    Random random = new Random(17);
    int read = 0;
    for (int i = 0; i < 200_000; i++) {
      String text = time(random);
      if (random.nextInt(4) == 0) {
        text = broken(random, text);
      }
      Long expected;
      try {
        expected = OffsetDateTime.parse(text).toInstant().toEpochMilli();
      } catch (DateTimeParseException e) {
        expected = null;
      }
      long fast = Instants.canonical(text);
      if (fast != Long.MIN_VALUE) {
        read++;
        assertThat(text, (Long) fast, equalTo(expected));
      }
      if (expected != null) {
        assertThat(text, Instants.parseEpochMillis(text), equalTo((long) expected));
      }
    }
    assertThat(read, greaterThan(100_000));
  }

  private static String two(int value) {
    return value < 10 ? "0" + value : Integer.toString(value);
  }

  private static String time(Random random) {
    int year = random.nextInt(10) == 0 ? random.nextInt(10_000) : 1960 + random.nextInt(100);
    StringBuilder text = new StringBuilder(String.format("%04d", year)).append('-').append(two(1 + random.nextInt(12)))
        .append('-').append(two(1 + random.nextInt(random.nextInt(5) == 0 ? 31 : 28)))
        .append('T').append(two(random.nextInt(24))).append(':').append(two(random.nextInt(60))).append(':')
        .append(two(random.nextInt(60)));
    if (random.nextBoolean()) {
      text.append('.');
      for (int d = 1 + random.nextInt(9); d > 0; d--) {
        text.append(random.nextInt(10));
      }
    }
    if (random.nextBoolean()) {
      text.append('Z');
    } else {
      text.append(random.nextBoolean() ? '+' : '-').append(two(random.nextInt(random.nextInt(5) == 0 ? 20 : 15)))
          .append(':').append(two(random.nextInt(random.nextInt(5) == 0 ? 70 : 60)));
    }
    return text.toString();
  }

  private static final String[] STRAY = {"t", "z", "x", " ", "-", ":", ".", "+", "0", "9", "/", "T", "Z"};

  private static String broken(Random random, String text) {
    StringBuilder b = new StringBuilder(text);
    switch (random.nextInt(6)) {
      case 0 -> b.setCharAt(random.nextInt(b.length()), STRAY[random.nextInt(STRAY.length)].charAt(0));
      case 1 -> b.deleteCharAt(random.nextInt(b.length()));
      case 2 -> b.insert(random.nextInt(b.length() + 1), STRAY[random.nextInt(STRAY.length)]);
      case 3 -> b.replace(11, 13, "24");
      case 4 -> b.replace(8, 10, random.nextBoolean() ? "29" : "31").replace(5, 7, random.nextBoolean() ? "02" : "04");
      default -> {
        int offset = b.length() - (text.endsWith("Z") ? 1 : 6);
        b.replace(offset, b.length(), random.nextBoolean() ? "+18:00" : random.nextBoolean() ? "+01:00:30" : "");
      }
    }
    return b.toString();
  }
}
