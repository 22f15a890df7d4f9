package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.streamtemplates.pipelines.launcher.Launcher;
import dev.streamtemplates.pipelines.launcher.Secrets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.Test;

/** The command line: --list, --help, and options rejected before the pipeline starts. */
public class LauncherTest {
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private final Launcher launcher = new Launcher(new PrintStream(output, true, StandardCharsets.UTF_8));

  private String out() {
    return output.toString(StandardCharsets.UTF_8);
  }

  @Test
  public void listShowsTheCatalogue() {
    assertThat(launcher.main(new String[] {"--list"}), equalTo(0));
    assertThat(out(), containsString("xml-to-json"));
    assertThat(out(), containsString("json-to-avro"));
  }

  @Test
  public void helpListsParametersWithDefaultsAndRunnerOptions() {
    assertThat(launcher.main(new String[] {"xml-to-json", "--help"}), equalTo(0));
    assertThat(out(), containsString("--largeOrder=<number>  default: 100.0"));
    assertThat(out(), containsString("--runner"));
  }

  @Test
  public void unknownOptionIsRejectedBeforeLaunchNamingTheOption() {
    int code = launcher.main(new String[] {"xml-to-json", "--home=" + ConformanceHarness.repoRoot(), "--largOrder=5"});
    assertThat(code, equalTo(Launcher.USAGE));
    assertThat(out(), containsString("--largOrder is neither a parameter of xml-to-json [input, schema, largeOrder, outputDir]"));
    assertThat(out(), not(containsString("Running")));
  }

  @Test
  public void anOptionGivenTwiceIsRefusedNamingBothValuesFirst() {
    int code = launcher.main(new String[] {"xml-to-json", "--home=" + ConformanceHarness.repoRoot(), "--largeOrder=5", "--largeOrder=6"});
    assertThat(code, equalTo(Launcher.USAGE));
    assertThat(out(), containsString("--largeOrder is given more than once; give it once (the first was --largeOrder=5)"));
    assertThat(out(), not(containsString("Running")));
  }

  @Test
  public void durationsAndWindowsBeyondTheirLimitsAreRefusedNamingTheLimit() {
    int code = launcher.main(new String[] {"windowed-metrics", "--home=" + ConformanceHarness.repoRoot(), "--size=1d", "--slide=1ms"});
    assertThat(code, equalTo(Launcher.USAGE));
    assertThat(out(), containsString("holds each event in 86400000 windows; at most 100000 are allowed"));
    assertThat(out(), containsString("make the slide at least size/100000 = PT0.864S"));
    output.reset();
    code = launcher.main(new String[] {"windowed-metrics", "--home=" + ConformanceHarness.repoRoot(), "--size=99999999999d"});
    assertThat(code, equalTo(Launcher.USAGE));
    assertThat(out(), containsString("--size=99999999999d is longer than the longest duration allowed, 36525d (100 years)"));
    assertThat(out(), not(containsString("\tat ")));
  }

  @Test
  public void aTwentyDigitIntegerIsRefusedNotAStackTrace() {
    int code = launcher.main(new String[] {"top-n-spenders", "--home=" + ConformanceHarness.repoRoot(), "--n=12345678901234567890"});
    assertThat(code, equalTo(Launcher.USAGE));
    assertThat(out(), containsString("--n=12345678901234567890 is not valid: expected an integer from -9223372036854775808 to 9223372036854775807"));
    assertThat(out(), not(containsString("\tat ")));
  }

  @Test
  public void aSecretParameterIsMaskedInEveryLineEvenInsideAPath() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("secret-path");
    java.nio.file.Path spec = dir.resolve("secret-path.yaml");
    java.nio.file.Files.writeString(spec, String.join("\n",
        "name: secret-path",
        "description: A secret inside a path.",
        "parameters:",
        "  token: {type: string, secret: true, description: An access token.}",
        "sources:",
        "  - {name: in, type: file, path: '" + dir + "/${token}/*.jsonl', format: json, schema: '" + dir + "/${token}.avsc'}",
        "sinks:",
        "  - {name: out, input: in, type: stdout}",
        ""));
    int code = launcher.main(new String[] {spec.toString(), "--token=s3cr3t-t0ken-value"});
    assertThat(code, equalTo(Launcher.USAGE));
    assertThat(out(), not(containsString("s3cr3t-t0ken-value")));
    assertThat(out(), containsString("******"));
  }

  @Test
  public void anUnreachableKafkaBrokerIsOneLineAtLaunchWithinItsBound() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("no-broker");
    java.nio.file.Files.writeString(dir.resolve("r.avsc"), "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":\"long\"}]}");
    java.nio.file.Path spec = dir.resolve("no-broker.yaml");
    // Nothing listens on port 1 of the loopback address.
    java.nio.file.Files.writeString(spec, String.join("\n",
        "name: no-broker",
        "description: A Kafka source nobody serves.",
        "sources:",
        "  - {name: in, type: kafka, bootstrapServers: '127.0.0.1:1', topics: t, format: json, schema: '" + dir.resolve("r.avsc") + "'}",
        "sinks:",
        "  - {name: out, input: in, type: stdout}",
        ""));
    long start = System.nanoTime();
    int code = launcher.main(new String[] {spec.toString()});
    long seconds = (System.nanoTime() - start) / 1_000_000_000L;
    assertThat(out(), code, equalTo(Launcher.USAGE));
    assertThat(out(), containsString("sources[0] ('in'): the Kafka broker at 127.0.0.1:1 did not answer within 10 s"));
    assertThat(out(), not(containsString("\tat ")));
    assertThat("seconds to refuse", seconds < 30, equalTo(true));
  }

  @Test
  public void aRecordTheSinkDeadLettersIsNotCountedAsWritten() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("csv-control");
    java.nio.file.Files.writeString(dir.resolve("r.avsc"), "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"note\",\"type\":\"string\"}]}");
    java.nio.file.Files.writeString(dir.resolve("in.jsonl"), "{\"note\":\"fine\"}\n{\"note\":\"bell\\u0007here\"}\n");
    java.nio.file.Path spec = dir.resolve("csv-control.yaml");
    java.nio.file.Files.writeString(spec, String.join("\n",
        "name: csv-control",
        "description: A control character the XML sink refuses (XML 1.0 cannot hold it).",
        "sources:",
        "  - {name: in, type: file, path: '" + dir.resolve("in.jsonl") + "', format: json, schema: '" + dir.resolve("r.avsc") + "'}",
        "sinks:",
        "  - {name: out, input: in, type: file, format: xml, recordElement: note, path: '" + dir.resolve("out/notes") + "'}",
        "deadLetter: {type: file, format: json, path: '" + dir.resolve("dead") + "'}",
        ""));
    int code = launcher.main(new String[] {spec.toString()});
    assertThat(out(), code, equalTo(0));
    java.util.List<String> dead = ConformanceHarness.readRecords(dir.resolve("dead").toString(), "json");
    assertThat(dead.toString(), dead.size(), equalTo(1));
    assertThat(out(), containsString("  source in     read 2 = decoded 2 + dead-lettered 0, from 2 lines: holds\n"));
    assertThat(out(), containsString("  sink out      written 1, dead-lettered 1\n"));
    assertThat(out(), containsString("balance: read 2 = written 1 + dead-lettered 1 + dropped on purpose 0: holds"));
    assertThat(out(), containsString("wrote " + dir.resolve("out/notes-00000-of-00001.xml")));
    assertThat(out(), containsString("wrote " + dir.resolve("dead")));
  }

  @Test
  public void aFailureAtRunTimeIsOneLineAndItsStackTraceGoesToALogFile() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("fails");
    java.nio.file.Files.writeString(dir.resolve("r.avsc"), "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":\"long\"}]}");
    java.nio.file.Files.writeString(dir.resolve("in.jsonl"), "{\"x\":1}\n");
    java.nio.file.Path spec = dir.resolve("fails.yaml");
    // The output directory is a file: the sink cannot create its files there, which only the run finds.
    java.nio.file.Files.writeString(dir.resolve("blocked"), "a file, not a directory");
    java.nio.file.Files.writeString(spec, String.join("\n",
        "name: fails",
        "description: A sink that cannot write.",
        "sources:",
        "  - {name: in, type: file, path: '" + dir.resolve("in.jsonl") + "', format: json, schema: '" + dir.resolve("r.avsc") + "'}",
        "sinks:",
        "  - {name: out, input: in, type: file, format: json, path: '" + dir.resolve("blocked/out") + "'}",
        "deadLetter: {type: file, format: json, path: '" + dir.resolve("dead") + "'}",
        ""));
    int code = launcher.main(new String[] {spec.toString()});
    assertThat(out(), code, equalTo(Launcher.FAILED));
    assertThat(out(), org.hamcrest.Matchers.matchesPattern("(?s).*error: [^\n]*" + java.util.regex.Pattern.quote(dir.resolve("blocked").toString())
        + "[^\n]*, in sink 'out'\n.*"));
    assertThat(out(), containsString("The stack trace is in "));
    assertThat(out(), not(containsString("\tat ")));
    String log = out().replaceAll("(?s).*The stack trace is in (\\S+) .*", "$1");
    assertThat(java.nio.file.Files.readString(java.nio.file.Path.of(log)), containsString("\tat "));
  }

  @Test
  public void wrongTypeOfValueNamesTheExpectedForm() {
    int code = launcher.main(new String[] {"xml-to-json", "--home=" + ConformanceHarness.repoRoot(), "--largeOrder=lots"});
    assertThat(code, equalTo(Launcher.USAGE));
    assertThat(out(), containsString("--largeOrder=lots is not valid: expected a number"));
  }

  @Test
  public void badPipelineOptionValueNamesTheOption() {
    int code = launcher.main(new String[] {"xml-to-json", "--home=" + ConformanceHarness.repoRoot(), "--targetParallelism=abc"});
    assertThat(code, equalTo(Launcher.USAGE));
    assertThat(out(), containsString("--targetParallelism=abc is not valid: Cannot deserialize value of type `int` from String \"abc\""));
  }

  @Test
  public void unknownTemplateListsTheCatalogue() {
    assertThat(launcher.main(new String[] {"xml-to-jsn"}), equalTo(Launcher.USAGE));
    assertThat(out(), containsString("no such template; the catalogue has [xml-to-json, json-to-avro"));
  }

  @Test
  public void missingInputFileIsNamedBeforeLaunch() {
    int code = launcher.main(new String[] {"xml-to-json", "--home=" + ConformanceHarness.repoRoot(), "--input=/nonexistent/*.xml"});
    assertThat(code, equalTo(Launcher.USAGE));
    assertThat(out(), containsString("sources[0].path: no file matches '/nonexistent/*.xml'"));
  }

  @Test
  public void secretsAreMaskedInEchoedOptions() {
    assertThat(Secrets.maskArg("--sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required password=\"x\";"),
        equalTo("--sasl.jaas.config=******"));
    assertThat(Secrets.maskArg("--ssl.truststore.password=changeit"), equalTo("--ssl.truststore.password=******"));
    assertThat(Secrets.maskArg("--input=orders.xml"), equalTo("--input=orders.xml"));
  }
}
