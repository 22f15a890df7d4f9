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

  @Test
  public void anchorsAliasesAndMergeKeysAreResolved() {
    String yaml =
        "name: reuse\n"
            + "description: One stage list and one sink config, each written once.\n"
            + "sources:\n"
            + "  - {name: in, type: file, path: in.jsonl, format: json, schema: s.avsc}\n"
            + "steps:\n"
            + "  - name: first\n"
            + "    type: Sequence\n"
            + "    input: in\n"
            + "    key: card\n"
            + "    within: PT1H\n"
            + "    stages: &stages\n"
            + "      - {name: a, where: 'event.amount > 100.0'}\n"
            + "      - {name: b, after: next}\n"
            + "  - {name: second, type: Sequence, input: in, key: card, within: 2h, stages: *stages}\n"
            + "sinks:\n"
            + "  - &json {name: out, input: first, type: file, format: json, path: out/first, numShards: 1}\n"
            + "  - <<: *json\n"
            + "    name: out2\n"
            + "    input: second\n"
            + "    path: out/second\n";
    SpecNode root = TemplateSpec.parse("reuse.yaml", yaml).resolve(Map.of());
    com.fasterxml.jackson.databind.JsonNode steps = root.json().get("steps");
    assertThat(steps.get(1).get("stages"), equalTo(steps.get(0).get("stages")));
    assertThat(steps.get(1).get("stages").get(0).get("where").asText(), equalTo("event.amount > 100.0"));
    assertThat(steps.get(1).get("stages").get(1).get("after").asText(), equalTo("next"));
    com.fasterxml.jackson.databind.JsonNode sink = root.json().get("sinks").get(1);
    assertThat(sink.toString(), equalTo("{\"name\":\"out2\",\"input\":\"second\",\"type\":\"file\",\"format\":\"json\",\"path\":\"out/second\",\"numShards\":1}"));
  }

  @Test
  public void scalarsAreTypedAsBeforeNotAsYaml11() throws Exception {
    String yaml = VALID + "deadLetter: {type: file, format: json, path: 'dlq', numShards: 2}\n";
    com.fasterxml.jackson.databind.JsonNode tree = TemplateSpec.parse("demo.yaml", yaml).resolve(Map.of()).json();
    assertThat(tree.get("deadLetter").get("numShards").isInt(), equalTo(true));
    // yes, on, dates, 010 and 1:30 are text, as Jackson's YAML 1.2 reading had them; true and 1.5 are typed.
    com.fasterxml.jackson.databind.JsonNode scalars = SpecYaml.read("x: [yes, on, 2024-05-01, 010, '7', 1:30, true, 1.5, ~, 12345678901234567890]");
    assertThat(scalars.get("x").toString(), equalTo("[\"yes\",\"on\",\"2024-05-01\",\"010\",\"7\",\"1:30\",true,1.5,null,12345678901234567890]"));
  }

  /** A "billion laughs" spec: a0 is nine strings, each further level nine aliases of the one before. */
  static String aliasBomb(int levels) {
    StringBuilder yaml = new StringBuilder("name: lol\ndescription: x\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (int i = 1; i <= levels; i++) {
      yaml.append("a").append(i).append(": &a").append(i).append(" [");
      for (int j = 0; j < 9; j++) {
        yaml.append(j == 0 ? "" : ", ").append("*a").append(i - 1);
      }
      yaml.append("]\n");
    }
    return yaml.toString();
  }

  @Test
  public void anAliasBombIsRefusedWithOneLine() {
    // 12 levels: 108 aliases, 9^13 strings once expanded.
    SpecException e = assertThrows(SpecException.class, () -> TemplateSpec.parse("lol.yaml", aliasBomb(12)));
    assertThat(e.errors(), hasSize(1));
    assertThat(e.errors().get(0), equalTo("not valid YAML: Number of aliases for non-scalar nodes exceeds the specified max=100"
        + " (a spec may use at most 100 aliases of lists and mappings)"));

    // 5 levels: 45 aliases, within the count, but 9^6 strings once expanded: refused by size, not read into the heap.
    e = assertThrows(SpecException.class, () -> TemplateSpec.parse("lol.yaml", aliasBomb(5)));
    assertThat(e.errors(), org.hamcrest.Matchers.contains(
        "(top level): the spec's aliases expand it to more than 100000 values; a spec that large is refused (an alias bomb?)"));
  }

  @Test
  public void anAliasInsideItsOwnAnchorIsRefused() {
    SpecException e = assertThrows(SpecException.class, () -> TemplateSpec.parse("loop.yaml", "name: loop\ndescription: x\na: &a [1, *a]\n"));
    assertThat(e.errors(), hasSize(1));
    assertThat(e.errors().get(0), containsString("a list or mapping that contains it"));
  }
}
