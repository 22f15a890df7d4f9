package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.streamtemplates.pipelines.launcher.Catalog;
import dev.streamtemplates.pipelines.launcher.Launcher;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameter;
import org.junit.runners.Parameterized.Parameters;

/**
 * Every catalogue template's own {@code tests:}, run as {@code bin/run NAME --test} would run them
 * on one runner: each case passes (or, on a runner that does not replay watermarks, is skipped
 * saying why), and every template carries tests.
 */
@RunWith(Parameterized.class)
public abstract class CatalogueSpecTestsBase {
  @Parameter public String template;

  @Parameters(name = "{0}")
  public static List<String> templates() {
    return Catalog.names();
  }

  /** The runner and its options, e.g. {@code --runner=FlinkRunner}. */
  protected abstract List<String> runnerArgs();

  /** Why this runner refuses the template at launch (a part of the one-line message), or null when it runs it. */
  protected String refusal(String template) {
    return null;
  }

  @Test
  public void itsOwnTestsPass() {
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    List<String> args = new ArrayList<>(List.of(template, "--test", "--home=" + ConformanceHarness.repoRoot()));
    args.addAll(runnerArgs());
    int code = new Launcher(new PrintStream(output, true, StandardCharsets.UTF_8)).main(args.toArray(new String[0]));
    String out = output.toString(StandardCharsets.UTF_8);
    if (refusal(template) != null) {
      assertThat(out, code, equalTo(Launcher.USAGE));
      assertThat(out, containsString(refusal(template)));
      return;
    }
    assertThat(out, code, equalTo(0));
    assertThat(out, containsString(" 0 failed"));
  }
}
