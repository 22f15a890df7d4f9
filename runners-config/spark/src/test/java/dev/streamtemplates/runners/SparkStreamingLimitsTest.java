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

  @Test
  public void debouncedThresholdIsRefusedInSparkStreaming() {
    Launcher launcher = new Launcher(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    Launcher.Launch launch = launcher.prepare(new String[] {
        "threshold-crossing", "--home=" + ConformanceHarness.repoRoot(), "--outputDir=" + work.getRoot(),
        "--runner=SparkRunner", "--sparkMaster=local[1]", "--streaming=true"});
    SpecException e = assertThrows(SpecException.class, () -> launcher.run(launch));
    assertThat(e.getMessage(), containsString(
        "Threshold debounce needs event-time timers, which the Spark runner does not support in streaming mode"));
    assertThat(e.getMessage(), containsString("steps[0]"));
  }
}
