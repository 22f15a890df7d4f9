package dev.streamtemplates.transforms.aggregate;

import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.NonMergingWindowFn;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.transforms.windowing.WindowMappingFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Finds the events that the aggregation leaves out as late, so that they go to the dead-letter
 * output with a reason instead of vanishing. Beam drops late data inside its GroupByKey, where no
 * DoFn can see it, so:
 *
 * <ul>
 *   <li>Tumbling, calendar and session windows aggregate in a GroupByKey that keeps each window's events
 *       for {@code reportedFor} past its end and fires a LATE pane for each event that arrives
 *       after its on-time pane ({@link #aggregateAndReport}). One GroupByKey both aggregates and
 *       reports, so the report is exact.
 *   <li>Sliding windows keep Beam's (or the slice path's) aggregation, and a second GroupByKey
 *       over the window that decides whether an event is dropped from all of its windows (its
 *       slice on the slice path, its last window otherwise) reports it ({@link #find}). That
 *       GroupByKey sees the same watermark as the aggregation's, but not at the same instant, so
 *       an event right at the boundary can be dropped by one and not reported by the other; then
 *       only the runner's {@code droppedDueToLateness} counter has it. Whether an event is late
 *       depends on its window and the watermark, not its key, so this detector groups by
 *       {@value #SHARDS} shards from the key's hash: a few hundred bytes per shard and window for
 *       {@code reportedFor} past the window's end, whatever the number of keys.
 * </ul>
 *
 * <p>Both hold a window's events until it closes. Only unbounded input can have late data (in
 * batch the watermark moves once all input is read), so nothing is added for bounded input. An
 * event later than {@code reportedFor} is dropped by the runner without a record (and counted in
 * its own {@code droppedDueToLateness} metric).
 */
final class LateEvents {
  private LateEvents() {}

  /** How long past a window's end its late events are still caught and reported, by default. */
  static final Duration DEFAULT_REPORTED_FOR = Duration.standardMinutes(10);

  /** Groups of the sliding-window detector; enough to spread it over the workers. */
  static final int SHARDS = 32;

  /*
   * Both GroupByKeys here use Beam's DefaultTrigger with an allowed lateness: it fires when the
   * watermark passes a window's end and again whenever late events arrive (the watermark is then
   * already past the end), the same panes as AfterWatermark.pastEndOfWindow() with late firings
   * after every element. The runner keeps a per-window "finished" state for every trigger but this
   * one (TriggerStateMachineRunner.isFinishedSetNeeded), read and written for each event: a fifth
   * of the grouping's time on Flink in streaming (JFR, Nexmark Q7).
   */

  @SuppressWarnings({"unchecked", "rawtypes"})
  static PCollection<Row> find(PCollection<KV<Row, TimestampedValue<Row>>> keyed, WindowFn<?, ?> windowFn, Duration reportedFor,
      String step) {
    Window<KV<Object, TimestampedValue<Row>>> windows =
        Window.<KV<Object, TimestampedValue<Row>>>into((WindowFn) windowFn)
            .triggering(DefaultTrigger.of())
            .withAllowedLateness(reportedFor)
            .discardingFiredPanes();
    KvCoder<Row, TimestampedValue<Row>> coder = (KvCoder<Row, TimestampedValue<Row>>) keyed.getCoder();
    PCollection<KV<Object, TimestampedValue<Row>>> sharded = (PCollection) keyed.apply("Shard for late events", ParDo.of(new ShardFn()))
        .setCoder(KvCoder.of(VarIntCoder.of(), coder.getValueCoder()));
    PCollection<KV<Object, Iterable<TimestampedValue<Row>>>> grouped =
        sharded.apply("Windows for late events", windows).apply("Group late events", GroupByKey.create());
    return grouped
        .apply("Late panes only", ParDo.of(new LateFn(step)))
        .setRowSchema(DeadLetter.SCHEMA);
  }

  /** A shard from the key's field values (Row's own hash also covers its schema). */
  private static final class ShardFn extends DoFn<KV<Row, TimestampedValue<Row>>, KV<Integer, TimestampedValue<Row>>> {
    @ProcessElement
    public void process(@Element KV<Row, TimestampedValue<Row>> event, OutputReceiver<KV<Integer, TimestampedValue<Row>>> out) {
      out.output(KV.of(Math.floorMod(Arrays.deepHashCode(event.getKey().getValues().toArray()), SHARDS), event.getValue()));
    }
  }

  /**
   * Tumbling, calendar or session windows: the aggregates and the late events from one GroupByKey. A window
   * keeps its events for {@code reportedFor} past its end; its first pane (ON_TIME, when the
   * watermark passes the end) is aggregated, and every later pane holds only events that arrived
   * after it (discarding), which are reported late. The GroupByKey that decides is the one that
   * aggregates, so nothing falls between the two. Sessions: an event whose own gap has passed but
   * that joins a session still open is aggregated with it (Beam's GroupByKey with no allowed
   * lateness would drop it); an event that joins a closed session is late; and a late event that
   * bridges a closed session and an open one makes the open one's events late too (its next pane
   * is LATE), so they are reported, not counted. Not for sliding windows, where an event late for
   * one window can still count in the next.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static Aggregated aggregateAndReport(PCollection<KV<Row, TimestampedValue<Row>>> keyed, Schema keySchema, WindowFn<?, ?> windowFn,
      RowAggregateFn fn, Duration reportedFor, String step) {
    Window<KV<Object, TimestampedValue<Row>>> windows = Window.<KV<Object, TimestampedValue<Row>>>into((WindowFn) windowFn)
        .triggering(DefaultTrigger.of())
        .withAllowedLateness(reportedFor)
        .withOnTimeBehavior(Window.OnTimeBehavior.FIRE_IF_NON_EMPTY)
        .discardingFiredPanes();
    // Grouped by the cheapest key (as KeyedCombine does): runners encode and hash every event's key.
    PCollectionTuple out = KeyedCombine.byCheapestKey(keyed, keySchema)
        .apply("Window with late panes", windows)
        .apply("Group", GroupByKey.<Object, TimestampedValue<Row>>create())
        .apply("Aggregate on time, report late", ParDo.of(new AggregateOrReportFn(fn, keySchema, step, sessionGap(windowFn)))
            .withOutputTags(AGGREGATES, TupleTagList.of(LATE)));
    return new Aggregated(out.get(AGGREGATES), out.get(LATE).setRowSchema(DeadLetter.SCHEMA));
  }

  private static Duration sessionGap(WindowFn<?, ?> windowFn) {
    return windowFn instanceof Sessions ? ((Sessions) windowFn).getGapDuration() : null;
  }

  /**
   * Whether a pane of a session window holds fewer events than the session: its first event is
   * after the window's start, or its last event plus the gap before the window's end. The first
   * pane of a session holds all its events, and a session spans exactly from its first event to
   * its last event plus the gap, so a pane that does not is a later one: events that merged into
   * a session whose pane was already given. Beam marks such panes LATE from the pane state and the
   * output watermark, but the merged window's pane state starts afresh, and the Flink runner's
   * output watermark lags while a bundle opened by timers is in progress (it is only advanced when
   * the bundle finishes), so Flink labels them ON_TIME; this check does not depend on either.
   */
  static boolean partOfSessionAlreadyGiven(Iterable<TimestampedValue<Row>> events, IntervalWindow window, Duration gap) {
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    for (TimestampedValue<Row> event : events) {
      first = Math.min(first, event.getTimestamp().getMillis());
      last = Math.max(last, event.getTimestamp().getMillis());
    }
    return first > window.start().getMillis() || last + gap.getMillis() < window.end().getMillis();
  }

  private static final TupleTag<KV<Row, Row>> AGGREGATES = new TupleTag<KV<Row, Row>>() {};
  private static final TupleTag<Row> LATE = new TupleTag<Row>() {};

  /** The aggregates per key and window, and the late events as dead letters. */
  static final class Aggregated {
    final PCollection<KV<Row, Row>> aggregates;
    final PCollection<Row> late;

    Aggregated(PCollection<KV<Row, Row>> aggregates, PCollection<Row> late) {
      this.aggregates = aggregates;
      this.late = late;
    }
  }

  private static final class AggregateOrReportFn extends DoFn<KV<Object, Iterable<TimestampedValue<Row>>>, KV<Row, Row>> {
    private final RowAggregateFn fn;
    private final Schema keySchema;
    private final Reporter reporter;
    private final Duration sessionGap;

    AggregateOrReportFn(RowAggregateFn fn, Schema keySchema, String step, Duration sessionGap) {
      this.fn = fn;
      this.keySchema = keySchema;
      this.reporter = new Reporter(step);
      this.sessionGap = sessionGap;
    }

    @ProcessElement
    public void process(@Element KV<Object, Iterable<TimestampedValue<Row>>> group, PaneInfo pane, BoundedWindow window, MultiOutputReceiver out) {
      if (pane.getTiming() == PaneInfo.Timing.LATE
          || sessionGap != null && group.getValue().iterator().hasNext() && partOfSessionAlreadyGiven(group.getValue(), (IntervalWindow) window, sessionGap)) {
        reporter.report(group.getValue(), window, out.get(LATE));
        return;
      }
      if (!group.getValue().iterator().hasNext()) {
        return; // a window fires its on-time pane once; never emit an aggregate of nothing
      }
      Object[] accumulator = fn.createAccumulator();
      for (TimestampedValue<Row> event : group.getValue()) {
        accumulator = fn.addInput(accumulator, event);
      }
      out.get(AGGREGATES).output(KV.of(KeyedCombine.keyRow(keySchema, group.getKey()), fn.extractOutput(accumulator)));
    }
  }

  private static final class LateFn extends DoFn<KV<Object, Iterable<TimestampedValue<Row>>>, Row> {
    private final Reporter reporter;

    LateFn(String step) {
      this.reporter = new Reporter(step);
    }

    @ProcessElement
    public void process(@Element KV<Object, Iterable<TimestampedValue<Row>>> group, PaneInfo pane, BoundedWindow window, OutputReceiver<Row> out) {
      if (pane.getTiming() == PaneInfo.Timing.LATE) {
        reporter.report(group.getValue(), window, out);
      }
    }
  }

  /** Late events to dead letters, counted as {@code records/<step>-late}. */
  private static final class Reporter implements java.io.Serializable {
    private final String step;
    private final Counter late;
    private final Counter deadLetters;

    Reporter(String step) {
      this.step = step;
      this.late = Metrics.counter("records", step + "-late");
      this.deadLetters = DeadLetter.counter(step);
    }

    void report(Iterable<TimestampedValue<Row>> events, BoundedWindow window, DoFn.OutputReceiver<Row> out) {
      for (TimestampedValue<Row> event : events) {
        late.inc();
        deadLetters.inc();
        out.output(DeadLetter.ofText(step, "late: event time " + event.getTimestamp() + " arrived after the watermark passed the end of its window "
            + window + "; dropped from the aggregate", RowText.json(event.getValue()), event.getTimestamp()));
      }
    }
  }

  /** Each event's last sliding window: the one after which it counts in no window at all. */
  static final class LastSlidingWindow extends NonMergingWindowFn<Object, IntervalWindow> {
    private final Duration size;
    private final Duration slide;
    private final Duration offset;

    /** Windows of {@code size} starting at {@code offset} (in [0, slide)) plus whole slides. */
    LastSlidingWindow(Duration size, Duration slide, Duration offset) {
      this.size = size;
      this.slide = slide;
      this.offset = offset;
    }

    @Override
    public Collection<IntervalWindow> assignWindows(AssignContext c) {
      long start = Math.floorDiv(c.timestamp().getMillis() - offset.getMillis(), slide.getMillis()) * slide.getMillis() + offset.getMillis();
      return List.of(new IntervalWindow(new Instant(start), size));
    }

    @Override
    public boolean isCompatible(WindowFn<?, ?> other) {
      return equals(other);
    }

    @Override
    public Coder<IntervalWindow> windowCoder() {
      return IntervalWindow.getCoder();
    }

    @Override
    public WindowMappingFn<IntervalWindow> getDefaultWindowMappingFn() {
      throw new UnsupportedOperationException("not a side-input window");
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof LastSlidingWindow && ((LastSlidingWindow) other).size.equals(size) && ((LastSlidingWindow) other).slide.equals(slide)
          && ((LastSlidingWindow) other).offset.equals(offset);
    }

    @Override
    public int hashCode() {
      return (size.hashCode() * 17 + slide.hashCode()) * 31 + offset.hashCode();
    }
  }
}
