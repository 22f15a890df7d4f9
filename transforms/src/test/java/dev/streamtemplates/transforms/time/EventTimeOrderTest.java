package dev.streamtemplates.transforms.time;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StateTags;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.DequeCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Instant;
import org.junit.Test;

/**
 * {@link EventTimeOrder#take} against the rule it must keep, computed here without its sorted
 * state: at each release, the events held and not yet released whose time is at or before the
 * release time, sorted stably (ties in arrival order, or by the given order), the rest left.
 * Random holds (many ties, out of order) and releases, on Beam's in-memory state.
 */
public class EventTimeOrderTest {
  private static final Schema SCHEMA = Schema.builder().addStringField("id").addInt64Field("n").build();

  @Test
  public void releasesWhatTheWatermarkPassedInOrderWithTiesInArrivalOrder() {
    for (int seed = 0; seed < 200; seed++) {
      check(seed, Comparator.comparing(TimestampedValue::getTimestamp), StringUtf8Coder.of(), new Random(seed), i -> "e" + i);
    }
  }

  @Test
  public void releasesWithTiesByContentUnderTheGivenOrder() {
    for (int seed = 0; seed < 200; seed++) {
      Random random = new Random(seed);
      check(seed, EventTimeOrder.BY_TIME_THEN_CONTENT, SchemaCoder.of(SCHEMA), random,
          i -> Row.withSchema(SCHEMA).addValues("e" + random.nextInt(5), (long) i).build());
    }
  }

  private interface Events<T> {
    T make(int i);
  }

  private static <T> void check(int seed, Comparator<TimestampedValue<T>> order, Coder<T> coder, Random random,
      Events<T> events) {
    InMemoryStateInternals<String> state = InMemoryStateInternals.forKey("k");
    BagState<TimestampedValue<T>> buffer =
        state.state(StateNamespaces.global(), StateTags.bag(EventTimeOrder.BUFFER, TimestampedValue.TimestampedValueCoder.of(coder)));
    ValueState<Deque<TimestampedValue<T>>> sorted = state.state(StateNamespaces.global(),
        StateTags.value(EventTimeOrder.SORTED, DequeCoder.of(TimestampedValue.TimestampedValueCoder.of(coder))));
    List<TimestampedValue<T>> waiting = new ArrayList<>(); // arrival order
    long now = 0;
    int made = 0;
    int released = 0;
    for (int round = 0; round < 40; round++) {
      int arrivals = random.nextInt(4) == 0 ? 0 : random.nextInt(30);
      for (int i = 0; i < arrivals; i++) {
        // Mostly ahead of the watermark, some ties, a few behind the last release (late ones a DoFn would refuse).
        TimestampedValue<T> event = TimestampedValue.of(events.make(made++), new Instant(now + random.nextInt(50) - (random.nextInt(10) == 0 ? 5 : 0)));
        buffer.add(event);
        waiting.add(event);
      }
      now += random.nextInt(4) == 0 ? 0 : random.nextInt(25);
      List<TimestampedValue<T>> expected = new ArrayList<>();
      List<TimestampedValue<T>> left = new ArrayList<>();
      for (TimestampedValue<T> event : waiting) {
        (event.getTimestamp().isAfter(new Instant(now)) ? left : expected).add(event);
      }
      expected.sort(order);
      EventTimeOrder.Released<T> result = EventTimeOrder.take(new Instant(now), buffer, sorted, order);
      assertEquals("seed " + seed + ", round " + round, expected, result.ready());
      waiting = left;
      released += expected.size();
      Instant oldest = left.stream().map(TimestampedValue::getTimestamp).min(Comparator.naturalOrder()).orElse(null);
      assertEquals("seed " + seed + ", round " + round + ": the oldest left", oldest, result.oldestLeft());
    }
    EventTimeOrder.Released<T> rest = EventTimeOrder.take(new Instant(Long.MAX_VALUE / 2), buffer, sorted, order);
    waiting.sort(order);
    assertEquals("seed " + seed + ": the rest", waiting, rest.ready());
    assertNull(rest.oldestLeft());
    assertNull("nothing left in the sorted state", sorted.read());
    assertTrue(buffer.isEmpty().read());
    assertEquals(made, released + rest.ready().size());
  }
}
