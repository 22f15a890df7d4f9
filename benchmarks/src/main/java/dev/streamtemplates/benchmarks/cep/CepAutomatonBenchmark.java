package dev.streamtemplates.benchmarks.cep;

import dev.streamtemplates.transforms.cep.Pattern;
import dev.streamtemplates.transforms.cep.nfa.Nfa;
import dev.streamtemplates.transforms.cep.runtime.KeyState;
import dev.streamtemplates.transforms.cep.runtime.Match;
import dev.streamtemplates.transforms.cep.runtime.Matcher;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Duration;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The automaton alone, one thread: "A followedBy B followedBy C within 10 s" (relaxed
 * contiguity) over 10,000 keys, events fed in time order straight to the {@link Matcher} with one
 * {@link KeyState} per key, as the stateful DoFn does after its buffer. Throughput is in events
 * per second ({@code ops/s}). The conditions are CEL, as a template writes them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
public class CepAutomatonBenchmark {
  static final int EVENTS = 1_000_000;

  @Param({"10000"})
  public int keys;

  private Row[] rows;
  private int[] keyOf;
  private long[] times;
  private Matcher matcher;
  private KeyState[] states;

  @Setup(Level.Trial)
  public void generate() {
    CepEvents events = new CepEvents(42, keys, 0);
    rows = new Row[EVENTS];
    keyOf = new int[EVENTS];
    times = new long[EVENTS];
    for (int i = 0; i < EVENTS; i++) {
      rows[i] = events.row(i);
      keyOf[i] = events.key(i);
      // Ten events per millisecond over all keys: each key sees about ten events in 10 s.
      times[i] = 1_700_000_000_000L + i / 10;
    }
    Pattern pattern = Pattern.begin("a").where("event.type == 'A'")
        .followedBy("b").where("event.type == 'B'")
        .followedBy("c").where("event.type == 'C'")
        .within(Duration.standardSeconds(10));
    matcher = new Matcher(Nfa.compile("bench", pattern, CepEvents.SCHEMA));
  }

  @Setup(Level.Invocation)
  public void freshState() {
    states = new KeyState[keys];
    for (int k = 0; k < keys; k++) {
      states[k] = new KeyState();
    }
  }

  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public void threeStageRelaxed(Blackhole hole) {
    Matcher.Output out = new Matcher.Output() {
      @Override
      public void match(Match match) {
        hole.consume(match);
      }

      @Override
      public void timedOut(Match partial) {
        hole.consume(partial);
      }

      @Override
      public void failed(Row event, long timestamp, String reason) {
        throw new IllegalStateException(reason);
      }
    };
    for (int i = 0; i < EVENTS; i++) {
      matcher.advance(states[keyOf[i]], rows[i], times[i], out);
    }
  }
}
