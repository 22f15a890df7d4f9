package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;

import dev.streamtemplates.pipelines.launcher.Launcher;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Assume;
import org.junit.Test;

/**
 * The progress a long run prints while it runs (records read per source, written per sink,
 * dead-lettered, and the rate), and none for a short run. The output here is not a terminal, so
 * progress comes as plain lines; the periods are shortened through the launcher's system properties.
 */
public class ProgressTest {
  private static final String AFTER = "templates.progress.after";
  private static final String EVERY = "templates.progress.every";
  private static final Pattern LINE = Pattern.compile(
      "  (\\d+) s: transactions read (\\d+), alerts written (\\d+), dead-lettered (\\d+); (\\d+) records/s( on average)?");

  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private final Launcher launcher = new Launcher(new PrintStream(output, true, StandardCharsets.UTF_8));

  @After
  public void clearProperties() {
    System.clearProperty(AFTER);
    System.clearProperty(EVERY);
  }

  private String out() {
    return output.toString(StandardCharsets.UTF_8);
  }

  @Test
  public void aLongRunPrintsProgressThatGrowsAndEndsAtTheTotals() throws Exception {
    int records = 8_000;
    Path dir = Files.createTempDirectory("progress");
    Path input = dir.resolve("transactions.jsonl");
    int alerts = 0;
    int bad = 0;
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < records; i++) {
      if (i % 100 == 99) {
        lines.append("{\"txId\":\"t-").append(i).append("\",\"amount\":\"not a number\"}\n");
        bad++;
        continue;
      }
      boolean large = i % 10 == 0;
      alerts += large ? 1 : 0;
      lines.append("{\"txId\":\"t-").append(i).append("\",\"cardId\":\"card-").append(i % 500).append("\",\"amount\":")
          .append(large ? 12500.0 : 42.5).append(",\"currency\":\"EUR\",\"country\":\"FR\",\"online\":true,\"ts\":\"2024-05-01T08:")
          .append(String.format("%02d:%02d", (i / 60) % 60, i % 60)).append("Z\"}\n");
    }
    Files.writeString(input, lines);
    System.setProperty(AFTER, "500");
    System.setProperty(EVERY, "250");

    int code = launcher.main(new String[] {"threshold-alert", "--home=" + ConformanceHarness.repoRoot(), "--input=" + input,
        "--outputDir=" + dir.resolve("out")});

    assertThat(out(), code, equalTo(0));
    List<long[]> progress = new ArrayList<>();
    List<String> all = out().lines().toList();
    int done = -1;
    for (int i = 0; i < all.size(); i++) {
      Matcher m = LINE.matcher(all.get(i));
      if (m.matches()) {
        assertThat("progress comes before the end of the run:\n" + out(), done, equalTo(-1));
        progress.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
            Long.parseLong(m.group(4)), m.group(6) == null ? 0 : 1});
      } else if (all.get(i).startsWith("threshold-alert DONE on DirectRunner")) {
        done = i;
      }
    }
    assertThat(out(), progress.size(), greaterThanOrEqualTo(2));
    for (int i = 1; i < progress.size(); i++) {
      for (int field = 0; field < 4; field++) {
        assertThat("field " + field + " never goes down:\n" + out(), progress.get(i)[field], greaterThanOrEqualTo(progress.get(i - 1)[field]));
      }
    }
    long[] last = progress.get(progress.size() - 1);
    assertThat(out(), last[1], equalTo((long) records));
    assertThat(out(), last[2], equalTo((long) alerts));
    assertThat(out(), last[3], equalTo((long) bad));
    assertThat("the last line is the final one, with the average rate:\n" + out(), last[4], equalTo(1L));
    for (int i = 0; i < progress.size() - 1; i++) {
      assertThat("only the last line is the final one:\n" + out(), progress.get(i)[4], equalTo(0L));
    }
    // The end-of-run account is unchanged, and agrees.
    assertThat(out(), containsString("read " + records + " = decoded " + (records - bad) + " + dead-lettered " + bad));
    assertThat(out(), Pattern.compile("\n  sink alerts +written " + alerts + ", dead-lettered 0\n").matcher(out()).find(), equalTo(true));
  }

  @Test
  public void aShortRunPrintsNoProgress() {
    System.setProperty(EVERY, "250");
    int code = launcher.main(new String[] {"xml-to-json", "--home=" + ConformanceHarness.repoRoot(),
        "--outputDir=" + ConformanceHarness.repoRoot().resolve("target/output/progress-short")});
    assertThat(out(), code, equalTo(0));
    Matcher took = Pattern.compile("xml-to-json DONE on DirectRunner in ([0-9.]+) s").matcher(out());
    assertThat(out(), took.find(), equalTo(true));
    // On a machine so loaded that the run took its 3 s, progress is right to show; nothing to check then.
    Assume.assumeThat(Double.parseDouble(took.group(1)), lessThan(2.9));
    assertThat(out(), not(containsString(" s: orders read ")));
    assertThat(out(), not(containsString("records/s")));
  }
}
