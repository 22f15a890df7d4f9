package dev.streamtemplates.pipelines.io;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertThrows;

import dev.streamtemplates.pipelines.TemplatePipeline;
import dev.streamtemplates.pipelines.spec.SpecException;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.pipelines.spec.TemplateSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A file source reads regular files only: a directory, an empty path (the working directory), a
 * FIFO or a file of the operating system is refused before launch, naming the source and the file
 * (they used to fail at run time with a stack trace, or read 0 records and end with rc 0).
 */
public class SourcePathsTest {
  @Rule public final TemporaryFolder folder = new TemporaryFolder();
  private Path dir;

  @Before
  public void schema() throws Exception {
    dir = folder.getRoot().toPath();
    Files.writeString(dir.resolve("r.avsc"), "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":\"long\"}]}");
  }

  private String refusal(String path) {
    String yaml = "name: paths\ndescription: Reads a path.\n"
        + "sources:\n  - {name: in, type: file, path: '" + path + "', format: json, schema: '" + dir.resolve("r.avsc") + "'}\n"
        + "sinks:\n  - {name: out, input: in, type: stdout}\n";
    SpecNode root = TemplateSpec.parse("paths", yaml).resolve(Map.of());
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    return assertThrows(SpecException.class, () -> TemplatePipeline.build(pipeline, root, dir.toString())).getMessage();
  }

  @Test
  public void aDirectoryIsRefusedWithAGlobToUseInstead() throws Exception {
    Files.createDirectories(dir.resolve("data"));
    assertThat(refusal(dir.resolve("data").toString()), containsString(
        "sources[0].path: '" + dir.resolve("data") + "' is a directory (to read the files in it, name them, e.g. " + dir.resolve("data/*.jsonl") + ")"));
  }

  @Test
  public void anEmptyPathIsRefused() {
    assertThat(refusal(""), containsString("sources[0].path: is empty; name a file or a glob, e.g. data/*.jsonl"));
    assertThat(refusal("  "), containsString("sources[0].path: is empty"));
  }

  @Test
  public void aFifoIsRefused() throws Exception {
    Path fifo = dir.resolve("pipe.jsonl");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    org.junit.Assume.assumeTrue("mkfifo is available", mkfifo.waitFor() == 0);
    assertThat(refusal(fifo.toString()), containsString("'" + fifo + "' is not a regular file (a FIFO, socket or device)"));
  }

  @Test
  public void filesOfTheOperatingSystemAreRefused() {
    assertThat(refusal("/proc/self/environ"), containsString("is a file of the operating system (/proc/"));
    assertThat(refusal("/dev/null"), containsString("'/dev/null' is not a regular file"));
  }
}
