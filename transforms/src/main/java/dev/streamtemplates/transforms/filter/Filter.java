package dev.streamtemplates.transforms.filter;

import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.core.Names;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.expr.RowExpression;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Instant;

/**
 * Keeps the rows for which a CEL condition is true.
 *
 * <pre>{@code
 * Result large = payments.apply(
 *     Filter.where("amount > 1000.0 && country in ['US', 'CA'] && merchant.contains('air')"));
 * }</pre>
 *
 * <p>The condition may use comparisons, {@code &&}, {@code ||}, {@code !}, {@code in} lists,
 * {@code contains}, {@code startsWith}, {@code endsWith} and {@code matches} (RE2 regular
 * expressions), over top-level fields by name and nested fields with dots. Missing data is
 * false: a condition that reads a null field, or a key absent from a nested record, drops the row
 * instead of failing. A condition that fails for another reason on one row (e.g. comparing a
 * string with a number through {@code event}) sends that row to the dead-letter output.
 *
 * <p>Element-wise and stateless: each kept row keeps its timestamp, window and pane; nothing is
 * buffered and late data passes through like any other. Counters: {@code records/<step>-kept},
 * {@code records/<step>-dropped}, {@code dead-letter/<step>}.
 */
public final class Filter extends PTransform<PCollection<Row>, Result> {
  private static final TupleTag<Row> KEPT = new TupleTag<Row>() {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};

  private final String condition;
  private final String step;
  private final String origin;

  private Filter(String condition, String step, String origin) {
    this.condition = condition;
    this.step = step;
    this.origin = origin;
  }

  /** Keeps rows where {@code condition}, a boolean CEL expression, is true. */
  public static Filter where(String condition) {
    if (condition == null || condition.isBlank()) {
      throw new IllegalArgumentException("condition must be a non-empty CEL expression, got '" + condition + "'");
    }
    return new Filter(condition, "filter", "condition");
  }

  /** The step name that dead letters and counters carry. */
  @CheckReturnValue
  public Filter named(String step) {
    return new Filter(condition, Names.require(step, "step"), origin);
  }

  /** Where the condition was declared, e.g. {@code steps[2].condition}, for error messages. */
  @CheckReturnValue
  public Filter withOrigin(String origin) {
    return new Filter(condition, step, Names.require(origin, "origin"));
  }

  @Override
  public Result expand(PCollection<Row> input) {
    RowExpression expression = RowExpression.compile(origin, input.getSchema(), condition).requireBoolean();
    if (expression.conditionCannotFail()) {
      // No dead-letter output: see Result.withoutFailures.
      return Result.withoutFailures(
          input.apply("Where " + condition, ParDo.of(new TotalFilterFn(expression, step))).setRowSchema(input.getSchema()));
    }
    PCollectionTuple result =
        input.apply("Where " + condition, ParDo.of(new FilterFn(expression, step)).withOutputTags(KEPT, TupleTagList.of(FAILURES)));
    return Result.of(
        result.get(KEPT).setRowSchema(input.getSchema()), result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
  }

  /** The condition, its program, and the kept and dropped counters, counted per bundle. */
  private abstract static class CountingFilterFn extends DoFn<Row, Row> {
    final RowExpression expression;
    final String step;
    private final Counter kept;
    private final Counter dropped;
    transient RowExpression.Compiled program;
    // Counted per bundle and added to the counters once: a metric update per element costs more
    // than a cheap condition.
    private transient long keptInBundle;
    private transient long droppedInBundle;

    CountingFilterFn(RowExpression expression, String step) {
      this.expression = expression;
      this.step = step;
      this.kept = Metrics.counter("records", step + "-kept");
      this.dropped = Metrics.counter("records", step + "-dropped");
    }

    @Setup
    public void setup() {
      program = expression.program();
    }

    @StartBundle
    public void startBundle() {
      keptInBundle = 0;
      droppedInBundle = 0;
    }

    @FinishBundle
    public void finishBundle() {
      kept.inc(keptInBundle);
      dropped.inc(droppedInBundle);
    }

    /** Counts the decision; true to output the row. */
    final boolean count(boolean keep) {
      if (keep) {
        keptInBundle++;
      } else {
        droppedInBundle++;
      }
      return keep;
    }
  }

  private static final class FilterFn extends CountingFilterFn {
    private final Counter failed;

    FilterFn(RowExpression expression, String step) {
      super(expression, step);
      this.failed = DeadLetter.counter(step);
    }

    @ProcessElement
    public void process(@Element Row row, @Timestamp Instant timestamp, MultiOutputReceiver out) {
      boolean keep;
      try {
        keep = program.testNullSafe(row);
      } catch (Exception e) {
        failed.inc();
        out.get(FAILURES).output(DeadLetter.ofText(step, expression.origin() + ": " + e.getMessage(), RowText.json(row), DeadLetter.knownTime(timestamp)));
        return;
      }
      if (count(keep)) {
        out.get(KEPT).output(row);
      }
    }
  }

  /** A condition that cannot fail ({@link RowExpression#conditionCannotFail}): one output. */
  private static final class TotalFilterFn extends CountingFilterFn {
    TotalFilterFn(RowExpression expression, String step) {
      super(expression, step);
    }

    @ProcessElement
    public void process(@Element Row row, OutputReceiver<Row> out) {
      boolean keep;
      try {
        keep = program.testNullSafe(row);
      } catch (Exception e) {
        // Cannot happen (see conditionCannotFail); if it does, stop rather than lose the row.
        throw new IllegalStateException(step + ": " + expression.origin() + " failed where it cannot fail: " + e.getMessage(), e);
      }
      if (count(keep)) {
        out.output(row);
      }
    }
  }
}
