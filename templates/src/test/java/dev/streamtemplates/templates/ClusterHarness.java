package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real standalone cluster started by a runner module's {@code bin/<runner>-cluster} script, and
 * templates submitted to it from the runnable bundle in a separate process, as a user would
 * ({@code java -jar <bundle> TEMPLATE --runner=... --<runner>Master=...}); their file output is
 * compared with the golden files. Used by the runner modules' {@code *IT} tests, which run after
 * {@code package} because they need the bundle.
 */
public final class ClusterHarness implements AutoCloseable {
  private final Path script;
  private final Path dir;
  private final int port;

  private ClusterHarness(Path script, Path dir, int port) {
    this.script = script;
    this.dir = dir;
    this.port = port;
  }

  /** Starts the cluster with {@code script start --dir=DIR --port=PORT}; fails unless it reports {@code ready}. */
  public static ClusterHarness start(Path script, Path dir, String ready) throws IOException, InterruptedException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    ClusterHarness cluster = new ClusterHarness(script, dir, port);
    String out = cluster.script("start");
    assertThat(out, containsString(ready.replace("PORT", String.valueOf(port))));
    return cluster;
  }

  public int port() {
    return port;
  }

  private String script(String command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder("bash", script.toString(), command, "--dir=" + dir, "--port=" + port).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    process.waitFor(180, TimeUnit.SECONDS);
    return out;
  }

  /** Runs {@code template} from {@code bundle} against the cluster and compares its file sinks and dead letters with the golden files. */
  public void submitAndCheck(Path bundle, String template, List<String> runnerArgs, Path work) throws IOException, InterruptedException {
    Path root = ConformanceHarness.repoRoot();
    Path output = work.resolve("out-" + template);
    Path log = work.resolve("submit-" + template + ".log");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED", "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
        "-jar", bundle.toString(), template, "--home=" + root, "--outputDir=" + output));
    command.addAll(runnerArgs);
    Process submit = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat("submission finished", submit.waitFor(5, TimeUnit.MINUTES), equalTo(true));
    String printed = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(printed, submit.exitValue(), equalTo(0));
    assertThat(printed, containsString(template + " DONE"));
    Path expected = root.resolve("test-data/expected").resolve(template);
    try (java.util.stream.Stream<Path> goldens = Files.list(expected)) {
      for (Path golden : (Iterable<Path>) goldens.filter(p -> p.toString().endsWith(".jsonl"))::iterator) {
        String sink = golden.getFileName().toString().replace(".jsonl", "");
        ConformanceHarness.compare(template + " '" + sink + "' from the cluster",
            ConformanceHarness.readRecords(output.resolve(sink).toString(), "json"), golden, false);
      }
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    script("stop");
  }
}
