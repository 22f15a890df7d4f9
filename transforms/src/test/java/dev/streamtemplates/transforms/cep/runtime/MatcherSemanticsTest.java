package dev.streamtemplates.transforms.cep.runtime;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.cep.Pattern;
import dev.streamtemplates.transforms.cep.SkipStrategy;
import dev.streamtemplates.transforms.cep.nfa.Nfa;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Duration;
import org.junit.Test;

/**
 * Semantics of the automaton, fed through {@link MatcherHarness} without a pipeline. The cases are
 * written from the documented behaviour of Flink CEP (its docs and its NFA test suites): events are
 * named like {@code a1}, whose type is {@code a}; a stage named {@code a} matches type {@code a}
 * unless the test says otherwise. Matches are written as {@code {a1 b1 c1}}.
 */
public class MatcherSemanticsTest {
  static final Schema SCHEMA = Schema.builder().addStringField("id").addStringField("type").addDoubleField("price").build();

  /** Events {@code "a1 b1 c1"}, one second apart, or {@code "a1@5"} at second 5; {@code "a1:3.5"} has price 3.5. */
  static List<Object[]> events(String text) {
    List<Object[]> events = new ArrayList<>();
    long second = 0;
    for (String token : text.trim().split("\\s+")) {
      double price = 0;
      if (token.contains(":")) {
        price = Double.parseDouble(token.substring(token.indexOf(':') + 1));
        token = token.substring(0, token.indexOf(':'));
      }
      if (token.contains("@")) {
        second = Long.parseLong(token.substring(token.indexOf('@') + 1));
        token = token.substring(0, token.indexOf('@'));
      } else {
        second++;
      }
      String type = token.replaceAll("[0-9]+$", "");
      events.add(new Object[] {Row.withSchema(SCHEMA).addValues(token, type, price).build(), second * 1000});
    }
    return events;
  }

  static MatcherHarness run(Pattern pattern, String input) {
    MatcherHarness harness = MatcherHarness.of(pattern, SCHEMA);
    for (Object[] event : events(input)) {
      harness.feed("k", (Row) event[0], (Long) event[1]);
    }
    return harness;
  }

  static String render(Match match) {
    StringBuilder text = new StringBuilder("{");
    for (List<Row> stage : match.stages()) {
      for (Row row : stage) {
        text.append(text.length() > 1 ? " " : "").append(row.getString("id"));
      }
    }
    return text.append('}').toString();
  }

  static List<String> matches(Pattern pattern, String input) {
    return run(pattern, input).matches().stream().map(MatcherSemanticsTest::render).toList();
  }

  static String is(String type) {
    return "event.type == '" + type + "'";
  }

  static Pattern begin(String stage) {
    return Pattern.begin(stage).where(is(stage));
  }

  // --- contiguity between stages

  @Test
  public void strictContiguityNeedsTheVeryNextEvent() {
    assertThat(matches(begin("a").next("b").where(is("b")), "a c b1 b2"), empty());
    assertThat(matches(begin("a").next("b").where(is("b")), "a b"), contains("{a b}"));
  }

  @Test
  public void relaxedContiguityTakesTheFirstMatchingEvent() {
    assertThat(matches(begin("a").followedBy("b").where(is("b")), "a c b1 b2"), contains("{a b1}"));
  }

  @Test
  public void nonDeterministicRelaxedContiguityTakesEveryMatchingEvent() {
    assertThat(matches(begin("a").followedByAny("b").where(is("b")), "a c b1 b2"), contains("{a b1}", "{a b2}"));
  }

  @Test
  public void branchingWithFollowedByAnyGivesEveryCombination() {
    Pattern pattern = begin("s").followedByAny("m").where(is("m")).followedByAny("n").where(is("n")).followedByAny("e").where(is("e"));
    assertThat(matches(pattern, "s m1 m2 m3 n1 n2 e"),
        containsInAnyOrder("{s m1 n1 e}", "{s m1 n2 e}", "{s m2 n1 e}", "{s m2 n2 e}", "{s m3 n1 e}", "{s m3 n2 e}"));
  }

  // --- loops

  private static Pattern cAb(Pattern loop) {
    return loop.followedBy("b").where(is("b"));
  }

  @Test
  public void consecutiveLoopStopsAtTheFirstGap() {
    Pattern pattern = cAb(begin("c").followedBy("a").where(is("a")).oneOrMore().consecutive());
    assertThat(matches(pattern, "c d a1 a2 a3 d a4 b"), containsInAnyOrder("{c a1 b}", "{c a1 a2 b}", "{c a1 a2 a3 b}"));
  }

  @Test
  public void relaxedLoopSkipsEventsThatDoNotMatch() {
    Pattern pattern = cAb(begin("c").followedBy("a").where(is("a")).oneOrMore());
    assertThat(matches(pattern, "c d a1 a2 a3 d a4 b"),
        containsInAnyOrder("{c a1 b}", "{c a1 a2 b}", "{c a1 a2 a3 b}", "{c a1 a2 a3 a4 b}"));
  }

  @Test
  public void loopWithCombinationsMaySkipMatchingEvents() {
    Pattern pattern = cAb(begin("c").followedBy("a").where(is("a")).oneOrMore().allowCombinations());
    assertThat(matches(pattern, "c d a1 a2 a3 d a4 b"), containsInAnyOrder("{c a1 a2 a3 a4 b}", "{c a1 a3 a4 b}", "{c a1 a2 a3 b}",
        "{c a1 a2 a4 b}", "{c a1 a2 b}", "{c a1 a3 b}", "{c a1 a4 b}", "{c a1 b}"));
  }

  @Test
  public void optionalLoopAlsoMatchesWithoutIt() {
    Pattern pattern = cAb(begin("c").followedBy("a").where(is("a")).oneOrMore().optional());
    assertThat(matches(pattern, "c a1 a2 d a3 b"), containsInAnyOrder("{c a1 a2 a3 b}", "{c a1 a2 b}", "{c a1 b}", "{c b}"));
  }

  @Test
  public void optionalLoopAtTheStartNeverSkipsInsideALoop() {
    Pattern pattern = begin("a").oneOrMore().optional().followedBy("b").where(is("b"));
    assertThat(matches(pattern, "a1 a2 a3 b"),
        containsInAnyOrder("{a1 a2 a3 b}", "{a1 a2 b}", "{a2 a3 b}", "{a1 b}", "{a2 b}", "{a3 b}", "{b}"));
  }

  @Test
  public void loopAfterFollowedByAnyStartsAtEveryMatchingEvent() {
    Pattern pattern = begin("c").followedByAny("a").where(is("a")).oneOrMore().followedByAny("b").where(is("b"));
    assertThat(matches(pattern, "c a1 a2 a3 b"),
        containsInAnyOrder("{c a1 a2 a3 b}", "{c a1 a2 b}", "{c a2 a3 b}", "{c a3 b}", "{c a2 b}", "{c a1 b}"));
  }

  @Test
  public void strictOptionalLoopThatBreaksStillLetsTheRelaxedStageFollow() {
    Pattern pattern = begin("start").next("m").where(is("m")).oneOrMore().optional().consecutive().followedBy("end").where(is("end"));
    assertThat(matches(pattern, "start event m1 m2 m3 end"), contains("{start end}"));
  }

  @Test
  public void consecutiveLoopAloneMatchesEveryRun() {
    assertThat(matches(begin("a").oneOrMore().consecutive(), "c a1 c a2 a3"), containsInAnyOrder("{a1}", "{a2 a3}", "{a2}", "{a3}"));
  }

  @Test
  public void patternEndingInALoopEmitsEachExtension() {
    assertThat(matches(begin("c").followedBy("a").where(is("a")).oneOrMore(), "c a1 a2 a3"),
        contains("{c a1}", "{c a1 a2}", "{c a1 a2 a3}"));
  }

  @Test
  public void optionalLastStageMatchesBothWays() {
    assertThat(matches(begin("c").followedBy("a").where(is("a")).optional(), "c a1"), contains("{c}", "{c a1}"));
    assertThat(matches(begin("c").optional().followedBy("b").where(is("b")), "c b"), containsInAnyOrder("{c b}", "{b}"));
  }

  @Test
  public void strictStageAfterAnOptionalLoopNeedsTheNextEvent() {
    Pattern pattern = begin("d").followedBy("a").where(is("a")).oneOrMore().optional().next("b").where(is("b"));
    assertThat(matches(pattern, "d a1 a2 c b"), empty());
  }

  // --- times

  @Test
  public void timesWithRelaxedContiguityTakesTheFirstEvents() {
    Pattern pattern = cAb(begin("c").followedBy("a").where(is("a")).times(2));
    assertThat(matches(pattern, "c a1 a2 a3 b"), contains("{c a1 a2 b}"));
  }

  @Test
  public void timesWithCombinations() {
    Pattern pattern = cAb(begin("c").followedByAny("a").where(is("a")).times(2).allowCombinations());
    assertThat(matches(pattern, "c a1 a2 a3 b"), containsInAnyOrder("{c a1 a2 b}", "{c a2 a3 b}", "{c a1 a3 b}"));
  }

  @Test
  public void consecutiveTimes() {
    Pattern pattern = cAb(begin("c").followedByAny("a").where(is("a")).times(2).consecutive());
    assertThat(matches(pattern, "c f a1 f a2 a3 b"), contains("{c a2 a3 b}"));
    assertThat(matches(cAb(begin("c").next("a").where(is("a")).times(2).consecutive()), "c a1 f a2 a3 b"), empty());
  }

  @Test
  public void timesRangeWithCombinations() {
    Pattern pattern = cAb(begin("c").next("a").where(is("a")).times(1, 3).allowCombinations());
    assertThat(matches(pattern, "c a1 a2 a3 b"), containsInAnyOrder("{c a1 a2 a3 b}", "{c a1 a2 b}", "{c a1 a3 b}", "{c a1 b}"));
  }

  @Test
  public void optionalTimesRangeKeepsItsMinimum() {
    Pattern pattern = cAb(begin("c").followedByAny("a").where(is("a")).times(2, 3).consecutive().optional());
    assertThat(matches(pattern, "c a1 f a2 a3 b"), containsInAnyOrder("{c a2 a3 b}", "{c b}"));
  }

  @Test
  public void timesAtTheStartWithSkipPastLastEvent() {
    assertThat(matches(begin("a").times(3), "a1 a2 a3 a4 a5 a6"), contains("{a1 a2 a3}", "{a2 a3 a4}", "{a3 a4 a5}", "{a4 a5 a6}"));
    assertThat(matches(begin("a").times(3).skip(SkipStrategy.skipPastLastEvent()), "a1 a2 a3 a4 a5 a6"), contains("{a1 a2 a3}", "{a4 a5 a6}"));
  }

  // --- greedy and until

  @Test
  public void greedyLoopTakesAsManyAsItCan() {
    Pattern pattern = begin("c").followedBy("a").where(is("a")).oneOrMore().optional().greedy().followedBy("d").where(is("d"));
    assertThat(matches(pattern, "c a1 a2 a3 d"), contains("{c a1 a2 a3 d}"));
    assertThat(matches(pattern, "c x a1 x a2 x a3 d"), contains("{c a1 a2 a3 d}"));
    assertThat(matches(pattern, "c x d"), contains("{c d}"));
  }

  @Test
  public void greedyLoopBeforeAnOptionalStage() {
    Pattern pattern = begin("c").followedBy("a").where(is("a")).oneOrMore().optional().greedy()
        .followedBy("d").where(is("d")).optional().followedBy("e").where(is("e"));
    assertThat(matches(pattern, "c a1 a2 x e"), contains("{c a1 a2 e}"));
    assertThat(matches(pattern, "c a1 a2 d e"), containsInAnyOrder("{c a1 a2 e}", "{c a1 a2 d e}"));
  }

  @Test
  public void greedyWhenTheNextStageWouldAlsoMatch() {
    // a's condition also accepts d-type events, so a non-greedy loop would let d start early.
    Pattern loop = begin("c").followedBy("a").where("event.type == 'a' || event.type == 'd'").oneOrMore();
    Pattern pattern = loop.followedBy("d").where(is("d"));
    assertThat(matches(pattern, "c a1 d1 d2"), containsInAnyOrder("{c a1 d1}", "{c a1 d1 d2}"));
    // Greedy: a d-type event stays in the loop, so d never starts.
    Pattern greedy = loop.greedy().followedBy("d").where(is("d"));
    assertThat(matches(greedy, "c a1 d1 d2"), empty());
  }

  @Test
  public void untilStopsTheLoop() {
    assertThat(matches(begin("a").oneOrMore().until(is("b")), "a1 c a2 b a3"), containsInAnyOrder("{a1 a2}", "{a1}", "{a2}", "{a3}"));
  }

  @Test
  public void theEventThatEndsALoopMayStartTheNextStage() {
    Pattern pattern = begin("c").followedBy("a").where(is("a")).oneOrMore().until("event.price == 5.0")
        .followedBy("end").where("event.price == 5.0");
    assertThat(matches(pattern, "c a1:2 a2:3 a3:5 a4:6"), containsInAnyOrder("{c a1 a2 a3}", "{c a1 a3}"));
  }

  // --- negation

  @Test
  public void notNextForbidsOnlyTheVeryNextEvent() {
    Pattern pattern = begin("a").notNext("b").where(is("b")).followedByAny("c").where(is("c")).followedBy("d").where(is("d"));
    assertThat(matches(pattern, "a1 c1 b1 c2 d"), containsInAnyOrder("{a1 c1 d}", "{a1 c2 d}"));
    Pattern relaxed = begin("a").notNext("b").where(is("b")).followedBy("c").where(is("c")).followedBy("d").where(is("d"));
    assertThat(matches(relaxed, "a1 b1 c1 c2 d"), empty());
  }

  @Test
  public void notFollowedByInTheMiddleForbidsAnyEventBetween() {
    Pattern pattern = begin("a").notFollowedBy("b").where(is("b")).followedByAny("c").where(is("c")).followedBy("d").where(is("d"));
    assertThat(matches(pattern, "a1 c1 b1 c2 d"), contains("{a1 c1 d}"));
    Pattern branching = begin("a").notFollowedBy("b").where(is("b")).followedBy("c").where(is("c")).followedBy("d").where(is("d"));
    assertThat(matches(branching, "a1 b1 c1 a2 c2 d"), contains("{a2 c2 d}"));
  }

  @Test
  public void notFollowedByBeforeAnOptionalStageGuardsOnlyThePathThroughIt() {
    Pattern pattern = begin("a").notFollowedBy("b").where(is("b")).followedByAny("c").where(is("c")).optional();
    assertThat(matches(pattern, "a1 c1 b1 c2"), containsInAnyOrder("{a1}", "{a1 c1}"));
    Pattern times = begin("a").notFollowedBy("b").where(is("b")).followedByAny("c").where(is("c")).times(2).optional()
        .followedBy("d").where(is("d"));
    assertThat(matches(times, "a1 c1 b1 c2 d"), contains("{a1 c1 c2 d}"));
  }

  @Test
  public void negationAfterALoopKillsTheLoopToo() {
    Pattern notNext = begin("a").followedBy("b").where(is("b")).oneOrMore().notNext("c").where(is("c")).followedBy("d").where(is("d"));
    assertThat(matches(notNext, "a1 b1 c1 b2 d1"), empty());
    Pattern notNextAny = begin("a").followedByAny("b").where(is("b")).oneOrMore().notNext("c").where(is("c")).followedBy("d").where(is("d"));
    assertThat(matches(notNextAny, "a1 b1 c1 b2 d1"), contains("{a1 b2 d1}"));
    Pattern notFollowedBy = begin("a").followedBy("b").where(is("b")).oneOrMore().notFollowedBy("c").where(is("c"))
        .followedBy("d").where(is("d"));
    assertThat(matches(notFollowedBy, "a1 b1 b2 b3 c1 b4 b5 b6 d1"), empty());
    Pattern times = begin("a").followedByAny("b").where(is("b")).times(2).notFollowedBy("c").where(is("c")).followedBy("d").where(is("d"));
    assertThat(matches(times, "a1 b1 c b2 d"), empty());
  }

  @Test
  public void negationBeforeALoopGuardsOnlyTheWayIn() {
    Pattern pattern = begin("a").notFollowedBy("c").where(is("c")).followedBy("b").where(is("b")).oneOrMore().followedBy("d").where(is("d"));
    assertThat(matches(pattern, "a1 b1 c1 b4 b5 b6 d1"),
        containsInAnyOrder("{a1 b1 b4 b5 b6 d1}", "{a1 b1 b4 b5 d1}", "{a1 b1 b4 d1}", "{a1 b1 d1}"));
  }

  // --- within, absence and timeouts

  @Test
  public void withinIsExclusive() {
    Pattern pattern = begin("start").followedBy("middle").where(is("middle")).followedBy("end").where(is("end"))
        .within(Duration.standardSeconds(10));
    MatcherHarness harness = run(pattern, "start1@1 start2@2 middle@3 foobar@4 end1@11 end2@13");
    assertThat(harness.matches().stream().map(MatcherSemanticsTest::render).toList(), contains("{start2 middle end1}"));
    // start1 + 10 s = 11 s: end1 at exactly 11 s is too late for it.
    assertThat(harness.timedOut().stream().map(MatcherSemanticsTest::render).toList(), contains("{start1 middle}"));
    assertThat(harness.timedOut().get(0).timedOutAt(), equalTo(11_000L));
  }

  @Test
  public void everyLiveBranchTimesOutOnItsOwn() {
    Pattern pattern = begin("start").followedByAny("middle").where(is("middle")).followedByAny("end").where(is("end"))
        .within(Duration.standardSeconds(10));
    MatcherHarness harness = run(pattern, "start1@1 start2@2 middle@3 foobar@4 end1@11 end2@13").advanceTo(Long.MAX_VALUE);
    assertThat(harness.matches().stream().map(MatcherSemanticsTest::render).toList(), contains("{start2 middle end1}"));
    assertThat(harness.timedOut().stream().map(MatcherSemanticsTest::render).toList(),
        containsInAnyOrder("{start1 middle}", "{start1}", "{start2 middle}", "{start2}"));
  }

  @Test
  public void absenceAtTheEndIsEmittedWhenTheBoundPasses() {
    Pattern pattern = begin("a").notFollowedBy("b").where(is("b")).within(Duration.standardSeconds(3));
    MatcherHarness harness = run(pattern, "a1@1 b1@2 a2@4 c@5");
    assertThat(harness.matches(), empty());
    harness.advanceTo(6_999);
    assertThat(harness.matches(), empty());
    harness.advanceTo(7_000);
    assertThat(harness.matches().stream().map(MatcherSemanticsTest::render).toList(), contains("{a2}"));
    harness.feed("k", (Row) events("b2@10").get(0)[0], 10_000).feed("k", (Row) events("a3@11").get(0)[0], 11_000)
        .feed("k", (Row) events("b3@13").get(0)[0], 13_000).advanceTo(Long.MAX_VALUE);
    assertThat(harness.matches().size(), equalTo(1));
    assertThat(harness.timedOut(), empty());
  }

  @Test
  public void absenceIsNotBrokenByAnEventExactlyAtTheBound() {
    Pattern pattern = begin("a").notFollowedBy("b").where(is("b")).within(Duration.standardSeconds(3));
    MatcherHarness harness = run(pattern, "a1@1 b1@4");
    assertThat(harness.matches().stream().map(MatcherSemanticsTest::render).toList(), contains("{a1}"));
  }

  @Test
  public void absenceWithSkipPastLastEvent() {
    Pattern pattern = begin("a").oneOrMore().allowCombinations().followedBy("c").where(is("c")).notFollowedBy("b").where(is("b"))
        .within(Duration.standardSeconds(5)).skip(SkipStrategy.skipPastLastEvent());
    MatcherHarness harness = run(pattern, "a1@1 a2@2 a3@3 c1@4 c2@10").advanceTo(Long.MAX_VALUE);
    assertThat(harness.matches().stream().map(MatcherSemanticsTest::render).toList(), contains("{a1 a2 a3 c1}"));
  }

  // --- absences with a duration of their own (lasting), leading absences, repeating silences.
  // Siddhi's absent-pattern test cases (AbsentPatternTestCase, EveryAbsentPatternTestCase) at ten
  // times the scale: their 1 sec is 10 s here, 100 ms is 1 s, 1.1 s is 11 s. Stream1 events are
  // type a, Stream2 b, Stream3 c; x is any other event of the key.

  /** Each match as "{events}@absentUntil-second" (or without the @ part). */
  static List<String> rendered(List<Match> matches) {
    return matches.stream().map(m -> render(m) + (m.absentUntil() == Long.MIN_VALUE ? "" : "@" + m.absentUntil() / 1000)).toList();
  }

  private static MatcherHarness feed(MatcherHarness harness, String input) {
    for (Object[] event : events(input)) {
      harness.feed("k", (Row) event[0], (Long) event[1]);
    }
    return harness;
  }

  private static Pattern aThenNoBFor10s() {
    return begin("a").notFollowedBy("b").where(is("b")).lasting(Duration.standardSeconds(10));
  }

  @Test
  public void absenceWithItsOwnDurationIsEmittedAtTheLastEventPlusTheDuration() {
    // Siddhi "e1 -> not e2 for 1 sec": no e2 gives one match when the second has passed.
    MatcherHarness harness = feed(MatcherHarness.of(aThenNoBFor10s(), SCHEMA), "a1@0");
    assertThat(harness.advanceTo(9_999).matches(), empty());
    assertThat(rendered(harness.advanceTo(10_000).matches()), contains("{a1}@10"));
    // e2 after 1.1 s: still one match (it came after the absence had lasted).
    assertThat(rendered(run(aThenNoBFor10s(), "a1@0 b1@11").advanceTo(Long.MAX_VALUE).matches()), contains("{a1}@10"));
    // e2 after 100 ms: none; an e2 that fails its condition (here: of another type) breaks nothing.
    assertThat(run(aThenNoBFor10s(), "a1@0 b1@1").advanceTo(Long.MAX_VALUE).matches(), empty());
    assertThat(rendered(run(aThenNoBFor10s(), "a1@0 x1@1").advanceTo(Long.MAX_VALUE).matches()), contains("{a1}@10"));
    // The same rule as within: an event exactly at the end of the absence is outside it.
    assertThat(rendered(run(aThenNoBFor10s(), "a1@0 b1@10").advanceTo(Long.MAX_VALUE).matches()), contains("{a1}@10"));
  }

  @Test
  public void absenceAfterALaterStageCountsFromThatStagesLastEventNotFromTheFirst() {
    // Siddhi "e1 -> e2 -> not e3 for 1 sec": e1 at 0, e2 at 5 s, no e3: the match comes at 5 + 10 = 15 s,
    // not at first + within (30 s) as an absence without a duration would.
    Pattern pattern = begin("a").followedBy("b").where(is("b")).notFollowedBy("c").where(is("c")).lasting(Duration.standardSeconds(10))
        .within(Duration.standardSeconds(30));
    MatcherHarness harness = feed(MatcherHarness.of(pattern, SCHEMA), "a1@0 b1@5");
    assertThat(harness.advanceTo(14_999).matches(), empty());
    assertThat(rendered(harness.advanceTo(15_000).matches()), contains("{a1 b1}@15"));
    // e3 100 ms after e2: nothing.
    assertThat(run(pattern, "a1@0 b1@1 c1@2").advanceTo(Long.MAX_VALUE).matches(), empty());
    // The absence must fit in within: b at 25 s would need until 35 s > 0 + 30 s, so the partial match times out at 30 s.
    MatcherHarness late = run(pattern, "a1@0 b1@25").advanceTo(Long.MAX_VALUE);
    assertThat(late.matches(), empty());
    assertThat(late.timedOut().stream().map(MatcherSemanticsTest::render).toList(), contains("{a1 b1}"));
    assertThat(late.timedOut().get(0).timedOutAt(), equalTo(30_000L));
  }

  @Test
  public void absenceWithADurationInTheMiddleMustLastBeforeTheNextStage() {
    // Siddhi "e1 -> not e2 for 1 sec -> e3".
    Pattern pattern = begin("a").notFollowedBy("b").where(is("b")).lasting(Duration.standardSeconds(10)).followedBy("c").where(is("c"));
    assertThat(matches(pattern, "a1@0 c1@11"), contains("{a1 c1}"));           // e3 after 1.1 s: one match
    assertThat(matches(pattern, "a1@0 x1@1 c1@12"), contains("{a1 c1}"));      // an e2 that fails its filter changes nothing
    assertThat(matches(pattern, "a1@0 b1@1 c1@2"), empty());                   // e2 and e3 within the second: none
    assertThat(matches(pattern, "a1@0 b1@1 c1@12"), empty());                  // e2 broke the absence: none, even later
    // An e3 during the absence is not taken (the absence has not lasted yet); a later one is.
    assertThat(matches(pattern, "a1@0 c1@1 c2@10"), contains("{a1 c2}"));
    // After the absence has lasted, an e2 no longer matters.
    assertThat(matches(pattern, "a1@0 b1@10 c1@11"), contains("{a1 c1}"));
  }

  @Test
  public void leadingAbsenceNeedsTheDurationWithoutSuchEventBeforeTheNextStage() {
    // Siddhi "not e1 for 1 sec -> e2". The key's time starts at its first event (as a Siddhi
    // partition starts with its key's first event): x1 at 0 plays the start of the app.
    Pattern pattern = Pattern.beginAbsence("a").where(is("a")).lasting(Duration.standardSeconds(10)).followedBy("b").where(is("b"));
    assertThat(matches(pattern, "x1@0 b1@11"), contains("{b1}"));              // e2 after 1.1 s: one match
    assertThat(matches(pattern, "x1@0 a1@1 b1@22"), contains("{b1}"));         // e1 at 0.1 s, e2 at 2.2 s: one match
    assertThat(matches(pattern, "x1@0 a1@0 b1@1"), empty());                   // e1 then e2 within the second: none
    assertThat(matches(pattern, "x1@0 a1@5 b1@14"), empty());                  // e2 only 0.9 s after e1: none
    assertThat(matches(pattern, "b1@0"), empty());                             // e2 right at the start: none
    // e1 exactly one second before e2: the silence lasted exactly the duration, which is enough.
    assertThat(matches(pattern, "x1@0 a1@5 b1@15"), contains("{b1}"));
    // Siddhi "not e1 for 1 sec -> e2 -> e3" with e1 at 0, e2 at 1.1 s, e3 at 1.2 s: one match.
    Pattern chain = Pattern.beginAbsence("a").where(is("a")).lasting(Duration.standardSeconds(10))
        .followedBy("b").where(is("b")).followedBy("c").where(is("c"));
    assertThat(matches(chain, "a1@0 b1@11 c1@12"), contains("{b1 c1}"));
    // Unlike Siddhi's pattern without every, each later e2 starts a match too (as any start does here).
    assertThat(matches(pattern, "x1@0 b1@11 b2@23"), contains("{b1}", "{b2}"));
  }

  private static Pattern heartbeat(int everySeconds, int withinSeconds) {
    return Pattern.begin("last").notFollowedBy("quiet").lasting(Duration.standardSeconds(everySeconds)).repeating()
        .within(Duration.standardSeconds(withinSeconds));
  }

  @Test
  public void repeatingAbsenceMatchesOncePerPeriodUntilAnEventOrWithin() {
    // Siddhi "e1 -> every not e2 for 1 sec" with no e2, 3.2 s observed: three matches, at 1, 2 and 3 s.
    Pattern pattern = begin("a").notFollowedBy("b").where(is("b")).lasting(Duration.standardSeconds(10)).repeating()
        .within(Duration.standardSeconds(32));
    MatcherHarness harness = feed(MatcherHarness.of(pattern, SCHEMA), "a1@0");
    // Siddhi's playback test: one after the first period, two after the second.
    assertThat(rendered(harness.advanceTo(10_000).matches()), contains("{a1}@10"));
    assertThat(rendered(harness.advanceTo(25_000).matches()), contains("{a1}@10", "{a1}@20"));
    assertThat(rendered(harness.advanceTo(Long.MAX_VALUE).matches()), contains("{a1}@10", "{a1}@20", "{a1}@30"));
    // "(e1 -> every not e2 for 900 ms) within 2 sec": 9 and 18 s; 27 s is past 0 + 20 s.
    Pattern bounded = begin("a").notFollowedBy("b").where(is("b")).lasting(Duration.standardSeconds(9)).repeating()
        .within(Duration.standardSeconds(20));
    assertThat(rendered(run(bounded, "a1@0").advanceTo(Long.MAX_VALUE).matches()), contains("{a1}@9", "{a1}@18"));
    // e2 at 2.1 s: two matches, then none (the absence is broken). An e2 failing its filter breaks nothing.
    Pattern long60 = begin("a").notFollowedBy("b").where(is("b")).lasting(Duration.standardSeconds(10)).repeating()
        .within(Duration.standardSeconds(60));
    assertThat(rendered(run(long60, "a1@0 b1@21").advanceTo(Long.MAX_VALUE).matches()), contains("{a1}@10", "{a1}@20"));
    assertThat(rendered(run(bounded, "a1@0 x1@1").advanceTo(Long.MAX_VALUE).matches()), contains("{a1}@9", "{a1}@18"));
    // e2 100 ms after e1: none at all, and nothing timed out.
    MatcherHarness broken = run(long60, "a1@0 b1@1").advanceTo(Long.MAX_VALUE);
    assertThat(broken.matches(), empty());
    assertThat(broken.timedOut(), empty());
  }

  @Test
  public void heartbeatSilenceRestartsAtEveryEventOfTheKey() {
    // Every event of the key is "last" and breaks the previous silence. Period 5 s, within 12 s:
    // at most two alerts per silence (5 and 10 s after its event; 15 > 12).
    // Events at 0, 3, 20: 0's silence is broken at 3 (no alert); 3's gives 8 and 13, 18 is past 3 + 12;
    // 20's gives 25 and 30 when the input ends (the watermark passes every time).
    MatcherHarness harness = run(heartbeat(5, 12), "x1@0 x2@3 x3@20").advanceTo(Long.MAX_VALUE);
    assertThat(rendered(harness.matches()), contains("{x2}@8", "{x2}@13", "{x3}@25", "{x3}@30"));
    assertThat(harness.timedOut(), empty());
    assertThat(harness.state("k").isEmpty(), equalTo(true));
    // An event exactly at the end of a period: that period was silent (the alert comes), the next is not.
    assertThat(rendered(run(heartbeat(5, 12), "x1@0 x2@5").matches()), contains("{x1}@5"));
  }

  // --- a bound between consecutive events (Flink's WithinType.PREVIOUS_AND_CURRENT, set per stage
  // as in Flink 1.16+): NFAITCase.testSimplePatternWithTimeWindowNFAWithinPreviousAndCurrent and
  // testSimplePatternWithTimeoutHandlingWithinPreviousAndCurrent, in seconds instead of milliseconds.

  @Test
  public void withinPreviousBoundsTheTimeFromThePreviousEvent() {
    Pattern firstToLast = begin("start").followedBy("middle").where(is("middle")).followedBy("end").where(is("end"))
        .within(Duration.standardSeconds(10));
    Pattern previous = begin("start").followedBy("middle").where(is("middle")).followedBy("end").where(is("end"))
        .withinPrevious(Duration.standardSeconds(9));
    String events = "start1@1 start2@2 middle@3 foobar@4 end1@11 end2@13";
    // First to last within 10: only start2 (end1 at 11 is 10 after start1, not less).
    assertThat(matches(firstToLast, events), contains("{start2 middle end1}"));
    // Previous to current within 9: end1 comes 8 after middle, so both starts match.
    assertThat(matches(previous, events), contains("{start1 middle end1}", "{start2 middle end1}"));
  }

  @Test
  public void partialMatchPastItsWithinPreviousBoundTimesOutAtThatBound() {
    Pattern pattern = begin("start").followedByAny("middle").where(is("middle")).followedByAny("end").where(is("end"))
        .withinPrevious(Duration.standardSeconds(10));
    MatcherHarness harness = run(pattern, "start1@1 start2@2 middle@3 foobar@4 end1@11 end2@13");
    assertThat(harness.matches().stream().map(MatcherSemanticsTest::render).toList(), contains("{start1 middle end1}", "{start2 middle end1}"));
    // Flink: the two partial matches that wait for 'end' time out at middle + 10 = 13; those that
    // wait for 'middle' have no bound there and stay.
    assertThat(harness.timedOut().stream().map(m -> render(m) + "@" + m.timedOutAt() / 1000).toList(),
        contains("{start1 middle}@13", "{start2 middle}@13"));
  }

  @Test
  public void withinPreviousOnALoopBoundsEachStepOfTheLoop() {
    // A loop of a's, each less than 3 s after the one before; 'b' ends it.
    Pattern pattern = begin("c").followedBy("a").where(is("a")).oneOrMore().consecutive().withinPrevious(Duration.standardSeconds(3))
        .followedBy("b").where(is("b"));
    // a3 comes 4 s after a2: the loop cannot take it, so c a1 a2 ends there and a3 is only skipped by 'b'.
    assertThat(matches(pattern, "c@0 a1@1 a2@3 a3@7 b@8"), containsInAnyOrder("{c a1 b}", "{c a1 a2 b}"));
  }

  @Test
  public void patternsThatEndByThemselvesNeedNoWithin() {
    assertThat(aThenNoBFor10s().unboundedWait(), equalTo(null));
    assertThat(Pattern.beginAbsence("a").lasting(Duration.standardSeconds(1)).followedBy("b").unboundedWait(), equalTo(null));
    assertThat(begin("a").next("b").where(is("b")).unboundedWait(), equalTo(null));
    assertThat(begin("a").oneOrMore().until(is("b")).unboundedWait(), equalTo(null));
    assertThat(begin("a").followedBy("b").withinPrevious(Duration.standardSeconds(1)).unboundedWait(), equalTo(null));
    assertThat(begin("a").followedBy("b").unboundedWait(), containsString("stage 'b'"));
    assertThat(begin("a").oneOrMore().unboundedWait(), containsString("loop of stage 'a'"));
    assertThat(begin("a").notFollowedBy("b").unboundedWait(), containsString("no lasting"));
    // Without within, an absence with a duration leaves nothing behind to time out.
    MatcherHarness harness = run(aThenNoBFor10s(), "a1@0 a2@3 b1@5").advanceTo(Long.MAX_VALUE);
    assertThat(harness.matches(), empty());
    assertThat(harness.timedOut(), empty());
    assertThat(harness.state("k").isEmpty(), equalTo(true));
  }

  @Test
  public void malformedAbsencesAreRefusedNamingTheStage() {
    String leading = assertThrows(IllegalArgumentException.class,
        () -> Pattern.beginAbsence("a").followedBy("b").validate()).getMessage();
    assertThat(leading, containsString("stage 'a': a pattern can start with an absence only with lasting"));
    String repeatWithout = assertThrows(IllegalArgumentException.class,
        () -> begin("a").notFollowedBy("b").lasting(Duration.standardSeconds(1)).repeating().validate()).getMessage();
    assertThat(repeatWithout, containsString("repeating() needs within"));
    String tooLong = assertThrows(IllegalArgumentException.class,
        () -> aThenNoBFor10s().within(Duration.standardSeconds(5)).validate()).getMessage();
    assertThat(tooLong, containsString("longer than within"));
    String strictAfter = assertThrows(IllegalArgumentException.class,
        () -> aThenNoBFor10s().next("c").validate()).getMessage();
    assertThat(strictAfter, containsString("stage 'c': after an absence with lasting(...)"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> begin("a").lasting(Duration.standardSeconds(1))).getMessage(),
        containsString("applies to a negation with notFollowedBy"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> begin("a").withinPrevious(Duration.standardSeconds(1)).validate())
        .getMessage(), containsString("on the first stage"));
  }

  // --- after-match skip strategies, on b+ c over b1 b2 b3 c

  private static List<String> bPlusC(SkipStrategy skip) {
    return matches(begin("b").oneOrMore().consecutive().greedy().next("c").where(is("c")).skip(skip), "b1 b2 b3 c");
  }

  @Test
  public void noSkipEmitsEveryMatch() {
    assertThat(bPlusC(SkipStrategy.noSkip()), contains("{b1 b2 b3 c}", "{b2 b3 c}", "{b3 c}"));
  }

  @Test
  public void skipToNextDropsMatchesWithTheSameStart() {
    assertThat(bPlusC(SkipStrategy.skipToNext()), contains("{b1 b2 b3 c}", "{b2 b3 c}", "{b3 c}"));
    assertThat(matches(begin("a").next("b").where(is("b")).oneOrMore().skip(SkipStrategy.skipToNext()), "a b1 b2 b3"), contains("{a b1}"));
    assertThat(matches(begin("a").followedByAny("b").where(is("b")).skip(SkipStrategy.skipToNext()), "a1 b1 a2 b2"),
        contains("{a1 b1}", "{a2 b2}"));
  }

  @Test
  public void skipPastLastEventDropsOverlappingMatches() {
    assertThat(bPlusC(SkipStrategy.skipPastLastEvent()), contains("{b1 b2 b3 c}"));
    Pattern chain = begin("a").followedByAny("b").where(is("b")).followedByAny("c").where(is("c")).followedBy("d").where(is("d"))
        .skip(SkipStrategy.skipPastLastEvent());
    assertThat(matches(chain, "a1 a2 b1 b2 c1 c2 d1 d2"), contains("{a1 b1 c1 d1}"));
    assertThat(matches(begin("a").next("b").where(is("b")).skip(SkipStrategy.skipPastLastEvent()), "a1 c a2 b2"), contains("{a2 b2}"));
  }

  @Test
  public void skipToFirstAndLastOfAStage() {
    assertThat(bPlusC(SkipStrategy.skipToFirst("b")), contains("{b1 b2 b3 c}", "{b2 b3 c}", "{b3 c}"));
    assertThat(bPlusC(SkipStrategy.skipToLast("b")), contains("{b1 b2 b3 c}", "{b3 c}"));
    Pattern twice = Pattern.begin("start").where("event.type == 'ab'").times(2).next("end").where("event.type == 'ab'").times(2);
    assertThat(matches(twice.skip(SkipStrategy.skipToFirst("end")), "ab1 ab2 ab3 ab4 ab5 ab6"), contains("{ab1 ab2 ab3 ab4}", "{ab3 ab4 ab5 ab6}"));
    assertThat(matches(twice.skip(SkipStrategy.skipToLast("end")), "ab1 ab2 ab3 ab4 ab5 ab6 ab7"), contains("{ab1 ab2 ab3 ab4}", "{ab4 ab5 ab6 ab7}"));
  }

  @Test
  public void skipToAStageThatTookNothingSkipsNothing() {
    Pattern pattern = begin("a").next("b").where(is("b")).oneOrMore().optional().consecutive().next("c").where(is("c"));
    assertThat(matches(pattern.skip(SkipStrategy.skipToFirst("b")), "a c"), contains("{a c}"));
  }

  @Test
  public void aMatchIsHeldBackUntilEarlierPartialMatchesEnd() {
    Pattern pattern = begin("a").followedBy("c").where(is("c")).followedBy("b").where("event.type == 'b' && event.price == a.price")
        .skip(SkipStrategy.skipToFirst("c"));
    assertThat(matches(pattern, "a1:0 c1 a2:1 c2 b1:1 b2:0"), contains("{a1 c1 b2}", "{a2 c2 b1}"));
  }

  // --- conditions over earlier stages

  @Test
  public void conditionsReadEarlierStagesAndThePreviousEvent() {
    Pattern fraud = Pattern.begin("us").where("event.type == 'us'")
        .followedBy("abroad").where("event.type != 'us' && event.price > us.price");
    assertThat(matches(fraud, "us1:10 fr1:5 fr2:20"), contains("{us1 fr2}"));
    Pattern rising = Pattern.begin("first").next("up").where("event.price > prev.price").oneOrMore().consecutive()
        .next("top").where("event.price > prev.price && size(up) >= 2").skip(SkipStrategy.skipPastLastEvent());
    assertThat(matches(rising, "x1:1 x2:2 x3:3 x4:4 x5:1 x6:2"), contains("{x1 x2 x3 x4}"));
  }

  @Test
  public void aFailingConditionIsReportedAndCountsAsFalse() {
    Pattern pattern = Pattern.begin("a").where("1 / int(event.price) > 0");
    MatcherHarness harness = run(pattern, "a1:0 a2:1");
    assertThat(harness.matches().stream().map(MatcherSemanticsTest::render).toList(), contains("{a2}"));
    assertThat(harness.failures().size(), equalTo(1));
    assertThat(harness.failures().get(0), containsString("stages.a.where"));
  }

  // --- aggregates over a loop's events (sum, avg, min, max, count), as Flink SQL's MATCH_RECOGNIZE
  // has them in DEFINE. Its documentation's example: PATTERN (A B+), A AS A.price >= 10, B AS
  // B.price > A.price AND SUM(price) < 100 AND SUM(B.price) < 80, over prices 10, 15, 20, 31, 35:
  // B takes 15, 20 and 31, and not 35 (SUM(price) would be 111, SUM(B.price) 101). There B.price
  // includes the row being tried; here a loop sees the events it took so far, so the condition
  // adds the event: b + [event].

  @Test
  public void aggregatesOverALoopDecideWhatItTakes() {
    Pattern pattern = Pattern.begin("a").where("event.price >= 10.0")
        .next("b").where("event.price > a.price && a.price + sum(b + [event], 'price') < 100.0 && sum(b + [event], 'price') < 80.0")
        .oneOrMore().consecutive();
    List<String> fromFirst = matches(pattern, "r1:10 r2:15 r3:20 r4:31 r5:35").stream().filter(m -> m.startsWith("{r1")).toList();
    assertThat(fromFirst, contains("{r1 r2}", "{r1 r2 r3}", "{r1 r2 r3 r4}"));
  }

  @Test
  public void aggregatesSkipNullsAndGiveNullOverNothing() {
    // avg/min/max/count over the loop so far, tried at the third event: the loop holds a1:2 and a2:4.
    Pattern pattern = Pattern.begin("a").where("event.type == 'a'").oneOrMore().consecutive()
        .next("c").where("avg(a, 'price') == 3.0 && min(a, 'price') == 2.0 && max(a, 'price') == 4.0 && count(a) == 2"
            + " && count(a, 'price') == 2 && sum(a.map(e, e.price * 2.0)) == 12.0");
    assertThat(matches(pattern, "a1:2 a2:4 c1"), contains("{a1 a2 c1}"));
    // Over an empty list: sum, avg, min and max are null, so a comparison with them is false; count is 0.
    Pattern empty = Pattern.begin("a").where("event.type == 'a'").oneOrMore().next("c").where("count(a.filter(e, e.price > 100.0)) == 0");
    assertThat(matches(empty, "a1:2 c1"), contains("{a1 c1}"));
    Pattern nullSum = Pattern.begin("a").where("event.type == 'a'").oneOrMore().next("c").where("sum(a.filter(e, e.price > 100.0), 'price') < 1.0");
    assertThat(matches(nullSum, "a1:2 c1"), empty());
  }

  @Test
  public void aggregateOfAFieldThatIsMissingOrNotANumberIsRefusedWhenCompiled() {
    Pattern missing = Pattern.begin("a").oneOrMore().next("c").where("sum(a, 'prize') > 1.0");
    assertThat(assertThrows(IllegalArgumentException.class, () -> MatcherHarness.of(missing, SCHEMA)).getMessage(),
        containsString("stages.c.where: sum(a, 'prize'): the events have no field 'prize'; fields are [id, type, price]"));
    Pattern text = Pattern.begin("a").oneOrMore().next("c").where("max(a, 'type') > 1.0");
    assertThat(assertThrows(IllegalArgumentException.class, () -> MatcherHarness.of(text, SCHEMA)).getMessage(),
        containsString("max(a, 'type'): field 'type' is a STRING, not a number"));
    // In emit, an aggregate is a double field.
    Nfa nfa = Nfa.compile("steps[0]", Pattern.begin("a").oneOrMore().within(Duration.standardSeconds(1)), SCHEMA);
    MatchRows rows = MatchRows.of("steps[0]", nfa, java.util.Map.of("total", "sum(a, 'price')"));
    assertThat(rows.outputSchema().getField("total").getType().getTypeName(), equalTo(Schema.TypeName.DOUBLE));
  }

  // --- state

  @Test
  public void stateStaysBoundedWithWithin() {
    Pattern pattern = begin("a").followedBy("b").where(is("b")).within(Duration.standardSeconds(10));
    MatcherHarness harness = MatcherHarness.of(pattern, SCHEMA).discardingMatches();
    for (int i = 0; i < 20_000; i++) {
      String type = i % 7 == 0 ? "b" : "a";
      harness.feed("k", Row.withSchema(SCHEMA).addValues(type + i, type, 0.0).build(), i * 1000L);
      assertThat(harness.state("k").bufferedEvents(), lessThanOrEqualTo(11));
    }
    harness.advanceTo(Long.MAX_VALUE);
    assertThat(harness.state("k").isEmpty(), equalTo(true));
    assertThat(harness.state("k").bufferedEvents(), equalTo(0));
  }

  @Test
  public void eventsOutOfOrderAreRefusedByTheAutomaton() {
    MatcherHarness harness = MatcherHarness.of(begin("a"), SCHEMA);
    harness.feed("k", Row.withSchema(SCHEMA).addValues("a1", "a", 0.0).build(), 5_000);
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
        () -> harness.feed("k", Row.withSchema(SCHEMA).addValues("a2", "a", 0.0).build(), 4_000));
    assertThat(error.getMessage(), containsString("event-time order"));
  }
}
