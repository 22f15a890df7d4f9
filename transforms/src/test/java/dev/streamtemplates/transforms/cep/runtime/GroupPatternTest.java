package dev.streamtemplates.transforms.cep.runtime;

import static dev.streamtemplates.transforms.cep.runtime.MatcherSemanticsTest.SCHEMA;
import static dev.streamtemplates.transforms.cep.runtime.MatcherSemanticsTest.begin;
import static dev.streamtemplates.transforms.cep.runtime.MatcherSemanticsTest.is;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.transforms.cep.Pattern;
import dev.streamtemplates.transforms.cep.SkipStrategy;
import dev.streamtemplates.transforms.cep.nfa.Nfa;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Duration;
import org.junit.Test;

/**
 * Group patterns (Flink CEP's {@code GroupPattern}): a sub-pattern repeated as a whole, with its own
 * quantifier and the contiguity between its repetitions. Expected matches are written by hand from
 * Flink CEP's documented semantics ("Groups of patterns" in its docs; the cases follow its
 * GroupITCase: a group behaves like a looping stage whose "event" is one pass through the group),
 * with events rendered in the order they came, e.g. {@code {c a1 b1 a2 b2 d}}.
 */
public class GroupPatternTest {

  /** Two stages a then b (relaxed), to be used as a group. */
  private static Pattern ab() {
    return begin("a").followedBy("b").where(is("b"));
  }

  private static List<String> matches(Pattern pattern, String input) {
    return render(MatcherSemanticsTest.run(pattern, input).matches(), input);
  }

  /** A match's events in arrival order (the match keeps them per stage). */
  private static List<String> render(List<Match> matches, String input) {
    List<String> order = List.of(input.replaceAll("[@:][0-9.]+", "").trim().split("\\s+"));
    List<String> rendered = new ArrayList<>();
    for (Match match : matches) {
      List<String> ids = new ArrayList<>();
      match.stages().forEach(stage -> stage.forEach(row -> ids.add(row.getString("id"))));
      ids.sort(Comparator.comparingInt(order::indexOf));
      rendered.add("{" + String.join(" ", ids) + "}");
    }
    return rendered;
  }

  @Test
  public void fixedTimesTakesExactlyThatManyRepetitions() {
    Pattern pattern = begin("c").followedBy("g", ab()).times(2).followedBy("d").where(is("d"));
    assertThat(matches(pattern, "c a1 b1 a2 b2 d"), contains("{c a1 b1 a2 b2 d}"));
    assertThat(matches(pattern, "c a1 b1 d"), empty());
    // Relaxed between repetitions and inside them: other events in between are skipped.
    assertThat(matches(pattern, "c x a1 x b1 x a2 b2 x d"), contains("{c a1 b1 a2 b2 d}"));
  }

  @Test
  public void oneOrMoreGivesEveryNumberOfRepetitionsItCanReach() {
    // After each repetition the run may end the group (d is next) or start another one (relaxed: the first a after it).
    Pattern pattern = begin("c").followedBy("g", ab()).oneOrMore().followedBy("d").where(is("d"));
    assertThat(matches(pattern, "c a1 b1 a2 b2 d"), containsInAnyOrder("{c a1 b1 d}", "{c a1 b1 a2 b2 d}"));
    assertThat(matches(pattern, "c a1 b1 a2 b2 a3 b3 d"), containsInAnyOrder("{c a1 b1 d}", "{c a1 b1 a2 b2 d}", "{c a1 b1 a2 b2 a3 b3 d}"));
    // An unfinished repetition does not count: a2 without its b leaves one repetition.
    assertThat(matches(pattern, "c a1 b1 a2 d"), contains("{c a1 b1 d}"));
  }

  @Test
  public void timesOrMoreNeedsItsMinimum() {
    Pattern pattern = begin("c").followedBy("g", ab()).timesOrMore(2).followedBy("d").where(is("d"));
    assertThat(matches(pattern, "c a1 b1 d"), empty());
    assertThat(matches(pattern, "c a1 b1 a2 b2 a3 b3 d"), containsInAnyOrder("{c a1 b1 a2 b2 d}", "{c a1 b1 a2 b2 a3 b3 d}"));
  }

  @Test
  public void timesMinMaxStopsAtItsMaximum() {
    Pattern pattern = begin("s").where(is("s")).followedBy("g", ab()).times(2, 3).followedBy("e").where(is("e"));
    assertThat(matches(pattern, "s a1 b1 a2 b2 a3 b3 a4 b4 e"), containsInAnyOrder("{s a1 b1 a2 b2 e}", "{s a1 b1 a2 b2 a3 b3 e}"));
  }

  @Test
  public void consecutiveGroupNeedsEachRepetitionRightAfterTheLast() {
    // (a next b)+ consecutive, then c: x breaks the chain of repetitions, so a1 b1 and a2 b2 never join.
    Pattern group = begin("a").next("b").where(is("b"));
    Pattern pattern = Pattern.beginGroup("g", group).oneOrMore().consecutive().followedBy("c").where(is("c"));
    assertThat(matches(pattern, "a1 b1 x a2 b2 c"), containsInAnyOrder("{a1 b1 c}", "{a2 b2 c}"));
    Pattern relaxed = Pattern.beginGroup("g", group).oneOrMore().followedBy("c").where(is("c"));
    assertThat(matches(relaxed, "a1 b1 x a2 b2 c"), containsInAnyOrder("{a1 b1 c}", "{a1 b1 a2 b2 c}", "{a2 b2 c}"));
    // Strict inside the group: a then x then b is no repetition.
    assertThat(matches(pattern, "a1 x b1 c"), empty());
  }

  @Test
  public void allowCombinationsMayAlsoSkipAMatchingRepetition() {
    // Non-deterministic relaxed between repetitions: a second repetition may start at a2 or at a3.
    Pattern pattern = begin("s").where(is("s")).followedBy("g", begin("a").next("b").where(is("b"))).times(2).allowCombinations()
        .followedBy("e").where(is("e"));
    assertThat(matches(pattern, "s a1 b1 a2 b2 a3 b3 e"), containsInAnyOrder("{s a1 b1 a2 b2 e}", "{s a1 b1 a3 b3 e}"));
  }

  @Test
  public void nextBeforeTheGroupBindsItsFirstEvent() {
    Pattern pattern = begin("s").where(is("s")).next("g", ab()).oneOrMore().followedBy("e").where(is("e"));
    assertThat(matches(pattern, "s x a1 b1 e"), empty());
    assertThat(matches(pattern, "s a1 b1 e"), contains("{s a1 b1 e}"));
  }

  @Test
  public void optionalGroupMayBeSkipped() {
    Pattern pattern = begin("s").where(is("s")).followedBy("g", ab()).optional().followedBy("c").where(is("c"));
    assertThat(matches(pattern, "s a1 b1 c"), containsInAnyOrder("{s c}", "{s a1 b1 c}"));
  }

  @Test
  public void optionalStageInsideTheGroup() {
    // (a b? c)+: each repetition with or without its b; the b is taken when it comes (relaxed), the run without it goes on too.
    Pattern group = begin("a").followedBy("b").where(is("b")).optional().followedBy("c").where(is("c"));
    Pattern pattern = begin("s").where(is("s")).followedBy("g", group).times(2).followedBy("e").where(is("e"));
    assertThat(matches(pattern, "s a1 c1 a2 b2 c2 e"), containsInAnyOrder("{s a1 c1 a2 c2 e}", "{s a1 c1 a2 b2 c2 e}"));
  }

  @Test
  public void conditionsSeeEveryRepetitionAsAList() {
    // e needs exactly two repetitions before it; b needs a higher price than the a of its own repetition (the last a taken).
    Pattern group = begin("a").followedBy("b").where(is("b") + " && event.price > a[size(a) - 1].price");
    Pattern pattern = begin("s").where(is("s")).followedBy("g", group).oneOrMore().followedBy("e").where(is("e") + " && size(a) == 2");
    assertThat(matches(pattern, "s a1:1 b1:2 a2:5 b2:3 b3:6 a3:1 b4:2 e"), contains("{s a1 b1 a2 b3 e}"));
  }

  @Test
  public void loopingStageInsideALoopingGroup() {
    // (a+ b){2}: each repetition takes one or more a's (relaxed loop) then a b.
    Pattern group = begin("a").oneOrMore().consecutive().next("b").where(is("b"));
    Pattern pattern = begin("s").where(is("s")).next("g", group).times(2).consecutive().next("e").where(is("e"));
    assertThat(matches(pattern, "s a1 a2 b1 a3 b2 e"), contains("{s a1 a2 b1 a3 b2 e}"));
    assertThat(matches(pattern, "s a1 b1 e"), empty());
  }

  @Test
  public void matchRowsListEveryRepetitionPerStage() throws Exception {
    Pattern pattern = begin("s").where(is("s")).followedBy("g", ab()).oneOrMore().consecutive().followedBy("e").where(is("e"));
    Nfa nfa = Nfa.compile("test", pattern, SCHEMA);
    MatchRows rows = MatchRows.of("test", nfa, Map.of());
    Schema schema = rows.outputSchema();
    assertThat(schema.getField("a").getType().getTypeName(), equalTo(Schema.TypeName.ARRAY));
    assertThat(schema.getField("s").getType().getTypeName(), equalTo(Schema.TypeName.ROW));
    assertThat(schema.hasField("g"), equalTo(false));
    List<Match> found = MatcherSemanticsTest.run(pattern, "s a1 b1 a2 b2 e").matches();
    Row longest = null;
    for (Match match : found) {
      Row row = rows.match("k", match);
      if (row.getArray("a").size() == 2) {
        longest = row;
      }
    }
    assertThat(longest.<Row>getArray("b").stream().map(r -> r.getString("id")).toList(), contains("b1", "b2"));
  }

  @Test
  public void skipToFirstCanNameAStageInsideAGroup() {
    // skipToFirst(b): after {a1 b1 a2 b2 c}, partial matches that started before b1 are dropped: a2's own one survives.
    Pattern pattern = Pattern.beginGroup("g", ab()).oneOrMore().consecutive().followedBy("c").where(is("c"))
        .skip(SkipStrategy.skipToFirst("b"));
    assertThat(matches(pattern, "a1 b1 a2 b2 c"), contains("{a1 b1 a2 b2 c}", "{a2 b2 c}"));
  }

  @Test
  public void withinBoundsTheWholeMatchAndTimesOutPartialOnes() {
    Pattern pattern = begin("s").where(is("s")).followedBy("g", ab()).times(2).within(Duration.standardSeconds(10));
    MatcherHarness harness = MatcherSemanticsTest.run(pattern, "s@0 a1@1 b1@2 a2@3 b2@12");
    assertThat(harness.matches(), empty());
    harness.advanceTo(Long.MAX_VALUE);
    assertThat(render(harness.timedOut(), "s a1 b1 a2 b2"), contains("{s a1 b1 a2}"));
  }

  @Test
  public void refusesWhatAGroupCannotBe() {
    assertThat(assertThrows(IllegalArgumentException.class, () -> begin("s").followedBy("g", begin("a").notFollowedBy("n").followedBy("b")))
        .getMessage(), containsString("group 'g': stage 'n' is a negation; a group holds only stages that take events"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> begin("s").followedBy("g", begin("a").oneOrMore())).getMessage(),
        containsString("group 'g' has one stage; quantify the stage itself"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> begin("s").followedBy("g", begin("a").optional().followedBy("b")))
        .getMessage(), containsString("its first stage 'a' cannot be optional"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> begin("s").followedBy("g", Pattern.beginGroup("h", ab())))
        .getMessage(), containsString("groups cannot nest"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> begin("s").followedBy("g", ab()).oneOrMore().greedy()).getMessage(),
        containsString("group 'g': greedy() applies to a stage, not to a group"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> begin("s").followedBy("g", ab()).consecutive()).getMessage(),
        containsString("group 'g': consecutive() applies to a repeating group"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> begin("s").followedBy("s", begin("x").followedBy("y"))).getMessage(),
        containsString("name 's' is used twice"));
    assertThat(assertThrows(IllegalArgumentException.class,
        () -> begin("s").followedBy("g", ab()).oneOrMore().notFollowedBy("n").followedBy("e").within(Duration.standardMinutes(1)).validate())
        .getMessage(), containsString("stage 'n': a negation cannot follow group 'g'"));
    Pattern huge = begin("s").followedBy("g", ab()).times(1, 40);
    assertThat(assertThrows(IllegalArgumentException.class, () -> Nfa.compile("steps[0]", huge, SCHEMA)).getMessage(),
        containsString("steps[0]: pattern 'pattern' needs 81 automaton nodes"));
  }

  @Test
  public void aRepeatingGroupNeedsWithinUnlessItsRepetitionsAreBound() {
    assertThat(Pattern.beginGroup("g", ab()).oneOrMore().next("c").unboundedWait(),
        containsString("the repetitions of group 'g' wait for more events"));
    Pattern bound = Pattern.beginGroup("g", begin("a").next("b").where(is("b"))).oneOrMore().consecutive().next("c");
    assertThat(bound.unboundedWait(), nullValue());
  }

  @Test
  public void toStringShowsTheGroup() {
    assertThat(begin("s").followedBy("g", ab()).timesOrMore(2).followedBy("e").toString(), equalTo("pattern: s g=(a b){2,} e"));
  }
}
