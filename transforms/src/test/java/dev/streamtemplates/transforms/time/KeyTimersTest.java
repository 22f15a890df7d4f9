package dev.streamtemplates.transforms.time;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Test;

/** Every stateful DoFn of ours keys its timers' ids ({@link KeyTimers}); ids differ per key and stay put. */
public class KeyTimersTest {
  @Test
  public void noDoFnDeclaresAPlainTimerAndTheFamiliesAreFound() throws IOException, URISyntaxException, ClassNotFoundException {
    Path classes = Path.of(KeyTimers.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> plain = new ArrayList<>();
    int families = 0;
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
        String name = classes.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
        Class<?> type = Class.forName(name, false, KeyTimers.class.getClassLoader());
        if (!DoFn.class.isAssignableFrom(type) || Modifier.isAbstract(type.getModifiers())) {
          continue;
        }
        @SuppressWarnings("unchecked")
        DoFnSignature signature = DoFnSignatures.getSignature((Class<? extends DoFn<?, ?>>) type);
        if (!signature.timerDeclarations().isEmpty()) {
          plain.add(name + " " + signature.timerDeclarations().keySet());
        }
        families += signature.timerFamilyDeclarations().size();
      }
    }
    assertThat("DoFns with @TimerId timers (use KeyTimers: a timer family with the key in the id)", plain, empty());
    // 14 families in 12 DoFns when this was written: the scan must be seeing them.
    assertThat(families, greaterThan(10));
  }

  @Test
  public void idsDifferPerKeyAndAreTheSameEveryTime() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      ids.add(KeyTimers.id("card-" + i));
    }
    assertEquals(100_000, ids.size());
    assertEquals(KeyTimers.id("u01"), KeyTimers.id(new StringBuilder("u0").append(1)));
    assertNotEquals(KeyTimers.id(""), KeyTimers.id("\0"));
    // FNV-1a 64 of "a", as published with the algorithm.
    assertEquals("af63dc4c8601ec8c", KeyTimers.id("a"));
  }

  /** A step takes its key's timer for every event; the id is hashed only when the timer is used, once. */
  @Test
  public void theKeysTimerIsLookedUpOnFirstUseOnly() {
    List<String> lookups = new ArrayList<>();
    List<String> calls = new ArrayList<>();
    TimerMap family = new TimerMap() {
      @Override
      public void set(String timerId, Instant absoluteTime) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Timer get(String timerId) {
        lookups.add(timerId);
        return new Timer() {
          @Override
          public void set(Instant time) {
            calls.add(timerId + " set " + time.getMillis());
          }

          @Override
          public void setRelative() {
            calls.add(timerId + " setRelative");
          }

          @Override
          public void clear() {
            calls.add(timerId + " clear");
          }

          @Override
          public Timer offset(Duration offset) {
            return this;
          }

          @Override
          public Timer align(Duration period) {
            return this;
          }

          @Override
          public Timer withOutputTimestamp(Instant outputTime) {
            calls.add(timerId + " output " + outputTime.getMillis());
            return this;
          }

          @Override
          public Timer withNoOutputTimestamp() {
            return this;
          }

          @Override
          public Instant getCurrentRelativeTime() {
            return new Instant(0);
          }
        };
      }
    };
    KeyTimers.of(family, "a");
    assertEquals(List.of(), lookups);
    Timer timer = KeyTimers.of(family, "a");
    timer.withOutputTimestamp(new Instant(5)).set(new Instant(10));
    timer.set(new Instant(20));
    timer.clear();
    assertEquals(List.of("af63dc4c8601ec8c"), lookups);
    assertEquals(List.of("af63dc4c8601ec8c output 5", "af63dc4c8601ec8c set 10", "af63dc4c8601ec8c set 20", "af63dc4c8601ec8c clear"), calls);
  }
}
