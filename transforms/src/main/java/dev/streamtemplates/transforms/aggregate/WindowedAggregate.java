package dev.streamtemplates.transforms.aggregate;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.auto.value.AutoValue;
import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.core.Names;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.filter.Filter;
import dev.streamtemplates.transforms.time.EventTimeTimers;
import dev.streamtemplates.transforms.time.Rewindow;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Trigger;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Aggregates events per key (or globally) over windows: several named aggregates in one pass,
 * an optional {@code having} condition on them, and an optional top-N of keys per window.
 *
 * <pre>{@code
 * Result stats = payments.apply(
 *     WindowedAggregate.perKey("userId")
 *         .withWindowing(Windowing.tumbling(Duration.standardMinutes(1)))
 *         .withAggregations(Aggregation.of("sum", "amount").as("total"), Aggregation.count().as("n"))
 *         .withHaving("n >= 3")
 *         .withAllowedLateness(Duration.standardMinutes(5), LatePolicy.UPDATE_ACCUMULATED)
 *         .withEarlyFirings(Duration.standardSeconds(10)));
 *
 * Result bestSellers = sales.apply(                  // the 3 best products per store and Paris day
 *     WindowedAggregate.perKey("store", "product")
 *         .withWindowing(Windowing.calendar(Windowing.CalendarUnit.DAY, "Europe/Paris"))
 *         .withAggregations(Aggregation.of("sum", "amount").as("sales"))
 *         .withRanking(Ranking.largest(3, "sales").per("store")));
 * }</pre>
 *
 * <p>Each output row holds the key fields, {@code windowStart} and {@code windowEnd}, the
 * aggregates, and {@code pane}: {@code EARLY}, {@code ON_TIME} or {@code LATE}; with a ranking
 * also {@code rank} (1 = first in the ranking's order, see {@link Ranking}).
 *
 * <p>Time windows are Beam windows in event time (calendar windows in a time zone, see {@link
 * Windowing}). By default a window's result is emitted once, {@code ON_TIME}, when the watermark
 * passes its end ("emit on window close"). With early firings, {@code EARLY} results come every
 * given period of processing time before that ({@link #withEarlyFirings}) or every N events of
 * the key ({@link #withEarlyFiringsEvery}). Late data: with {@link LatePolicy#DROP} (the default)
 * an event that arrives after the watermark passed the end of its window is left out of the
 * aggregate and sent to the dead-letter output with reason {@code late: ...} (counted as {@code
 * records/<step>-late}), for up to 10 minutes past the window's end ({@link
 * #withLateEventsReportedFor}, {@link LateEvents}; a session event whose own gap has passed but
 * that joins a session not yet emitted is counted in it); with the
 * update policies, events up to the allowed lateness produce {@code LATE} results, either the
 * whole window again ({@code UPDATE_ACCUMULATED}) or only the late events' contribution ({@code
 * UPDATE_DELTA}); beyond it the runner drops them. Count windows are decided in event-time order per key, like Threshold's
 * debounce: an event older than the last one already decided for its key is late and goes to
 * the dead-letter output.
 *
 * <p>Downstream, each result row is an event like any other: it leaves the window it was
 * aggregated in (the global window, the default trigger) and keeps the timestamp Beam gives a
 * window's result, the window's last instant ({@code windowEnd} minus 1 ms) for time windows. So
 * a stateful step after it (a debounced Threshold, a Sequence, a count window, a join) keeps its
 * per-key state across windows, and a time window of another size regroups the rows by that
 * timestamp.
 *
 * <p>On bounded input, a result whose runner reports no pane timing (Flink in batch) is reported
 * {@code ON_TIME}: in batch every window is emitted once, after all of its input.
 *
 * <p>Sliding windows aggregate each event once, into a slice as long as the slide, and combine
 * slices per window incrementally ({@link SlicedSliding}), so a 10-minute window sliding every
 * second does not cost 600 times the work per event. This path is taken when every aggregate
 * merges exactly (all but {@code quantile}, {@code median} and {@code approx_count_distinct}),
 * with on-time results only (no early firings, late policy DROP), and where the runner has
 * event-time timers; otherwise Beam's {@code SlidingWindows} is used, with the same results.
 */
public final class WindowedAggregate extends PTransform<PCollection<Row>, Result> {

  /** What happens to events behind the watermark. */
  public enum LatePolicy {
    @JsonProperty("drop") DROP,
    @JsonProperty("accumulate") UPDATE_ACCUMULATED,
    @JsonProperty("delta") UPDATE_DELTA
  }

  /** Every setting of the transform; immutable, copied with a change by each {@code withX}. */
  @AutoValue
  abstract static class Settings implements java.io.Serializable {
    abstract List<String> keyFields();

    abstract @Nullable Windowing windowing();

    abstract List<Aggregation> aggregations();

    abstract Duration allowedLateness();

    abstract LatePolicy latePolicy();

    abstract @Nullable Duration earlyFirings();

    abstract @Nullable String having();

    abstract @Nullable Ranking ranking();

    abstract int earlyEvery();

    abstract String step();

    abstract String origin();

    abstract boolean slicing();

    abstract Duration lateReportedFor();

    abstract List<String> previous();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder keyFields(List<String> keyFields);

      abstract Builder windowing(Windowing windowing);

      abstract Builder aggregations(List<Aggregation> aggregations);

      abstract Builder allowedLateness(Duration allowedLateness);

      abstract Builder latePolicy(LatePolicy latePolicy);

      abstract Builder earlyFirings(Duration earlyFirings);

      abstract Builder having(String having);

      abstract Builder ranking(Ranking ranking);

      abstract Builder earlyEvery(int earlyEvery);

      abstract Builder step(String step);

      abstract Builder origin(String origin);

      abstract Builder slicing(boolean slicing);

      abstract Builder lateReportedFor(Duration lateReportedFor);

      abstract Builder previous(List<String> previous);

      abstract Settings build();
    }
  }

  private final Settings settings;

  private WindowedAggregate(Settings settings) {
    this.settings = settings;
  }

  private WindowedAggregate with(java.util.function.UnaryOperator<Settings.Builder> change) {
    return new WindowedAggregate(change.apply(settings.toBuilder()).build());
  }

  /** Aggregates per distinct value of the key fields. */
  public static WindowedAggregate perKey(String... keyFields) {
    return perKey(Arrays.asList(keyFields));
  }

  public static WindowedAggregate perKey(List<String> keyFields) {
    keyFields.forEach(f -> Names.require(f, "key field"));
    return new WindowedAggregate(new AutoValue_WindowedAggregate_Settings.Builder()
        .keyFields(List.copyOf(keyFields)).aggregations(List.of()).allowedLateness(Duration.ZERO).latePolicy(LatePolicy.DROP)
        .earlyEvery(0).step("aggregate").origin("aggregates").slicing(true).lateReportedFor(LateEvents.DEFAULT_REPORTED_FOR).previous(List.of()).build());
  }

  /** Aggregates all events of a window together. */
  public static WindowedAggregate globally() {
    return perKey(List.of());
  }

  @CheckReturnValue
  public WindowedAggregate withWindowing(Windowing windowing) {
    return with(b -> b.windowing(windowing));
  }

  @CheckReturnValue
  public WindowedAggregate withAggregations(Aggregation... aggregations) {
    return withAggregations(Arrays.asList(aggregations));
  }

  @CheckReturnValue
  public WindowedAggregate withAggregations(List<Aggregation> aggregations) {
    return with(b -> b.aggregations(List.copyOf(aggregations)));
  }

  /** Late events up to {@code lateness} behind the watermark are handled by {@code policy}. */
  @CheckReturnValue
  public WindowedAggregate withAllowedLateness(Duration lateness, LatePolicy policy) {
    if (lateness == null || lateness.getMillis() < 0) {
      throw new IllegalArgumentException("allowed lateness must be >= 0, got " + lateness);
    }
    return with(b -> b.allowedLateness(lateness).latePolicy(policy));
  }

  /**
   * How long past a window's end (plus allowed lateness) its late events still go to the
   * dead-letter output with a reason, under {@link LatePolicy#DROP} (default 10 minutes). Events
   * later than that are dropped by the runner and counted only in its {@code
   * droppedDueToLateness} metric. The cost is state: the detector keeps a little state per window
   * (per key as well for session windows) for this long; see {@link LateEvents}.
   */
  @CheckReturnValue
  public WindowedAggregate withLateEventsReportedFor(Duration period) {
    if (period == null || period.getMillis() <= 0) {
      throw new IllegalArgumentException("late events reported for must be > 0, got " + period);
    }
    return with(b -> b.lateReportedFor(period));
  }

  /** Emit EARLY results every {@code period} of processing time until the window closes. */
  @CheckReturnValue
  public WindowedAggregate withEarlyFirings(Duration period) {
    if (period == null || period.getMillis() <= 0) {
      throw new IllegalArgumentException("early firing period must be > 0, got " + period);
    }
    return with(b -> b.earlyFirings(period));
  }

  /**
   * Emit EARLY results each time at least {@code events} more events of a key have arrived in a
   * window ({@code 1}: at every event, "emit on update"), and the ON_TIME result when the watermark
   * passes the window's end, as before: Beam's {@code AfterWatermark.pastEndOfWindow()
   * .withEarlyFirings(AfterPane.elementCountAtLeast(events))}, accumulating, so each EARLY row holds
   * the window so far. "At least": a runner that hands over several events at once (a bundle, a
   * Spark micro-batch) fires once for them. On bounded input (batch) every window is emitted once,
   * complete, on every runner: early results are for streams.
   */
  @CheckReturnValue
  public WindowedAggregate withEarlyFiringsEvery(int events) {
    if (events < 1) {
      throw new IllegalArgumentException("emit every must be >= 1 events, got every=" + events);
    }
    return with(b -> b.earlyEvery(events));
  }

  /** Keep only results for which a CEL condition over the aggregates (and keys) is true. */
  @CheckReturnValue
  public WindowedAggregate withHaving(String condition) {
    return with(b -> b.having(condition));
  }

  /**
   * Adds, for each named aggregate {@code a}, the key's value in the previous window ({@code
   * aPrevious}), the change ({@code aChange}) and the change in percent ({@code aChangePct}); null
   * where the key had no result in the previous window. See {@link PreviousWindow}. A {@code
   * having} condition may use the new fields; top-N cannot be combined with it.
   */
  @CheckReturnValue
  public WindowedAggregate withPrevious(List<String> aggregates) {
    aggregates.forEach(name -> Names.require(name, "aggregate"));
    return with(b -> b.previous(List.copyOf(aggregates)));
  }

  /** Keep only the {@code n} keys with the largest value of aggregate {@code by} in each window. */
  @CheckReturnValue
  public WindowedAggregate withTopN(int n, String by) {
    return withRanking(Ranking.largest(n, by));
  }

  /**
   * Keep only each window's (and partition's) first {@code n} rows in the ranking's order, with
   * their {@code rank}; see {@link Ranking}. For tumbling, sliding and calendar windows, with one
   * result per window (no early firings, late policy DROP).
   */
  @CheckReturnValue
  public WindowedAggregate withRanking(Ranking ranking) {
    if (ranking == null) {
      throw new IllegalArgumentException("ranking must be given, got null");
    }
    return with(b -> b.ranking(ranking));
  }

  @CheckReturnValue
  public WindowedAggregate named(String step) {
    String name = Names.require(step, "step");
    return with(b -> b.step(name));
  }

  /** Where the step was declared, e.g. {@code steps[2]}, for error messages. */
  @CheckReturnValue
  public WindowedAggregate withOrigin(String origin) {
    String where = Names.require(origin, "origin");
    return with(b -> b.origin(where));
  }

  /**
   * Whether sliding windows may take the slice path (default true); false forces Beam's {@code
   * SlidingWindows}, e.g. to compare the two.
   */
  @CheckReturnValue
  public WindowedAggregate withSlicing(boolean slicing) {
    return with(b -> b.slicing(slicing));
  }

  /** The schema of the output rows for events of {@code input}. */
  public Schema outputSchema(Schema input) {
    return outputSchema(keySchema(input), RowAggregateFn.of(input, settings.aggregations()).outputSchema());
  }

  private Schema outputSchema(Schema keySchema, Schema aggregateSchema) {
    Schema rows = rowSchema(keySchema, aggregateSchema);
    return settings.previous().isEmpty() ? rows : PreviousWindow.outputSchema(rows, settings.previous());
  }

  /** Key, window, aggregates and pane, before the previous window's fields are added. */
  private Schema rowSchema(Schema keySchema, Schema aggregateSchema) {
    Schema.Builder out = Schema.builder().addFields(keySchema.getFields())
        .addNullableField("windowStart", FieldType.DATETIME).addNullableField("windowEnd", FieldType.DATETIME)
        .addFields(aggregateSchema.getFields()).addStringField("pane");
    if (settings.ranking() != null) {
      out.addInt32Field("rank");
    }
    return out.build();
  }

  private Schema keySchema(Schema input) {
    List<String> missing = new ArrayList<>();
    Schema.Builder keys = Schema.builder();
    for (String key : settings.keyFields()) {
      if (!input.hasField(key)) {
        missing.add(key);
      } else {
        keys.addField(input.getField(key));
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(settings.origin() + ": key fields " + missing + " are not in the input; fields are " + input.getFieldNames());
    }
    return keys.build();
  }

  @Override
  public Result expand(PCollection<Row> input) {
    if (settings.windowing() == null) {
      throw new IllegalArgumentException("no windowing: call withWindowing(Windowing.tumbling(...)) or another");
    }
    if (settings.aggregations().isEmpty()) {
      throw new IllegalArgumentException("no aggregates: call withAggregations(...)");
    }
    Schema inputSchema = input.getSchema();
    Schema keySchema = keySchema(inputSchema);
    RowAggregateFn aggregateFn;
    try {
      aggregateFn = RowAggregateFn.of(inputSchema, settings.aggregations());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(settings.origin() + ": " + e.getMessage(), e);
    }
    Schema outputSchema = rowSchema(keySchema, aggregateFn.outputSchema());
    checkPrevious(aggregateFn.outputSchema());
    checkRankingAndEmission(aggregateFn.outputSchema());

    Plan plan = plan(input);
    if (settings.earlyEvery() > 0 && input.isBounded() == PCollection.IsBounded.BOUNDED) {
      LOG.info("{}: the input is bounded (batch), so each window comes out once, complete; emit every {} applies to streams",
          settings.step(), settings.earlyEvery());
    }
    boolean counted = plan.path() == Plan.Path.COUNT_WINDOWS;
    boolean sliced = plan.path() == Plan.Path.SLICES;
    boolean fused = plan.path() == Plan.Path.ONE_GROUP_BY_KEY;
    boolean reportsLate = plan.reportsLate();
    Schema valueSchema = plan.trimsValues() ? aggregatedFields(inputSchema) : inputSchema;
    if (valueSchema != inputSchema) {
      aggregateFn = RowAggregateFn.of(valueSchema, settings.aggregations());
    }
    PCollection<KV<Row, TimestampedValue<Row>>> keyed =
        input.apply("Key by " + settings.keyFields(), ParDo.of(new KeyFn(inputSchema, keySchema, valueSchema == inputSchema ? null : valueSchema)))
            .setCoder(KvCoder.of(SchemaCoder.of(keySchema), TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(valueSchema))));

    List<PCollection<Row>> failures = new ArrayList<>();
    PCollection<Row> results;
    if (counted) {
      CountWindows.Result byCount = CountWindows.apply(keyed, settings.windowing(), aggregateFn, inputSchema, outputSchema, settings.step());
      results = byCount.output();
      failures.add(byCount.failures());
    } else {
      // Keyed by the key Row, or by the cheapest key (KeyedCombine.keyValues reads either).
      PCollection<KV<Object, Row>> aggregated;
      if (sliced) {
        Coder<Object[]> accumulatorCoder;
        try {
          accumulatorCoder = aggregateFn.getAccumulatorCoder(input.getPipeline().getCoderRegistry(),
              TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(inputSchema)));
        } catch (CannotProvideCoderException e) {
          throw new IllegalStateException("no coder for the aggregates' accumulators: " + e.getMessage(), e);
        }
        aggregated = (PCollection) SlicedSliding.apply(keyed, settings.windowing().size(), settings.windowing().slide(), settings.windowing().offset(),
            aggregateFn, keySchema, accumulatorCoder);
      } else if (fused) {
        WindowFn<?, ?> windowFn = settings.windowing().kind() == Windowing.Kind.SLIDING
            ? org.apache.beam.sdk.transforms.windowing.FixedWindows.of(settings.windowing().size()).withOffset(settings.windowing().offset())
            : settings.windowing().windowFn();
        LateEvents.Aggregated both = LateEvents.aggregateAndReport(keyed, keySchema, windowFn, aggregateFn, settings.lateReportedFor(), settings.step());
        aggregated = (PCollection) both.aggregates.setCoder(KvCoder.of(SchemaCoder.of(keySchema), SchemaCoder.of(aggregateFn.resultSchema())));
        failures.add(Rewindow.toGlobal(both.late, "Late events in the global window"));
      } else {
        aggregated = KeyedCombine.apply(keyed.apply("Window " + settings.windowing(), window(input.isBounded())), aggregateFn, keySchema);
      }
      if (reportsLate) {
        WindowFn<?, ?> lateWindows = settings.windowing().kind() != Windowing.Kind.SLIDING ? settings.windowing().windowFn()
            : sliced ? org.apache.beam.sdk.transforms.windowing.FixedWindows.of(settings.windowing().slide()).withOffset(settings.windowing().offset())
            : new LateEvents.LastSlidingWindow(settings.windowing().size(), settings.windowing().slide(), settings.windowing().offset());
        failures.add(Rewindow.toGlobal(LateEvents.find(keyed, lateWindows, settings.lateReportedFor(), settings.step()),
            "Late events in the global window"));
      }
      // Results with no pane timing are on time: the slice path emits each window once, when the
      // watermark passes its end; in batch, every window is emitted once, after all its input.
      boolean onTimeIfUnknown = sliced || input.isBounded() == PCollection.IsBounded.BOUNDED;
      PCollectionTuple rows = aggregated.apply("With window and pane",
          ParDo.of(new OutputFn(keySchema, outputSchema, settings.ranking() != null, onTimeIfUnknown, settings.step()))
              .withOutputTags(OutputFn.ROWS, TupleTagList.of(OutputFn.OVERFLOWED)));
      results = rows.get(OutputFn.ROWS).setRowSchema(outputSchema);
      failures.add(Rewindow.toGlobal(rows.get(OutputFn.OVERFLOWED).setRowSchema(DeadLetter.SCHEMA), "Overflows in the global window"));
    }
    if (!settings.previous().isEmpty()) {
      results = PreviousWindow.apply(Rewindow.toGlobal(results, "Results in the global window"), keySchema, settings.previous(),
          PreviousWindow.Rule.of(settings.windowing()), settings.origin());
    }
    if (settings.having() != null) {
      Result kept =
          results.apply("Having " + settings.having(), Filter.where(settings.having()).named(settings.step()).withOrigin(settings.origin() + ".having"));
      results = kept.output();
      kept.failuresIfAny().ifPresent(having -> failures.add(Rewindow.toGlobal(having, "Having failures in the global window")));
    }
    if (settings.ranking() != null) {
      results = rank(results, settings.ranking(), outputSchema);
    }
    PCollection<Row> deadLetters = failures.isEmpty()
        ? input.getPipeline().apply("No failures", org.apache.beam.sdk.transforms.Create.empty(DeadLetter.SCHEMA))
        : PCollectionList.of(failures).apply("Failures", Flatten.pCollections()).setRowSchema(DeadLetter.SCHEMA);
    // Downstream, an aggregate row is an event like any other (see the class comment).
    return Result.of(Rewindow.toGlobal(results, "Results as events"), deadLetters);
  }

  /** The aggregates to compare with the previous window exist and are numbers; no top-N besides. */
  private void checkPrevious(Schema aggregates) {
    List<String> errors = new ArrayList<>();
    for (String name : settings.previous()) {
      if (!aggregates.hasField(name)) {
        errors.add("previous: '" + name + "' is not an aggregate; aggregates are " + aggregates.getFieldNames());
      } else if (!aggregates.getField(name).getType().getTypeName().isNumericType()) {
        errors.add("previous: '" + name + "' is a " + aggregates.getField(name).getType().getTypeName() + ", not a number, so it has no change");
      }
    }
    if (!settings.previous().isEmpty() && settings.ranking() != null) {
      errors.add("previous and top cannot be combined in one Aggregate (the ranking is per window, the previous value per key):"
          + " rank in a second Aggregate over this one's rows");
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(settings.origin() + ": " + String.join("; ", errors));
    }
  }

  /**
   * A ranking needs one final result per key and window, in windows shared by every key; early
   * results per count of events need time windows and no other early firings.
   */
  private void checkRankingAndEmission(Schema aggregates) {
    List<String> errors = new ArrayList<>();
    Windowing.Kind kind = settings.windowing().kind();
    Ranking ranking = settings.ranking();
    if (ranking != null) {
      String problem = ranking.problem(aggregates, settings.keyFields());
      if (problem != null) {
        errors.add(problem);
      }
      if (kind == Windowing.Kind.SESSION || kind == Windowing.Kind.COUNT || kind == Windowing.Kind.GLOBAL
          || settings.windowing().startsAtFirstEvent()) {
        // Flink SQL's Window Top-N likewise runs after tumbling, hopping and cumulating windows only.
        errors.add("top ranks the keys of one window, so it needs tumbling, sliding or calendar windows; " + settings.windowing()
            + " are per key (rank their rows in a second Aggregate with a time window)");
      }
      if (revisesResults()) {
        errors.add("top ranks each window's final result; with early, emit or late updates a key's window comes out several"
            + " times and would be ranked against itself: remove them, or rank in a second Aggregate over the ON_TIME rows");
      }
    }
    if (settings.windowing().startsAtFirstEvent() && revisesResults()) {
      errors.add("windows from each key's first event come out once, complete, when the watermark passes their end;"
          + " remove early, emit and late updates (late events go to the dead-letter output)");
    }
    if (settings.earlyEvery() > 0) {
      if (kind == Windowing.Kind.COUNT || kind == Windowing.Kind.GLOBAL) {
        errors.add("emit applies to time windows; a " + (kind == Windowing.Kind.COUNT ? "count" : "global") + " window already emits at its N-th event");
      }
      if (settings.earlyFirings() != null) {
        errors.add("early and emit both ask for early results: keep one (early: every period of processing time; emit: every N events)");
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(settings.origin() + ": " + String.join("; ", errors));
    }
  }

  /** Whether a window's result can come out more than once: early results or late updates. */
  private boolean revisesResults() {
    return settings.earlyFirings() != null || settings.earlyEvery() > 0
        || (settings.latePolicy() != LatePolicy.DROP && settings.allowedLateness().getMillis() > 0);
  }

  /**
   * The ranking of each window's rows (and partition's, with {@code per}): Beam's {@code Top} per
   * key, then the rank field set 1..n in order. The key is the partition's fields and the window's
   * end, though Top ranks per window anyway: with one key for every window (as {@code Top.of} has),
   * the Direct runner copies that key's whole state, all its windows, on each access, which made a
   * 10 s slide over an hour of input quadratic there (minutes for 20,000 events); one key per
   * window also spreads the ranking over the workers on Flink and Spark. On bounded input, each
   * bundle first keeps only the best n rows of each window ({@link BundleTop}).
   */
  private static PCollection<Row> rank(PCollection<Row> results, Ranking ranking, Schema outputSchema) {
    String name = "Top " + ranking;
    PCollection<KV<Object, Row>> keyed;
    if (ranking.per().isEmpty()) {
      // The window's end alone, as a long: runners encode and hash the key of every result.
      keyed = results.apply("Key by window", ParDo.of(new WindowEndFn())).setCoder(keyCoder(VarLongCoder.of(), outputSchema));
    } else {
      Schema.Builder keyFields = Schema.builder().addInt64Field(WINDOW_END_KEY);
      ranking.per().forEach(field -> keyFields.addField(outputSchema.getField(field)));
      Schema partitionSchema = keyFields.build();
      keyed = results.apply("Key by window and " + ranking.per(), ParDo.of(new PartitionFn(partitionSchema)))
          .setCoder(keyCoder(SchemaCoder.of(partitionSchema), outputSchema));
    }
    if (results.isBounded() == PCollection.IsBounded.BOUNDED) {
      keyed = keyed.apply("Top " + ranking.n() + " in each bundle", ParDo.of(new BundleTop<Object>(ranking.n(), ranking.comparator())))
          .setCoder(keyed.getCoder());
    }
    PCollection<List<Row>> top = keyed.apply(name, Top.perKey(ranking.n(), ranking.comparator()))
        .apply("Rankings", org.apache.beam.sdk.transforms.Values.create());
    return top.setCoder(ListCoder.of(SchemaCoder.of(outputSchema)))
        .apply("Ranked", ParDo.of(new RankFn()))
        .setRowSchema(outputSchema);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static KvCoder<Object, Row> keyCoder(Coder<?> key, Schema outputSchema) {
    return (KvCoder) KvCoder.of(key, SchemaCoder.of(outputSchema));
  }

  /** The ranking key's field for the window (no result field can be named so: names are identifiers). */
  private static final String WINDOW_END_KEY = "$windowEnd";

  /** Keys a result row by its window's end. */
  private static final class WindowEndFn extends DoFn<Row, KV<Object, Row>> {
    @ProcessElement
    public void process(@Element Row row, BoundedWindow window, OutputReceiver<KV<Object, Row>> out) {
      out.output(KV.of(window.maxTimestamp().getMillis(), row));
    }
  }

  /** Keys a result row by its window's end and its partition fields. */
  private static final class PartitionFn extends DoFn<Row, KV<Object, Row>> {
    private final Schema partitionSchema;

    PartitionFn(Schema partitionSchema) {
      this.partitionSchema = partitionSchema;
    }

    @ProcessElement
    public void process(@Element Row row, BoundedWindow window, OutputReceiver<KV<Object, Row>> out) {
      List<Object> values = new ArrayList<>(partitionSchema.getFieldCount());
      values.add(window.maxTimestamp().getMillis());
      for (String field : partitionSchema.getFieldNames().subList(1, partitionSchema.getFieldCount())) {
        values.add(row.getValue(field));
      }
      out.output(KV.of(Row.withSchema(partitionSchema).attachValues(values), row));
    }
  }

  /** How {@link #expand} aggregates, picked once from the settings and the input. */
  record Plan(Path path, boolean reportsLate) {
    enum Path {
      /** Count windows: per-key state and timers ({@link CountWindows}). */
      COUNT_WINDOWS,
      /** Sliding windows by slices, each event aggregated once ({@link SlicedSliding}). */
      SLICES,
      /** Aggregates and late events from one GroupByKey ({@link LateEvents#aggregateAndReport}). */
      ONE_GROUP_BY_KEY,
      /** Beam's windowing and a Combine per key ({@link KeyedCombine}). */
      COMBINE
    }

    /**
     * Where no event is ever reported back (as a late dead letter), the events carry only the
     * fields the aggregates read: less to copy and shuffle in the GroupByKey that Combine becomes
     * on runners that do not lift combiners (Direct: 19% of a Nexmark Q7 profile cloned whole rows).
     */
    boolean trimsValues() {
      return path == Path.COMBINE && !reportsLate;
    }
  }

  Plan plan(PCollection<Row> input) {
    if (settings.windowing().kind() == Windowing.Kind.COUNT || settings.windowing().kind() == Windowing.Kind.GLOBAL
        || settings.windowing().startsAtFirstEvent()) {
      return new Plan(Plan.Path.COUNT_WINDOWS, false);
    }
    boolean sliced = usesSlices(input);
    boolean fused = fusedLateDetection(sliced, input);
    boolean reportsLate = settings.latePolicy() == LatePolicy.DROP && settings.windowing().kind() != Windowing.Kind.GLOBAL
        && input.isBounded() == PCollection.IsBounded.UNBOUNDED && !fused;
    return new Plan(sliced ? Plan.Path.SLICES : fused ? Plan.Path.ONE_GROUP_BY_KEY : Plan.Path.COMBINE, reportsLate);
  }

  /**
   * Whether sliding windows take the slice path (each event aggregated once, see {@link
   * SlicedSliding}): when slicing is on, every aggregate merges exactly and cheaply, results are
   * only on time (no early firings, no late updates), and the runner has event-time timers.
   */
  boolean usesSlices(PCollection<Row> input) {
    if (!settings.slicing() || settings.windowing().kind() != Windowing.Kind.SLIDING || settings.earlyFirings() != null
        || settings.earlyEvery() > 0 || settings.latePolicy() != LatePolicy.DROP) {
      return false;
    }
    for (Aggregation aggregation : settings.aggregations()) {
      if (!aggregation.function().mergesExactly()) {
        return false;
      }
    }
    if (EventTimeTimers.missing(input)) {
      LOG.info("{}: Spark has no event-time timers in streaming mode; sliding windows use Beam's SlidingWindows"
          + " (each event aggregated size/slide times)", settings.step());
      return false;
    }
    return true;
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WindowedAggregate.class);

  /**
   * Whether the aggregation and its late-event report come from one GroupByKey ({@link
   * LateEvents#aggregateAndReport}): tumbling windows (or sliding ones whose slide is their size)
   * and sessions, on unbounded input, late policy DROP, no early firings, not on the slice path.
   * Otherwise a second GroupByKey finds the late events ({@link LateEvents#find}).
   */
  private boolean fusedLateDetection(boolean sliced, PCollection<Row> input) {
    return settings.windowing().oneWindowPerEvent() && !sliced && settings.latePolicy() == LatePolicy.DROP && settings.earlyFirings() == null
        && settings.earlyEvery() == 0 && input.isBounded() == PCollection.IsBounded.UNBOUNDED;
  }

  /**
   * Beam's windowing and trigger for the settings: the ON_TIME pane when the watermark passes the
   * window's end (the default, "emit on window close"), EARLY panes every period of processing
   * time or every N events before it (the latter on unbounded input only: in batch Flink and
   * Spark fire a window once, and Direct would fire by bundle), LATE panes per late event under
   * the update policies.
   */
  private Window<KV<Row, TimestampedValue<Row>>> window(PCollection.IsBounded bounded) {
    @SuppressWarnings("unchecked")
    Window<KV<Row, TimestampedValue<Row>>> window = Window.into((org.apache.beam.sdk.transforms.windowing.WindowFn) settings.windowing().windowFn());
    Trigger trigger;
    AfterWatermark.FromEndOfWindow onTime = AfterWatermark.pastEndOfWindow();
    boolean everyN = settings.earlyEvery() > 0 && bounded == PCollection.IsBounded.UNBOUNDED;
    Trigger withEarly = settings.earlyFirings() != null
        ? onTime.withEarlyFirings(AfterProcessingTime.pastFirstElementInPane().plusDelayOf(settings.earlyFirings()))
        : everyN ? onTime.withEarlyFirings(AfterPane.elementCountAtLeast(settings.earlyEvery()))
        : onTime;
    boolean update = settings.latePolicy() != LatePolicy.DROP && settings.allowedLateness().getMillis() > 0;
    if (update) {
      trigger = withEarly == onTime
          ? onTime.withLateFirings(AfterPane.elementCountAtLeast(1))
          : ((AfterWatermark.AfterWatermarkEarlyAndLate) withEarly).withLateFirings(AfterPane.elementCountAtLeast(1));
    } else {
      // Only the ON_TIME pane: Beam's DefaultTrigger gives the same with no allowed lateness, and
      // saves a state read and write per event (see LateEvents).
      trigger = withEarly == onTime ? DefaultTrigger.of() : withEarly;
    }
    window = window.triggering(trigger).withAllowedLateness(update ? settings.allowedLateness() : Duration.ZERO);
    return settings.latePolicy() == LatePolicy.UPDATE_DELTA ? window.discardingFiredPanes() : window.accumulatingFiredPanes();
  }

  /** The input's fields that some aggregate reads, in input order (count(*) reads none). */
  private Schema aggregatedFields(Schema inputSchema) {
    Set<String> read = new HashSet<>();
    for (Aggregation aggregation : settings.aggregations()) {
      if (aggregation.field() != null) {
        read.add(aggregation.field());
      }
    }
    Schema.Builder fields = Schema.builder();
    inputSchema.getFields().stream().filter(field -> read.contains(field.getName())).forEach(fields::addField);
    return fields.build();
  }

  private static final class KeyFn extends DoFn<Row, KV<Row, TimestampedValue<Row>>> {
    private final Schema keySchema;
    private final int[] keyFields;
    private final @Nullable Schema valueSchema;
    private final int @Nullable [] valueFields;

    /**
     * Keys each event; with a {@code valueSchema}, keeps only its fields of the event. The fields'
     * positions in the input are found once, here, not per event.
     */
    KeyFn(Schema inputSchema, Schema keySchema, @Nullable Schema valueSchema) {
      this.keySchema = keySchema;
      this.keyFields = positions(inputSchema, keySchema);
      this.valueSchema = valueSchema;
      this.valueFields = valueSchema == null ? null : positions(inputSchema, valueSchema);
    }

    private static int[] positions(Schema inputSchema, Schema subset) {
      return subset.getFields().stream().mapToInt(field -> inputSchema.indexOf(field.getName())).toArray();
    }

    @ProcessElement
    public void process(@Element Row row, @Timestamp Instant timestamp, OutputReceiver<KV<Row, TimestampedValue<Row>>> out) {
      Row value = valueSchema == null ? row : project(row, valueSchema, valueFields);
      out.output(KV.of(project(row, keySchema, keyFields), TimestampedValue.of(value, timestamp)));
    }

    private static Row project(Row row, Schema schema, int[] fields) {
      List<Object> values = new ArrayList<>(fields.length);
      for (int field : fields) {
        values.add(row.getValue(field));
      }
      return Row.withSchema(schema).attachValues(values);
    }
  }

  /**
   * Key, window bounds, aggregates and pane timing in one row; a result with an integer sum that
   * overflowed goes to the dead-letter output instead.
   */
  private static final class OutputFn extends DoFn<KV<Object, Row>, Row> {
    static final TupleTag<Row> ROWS = new TupleTag<Row>() {};
    static final TupleTag<Row> OVERFLOWED = new TupleTag<Row>() {};

    private final Schema keySchema;
    private final Schema outputSchema;
    private final boolean ranked;
    private final boolean bounded;
    private final String step;
    private final Counter failed;

    OutputFn(Schema keySchema, Schema outputSchema, boolean ranked, boolean bounded, String step) {
      this.keySchema = keySchema;
      this.outputSchema = outputSchema;
      this.ranked = ranked;
      this.bounded = bounded;
      this.step = step;
      this.failed = DeadLetter.counter(step);
    }

    @ProcessElement
    public void process(@Element KV<Object, Row> result, BoundedWindow window, PaneInfo pane, MultiOutputReceiver out) {
      PaneInfo.Timing timing = pane.getTiming();
      // Flink's batch translation reports no pane (UNKNOWN). In batch every window is emitted
      // once, after all of its input: that result is on time.
      if (timing == PaneInfo.Timing.UNKNOWN && bounded) {
        timing = PaneInfo.Timing.ON_TIME;
      }
      Row row = output(outputSchema, KeyedCombine.keyValues(keySchema, result.getKey()), result.getValue(), window, timing.name(), ranked);
      String overflow = RowAggregateFn.overflowIn(result.getValue());
      if (overflow == null) {
        out.get(ROWS).output(row);
      } else {
        failed.inc();
        out.get(OVERFLOWED).output(overflowed(step, overflow, row));
      }
    }
  }

  /** The dead letter of a result whose integer sums {@code names} left the INT64 range. */
  static Row overflowed(String step, String names, Row row) {
    return DeadLetter.ofText(step, "sum " + names + " overflows a 64-bit integer (beyond +/-9223372036854775807);"
        + " the other aggregates of this window are in the record", RowText.json(row), null);
  }

  static Row output(Schema outputSchema, List<Object> keyValues, Row aggregates, @Nullable BoundedWindow window, String pane, boolean ranked) {
    List<Object> values = new ArrayList<>(outputSchema.getFieldCount());
    values.addAll(keyValues);
    if (window instanceof IntervalWindow) {
      values.add(((IntervalWindow) window).start());
      values.add(((IntervalWindow) window).end());
    } else {
      values.add(null);
      values.add(null);
    }
    addAggregates(values, aggregates);
    values.add(pane);
    if (ranked) {
      values.add(0);
    }
    return Row.withSchema(outputSchema).attachValues(values);
  }

  static Row output(Schema outputSchema, Row key, Row aggregates, Instant start, Instant end, boolean ranked) {
    List<Object> values = new ArrayList<>(outputSchema.getFieldCount());
    values.addAll(key.getValues());
    values.add(start);
    values.add(end);
    addAggregates(values, aggregates);
    values.add(PaneInfo.Timing.ON_TIME.name());
    if (ranked) {
      values.add(0);
    }
    return Row.withSchema(outputSchema).attachValues(values);
  }

  /** The aggregates of a result row, without its overflow field. */
  private static void addAggregates(List<Object> values, Row aggregates) {
    int count = aggregates.getSchema().hasField(RowAggregateFn.OVERFLOW_FIELD) ? aggregates.getFieldCount() - 1 : aggregates.getFieldCount();
    for (int i = 0; i < count; i++) {
      values.add(aggregates.getValue(i));
    }
  }

  private static final class RankFn extends DoFn<List<Row>, Row> {
    @ProcessElement
    public void process(@Element List<Row> top, OutputReceiver<Row> out) {
      int rank = 1;
      for (Row row : top) {
        List<Object> values = new ArrayList<>(row.getValues());
        values.set(values.size() - 1, rank++);
        out.output(Row.withSchema(row.getSchema()).attachValues(values));
      }
    }
  }
}
