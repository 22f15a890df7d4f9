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
