package dev.streamtemplates.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;

import dev.streamtemplates.pipelines.launcher.Catalog;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.Test;

/** The catalogue's house rules, so that every template can join the conformance run. */
public class CatalogTest {

  @Test
  public void indexListsExactlyTheSpecFiles() throws IOException {
    Path catalog = ConformanceHarness.repoRoot().resolve("templates/catalog");
    List<String> files;
    try (Stream<Path> list = Files.list(catalog)) {
      files = list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml"))
          .map(n -> n.substring(0, n.length() - ".yaml".length())).collect(Collectors.toList());
    }
    assertThat(Catalog.names(), containsInAnyOrder(files.toArray()));
  }

  @Test
  public void everyTemplateResolvesWithItsDefaultsAndHasGoldenOutput() {
    Path root = ConformanceHarness.repoRoot();
    for (String name : Catalog.names()) {
      TemplateSpec spec = Catalog.load(name);
      assertThat(name + " is named after its file", spec.name(), equalTo(name));
      assertThat(name + " declares outputDir", spec.parameters().containsKey("outputDir"), equalTo(true));
      spec.resolve(Map.of(TemplateSpec.HOME, root.toString()));
      assertThat(name + " has golden dead letters", Files.exists(root.resolve("test-data/expected/" + name + "/dead-letter.jsonl")), equalTo(true));
    }
  }
}
