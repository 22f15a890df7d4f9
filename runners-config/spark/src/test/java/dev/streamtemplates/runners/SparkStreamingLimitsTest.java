package dev.streamtemplates.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.pipelines.launcher.Launcher;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.templates.ConformanceHarness;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** What Spark cannot do is refused when the pipeline is built, with a message that says so. */
public class SparkStreamingLimitsTest {
  @Rule public final TemporaryFolder work = new TemporaryFolder();

  private String refusal(String template) {
    Launcher launcher = new Launcher(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    Launcher.Launch launch = launcher.prepare(new String[] {
        template, "--home=" + ConformanceHarness.repoRoot(), "--outputDir=" + work.getRoot(),
        "--runner=SparkRunner", "--sparkMaster=local[1]", "--streaming=true"});
    return assertThrows(SpecException.class, () -> launcher.run(launch)).getMessage();
  }

  @Test
  public void debouncedThresholdIsRefusedInSparkStreaming() {
    String message = refusal("threshold-crossing");
    assertThat(message, containsString("Threshold debounce needs event-time timers, which the Spark runner does not support in streaming mode"));
    assertThat(message, containsString("steps[0]"));
  }

  @Test
  public void joinsGathersEnrichmentAndCountWindowsAreRefusedInSparkStreaming() {
    assertThat(refusal("search-click-join"), containsString("the interval join needs event-time timers, which the Spark runner does not support in streaming mode"));
    assertThat(refusal("loan-application-gather"), containsString("the gather needs event-time timers"));
    assertThat(refusal("tweet-stock-enrichment"), containsString("enrichment from a changelog needs event-time timers"));
    assertThat(refusal("consecutive-rejections"), containsString("count windows need event-time timers"));
  }

  @Test
  public void repeatingSilenceIsRefusedInSparkStreaming() {
    // The timer-free mode hears nothing from a sensor that sends nothing: only a timer can wake it.
    String message = refusal("sensor-silence");
    assertThat(message, containsString("steps[0] ('silent'): the timer-free mode (WINDOWS, which Spark streaming uses because it has no event-time timers)"
        + " cannot run pattern 'silent': it cannot repeat the absence at the end"));
    // Every reason at once: no within, a skip strategy with history, a leading absence.
    String burst = refusal("dormant-card-burst");
    assertThat(burst, containsString("it sizes its windows by within: <duration>, which pattern 'burst' does not have; skip strategy skipPastLastEvent"
        + " needs the key's whole history, which it does not keep (noSkip and skipToNext work); it cannot check the absence 'dormant'"));
  }

  @Test
  public void learnIsRefusedInSparkStreaming() {
    assertThat(refusal("wait-time-forecast"),
        containsString("steps[0] ('forecast'): Learn needs event-time timers, which the Spark runner does not support in streaming mode"));
  }

  @Test
  public void deduplicateIsRefusedInSparkStreaming() {
    // The per-event Aggregate after it is not built once its input is refused; PerEventAndDeduplicateStepsTest checks its own refusal.
    assertThat(refusal("moving-average"),
        containsString("steps[0] ('unique'): Deduplicate needs event-time timers, which the Spark runner does not support in streaming mode"));
  }

  @Test
  public void fileSourcesAreRefusedInSparkStreamingNamingTheSource() {
    // Beam's Spark runner used to fail here with a NullPointerException in EvaluationContext.isLeaf.
    String message = refusal("route-by-category");
    assertThat(message, containsString("sources[0] ('shipments'): this runner cannot read a file source in streaming mode"));
    assertThat(message, containsString("run it in batch (without --streaming=true), read from Kafka, or run on Direct or Flink"));
  }

  @Test
  public void comparingWithThePreviousWindowAndPatternsOverAggregatesAreRefusedInSparkStreaming() {
    String previous = refusal("interval-change");
    assertThat(previous, containsString("steps[0] ('per-symbol'): comparing with the previous window needs event-time timers, which the Spark runner does not support"));
    assertThat(refusal("error-rate-streak"), containsString("steps[2]"));
  }
}
