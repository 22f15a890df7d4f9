package dev.streamtemplates.transforms.ml;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The {@code Learn} step's cost per event for one key, in the package of its model (which is not
 * public): an event is predicted, then learned from (every event carries its label here, the most
 * expensive case, since each one changes the model and the next prediction refits it over the
 * window), with two features as in {@code wait-time-forecast}. {@code stateRoundTrip} is what a
 * runner with serialized state (Flink's RocksDB or a checkpoint) adds per timer firing: the model
 * encoded and decoded with its coder. Results in ns per event.
 *
 * <pre>
 * bin/bench --jmh-only     (or: java -cp ... org.openjdk.jmh.Main LearnBenchmark -wi 2 -i 3 -f 1)
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class LearnBenchmark {
  /** The number of labelled events the model keeps (the step's {@code window}; 500 by default). */
  @Param({"50", "500"})
  public int window;

  /** The forgetting factor: 1 weighs the window equally, below 1 weighs recent events more. */
  @Param({"1.0", "0.99"})
  public double forgetting;

  private Learn.Model model;
  private final SplittableRandom random = new SplittableRandom(42);
  private final Learn.ModelCoder coder = new Learn.ModelCoder();

  @Setup
  public void fill() {
    model = new Learn.Model(new ArrayDeque<>(), 0);
    for (int i = 0; i < window; i++) {
      event();
    }
  }

  /** Predict one event, then learn from it: the model's work for one labelled event. */
  @Benchmark
  public Double predictThenLearn() {
    return event();
  }

  /** Encode and decode the key's model, as serialized state does once per timer firing. */
  @Benchmark
  public Learn.Model stateRoundTrip() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    coder.encode(model, bytes);
    return coder.decode(new ByteArrayInputStream(bytes.toByteArray()));
  }

  private Double event() {
    double queue = random.nextInt(200);
    double desks = 1 + random.nextInt(6);
    double[] x = {queue, desks};
    double y = 2.0 + 0.4 * queue - 3.0 * desks + random.nextDouble() * 2;
    Double prediction = model.predict(x, x.length + 2, forgetting);
    model.learn(new Learn.Observation(x, y, prediction == null ? Double.NaN : (y - prediction) * (y - prediction)), window);
    return prediction;
  }
}
