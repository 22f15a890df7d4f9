package dev.streamtemplates.runners;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamtemplates.pipelines.steps.StepContext;
import dev.streamtemplates.pipelines.steps.StepProvider;
import dev.streamtemplates.pipelines.steps.StepResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * Test-only step type {@code FailOnce}: passes rows through, and throws once, on the first row
 * after the test has armed it ({@link #ARMED}) and {@code afterRecords} rows have gone through it
 * in this JVM, to make the runner restart the job from its last checkpoint. The counters are static on purpose: they must survive the restart, which
 * re-creates every DoFn instance (Flink [local] runs in the test's JVM).
 */
public final class FailOnceStep implements StepProvider<FailOnceStep.Config> {
  /** afterRecords: how many rows pass before the armed failure. */
  public record Config(long afterRecords) {}

  static final AtomicLong SEEN = new AtomicLong();
  static final AtomicBoolean FAILED = new AtomicBoolean();
  static final AtomicBoolean ARMED = new AtomicBoolean();

  @Override
  public String type() {
    return "FailOnce";
  }

  @Override
  public String description() {
    return "Test only: fail once after afterRecords rows.";
  }

  @Override
  public JsonNode configSchema() {
    return new ObjectMapper().valueToTree(Map.of("type", "object", "required", List.of("afterRecords")));
  }

  @Override
  public Class<Config> configClass() {
    return Config.class;
  }

  @Override
  public StepResult apply(StepContext<Config> context) {
    long after = context.config().afterRecords();
    PCollection<Row> out = context.input().apply(context.name(), ParDo.of(new FailOnce(after))).setRowSchema(context.input().getSchema());
    return new StepResult(out, Map.of(), List.of());
  }

  private static final class FailOnce extends DoFn<Row, Row> {
    private final long after;

    FailOnce(long after) {
      this.after = after;
    }

    @ProcessElement
    public void process(@Element Row row, OutputReceiver<Row> out) {
      if (SEEN.incrementAndGet() >= after && ARMED.get() && FAILED.compareAndSet(false, true)) {
        throw new IllegalStateException("FailOnce: injected failure after " + after + " records");
      }
      out.output(row);
    }
  }
}
