package dev.streamtemplates.transforms.cep;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.cep.Sequence.Mode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;

/** Sequence detection in a pipeline: out-of-order input, watermarks, late events, and both modes. */
public class SequenceTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final Schema TX = Schema.builder().addStringField("id").addStringField("card").addStringField("country").addDoubleField("amount").build();
  static final Instant T0 = new Instant(0);

  static TimestampedValue<Row> tx(String id, String card, String country, double amount, int minute) {
    return TimestampedValue.of(Row.withSchema(TX).addValues(id, card, country, amount).build(), T0.plus(Duration.standardMinutes(minute)));
  }

  static Pattern fraud() {
    return Pattern.begin("us").where("event.country == 'US'")
        .followedBy("abroad").where("event.country != 'US'")
        .within(Duration.standardHours(3))
        .named("card-fraud");
  }

  static Sequence detect(Pattern pattern) {
    Map<String, String> emit = new LinkedHashMap<>();
    emit.put("ids", "us.id + '>' + abroad.id");
    return Sequence.detect(pattern).perKey("card").withEmit(emit).named("fraud");
  }

  static PCollection<String> ids(Result result) {
    return result.output().apply("ids", MapElements.into(TypeDescriptors.strings()).via(row -> row.getString("key") + ":" + row.getString("ids")));
  }

  @Test
  public void outOfOrderEventsAreMatchedInEventTimeOrder() {
    // c1: US at 0, FR at 60 arrives first; c2: FR at 10 then US at 20 is not fraud (wrong order), DE at 250 is too late.
    TestStream<Row> events = TestStream.create(TX)
        .advanceWatermarkTo(T0)
        .addElements(tx("c1-fr", "c1", "FR", 5, 60), tx("c2-us", "c2", "US", 5, 20))
        .addElements(tx("c1-us", "c1", "US", 10, 0), tx("c2-fr", "c2", "FR", 5, 10))
        .advanceWatermarkTo(T0.plus(Duration.standardMinutes(90)))
        .addElements(tx("c2-de", "c2", "DE", 5, 250))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(detect(fraud()));
    PAssert.that(ids(result)).containsInAnyOrder("c1:c1-us>c1-fr");
    PAssert.that(result.output(Sequence.TIMED_OUT).apply("timed out", MapElements.into(TypeDescriptors.strings())
        .via(row -> row.getRow("us").getString("id") + "@" + row.getDateTime("timedOutAt").getMillis() / 60_000)))
        .containsInAnyOrder("c2-us@200");
    PAssert.that(result.failures()).empty();
    pipeline.run();
  }

  @Test
  public void eventBehindTheMatchedTimeBecomesALateDeadLetter() {
    // The key is matched up to minute 25 once the watermark passes it; an event at minute 20 that
    // arrives after that can no longer be put in order.
    TestStream<Row> events = TestStream.create(TX)
        .advanceWatermarkTo(T0)
        .addElements(tx("c1-us", "c1", "US", 10, 0), tx("c1-us2", "c1", "US", 10, 25))
        .advanceWatermarkTo(T0.plus(Duration.standardMinutes(30)))
        .addElements(tx("c1-fr-late", "c1", "FR", 5, 20), tx("c1-fr", "c1", "FR", 5, 40))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(detect(fraud()));
    PAssert.that(ids(result)).containsInAnyOrder("c1:c1-us>c1-fr", "c1:c1-us2>c1-fr");
    PAssert.that(result.failures().apply("late dead letters", MapElements.into(TypeDescriptors.strings())
            .via(row -> row.getString("error").substring(0, 5) + " " + row.getString("payload").replaceAll(".*\"id\":\"([^\"]+)\".*", "$1")
                + " @" + row.getDateTime("eventTime").getMillis() / 60_000)))
        .containsInAnyOrder("late: c1-fr-late @20");
    pipeline.run();
  }

  static final Schema GARAGE = Schema.builder().addStringField("car").addStringField("action").build();

  static TimestampedValue<Row> garage(String car, String action, int second) {
    return TimestampedValue.of(Row.withSchema(GARAGE).addValues(car, action).build(), T0.plus(Duration.standardSeconds(second)));
  }

  @Test
  public void absenceIsEmittedWhenTheWatermarkPassesTheBound() {
    Pattern doorLeftOpen = Pattern.begin("left").where("event.action == 'left'")
        .notFollowedBy("closed").where("event.action == 'door-closed'")
        .within(Duration.standardMinutes(5));
    TestStream<Row> events = TestStream.create(GARAGE)
        .advanceWatermarkTo(T0)
        .addElements(garage("a", "left", 0), garage("b", "left", 10), garage("b", "door-closed", 200))
        .advanceWatermarkTo(T0.plus(Duration.standardSeconds(299)))
        .addElements(garage("a", "door-closed", 301))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(Sequence.detect(doorLeftOpen).perKey("car").named("garage"));
    PAssert.that(result.output().apply("cars", MapElements.into(TypeDescriptors.strings())
        .via(row -> row.getString("key") + "@" + row.getDateTime("firstAt").getMillis() / 1000)))
        .containsInAnyOrder("a@0");
    PAssert.that(result.output(Sequence.TIMED_OUT)).empty();
    pipeline.run();
  }

  /** Each output row as "key@absentUntil-minute/emitted-at-minute": when it says the absence ended, and when it came out. */
  static final class WhenFn extends org.apache.beam.sdk.transforms.DoFn<Row, String> {
    @ProcessElement
    public void process(@Element Row row, @Timestamp Instant at, OutputReceiver<String> out) {
      out.output(row.getString("key") + "@" + row.getDateTime("absentUntil").getMillis() / 60_000 + "/" + at.getMillis() / 60_000);
    }
  }

  @Test
  public void absenceWithADurationComesOutWhenTheWatermarkPassesTheLastEventPlusTheDuration() {
    // a leaves at 0, the door is closed only at 40 (too late): the absence of 5 minutes is counted
    // from the car leaving, so the match says 5 and comes out with timestamp 5, not at first + within
    // (60). b: closed at 3, nothing. c leaves at 10 and its door closes at 20, after the 5 minutes.
    Pattern doorLeftOpen = Pattern.begin("left").where("event.action == 'left'")
        .notFollowedBy("closed").where("event.action == 'door-closed'").lasting(Duration.standardMinutes(5))
        .within(Duration.standardHours(1));
    TestStream<Row> events = TestStream.create(GARAGE)
        .advanceWatermarkTo(T0)
        .addElements(garage("a", "left", 0), garage("b", "left", 0), garage("b", "door-closed", 180), garage("c", "door-closed", 1200))
        .advanceWatermarkTo(T0.plus(Duration.standardMinutes(9)))
        .addElements(garage("c", "left", 600), garage("a", "door-closed", 2400))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(Sequence.detect(doorLeftOpen).perKey("car").withMode(Mode.TIMERS).named("garage"));
    PAssert.that(result.output().apply("when", org.apache.beam.sdk.transforms.ParDo.of(new WhenFn()))).containsInAnyOrder("a@5/5", "c@15/15");
    PAssert.that(result.output(Sequence.TIMED_OUT)).empty();
    PAssert.that(result.failures()).empty();
    pipeline.run();
  }

  @Test
  public void silenceRepeatsAsTheWatermarkAdvancesAndALateReadingIsADeadLetter() {
    // Heartbeats: every 5 minutes without an event of the key is one alert, for up to 20 minutes.
    // s1 at 0 and 2, then the watermark goes to 16: alerts at 7 and 12 (17 is not passed yet).
    // s1 at 10 arrives later: behind 12, the time s1 was alerted up to, so it is late (a dead letter)
    // and the alert at 17 still comes; then 22 (2 + 20 = 22 is the last). s2 at 30 (after the
    // watermark went to 16, not late): 35, 40, 45, 50 when the input ends. (A reading of s1 at 14,
    // behind the watermark but after 12, would not be late: it would be put in order and end the silence.)
    Pattern heartbeat = Pattern.begin("last")
        .notFollowedBy("quiet").lasting(Duration.standardMinutes(5)).repeating()
        .within(Duration.standardMinutes(20));
    TestStream<Row> events = TestStream.create(GARAGE)
        .advanceWatermarkTo(T0)
        .addElements(garage("s1", "beat", 120), garage("s1", "beat", 0))
        .advanceWatermarkTo(T0.plus(Duration.standardMinutes(16)))
        .addElements(garage("s1", "beat", 600), garage("s2", "beat", 1800))
        .advanceWatermarkToInfinity();
    Result result = pipeline.apply(events).apply(Sequence.detect(heartbeat).perKey("car").withMode(Mode.TIMERS).named("silence"));
    PAssert.that(result.output().apply("when", org.apache.beam.sdk.transforms.ParDo.of(new WhenFn())))
        .containsInAnyOrder("s1@7/7", "s1@12/12", "s1@17/17", "s1@22/22", "s2@35/35", "s2@40/40", "s2@45/45", "s2@50/50");
    PAssert.that(result.failures().apply("late", MapElements.into(TypeDescriptors.strings())
        .via(row -> row.getString("error").substring(0, 5) + " @" + row.getDateTime("eventTime").getMillis() / 60_000)))
        .containsInAnyOrder("late: @10");
    PAssert.that(result.output(Sequence.TIMED_OUT)).empty();
    pipeline.run();
  }

  @Test
  public void timerFreeModeRefusesWhatOnlyTimersCanDoNamingTheRunnerLimit() {
    PCollection<Row> input = pipeline.apply(Create.empty(GARAGE));
    Pattern heartbeat = Pattern.begin("last").notFollowedBy("quiet").lasting(Duration.standardMinutes(5)).repeating()
        .within(Duration.standardHours(1));
    assertThat(assertThrows(IllegalArgumentException.class,
            () -> input.apply("a", Sequence.detect(heartbeat).perKey("car").withMode(Mode.WINDOWS).withOrigin("steps[0]"))).getMessage(),
        containsString("steps[0]: the timer-free mode (WINDOWS, which Spark streaming uses because it has no event-time timers)"
            + " cannot run pattern 'pattern': it cannot repeat the absence at the end"));
    Pattern dormant = Pattern.beginAbsence("idle").lasting(Duration.standardDays(30)).followedBy("big").within(Duration.standardHours(1));
    assertThat(assertThrows(IllegalArgumentException.class,
            () -> input.apply("b", Sequence.detect(dormant).perKey("car").withMode(Mode.WINDOWS))).getMessage(),
        containsString("cannot check the absence 'idle' that starts the pattern"));
    Pattern unbounded = Pattern.begin("left").notFollowedBy("closed").lasting(Duration.standardMinutes(5));
    assertThat(assertThrows(IllegalArgumentException.class,
            () -> input.apply("c", Sequence.detect(unbounded).perKey("car").withMode(Mode.WINDOWS))).getMessage(),
        containsString("sizes its windows by within(...)"));
    // In the timer mode the same pattern needs no within: every partial match ends 5 minutes after its event.
    input.apply("d", Sequence.detect(unbounded).perKey("car").withMode(Mode.TIMERS));
    pipeline.enableAbandonedNodeEnforcement(false);
  }

  /** Random card traffic, with a bounded source, for comparing modes. */
  static List<TimestampedValue<Row>> traffic(int count, long seed) {
    Random random = new Random(seed);
    String[] countries = {"US", "US", "FR", "DE", "US"};
    List<TimestampedValue<Row>> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(tx("t" + i, "c" + random.nextInt(20), countries[random.nextInt(countries.length)], random.nextInt(100), random.nextInt(24 * 60)));
    }
    return events;
  }

  @Test
  public void timerAndTimerFreeModesGiveTheSameMatches() {
    Pattern pattern = Pattern.begin("us").where("event.country == 'US'")
        .followedByAny("abroad").where("event.country != 'US' && event.amount > us.amount")
        .notFollowedBy("home").where("event.country == 'US'")
        .followedBy("again").where("event.country != 'US'")
        .within(Duration.standardHours(2));
    Map<String, String> emit = Map.of("ids", "us.id + '>' + abroad.id + '>' + again.id");
    List<TimestampedValue<Row>> events = traffic(600, 7);
    List<String> expected = new ArrayList<>();
    dev.streamtemplates.transforms.cep.runtime.MatcherHarness harness =
        dev.streamtemplates.transforms.cep.runtime.MatcherHarness.of(pattern, TX);
    events.stream().sorted(java.util.Comparator.comparing(TimestampedValue<Row>::getTimestamp).thenComparing(e -> e.getValue().toString()))
        .forEach(e -> harness.feed(e.getValue().getString("card"), e.getValue(), e.getTimestamp().getMillis()));
    harness.matches().forEach(m -> expected.add(m.stages().get(0).get(0).getString("card") + ":" + m.stages().get(0).get(0).getString("id")
        + ">" + m.stages().get(1).get(0).getString("id") + ">" + m.stages().get(2).get(0).getString("id")));
    assertThat("the random traffic must hold matches for this test to mean anything", expected.size() > 20);
    // Durations of their own: a middle absence, a bound from the previous event, a trailing absence.
    Pattern timed = Pattern.begin("us").where("event.country == 'US'")
        .notFollowedBy("home").where("event.country == 'US'").lasting(Duration.standardMinutes(20))
        .followedByAny("abroad").where("event.country != 'US' && sum([us, event], 'amount') > 100.0").withinPrevious(Duration.standardMinutes(90))
        .notFollowedBy("again").where("event.country != 'US'").lasting(Duration.standardMinutes(30))
        .within(Duration.standardHours(2));
    Map<String, String> timedEmit = Map.of("ids", "us.id + '>' + abroad.id");
    List<String> timedExpected = new ArrayList<>();
    dev.streamtemplates.transforms.cep.runtime.MatcherHarness timedHarness =
        dev.streamtemplates.transforms.cep.runtime.MatcherHarness.of(timed, TX);
    events.stream().sorted(java.util.Comparator.comparing(TimestampedValue<Row>::getTimestamp).thenComparing(e -> e.getValue().toString()))
        .forEach(e -> timedHarness.feed(e.getValue().getString("card"), e.getValue(), e.getTimestamp().getMillis()));
    timedHarness.advanceTo(Long.MAX_VALUE).matches().forEach(m -> timedExpected.add(m.stages().get(0).get(0).getString("card") + ":"
        + m.stages().get(0).get(0).getString("id") + ">" + m.stages().get(1).get(0).getString("id")));
    assertThat("the random traffic must hold timed matches for this test to mean anything", timedExpected.size() > 10);
    for (Mode mode : List.of(Mode.TIMERS, Mode.WINDOWS)) {
      PCollection<Row> input = pipeline.apply("events " + mode, Create.timestamped(events).withCoder(org.apache.beam.sdk.schemas.SchemaCoder.of(TX)))
          .setRowSchema(TX);
      Result result = input.apply("detect " + mode, Sequence.detect(pattern).perKey("card").withEmit(emit).withMode(mode).named("x" + mode));
      PAssert.that("matches in mode " + mode, result.output().apply("ids " + mode, MapElements.into(TypeDescriptors.strings())
          .via(row -> row.getString("key") + ":" + row.getString("ids")))).containsInAnyOrder(expected);
      Result timedResult = input.apply("timed " + mode, Sequence.detect(timed).perKey("card").withEmit(timedEmit).withMode(mode).named("t" + mode));
      PAssert.that("timed matches in mode " + mode, timedResult.output().apply("timed ids " + mode, MapElements.into(TypeDescriptors.strings())
          .via(row -> row.getString("key") + ":" + row.getString("ids")))).containsInAnyOrder(timedExpected);
    }
    pipeline.run();
  }

  @Test
  public void timerFreeModeRefusesSkipStrategiesThatNeedHistory() {
    PCollection<Row> input = pipeline.apply(Create.empty(TX));
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
        () -> input.apply(Sequence.detect(fraud().skip(SkipStrategy.skipPastLastEvent())).perKey("card").withMode(Mode.WINDOWS)));
    assertThat(error.getMessage(), containsString("skipPastLastEvent"));
    assertThat(error.getMessage(), containsString("noSkip and skipToNext work"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }

  @Test
  public void patternWithoutWithinOrWithBadFieldsIsRefusedNamingTheProblem() {
    PCollection<Row> input = pipeline.apply(Create.empty(TX));
    IllegalArgumentException noWithin = assertThrows(IllegalArgumentException.class,
        () -> input.apply("a", Sequence.detect(Pattern.begin("us").followedBy("x")).perKey("card")));
    assertThat(noWithin.getMessage(), containsString("needs within"));
    IllegalArgumentException badKey = assertThrows(IllegalArgumentException.class,
        () -> input.apply("b", Sequence.detect(fraud()).perKey("cardNumber")));
    assertThat(badKey.getMessage(), containsString("key field 'cardNumber'"));
    IllegalArgumentException badCondition = assertThrows(IllegalArgumentException.class,
        () -> input.apply("c", Sequence.detect(Pattern.begin("us").where("event.country == 'US'").followedBy("abroad")
            .where("abroad.amount > us.amont").within(Duration.standardHours(1))).perKey("card").withOrigin("steps[1]")));
    assertThat(badCondition.getMessage(), containsString("steps[1].stages.abroad.where"));
    IllegalArgumentException badEmit = assertThrows(IllegalArgumentException.class,
        () -> input.apply("d", Sequence.detect(fraud()).perKey("card").withEmit(Map.of("total", "us.amount + abroad.amount"))));
    assertThat(badEmit.getMessage(), containsString("emit.total"));
    pipeline.enableAbandonedNodeEnforcement(false);
  }
}
