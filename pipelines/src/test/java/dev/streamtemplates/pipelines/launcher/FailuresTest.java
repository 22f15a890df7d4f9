package dev.streamtemplates.pipelines.launcher;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamtemplates.pipelines.spec.SpecNode;
import java.io.UncheckedIOException;
import java.io.IOException;
import org.junit.Test;

/** Where a failure that escapes a run happened, told from its message's paths or its stack. */
public class FailuresTest {
  static SpecNode spec(String json) throws IOException {
    return new SpecNode(new ObjectMapper().readTree(json), "");
  }

  static final String SPEC = "{\"sources\": [{\"name\": \"orders\", \"type\": \"file\", \"path\": \"/data/in/*.jsonl\"}],"
      + " \"steps\": [{\"name\": \"big\", \"type\": \"Filter\"}, {\"name\": \"w1\", \"type\": \"Aggregate\"}, {\"name\": \"w2\", \"type\": \"Aggregate\"}],"
      + " \"sinks\": [{\"name\": \"out\", \"type\": \"file\", \"path\": \"/data/out/orders\"}],"
      + " \"deadLetter\": {\"type\": \"file\", \"path\": \"/data/dead/letters\"}}";

  static RuntimeException thrownAt(String className) {
    RuntimeException e = new RuntimeException("boom");
    e.setStackTrace(new StackTraceElement[] {
        new StackTraceElement("org.apache.beam.Whatever", "run", "W.java", 1),
        new StackTraceElement(className, "processElement", "X.java", 2)});
    return new RuntimeException("wrapped", e);
  }

  @Test
  public void aPathInAMessageNamesTheSourceOrSink() throws IOException {
    SpecNode root = spec(SPEC);
    assertThat(Failures.where(new RuntimeException("x", new UncheckedIOException(
        new IOException("cannot create /data/out/orders-00000-of-00001.jsonl"))), root), equalTo(", in sink 'out'"));
    assertThat(Failures.where(new IllegalStateException("no file matches /data/in/*.jsonl"), root), equalTo(", in source 'orders'"));
    assertThat(Failures.where(new IllegalStateException("disk full: /data/dead/letters-1"), root), equalTo(", in the dead-letter output"));
  }

  @Test
  public void ourClassOnTheStackNamesTheStepWhenItsTypeIsUnique() throws IOException {
    SpecNode root = spec(SPEC);
    assertThat(Failures.where(thrownAt("dev.streamtemplates.transforms.filter.Filter$FilterFn"), root), equalTo(", in step 'big'"));
    assertThat(Failures.where(thrownAt("dev.streamtemplates.transforms.aggregate.WindowedAggregate$SliceFn"), root),
        equalTo(", in an Aggregate step ('w1' or 'w2')"));
    assertThat(Failures.where(thrownAt("dev.streamtemplates.transforms.join.Gather$GatherFn"), root), equalTo(""));
    assertThat(Failures.where(thrownAt("org.apache.beam.sdk.transforms.ParDo"), root), equalTo(""));
  }
}
