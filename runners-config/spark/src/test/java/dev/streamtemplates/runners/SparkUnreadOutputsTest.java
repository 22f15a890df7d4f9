package dev.streamtemplates.runners;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamtemplates.pipelines.launcher.Launcher;
import dev.streamtemplates.templates.ConformanceHarness;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.PipelineResult;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A sequence whose timed-out partial matches nobody reads, on Spark with a storage level that
 * spills to disk: Beam's Spark runner caches the three-output step with a coder only for the
 * outputs something reads, and failed on the first timed-out match (a NullPointerException) until
 * the launcher gave every output a reader.
 */
public class SparkUnreadOutputsTest {
  @Rule public final TemporaryFolder work = new TemporaryFolder();

  @Test
  public void sequenceWithUnreadTimedOutMatchesRunsWithMemoryAndDisk() throws Exception {
    Path dir = work.getRoot().toPath();
    // Card c1: US then abroad 1 h later (a match); c2: US, abroad 5 h later (timed out, unread); c3: US only (timed out).
    Files.writeString(dir.resolve("tx.jsonl"), String.join("\n",
        "{\"card\":\"c1\",\"country\":\"US\",\"tx\":\"t1\",\"at\":0}",
        "{\"card\":\"c1\",\"country\":\"FR\",\"tx\":\"t2\",\"at\":3600000}",
        "{\"card\":\"c2\",\"country\":\"US\",\"tx\":\"t3\",\"at\":0}",
        "{\"card\":\"c2\",\"country\":\"DE\",\"tx\":\"t4\",\"at\":18000000}",
        "{\"card\":\"c3\",\"country\":\"US\",\"tx\":\"t5\",\"at\":60000}") + "\n");
    String spec = "name: unread-timeouts\n"
        + "description: US then abroad within 3 hours; the timed-out partial matches are not read.\n"
        + "sources:\n"
        + "  - {name: tx, type: file, format: json, path: '" + dir.resolve("tx.jsonl") + "',"
        + " schema: {card: string, country: string, tx: string, at: timestamp}, eventTime: {field: at}}\n"
        + "steps:\n"
        + "  - name: fraud\n"
        + "    type: Sequence\n"
        + "    input: tx\n"
        + "    key: card\n"
        + "    within: 3h\n"
        + "    stages:\n"
        + "      - {name: us, where: \"event.country == 'US'\"}\n"
        + "      - {name: abroad, after: followedBy, where: \"event.country != 'US'\"}\n"
        + "    emit: {usTx: 'string(us.tx)', abroadTx: 'string(abroad.tx)'}\n"
        + "sinks:\n"
        + "  - {name: alerts, input: fraud, type: file, format: json, path: '" + dir.resolve("out/alerts") + "'}\n"
        + "deadLetter: {type: file, format: json, path: '" + dir.resolve("out/dead-letter") + "'}\n";
    Path specFile = dir.resolve("unread.yaml");
    Files.writeString(specFile, spec);

    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Launcher launcher = new Launcher(new PrintStream(log, true, StandardCharsets.UTF_8));
    PipelineResult result = launcher.run(launcher.prepare(new String[] {specFile.toString(), "--home=" + ConformanceHarness.repoRoot(),
        "--runner=SparkRunner", "--sparkMaster=local[2]", "--storageLevel=MEMORY_AND_DISK"}));

    assertThat(log.toString(StandardCharsets.UTF_8), result.getState(), equalTo(PipelineResult.State.DONE));
    List<String> alerts = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : ConformanceHarness.readRecords(dir.resolve("out/alerts").toString(), "json")) {
      JsonNode row = json.readTree(line);
      alerts.add(row.get("usTx").asText() + "->" + row.get("abroadTx").asText());
    }
    assertThat(alerts, containsInAnyOrder("t1->t2"));
    assertThat(ConformanceHarness.readRecords(dir.resolve("out/dead-letter").toString(), "json"), equalTo(List.of()));
  }
}
