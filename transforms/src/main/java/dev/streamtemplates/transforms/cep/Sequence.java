package dev.streamtemplates.transforms.cep;

import com.google.auto.value.AutoValue;
import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.cep.nfa.Nfa;
import dev.streamtemplates.transforms.cep.runtime.MatchRows;
import dev.streamtemplates.transforms.cep.runtime.SequenceFns;
import dev.streamtemplates.transforms.core.KeyByFn;
import dev.streamtemplates.transforms.core.Keys;
import dev.streamtemplates.transforms.core.Names;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.time.EventTimeTimers;
import dev.streamtemplates.transforms.time.Rewindow;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Detects a temporal sequence {@link Pattern} per key, in event time, on any runner.
 *
 * <pre>{@code
 * Result result = transactions.apply(Sequence.detect(
 *         Pattern.begin("us").where("event.country == 'US'")
 *             .followedBy("abroad").where("event.country != 'US'")
 *             .within(Duration.standardHours(3)))
 *     .perKey("card")
 *     .withEmit(Map.of("firstCountry", "us.country", "secondCountry", "abroad.country")));
 * PCollection<Row> alerts = result.output();
 * }</pre>
 *
 * <p>Each key's events are matched in event-time order (ties broken by content, the same on
 * every runner), whatever order they arrive in: they wait until the watermark passes them. A match
 * is emitted when its last event is matched; an absence ({@code notFollowedBy} at the end) when
 * the watermark passes first + within, or, with a duration of its own ({@link Pattern#lasting}),
 * last event + that duration (a repeating one again one duration later, until within). Partial
 * matches whose bound (within, withinPrevious) passes go to the named output {@link #TIMED_OUT}. An event that arrives after its key was matched past its time, an event whose key is null,
 * and a condition or projection that fails go to the dead-letter output ({@link Result#failures()}) with their
 * reason (late ones: {@link SequenceFns#LATE_REASON}). Output
 * rows are described in {@link MatchRows}.
 *
 * <p>Two modes give the same matches. {@link Mode#TIMERS} keeps per-key state, driven by
 * event-time timers: a match comes out as soon as the watermark passes its last event. {@link
 * Mode#WINDOWS} needs no timers, for Spark in streaming mode, which has none: it groups each key's
 * events into sliding windows of twice the bound (sliding by the bound) and matches each window
 * in memory; a match comes out when the watermark passes the end of a window that holds it, i.e.
 * up to two bounds after its first event. It supports the {@code noSkip} and {@code skipToNext}
 * strategies, whose results do not depend on earlier windows, and needs within; it refuses a
 * leading absence and a repeating one, which need a key's history or a timer. {@link Mode#AUTO}
 * (the default) picks WINDOWS on Spark streaming, TIMERS elsewhere. Within is required only when
 * a partial match could wait for ever ({@link Pattern#unboundedWait()}).
 */
public final class Sequence extends PTransform<PCollection<Row>, Result> {

  /** How the automaton is driven. */
  public enum Mode {
    AUTO, TIMERS, WINDOWS
  }

  /** The named output of partial matches whose time bound passed. */
  public static final String TIMED_OUT = "timedOut";

  private static final TupleTag<Row> MATCHES = new TupleTag<Row>("matches") {};
  private static final TupleTag<Row> TIMED_OUT_TAG = new TupleTag<Row>("timedOut") {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>("dead-letter") {};
  private static final TupleTag<KV<String, Row>> KEYED = new TupleTag<KV<String, Row>>("keyed") {};

  /** Every setting; immutable, copied with a change by each {@code withX}. */
  @AutoValue
  abstract static class Settings implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    abstract Pattern pattern();

    abstract @Nullable String keyField();

    abstract Map<String, String> emit();

    abstract Mode mode();

    abstract String step();

    abstract String origin();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder pattern(Pattern pattern);

      abstract Builder keyField(String keyField);

      abstract Builder emit(Map<String, String> emit);

      abstract Builder mode(Mode mode);

      abstract Builder step(String step);

      abstract Builder origin(String origin);

      abstract Settings build();
    }
  }

  private final Settings settings;

  private Sequence(Settings settings) {
    this.settings = settings;
  }

  private Sequence with(UnaryOperator<Settings.Builder> change) {
    return new Sequence(change.apply(settings.toBuilder()).build());
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
    return new Sequence(new AutoValue_Sequence_Settings.Builder().pattern(pattern).emit(Map.of()).mode(Mode.AUTO)
        .step("sequence").origin("sequence").build());
  }

  /** Matches each value of this field separately. */
  @CheckReturnValue
  public Sequence perKey(String field) {
    String key = Names.require(field, "key field");
    return with(b -> b.keyField(key));
  }

  /** Projects each match to these fields (name to CEL expression, in order) instead of the stage records. */
  @CheckReturnValue
  public Sequence withEmit(Map<String, String> fields) {
    return with(b -> b.emit(new LinkedHashMap<>(fields)));
  }

  @CheckReturnValue
  public Sequence withMode(Mode newMode) {
    if (newMode == null) {
      throw new IllegalArgumentException("mode must be one of AUTO, TIMERS, WINDOWS, got null");
    }
    return with(b -> b.mode(newMode));
  }

  @CheckReturnValue
  public Sequence named(String newStep) {
    String name = Names.require(newStep, "step");
    return with(b -> b.step(name));
  }

  @CheckReturnValue
  public Sequence withOrigin(String newOrigin) {
    String where = Names.require(newOrigin, "origin");
    return with(b -> b.origin(where));
  }

  /** The mode this transform runs in on the pipeline of {@code input}. */
  public Mode resolvedMode(PCollection<Row> input) {
    return settings.mode() == Mode.AUTO ? (EventTimeTimers.missing(input) ? Mode.WINDOWS : Mode.TIMERS) : settings.mode();
  }

  @Override
  public Result expand(PCollection<Row> input) {
    Pattern pattern = settings.pattern();
    String unbounded = pattern.within() == null ? pattern.unboundedWait() : null;
    if (unbounded != null) {
      throw new IllegalArgumentException(settings.origin() + ": pattern '" + pattern.name() + "' needs within(...): " + unbounded
          + ", so partial matches could wait forever and the state would grow without bound");
    }
    if (settings.keyField() != null && !input.getSchema().hasField(settings.keyField())) {
      throw new IllegalArgumentException(settings.origin() + ": key field '" + settings.keyField() + "' is not in the input; fields are "
          + input.getSchema().getFieldNames());
    }
    Nfa nfa = Nfa.compile(settings.origin(), settings.pattern(), input.getSchema());
    MatchRows rows = MatchRows.of(settings.origin(), nfa, settings.emit());
    Mode resolved = resolvedMode(input);
    if (resolved == Mode.TIMERS) {
      EventTimeTimers.require(settings.origin() + ": mode TIMERS needs", input);
    } else {
      refuseWithoutTimers(nfa);
    }
    SequenceFns.Spec spec = new SequenceFns.Spec(nfa, rows, settings.step(), MATCHES, TIMED_OUT_TAG, FAILURES);
    PCollectionTuple keying = input.apply("Key by " + (settings.keyField() == null ? "nothing" : settings.keyField()),
        ParDo.of(new KeyByFn.Rows(settings.keyField() == null ? Keys.of(List.of()) : Keys.of(settings.keyField()), settings.step(), KEYED, FAILURES))
            .withOutputTags(KEYED, TupleTagList.of(FAILURES)));
    PCollection<KV<String, Row>> byKey =
        keying.get(KEYED).setCoder(KvCoder.of(StringUtf8Coder.of(), SchemaCoder.of(input.getSchema())));
    PCollectionTuple matched;
    if (resolved == Mode.TIMERS) {
      matched = byKey
          .apply("In the global window", Window.<KV<String, Row>>into(new GlobalWindows()))
          .apply("Match " + settings.pattern().name(), ParDo.of(new SequenceFns.TimerFn(spec))
              .withOutputTags(MATCHES, TupleTagList.of(TIMED_OUT_TAG).and(FAILURES)));
    } else {
      Duration within = settings.pattern().within();
      PCollection<KV<String, TimestampedValue<Row>>> stamped = byKey
          .apply("Keep event times", ParDo.of(new StampFn()))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(input.getSchema()))));
      PCollectionTuple windowed = stamped
          .apply("Windows of twice the bound", Window.<KV<String, TimestampedValue<Row>>>into(SlidingWindows.of(within.multipliedBy(2)).every(within))
              .triggering(DefaultTrigger.of()) // fires at the window's end and at each late arrival (see LateEvents)
              .withAllowedLateness(within.multipliedBy(2))
              .withTimestampCombiner(TimestampCombiner.EARLIEST)
              .discardingFiredPanes())
          .apply("Group by key", GroupByKey.create())
          .apply("Match " + settings.pattern().name(), ParDo.of(new SequenceFns.WindowFn(spec))
              .withOutputTags(MATCHES, TupleTagList.of(TIMED_OUT_TAG).and(FAILURES)));
      matched = PCollectionTuple.of(MATCHES, Rewindow.toGlobal(windowed.get(MATCHES).setRowSchema(rows.outputSchema()), "Back to the global window: matches"))
          .and(TIMED_OUT_TAG, Rewindow.toGlobal(windowed.get(TIMED_OUT_TAG).setRowSchema(rows.timedOutSchema()), "Back to the global window: timed-out"))
          .and(FAILURES, Rewindow.toGlobal(windowed.get(FAILURES).setRowSchema(DeadLetter.SCHEMA), "Back to the global window: failures"));
    }
    PCollection<Row> failures = Result.allFailures(keying.get(FAILURES), matched.get(FAILURES));
    return Result.of(matched.get(MATCHES).setRowSchema(rows.outputSchema()),
        Map.of(TIMED_OUT, matched.get(TIMED_OUT_TAG).setRowSchema(rows.timedOutSchema())), failures);
  }

  /**
   * What the timer-free mode cannot do, all refused in one message with the reasons: it sees a
   * key's events one window at a time and hears nothing from a key that sends nothing.
   */
  private void refuseWithoutTimers(Nfa nfa) {
    Pattern pattern = settings.pattern();
    List<String> reasons = new java.util.ArrayList<>();
    if (pattern.within() == null) {
      reasons.add("it sizes its windows by within(...), which pattern '" + pattern.name() + "' does not have");
    }
    SkipStrategy.Kind skip = pattern.skipStrategy().kind();
    if (skip != SkipStrategy.Kind.NO_SKIP && skip != SkipStrategy.Kind.SKIP_TO_NEXT) {
      reasons.add("skip strategy " + pattern.skipStrategy() + " needs the key's whole history, which it does not keep (noSkip and skipToNext work)");
    }
    if (!nfa.leadingGuards().isEmpty()) {
      reasons.add("it cannot check the absence '" + nfa.leadingGuards().get(0).name()
          + "' that starts the pattern, which needs the key's history before the window");
    }
    if (nfa.repeating()) {
      reasons.add("it cannot repeat the absence at the end: a key that sends nothing has no window to be matched in,"
          + " and only an event-time timer can wake it");
    }
    if (!reasons.isEmpty()) {
      throw new IllegalArgumentException(settings.origin() + ": the timer-free mode (WINDOWS, which Spark streaming uses because it has no"
          + " event-time timers) cannot run pattern '" + pattern.name() + "': " + String.join("; ", reasons)
          + "; run on Direct or Flink, or Spark in batch");
    }
  }

  private static final class StampFn extends DoFn<KV<String, Row>, KV<String, TimestampedValue<Row>>> {
    @ProcessElement
    public void process(@Element KV<String, Row> element, @Timestamp Instant timestamp, OutputReceiver<KV<String, TimestampedValue<Row>>> out) {
      out.output(KV.of(element.getKey(), TimestampedValue.of(element.getValue(), timestamp)));
    }
  }
}
