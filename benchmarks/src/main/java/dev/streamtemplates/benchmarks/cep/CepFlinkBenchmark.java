package dev.streamtemplates.benchmarks.cep;

import dev.streamtemplates.benchmarks.SlidingTopNBenchmark;
import dev.streamtemplates.transforms.cep.Pattern;
import dev.streamtemplates.transforms.cep.Sequence;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.cep.CEP;
import org.apache.flink.cep.functions.PatternProcessFunction;
import org.apache.flink.cep.pattern.conditions.SimpleCondition;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.SinkFunction;
import org.apache.flink.util.Collector;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * "A followedBy B within 10 s" per key, end to end on Flink {@code [local]} (parallelism 2), three
 * contestants on the same generated events in the same JVM:
 *
 * <ol>
 *   <li>ours: {@link Sequence} on the Beam Flink runner (batch, bounded input);
 *   <li>hand-written Beam: a stateful DoFn specialised to this one pattern, same runner and mode;
 *   <li>native Flink CEP 1.19 ({@code flink-cep}) on a DataStream, event time, monotonous
 *       watermarks per source split.
 * </ol>
 *
 * <p>All three must find the same number of matches, or the run fails. Each runs once on a
 * smaller input to warm up, then is timed, wall clock including job start. Prints a table and
 * appends to {@code benchmarks/results/cep-flink.csv}.
 *
 * <pre>
 * bin/bench-cep [--events=3000000] [--keys=1200]
 * </pre>
 */
public final class CepFlinkBenchmark {
  static final long WITHIN = 10_000;

  public static void main(String[] args) throws Exception {
    long events = SlidingTopNBenchmark.longArg(args, "events", 3_000_000);
    int keys = (int) SlidingTopNBenchmark.longArg(args, "keys", 1_200);
    Path results = Path.of(SlidingTopNBenchmark.stringArg(args, "results", "benchmarks/results"));
    System.out.printf("A followedBy B within 10 s: %,d events, %,d keys, Flink [local] parallelism 2%n", events, keys);
    long warm = Math.max(10_000, events / 20);
    beam("warm-up ours", true, warm, keys);
    beam("warm-up hand-written", false, warm, keys);
    flinkCep("warm-up Flink CEP", warm, keys);
    Result ours = beam("ours (Sequence)", true, events, keys);
    Result hand = beam("hand-written Beam DoFn", false, events, keys);
    Result flink = flinkCep("native Flink CEP", events, keys);
    if (ours.matches != hand.matches || ours.matches != flink.matches) {
      throw new IllegalStateException("the contestants disagree: ours " + ours.matches + ", hand-written " + hand.matches + ", Flink CEP " + flink.matches);
    }
    System.out.printf("%n| contestant | seconds | events/s | matches |%n|---|---|---|---|%n");
    for (Result r : List.of(ours, hand, flink)) {
      System.out.printf(Locale.ROOT, "| %s | %.1f | %,.0f | %,d |%n", r.name, r.seconds, events / r.seconds, r.matches);
    }
    double vsFlink = flink.seconds / ours.seconds;
    double vsHand = hand.seconds / ours.seconds;
    System.out.printf(Locale.ROOT, "%nours / native Flink CEP: %.2fx   ours / hand-written Beam DoFn: %.2fx%n", vsFlink, vsHand);
    Files.createDirectories(results);
    Path csv = results.resolve("cep-flink.csv");
    boolean header = !Files.exists(csv);
    String line = String.format(Locale.ROOT, "%s,%d,%d,%d,%.0f,%.0f,%.0f,%.2f,%.2f%n", java.time.Instant.now(), events, keys, ours.matches,
        events / ours.seconds, events / hand.seconds, events / flink.seconds, vsFlink, vsHand);
    Files.writeString(csv, (header ? "when,events,keys,matches,ours_events_per_s,hand_written_events_per_s,flink_cep_events_per_s,"
        + "ours_over_flink_cep,ours_over_hand_written\n" : "") + line, StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    System.out.println("appended to " + csv);
  }

  record Result(String name, double seconds, long matches) {}

  static Result beam(String name, boolean ours, long events, int keys) {
    PipelineOptions options = PipelineOptionsFactory.fromArgs(
        "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2", "--objectReuse=true", "--fasterCopy=true").create();
    Pipeline pipeline = Pipeline.create(options);
    PCollection<Row> input = pipeline
        .apply("Generate", GenerateSequence.from(0).to(events))
        .apply("Events", ParDo.of(new EventFn(keys)))
        .setRowSchema(CepEvents.SCHEMA);
    if (ours) {
      input.apply("Detect", Sequence.detect(Pattern.begin("a").where("event.type == 'A'")
              .followedBy("b").where("event.type == 'B'")
              .within(Duration.millis(WITHIN)))
          .perKey("key").withMode(Sequence.Mode.TIMERS).named("ab"));
    } else {
      input.apply("Key", ParDo.of(new KeyFn()))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of())))
          .apply("A then B", ParDo.of(new HandWrittenFn()));
    }
    long start = System.nanoTime();
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    double seconds = (System.nanoTime() - start) / 1e9;
    long matches = 0;
    for (var counter : result.metrics().queryMetrics(MetricsFilter.builder().build()).getCounters()) {
      String counterName = counter.getName().getName();
      if (counterName.equals("ab-matches") || counterName.equals("hand-matches")) {
        matches += counter.getAttempted();
      }
    }
    System.out.printf(Locale.ROOT, "  %-24s %,10d events in %6.1f s  (%,.0f events/s, %,d matches)%n", name, events, seconds, events / seconds, matches);
    return new Result(name, seconds, matches);
  }

  /** Event i as a row with its event time. */
  static final class EventFn extends DoFn<Long, Row> {
    private final int keys;
    private transient CepEvents events;

    EventFn(int keys) {
      this.keys = keys;
    }

    @Setup
    public void setup() {
      events = new CepEvents(42, keys, 0);
    }

    @ProcessElement
    public void process(@Element Long i, OutputReceiver<Row> out) {
      out.outputWithTimestamp(events.row(i), new Instant(events.time(i)));
    }
  }

  static final class KeyFn extends DoFn<Row, KV<String, KV<String, Long>>> {
    @ProcessElement
    public void process(@Element Row row, OutputReceiver<KV<String, KV<String, Long>>> out) {
      out.output(KV.of(row.getString("key"), KV.of(row.getString("type"), row.getInt64("ts"))));
    }
  }

  /**
   * The pattern written by hand as an expert would: events wait in a bag until the watermark
   * passes them (one event-time timer), then, in time order, an A is remembered and a B matches
   * every remembered A less than 10 s older, which it consumes.
   */
  static final class HandWrittenFn extends DoFn<KV<String, KV<String, Long>>, Void> {
    @StateId("buffer")
    private final StateSpec<BagState<KV<String, Long>>> bufferSpec = StateSpecs.bag(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()));

    @StateId("pending")
    private final StateSpec<BagState<Long>> pendingSpec = StateSpecs.bag(VarLongCoder.of());

    @StateId("next")
    private final StateSpec<ValueState<Long>> nextSpec = StateSpecs.value(VarLongCoder.of());

    @TimerId("release")
    private final TimerSpec releaseSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

    private final Counter matches = Metrics.counter("bench", "hand-matches");

    @ProcessElement
    public void process(@Element KV<String, KV<String, Long>> element, @StateId("buffer") BagState<KV<String, Long>> buffer,
        @StateId("next") ValueState<Long> next, @TimerId("release") Timer release) {
      long ts = element.getValue().getValue();
      buffer.add(element.getValue());
      Long scheduled = next.read();
      if (scheduled == null || ts < scheduled) {
        release.withOutputTimestamp(new Instant(ts)).set(new Instant(ts));
        next.write(ts);
      }
    }

    @OnTimer("release")
    public void onRelease(OnTimerContext context, @StateId("buffer") BagState<KV<String, Long>> buffer,
        @StateId("pending") BagState<Long> pendingState, @StateId("next") ValueState<Long> next, @TimerId("release") Timer release) {
      long now = context.fireTimestamp().getMillis();
      List<KV<String, Long>> ready = new ArrayList<>();
      List<KV<String, Long>> later = new ArrayList<>();
      for (KV<String, Long> event : buffer.read()) {
        (event.getValue() > now ? later : ready).add(event);
      }
      ready.sort(Comparator.comparingLong(KV::getValue));
      List<Long> pending = new ArrayList<>();
      pendingState.read().forEach(pending::add);
      for (KV<String, Long> event : ready) {
        long ts = event.getValue();
        pending.removeIf(a -> a + WITHIN <= ts);
        if (event.getKey().equals("B")) {
          matches.inc(pending.size());
          pending.clear();
        } else if (event.getKey().equals("A")) {
          pending.add(ts);
        }
      }
      pending.removeIf(a -> a + WITHIN <= now);
      buffer.clear();
      pendingState.clear();
      pending.forEach(pendingState::add);
      long nextAt = Long.MAX_VALUE;
      for (KV<String, Long> event : later) {
        buffer.add(event);
        nextAt = Math.min(nextAt, event.getValue());
      }
      if (!pending.isEmpty()) {
        nextAt = Math.min(nextAt, pending.get(0) + WITHIN);
      }
      if (nextAt == Long.MAX_VALUE) {
        next.clear();
      } else {
        release.withOutputTimestamp(new Instant(nextAt)).set(new Instant(nextAt));
        next.write(nextAt);
      }
    }
  }

  /** One generated event for the Flink job. */
  public static final class Event {
    public String key;
    public String type;
    public long ts;

    public Event() {}

    Event(String key, String type, long ts) {
      this.key = key;
      this.type = type;
      this.ts = ts;
    }
  }

  static final AtomicLong FLINK_MATCHES = new AtomicLong();

  static Result flinkCep(String name, long events, int keys) throws Exception {
    FLINK_MATCHES.set(0);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2);
    env.getConfig().enableObjectReuse();
    CepEvents generator = new CepEvents(42, keys, 0);
    var stream = env.fromSequence(0, events - 1)
        .map(i -> new Event("k" + generator.key(i), generator.type(i), generator.time(i)))
        .returns(Event.class)
        .assignTimestampsAndWatermarks(WatermarkStrategy.<Event>forMonotonousTimestamps().withTimestampAssigner((e, previous) -> e.ts))
        .keyBy(e -> e.key);
    org.apache.flink.cep.pattern.Pattern<Event, Event> pattern = org.apache.flink.cep.pattern.Pattern.<Event>begin("a")
        .where(SimpleCondition.of(e -> e.type.equals("A")))
        .followedBy("b").where(SimpleCondition.of(e -> e.type.equals("B")))
        .within(java.time.Duration.ofMillis(WITHIN));
    CEP.pattern(stream, pattern).inEventTime()
        .process(new PatternProcessFunction<Event, Long>() {
          @Override
          public void processMatch(Map<String, List<Event>> match, Context context, Collector<Long> out) {
            out.collect(1L);
          }
        })
        .addSink(new SinkFunction<Long>() {
          @Override
          public void invoke(Long value, Context context) {
            FLINK_MATCHES.incrementAndGet();
          }
        });
    long start = System.nanoTime();
    env.execute(name);
    double seconds = (System.nanoTime() - start) / 1e9;
    long matches = FLINK_MATCHES.get();
    System.out.printf(Locale.ROOT, "  %-24s %,10d events in %6.1f s  (%,.0f events/s, %,d matches)%n", name, events, seconds, events / seconds, matches);
    return new Result(name, seconds, matches);
  }
}
