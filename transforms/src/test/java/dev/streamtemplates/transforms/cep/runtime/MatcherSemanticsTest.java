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
