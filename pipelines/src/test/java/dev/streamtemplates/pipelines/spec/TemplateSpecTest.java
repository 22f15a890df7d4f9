package dev.streamtemplates.pipelines.spec;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertThrows;

import java.util.Map;
import org.junit.Test;

public class TemplateSpecTest {

  static final String VALID =
      "name: demo\n"
          + "description: A demo.\n"
          + "parameters:\n"
          + "  input: {type: string, default: in.jsonl, description: Input files.}\n"
          + "  shards: {type: integer, default: 2, description: Output shards.}\n"
          + "  topic: {type: string, default: orders-v1, description: A topic., pattern: '[a-z]+-v[0-9]+'}\n"
          + "sources:\n"
          + "  - {name: in, type: file, path: '${input}', format: json, schema: s.avsc}\n"
          + "sinks:\n"
          + "  - {name: out, input: in, type: file, format: json, path: 'out/${topic}/part', numShards: '${shards}'}\n";

  @Test
  public void parametersAreSubstitutedWithTheirTypes() {
    SpecNode root = TemplateSpec.parse("demo.yaml", VALID).resolve(Map.of("shards", "3"));
    SpecNode sink = root.items("sinks").get(0);
    assertThat(sink.json().get("numShards").isIntegralNumber(), equalTo(true));
    assertThat(sink.number("numShards", 0), equalTo(3L));
    assertThat(sink.text("path"), equalTo("out/orders-v1/part"));
    assertThat(root.items("sources").get(0).text("path"), equalTo("in.jsonl"));
  }

  @Test
  public void badParameterValuesNameTheOptionAndTheExpectedForm() {
    SpecException e = assertThrows(SpecException.class,
        () -> TemplateSpec.parse("demo.yaml", VALID).resolve(Map.of("shards", "two", "topic", "Orders", "colour", "red")));
    assertThat(e.errors(), hasItem("--shards=two is not valid: expected an integer"));
    assertThat(e.errors(), hasItem("--topic=Orders is not valid: expected a value matching [a-z]+-v[0-9]+ (A topic.)"));
    assertThat(e.errors(), hasItem("--colour is not a parameter of demo; parameters are [input, shards, topic]"));
  }

  @Test
  public void invalidSpecReportsEveryErrorWithItsPath() {
    String yaml =
        "name: Demo\n"
            + "description: x\n"
            + "sources:\n"
            + "  - {name: in, type: file, format: yaml, schema: s.avsc}\n"
            + "sinks:\n"
            + "  - {name: out, input: in, type: file, path: p, colour: red}\n"
            + "extra: 1\n";
    SpecException e = assertThrows(SpecException.class, () -> TemplateSpec.parse("bad.yaml", yaml).resolve(Map.of()));
    String all = String.join("\n", e.errors());
    assertThat(all, containsString("name: does not match"));
    assertThat(all, containsString("sources[0].format: does not have a value in the enumeration"));
    assertThat(all, containsString("sources[0]: required property 'path' not found"));
    assertThat(all, containsString("sinks[0]: property 'colour' is not defined"));
    assertThat(all, containsString("sinks[0]: required property 'format' not found"));
    assertThat(all, containsString("property 'extra' is not defined"));
    assertThat(e.getMessage(), startsWith("bad.yaml: "));
  }

  @Test
  public void undeclaredParameterReferenceIsAnError() {
    String yaml = VALID.replace("out/${topic}/part", "out/${tpoic}/part");
    SpecException e = assertThrows(SpecException.class, () -> TemplateSpec.parse("demo.yaml", yaml).resolve(Map.of()));
    assertThat(e.errors(), hasSize(1));
    assertThat(e.errors().get(0), startsWith("sinks[0].path: ${tpoic} is not a declared parameter"));
  }

  @Test
  public void yamlSyntaxErrorGivesLineAndColumn() {
    SpecException e = assertThrows(SpecException.class, () -> TemplateSpec.parse("broken.yaml", "name: x\nsources: [a, b\nsinks: []\n"));
    assertThat(e.errors().get(0), startsWith("line 3, column"));
  }

  @Test
  public void homeIsBuiltInAndExpandedInDefaults() {
    String yaml = VALID.replace("default: in.jsonl", "default: '${home}/in.jsonl'");
    SpecNode root = TemplateSpec.parse("demo.yaml", yaml).resolve(Map.of("home", "/data"));
    assertThat(root.items("sources").get(0).text("path"), equalTo("/data/in.jsonl"));
  }

  @Test
  public void secretParametersAreNeverShown() {
    ParameterSpec password = new ParameterSpec("password", "string", null, "SASL password", "[a-z]+", true);
    assertThat(password.check("Hunter2"), equalTo("--password=****** is not valid: expected a value matching [a-z]+ (SASL password)"));
  }
}
