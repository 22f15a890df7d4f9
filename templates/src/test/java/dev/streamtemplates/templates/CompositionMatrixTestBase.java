package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.streamtemplates.pipelines.launcher.Launcher;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.templates.CompositionMatrix.Branch;
import dev.streamtemplates.templates.CompositionMatrix.Pair;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The composition matrix ({@link CompositionMatrix}) on one runner: one job runs every pair the
 * runner can build, each branch's sink is compared with the reference model's output (as sets of
 * JSON records, floating point to 12 digits), the dead letters per step with the reference's, and
 * every pair that must be refused is built alone and refused with its message. All differences
 * are collected and reported together, per pair. Runner modules subclass it with their options.
 */
public abstract class CompositionMatrixTestBase {
  @Rule public final TemporaryFolder work = new TemporaryFolder();

  /** The runner and its options. */
  protected abstract List<String> runnerArgs();

  /**
   * The part of the message with which this runner refuses a pair at build, or null when it runs
   * it (Spark in streaming mode refuses the steps that need event-time timers).
   */
  protected String runnerRefusal(Pair pair) {
    return null;
  }

  /**
   * Pairs known to give a wrong answer on this runner (by {@link Pair#id()}), each a bug reported
   * in templates/README.md's composition matrix; they are still run, and must still fail (so the
   * list is kept honest).
   */
  protected Set<String> knownFailures() {
    return Set.of();
  }

  /** How many pairs one job runs. */
  protected int pairsPerJob() {
    return 20;
  }

  private Launcher.Launch prepare(Launcher launcher, Path spec) {
    List<String> args = new ArrayList<>(List.of(spec.toString(), "--home=" + ConformanceHarness.repoRoot()));
    args.addAll(runnerArgs());
    return launcher.prepare(args.toArray(new String[0]));
  }

  /** Whether the pairs this runner builds are run here (false: only its refusals are checked). */
  protected boolean runsPairs() {
    return true;
  }

  @Test
  public void everyPairGivesTheReferenceAnswer() throws Exception {
    org.junit.Assume.assumeTrue("the pairs are not run on " + runnerArgs(), runsPairs());
    Path dir = work.getRoot().toPath();
    CompositionMatrix.writeInputs(dir);
    List<Branch> run = new ArrayList<>();
    for (Pair pair : CompositionMatrix.pairs()) {
      Branch branch = CompositionMatrix.branch(pair);
      if (branch.refusal() == null && runnerRefusal(pair) == null) {
        run.add(branch);
      }
    }
    // Several jobs of a few pairs each: Flink's batch optimizer takes at most 64 consumers of one
    // source, and a streaming job's network buffers run out with hundreds of shuffles.
    long start = System.nanoTime();
    for (int from = 0; from < run.size(); from += pairsPerJob()) {
      List<Branch> chunk = run.subList(from, Math.min(run.size(), from + pairsPerJob()));
      Path spec = dir.resolve("matrix-" + from + ".yaml");
      Files.writeString(spec, CompositionMatrix.spec(chunk, dir, "dead-letter-" + from));
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      Launcher launcher = new Launcher(new PrintStream(log, true, StandardCharsets.UTF_8));
      PipelineResult result = launcher.run(prepare(launcher, spec));
      assertThat("the matrix job of pairs " + from + " to " + (from + chunk.size() - 1) + " finished\n" + log.toString(StandardCharsets.UTF_8),
          result.getState(), equalTo(PipelineResult.State.DONE));
    }
    System.out.printf("composition matrix: %d pairs on %s in %.1f s%n", run.size(), runnerArgs(), (System.nanoTime() - start) / 1e9);

    List<String> problems = new ArrayList<>();
    List<String> stillFailing = new ArrayList<>();
    Map<String, Integer> expectedDead = new TreeMap<>();
    for (Branch branch : run) {
      branch.deadLetters().forEach((step, n) -> expectedDead.merge(step, n, Integer::sum));
      List<String> actual = ConformanceHarness.readRecords(dir.resolve("out").resolve(branch.pair().sinkName()).toString(), "json");
      List<String> expected = CompositionMatrix.expectedLines(branch);
      String diff = diff(actual, expected);
      boolean known = knownFailures().contains(branch.pair().id());
      if (diff != null && !known) {
        problems.add(branch.pair() + " (" + branch.pair().id() + "): " + diff);
      } else if (diff == null && known) {
        problems.add(branch.pair() + " is listed as a known failure but now gives the reference answer: take it off the list");
      } else if (diff != null) {
        stillFailing.add(branch.pair().id());
      }
      if (expected.isEmpty() && diff == null) {
        System.out.println("composition matrix: note, " + branch.pair() + " has an empty expected output");
      }
    }
    Map<String, Integer> actualDead = new TreeMap<>();
    List<String> deadLetters = ConformanceHarness.readRecords(dir.resolve("out").resolve("dead-letter").toString(), "json");
    for (String line : deadLetters) {
      actualDead.merge(CompositionMatrix.JSON.readTree(line).path("step").asText(), 1, Integer::sum);
    }
    if (!actualDead.equals(expectedDead)) {
      problems.add("dead letters per step: expected " + expectedDead + ", got " + actualDead + "\n    "
          + String.join("\n    ", deadLetters.subList(0, Math.min(8, deadLetters.size()))));
    }
    if (!stillFailing.isEmpty()) {
      System.out.println("composition matrix: known failures on " + runnerArgs() + ": " + stillFailing);
    }
    if (!problems.isEmpty()) {
      throw new AssertionError(problems.size() + " of " + run.size() + " pairs differ from the reference on " + runnerArgs() + ":\n  "
          + String.join("\n  ", problems));
    }
  }

  /** Null when equal, else what is missing and what is unexpected. */
  static String diff(List<String> actual, List<String> expected) {
    if (actual.equals(expected)) {
      return null;
    }
    List<String> missing = new ArrayList<>(expected);
    actual.forEach(missing::remove);
    List<String> unexpected = new ArrayList<>(actual);
    expected.forEach(unexpected::remove);
    return expected.size() + " expected, " + actual.size() + " written"
        + "\n    missing (" + missing.size() + "): " + String.join("\n      ", missing.subList(0, Math.min(4, missing.size())))
        + "\n    unexpected (" + unexpected.size() + "): " + String.join("\n      ", unexpected.subList(0, Math.min(4, unexpected.size())));
  }

  @Test
  public void pairsThatCannotBeBuiltAreRefusedWithAMessage() throws Exception {
    Path dir = work.getRoot().toPath();
    CompositionMatrix.writeInputs(dir);
    List<String> problems = new ArrayList<>();
    for (Pair pair : CompositionMatrix.pairs()) {
      Branch branch = CompositionMatrix.branch(pair);
      // The runner's refusal comes first: it is found while A is built, before B is.
      String expected = runnerRefusal(pair) != null ? runnerRefusal(pair) : branch.refusal();
      if (expected == null) {
        continue;
      }
      Path spec = dir.resolve(pair.id() + ".yaml");
      Files.writeString(spec, CompositionMatrix.spec(List.of(branch), dir, "refused-dead-letter"));
      Launcher launcher = new Launcher(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      try {
        launcher.run(prepare(launcher, spec));
        problems.add(pair + ": built and ran; expected a refusal containing '" + expected + "'");
      } catch (SpecException e) {
        if (!e.getMessage().contains(expected)) {
          problems.add(pair + ": refused with '" + e.getMessage() + "'; expected it to contain '" + expected + "'");
        } else {
          System.out.println("composition matrix: " + pair + " refused: " + e.getMessage().replace('\n', ' '));
        }
      } catch (RuntimeException e) {
        problems.add(pair + ": failed with " + e + " instead of a SpecException containing '" + expected + "'");
      }
    }
    if (!problems.isEmpty()) {
      throw new AssertionError(String.join("\n  ", problems));
    }
  }
}
