package dev.streamtemplates.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.streamtemplates.templates.ConformanceHarness;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/**
 * A run on embedded Flink prints its own output and no library warnings (Flink's "No tokens
 * obtained", "Log file environment variable 'log.file' is not set", Beam's "fasterCopy" hint);
 * {@code --verbose} shows them. Each run is a new JVM started like {@code bin/run} starts the bundle
 * ({@code Main}, this module's classpath and logging config), since a logging backend reads its
 * levels once per JVM.
 */
public class FlinkQuietLogsTest {
  /** One run: its exit code, stdout and stderr. */
  private record Run(int code, String out, List<String> err) {}

  private static Run run(String... extra) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("flink-quiet");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED", "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), "dev.streamtemplates.pipelines.launcher.Main",
        "xml-to-json", "--home=" + ConformanceHarness.repoRoot(), "--outputDir=" + dir.resolve("out"),
        "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2"));
    command.addAll(List.of(extra));
    Process process = new ProcessBuilder(command).redirectOutput(dir.resolve("stdout").toFile())
        .redirectError(dir.resolve("stderr").toFile()).start();
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("the run did not end within 5 minutes: " + Files.readString(dir.resolve("stdout")));
    }
    return new Run(process.exitValue(), Files.readString(dir.resolve("stdout"), StandardCharsets.UTF_8),
        Files.readAllLines(dir.resolve("stderr"), StandardCharsets.UTF_8));
  }

  @Test
  public void aRunPrintsNoWarningsAndVerboseShowsThem() throws Exception {
    Run quiet = run();
    assertThat(quiet.out() + quiet.err(), quiet.code(), equalTo(0));
    assertThat(quiet.out(), containsString("xml-to-json DONE on FlinkRunner"));
    assertThat(quiet.out(), containsString("balance: read 8 = written 5 + dead-lettered 3"));
    assertThat(String.join("\n", quiet.err()), quiet.err().stream().filter(line -> line.contains("WARN")).toList(), empty());
    assertThat(quiet.out(), not(containsString("WARN")));

    Run verbose = run("--verbose");
    assertThat(verbose.out() + verbose.err(), verbose.code(), equalTo(0));
    assertThat(verbose.out(), containsString("xml-to-json DONE on FlinkRunner"));
    assertThat(String.join("\n", verbose.err()), String.join("\n", verbose.err()), containsString("WARN org.apache.beam.runners.flink.FlinkRunner"));
  }
}
