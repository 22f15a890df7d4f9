package dev.streamtemplates.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.streamtemplates.templates.ConformanceHarness;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A real Flink 1.19 standalone session cluster (JobManager and TaskManager processes, started by
 * {@code runners-config/flink/bin/flink-cluster}), and a template submitted to it from the runnable
 * bundle as a user would: {@code java -jar stream-templates-flink-bundled.jar windowed-metrics
 * --runner=FlinkRunner --flinkMaster=localhost:PORT}. Its output must match the golden files.
 * Runs after {@code package} (failsafe), since it needs the bundle.
 */
public class FlinkSessionClusterIT {
  @ClassRule public static final TemporaryFolder WORK = new TemporaryFolder();
  private static Path module;
  private static Path clusterDir;
  private static int port;

  @BeforeClass
  public static void startCluster() throws Exception {
    module = ConformanceHarness.repoRoot().resolve("runners-config/flink");
    clusterDir = WORK.newFolder("cluster").toPath();
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String out = script("start", "--dir=" + clusterDir, "--port=" + port);
    assertThat(out, containsString("Flink session cluster up: --flinkMaster=localhost:" + port));
  }

  @AfterClass
  public static void stopCluster() throws Exception {
    if (clusterDir != null) {
      script("stop", "--dir=" + clusterDir);
    }
  }

  private static String script(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", module.resolve("bin/flink-cluster").toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    process.waitFor(180, TimeUnit.SECONDS);
    return out;
  }

  @Test
  public void templateSubmittedFromTheBundleMatchesGoldenOutput() throws Exception {
    Path root = ConformanceHarness.repoRoot();
    Path output = WORK.newFolder("out").toPath();
    Path log = WORK.getRoot().toPath().resolve("submit.log");
    Process submit = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "-jar", module.resolve("target/stream-templates-flink-bundled.jar").toString(),
        "windowed-metrics", "--home=" + root, "--outputDir=" + output,
        "--runner=FlinkRunner", "--flinkMaster=localhost:" + port, "--parallelism=2")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat("submission finished", submit.waitFor(5, TimeUnit.MINUTES), equalTo(true));
    String printed = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(printed, submit.exitValue(), equalTo(0));
    assertThat(printed, containsString("windowed-metrics DONE on FlinkRunner"));

    Path expected = root.resolve("test-data/expected/windowed-metrics");
    ConformanceHarness.compare("metrics from the session cluster",
        ConformanceHarness.readRecords(output.resolve("metrics").toString(), "json"), expected.resolve("metrics.jsonl"), false);
    ConformanceHarness.compare("dead letters from the session cluster",
        ConformanceHarness.readRecords(output.resolve("dead-letter").toString(), "json"), expected.resolve("dead-letter.jsonl"), false);
  }
}
