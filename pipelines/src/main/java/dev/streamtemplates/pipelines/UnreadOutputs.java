package dev.streamtemplates.pipelines;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PValue;

/**
 * Gives a reader to each unread output of a step that Spark caches, so that every cached output has a coder.
 *
 * <p>Why: Beam 2.70's Spark runner caches the output of a ParDo with several outputs and, with any
 * storage level but {@code MEMORY_ONLY}, wraps each element with the coder of its output. It looks
 * the coders up only for the outputs something reads ({@code TransformTranslator.skipUnconsumedOutputs}),
 * so an element of an unread output gets no coder and the job fails with a NullPointerException in
 * {@code ValueAndCoderLazySerializable.getOrDecode}. Unread outputs are ordinary in a spec: a
 * sequence's timed-out partial matches or a gather's rejected sets when nothing uses them. The
 * reader discards what it reads; on Direct and Flink it is one more step that does nothing (Flink
 * chains it). A reader is added only where Spark caches: a step whose main output and at least one
 * other output are read. Where only the main output is read Spark caches nothing, and a reader would
 * make it cache (measured: Nexmark Q0 on Spark from 0.37 s to 1.5 s); the main output always has a coder.
 * Beam's issue is apache/beam#37994, fixed by apache/beam#38011 in a release after 2.70: this class
 * can go when the project moves to one.
 */
final class UnreadOutputs {
  private UnreadOutputs() {}

  /**
   * Adds a discarding reader to each unread additional output of the pipeline's ParDos that have
   * three or more outputs and at least one additional output read.
   */
  static void readAll(Pipeline pipeline) {
    Set<PValue> read = new HashSet<>();
    List<List<PCollection<?>>> steps = new ArrayList<>();
    pipeline.traverseTopologically(new Pipeline.PipelineVisitor.Defaults() {
      @Override
      public void visitPrimitiveTransform(TransformHierarchy.Node node) {
        read.addAll(node.getInputs().values());
        if (node.getOutputs().size() >= 3 && node.getTransform() instanceof ParDo.MultiOutput<?, ?> parDo) {
          List<PCollection<?>> additional = new ArrayList<>();
          node.getOutputs().forEach((tag, output) -> {
            if (!tag.equals(parDo.getMainOutputTag())) {
              additional.add((PCollection<?>) output);
            }
          });
          steps.add(additional);
        }
      }
    });
    for (List<PCollection<?>> additional : steps) {
      if (additional.stream().anyMatch(read::contains)) {
        additional.stream().filter(output -> !read.contains(output)).forEach(UnreadOutputs::discard);
      }
    }
  }

  private static <T> void discard(PCollection<T> output) {
    output.apply("Unread " + output.getName(), ParDo.of(new Discard<T>()));
  }

  /** Reads and drops every element. */
  private static final class Discard<T> extends DoFn<T, Void> {
    @ProcessElement
    public void processElement() {}
  }
}
