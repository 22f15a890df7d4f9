package dev.streamtemplates.transforms.cep;

import dev.streamtemplates.transforms.core.Names;
import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.cep.nfa.Nfa;
import dev.streamtemplates.transforms.cep.runtime.MatchRows;
import dev.streamtemplates.transforms.cep.runtime.SequenceFns;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.time.EventTimeTimers;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Detects a temporal sequence {@link Pattern} per key, in event time, on any runner.
 *
 * <pre>{@code
 * PCollectionTuple result = transactions.apply(Sequence.detect(
 *         Pattern.begin("us").where("event.country == 'US'")
 *             .followedBy("abroad").where("event.country != 'US'")
 *             .within(Duration.standardHours(3)))
 *     .perKey("card")
 *     .withEmit(Map.of("firstCountry", "us.country", "secondCountry", "abroad.country")));
 * PCollection<Row> alerts = result.get(Sequence.MATCHES);
 * }</pre>
 *
 * <p>Each key's events are matched in event-time order (ties broken by content, the same on
 * every runner), whatever order they arrive in: they wait until the watermark passes them. A match
 * is emitted when its last event is matched; an absence ({@code notFollowedBy} at the end) when
 * the watermark passes first + within. Partial matches whose bound passes go to {@link
 * #TIMED_OUT}. An event that arrives after its key was matched past its time, an event whose key is null,
 * and a condition or projection that fails go to {@link #FAILURES} as dead letters with their
 * reason (late ones: {@link SequenceFns#LATE_REASON}). Output
 * rows are described in {@link MatchRows}.
 *
 * <p>Two modes give the same matches. {@link Mode#TIMERS} keeps per-key state, driven by
 * event-time timers: a match comes out as soon as the watermark passes its last event. {@link
 * Mode#WINDOWS} needs no timers, for Spark in streaming mode, which has none: it groups each key's
 * events into sliding windows of twice the bound (sliding by the bound) and matches each window
 * in memory; a match comes out when the watermark passes the end of a window that holds it, i.e.
 * up to two bounds after its first event. It supports the {@code noSkip} and {@code skipToNext}
 * strategies, whose results do not depend on earlier windows. {@link Mode#AUTO} (the default)
 * picks WINDOWS on Spark streaming, TIMERS elsewhere.
 */
public final class Sequence extends PTransform<PCollection<Row>, PCollectionTuple> {

  /** How the automaton is driven. */
  public enum Mode {
    AUTO, TIMERS, WINDOWS
  }

  public static final TupleTag<Row> MATCHES = new TupleTag<Row>("matches") {};
  public static final TupleTag<Row> TIMED_OUT = new TupleTag<Row>("timedOut") {};
  public static final TupleTag<Row> FAILURES = new TupleTag<Row>("dead-letter") {};
  private static final TupleTag<KV<String, Row>> KEYED = new TupleTag<KV<String, Row>>("keyed") {};

  private final Pattern pattern;
  private final String keyField;
  private final Map<String, String> emit;
  private final Mode mode;
  private final String step;
  private final String origin;

  private Sequence(Pattern pattern, String keyField, Map<String, String> emit, Mode mode, String step, String origin) {
    this.pattern = pattern;
    this.keyField = keyField;
    this.emit = emit;
    this.mode = mode;
    this.step = step;
    this.origin = origin;
  }

  /** Starts a pattern; the same as {@link Pattern#begin}. */
  public static Pattern begin(String stage) {
    return Pattern.begin(stage);
  }

  /** Detects {@code pattern}, by default over all events as one key. */
  public static Sequence detect(Pattern pattern) {
    if (pattern == null) {
      throw new IllegalArgumentException("pattern must not be null");
    }
    return new Sequence(pattern, null, Map.of(), Mode.AUTO, "sequence", "sequence");
  }

  /** Matches each value of this field separately. */
  @CheckReturnValue
  public Sequence perKey(String field) {
    return new Sequence(pattern, Names.require(field, "key field"), emit, mode, step, origin);
  }

  /** Projects each match to these fields (name to CEL expression, in order) instead of the stage records. */
  @CheckReturnValue
  public Sequence withEmit(Map<String, String> fields) {
    return new Sequence(pattern, keyField, new LinkedHashMap<>(fields), mode, step, origin);
  }

  @CheckReturnValue
  public Sequence withMode(Mode newMode) {
    if (newMode == null) {
      throw new IllegalArgumentException("mode must be one of AUTO, TIMERS, WINDOWS, got null");
    }
    return new Sequence(pattern, keyField, emit, newMode, step, origin);
  }

  @CheckReturnValue
  public Sequence named(String newStep) {
    return new Sequence(pattern, keyField, emit, mode, Names.require(newStep, "step"), origin);
  }

  @CheckReturnValue
  public Sequence withOrigin(String newOrigin) {
    return new Sequence(pattern, keyField, emit, mode, step, Names.require(newOrigin, "origin"));
  }

  /** The mode this transform runs in on the pipeline of {@code input}. */
  public Mode resolvedMode(PCollection<Row> input) {
    return mode == Mode.AUTO ? (EventTimeTimers.missing(input) ? Mode.WINDOWS : Mode.TIMERS) : mode;
  }

  @Override
  public PCollectionTuple expand(PCollection<Row> input) {
    if (pattern.within() == null) {
      throw new IllegalArgumentException(origin + ": pattern '" + pattern.name() + "' needs within(...): without a time bound,"
          + " partial matches could wait forever and the state would grow without bound");
    }
    if (keyField != null && !input.getSchema().hasField(keyField)) {
      throw new IllegalArgumentException(origin + ": key field '" + keyField + "' is not in the input; fields are "
          + input.getSchema().getFieldNames());
    }
    Nfa nfa = Nfa.compile(origin, pattern, input.getSchema());
    MatchRows rows = MatchRows.of(origin, nfa, emit);
    Mode resolved = resolvedMode(input);
    if (resolved == Mode.TIMERS) {
      EventTimeTimers.require(origin + ": mode TIMERS needs", input);
    } else {
      SkipStrategy.Kind skip = pattern.skipStrategy().kind();
      if (skip != SkipStrategy.Kind.NO_SKIP && skip != SkipStrategy.Kind.SKIP_TO_NEXT) {
        throw new IllegalArgumentException(origin + ": skip strategy " + pattern.skipStrategy() + " needs the key's whole history,"
            + " which the timer-free mode (WINDOWS, used on Spark streaming) does not keep; use noSkip or skipToNext there,"
            + " or run on Direct or Flink");
      }
    }
    SequenceFns.Spec spec = new SequenceFns.Spec(nfa, rows, step, MATCHES, TIMED_OUT, FAILURES);
    PCollectionTuple keying = input.apply("Key by " + (keyField == null ? "nothing" : keyField),
        ParDo.of(new KeyFn(keyField, step, FAILURES)).withOutputTags(KEYED, TupleTagList.of(FAILURES)));
    PCollection<KV<String, Row>> byKey =
        keying.get(KEYED).setCoder(KvCoder.of(StringUtf8Coder.of(), SchemaCoder.of(input.getSchema())));
    PCollectionTuple matched;
    if (resolved == Mode.TIMERS) {
      matched = byKey
          .apply("In the global window", Window.<KV<String, Row>>into(new GlobalWindows()))
          .apply("Match " + pattern.name(), ParDo.of(new SequenceFns.TimerFn(spec))
              .withOutputTags(MATCHES, TupleTagList.of(TIMED_OUT).and(FAILURES)));
    } else {
      Duration within = pattern.within();
      PCollection<KV<String, TimestampedValue<Row>>> stamped = byKey
          .apply("Keep event times", ParDo.of(new StampFn()))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(input.getSchema()))));
      PCollectionTuple windowed = stamped
          .apply("Windows of twice the bound", Window.<KV<String, TimestampedValue<Row>>>into(SlidingWindows.of(within.multipliedBy(2)).every(within))
              .triggering(AfterWatermark.pastEndOfWindow().withLateFirings(AfterPane.elementCountAtLeast(1)))
              .withAllowedLateness(within.multipliedBy(2))
              .withTimestampCombiner(TimestampCombiner.EARLIEST)
              .discardingFiredPanes())
          .apply("Group by key", GroupByKey.create())
          .apply("Match " + pattern.name(), ParDo.of(new SequenceFns.WindowFn(spec))
              .withOutputTags(MATCHES, TupleTagList.of(TIMED_OUT).and(FAILURES)));
      matched = PCollectionTuple.of(MATCHES, global(windowed.get(MATCHES).setRowSchema(rows.outputSchema()), "matches"))
          .and(TIMED_OUT, global(windowed.get(TIMED_OUT).setRowSchema(rows.timedOutSchema()), "timed-out"))
          .and(FAILURES, global(windowed.get(FAILURES).setRowSchema(DeadLetter.SCHEMA), "failures"));
    }
    PCollection<Row> failures = PCollectionList.of(keying.get(FAILURES).setRowSchema(DeadLetter.SCHEMA))
        .and(matched.get(FAILURES).setRowSchema(DeadLetter.SCHEMA))
        .apply("All failures", Flatten.pCollections())
        .setRowSchema(DeadLetter.SCHEMA);
    return PCollectionTuple.of(MATCHES, matched.get(MATCHES).setRowSchema(rows.outputSchema()))
        .and(TIMED_OUT, matched.get(TIMED_OUT).setRowSchema(rows.timedOutSchema()))
        .and(FAILURES, failures);
  }

  private static PCollection<Row> global(PCollection<Row> rows, String name) {
    return rows.apply("Back to the global window: " + name, Window.<Row>into(new GlobalWindows())
        .triggering(DefaultTrigger.of()).withAllowedLateness(Duration.ZERO).discardingFiredPanes());
  }

  private static final class KeyFn extends DoFn<Row, KV<String, Row>> {
    private final String keyField;
    private final TupleTag<Row> failures;
    private final String step;
    private final Counter failed;

    KeyFn(String keyField, String step, TupleTag<Row> failures) {
      this.keyField = keyField;
      this.step = step;
      this.failures = failures;
      this.failed = DeadLetter.counter(step);
    }

    @ProcessElement
    public void process(@Element Row row, @Timestamp Instant timestamp, MultiOutputReceiver out) {
      if (keyField == null) {
        out.get(KEYED).output(KV.of("", row));
        return;
      }
      Object key = row.getValue(keyField);
      if (key == null) {
        failed.inc();
        out.get(failures).output(DeadLetter.ofText(step, "key field '" + keyField + "' is null", RowText.json(row), DeadLetter.knownTime(timestamp)));
        return;
      }
      out.get(KEYED).output(KV.of(String.valueOf(key), row));
    }
  }

  private static final class StampFn extends DoFn<KV<String, Row>, KV<String, TimestampedValue<Row>>> {
    @ProcessElement
    public void process(@Element KV<String, Row> element, @Timestamp Instant timestamp, OutputReceiver<KV<String, TimestampedValue<Row>>> out) {
      out.output(KV.of(element.getKey(), TimestampedValue.of(element.getValue(), timestamp)));
    }
  }
}
