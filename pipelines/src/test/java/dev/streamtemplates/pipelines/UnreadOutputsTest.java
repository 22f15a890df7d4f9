package dev.streamtemplates.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.junit.Rule;
import org.junit.Test;

public class UnreadOutputsTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  static final TupleTag<Integer> EVEN = new TupleTag<>() {};
  static final TupleTag<Integer> ODD = new TupleTag<>() {};
  static final TupleTag<Integer> NEGATIVE = new TupleTag<>() {};

  /** Even numbers to the main output, odd ones to the second, negative ones also to the third. */
  static final class Split extends DoFn<Integer, Integer> {
    @ProcessElement
    public void processElement(@Element Integer n, MultiOutputReceiver out) {
      out.get(n % 2 == 0 ? EVEN : ODD).output(n);
      if (n < 0) {
        out.get(NEGATIVE).output(n);
      }
    }
  }

  @Test
  public void anUnreadOutputOfAThreeOutputStepWithAnotherOutputReadGetsAReader() {
    PCollectionTuple three = pipeline.apply("Numbers", Create.of(1, 2, -3, -4, 5))
        .apply("Three", ParDo.of(new Split()).withOutputTags(EVEN, TupleTagList.of(ODD).and(NEGATIVE)));
    PCollectionTuple two = pipeline.apply("More", Create.of(6, 7, 8))
        .apply("Two", ParDo.of(new Split()).withOutputTags(EVEN, TupleTagList.of(ODD)));
    PAssert.that(three.get(EVEN)).containsInAnyOrder(2, -4);
    PAssert.that(three.get(ODD)).containsInAnyOrder(1, -3, 5);
    PAssert.that(two.get(EVEN)).containsInAnyOrder(6, 8);

    UnreadOutputs.readAll(pipeline);

    // NEGATIVE (Three.out2) gets a reader; the two-output step's unread ODD none (Spark does not cache it).
    assertThat(readers(pipeline), contains("Unread Three.out2"));
    pipeline.run().waitUntilFinish();
  }

  @Test
  public void noReaderWhereOnlyTheMainOutputIsReadOrEveryOutputIs() {
    PCollectionTuple mainOnly = pipeline.apply("Numbers", Create.of(1, 2, -3))
        .apply("MainOnly", ParDo.of(new Split()).withOutputTags(EVEN, TupleTagList.of(ODD).and(NEGATIVE)));
    PCollectionTuple all = pipeline.apply("More", Create.of(4, -5))
        .apply("All", ParDo.of(new Split()).withOutputTags(EVEN, TupleTagList.of(ODD).and(NEGATIVE)));
    PAssert.that(mainOnly.get(EVEN)).containsInAnyOrder(2);
    PAssert.that(all.get(EVEN)).containsInAnyOrder(4);
    PAssert.that(all.get(ODD)).containsInAnyOrder(-5);
    PAssert.that(all.get(NEGATIVE)).containsInAnyOrder(-5);

    UnreadOutputs.readAll(pipeline);

    assertThat(readers(pipeline), empty());
    pipeline.run().waitUntilFinish();
  }

  /** The names of the top-level readers readAll added. */
  private static List<String> readers(Pipeline pipeline) {
    List<String> names = new ArrayList<>();
    pipeline.traverseTopologically(new Pipeline.PipelineVisitor.Defaults() {
      @Override
      public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
        if (node.getFullName().startsWith("Unread ")) {
          names.add(node.getFullName());
        }
        return CompositeBehavior.ENTER_TRANSFORM;
      }
    });
    return names;
  }
}
