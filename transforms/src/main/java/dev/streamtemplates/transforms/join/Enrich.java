package dev.streamtemplates.transforms.join;

import com.google.auto.value.AutoValue;
import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.core.KeyByFn;
import dev.streamtemplates.transforms.core.Keys;
import dev.streamtemplates.transforms.core.Names;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.core.Rows;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.time.EventTimeOrder;
import dev.streamtemplates.transforms.time.EventTimeTimers;
import dev.streamtemplates.transforms.time.KeyTimers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerMap;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Stream-table enrichment: each event is joined with the latest value of its key in a table,
 * as of the event's time.
 *
 * <pre>{@code
 * Result enriched = tweets.apply("With price", Enrich.fromChangelog(prices, "symbol")   // or fromLookup(staticTable, "symbol")
 *     .withKey("company")
 *     .waitingUpTo(Duration.standardMinutes(1)));
 * }</pre>
 *
 * <p>Output rows are {@code {<the event's fields>, value}}, where {@code value} is the table row
 * (null when none is known). With a <b>changelog</b> (a stream of table updates), events and
 * updates of a key are put in event-time order (buffered, released by an event-time timer as the
 * watermark passes them) and an event sees the last update at or before its time; an update whose
 * value fields ({@link #withValueFields}; by default all but the key and DATETIME fields) are all
 * null is a tombstone and deletes the key. When no value is
 * known at the event's time, the event either goes on unenriched at once ({@code waitingUpTo}
 * zero, the default) or waits up to that much event time for a first value and takes it. With a
 * <b>lookup</b> table (a bounded collection, e.g. a file), the table is a side input read whole,
 * without event time. An event or table row with a null key is a dead letter ({@link Keys}). The
 * changelog path needs state and event-time timers (Direct and Flink,
 * Spark in batch; refused on Spark in streaming).
 */
public final class Enrich extends PTransform<PCollection<Row>, Result> {
  private static final long serialVersionUID = 1L;
  private static final TupleTag<KV<String, Entry>> KEYED = new TupleTag<KV<String, Entry>>() {};
  private static final TupleTag<KV<String, Row>> KEYED_TABLE = new TupleTag<KV<String, Row>>() {};
  private static final TupleTag<Row> ENRICHED = new TupleTag<Row>() {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};

  /** Every setting but the table itself; immutable, copied with a change by each {@code withX}. */
  @AutoValue
  abstract static class Settings implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    abstract @Nullable String eventKey();

    abstract String tableKey();

    abstract boolean changelog();

    abstract Duration waitUpTo();

    abstract String step();

    abstract @Nullable List<String> valueFields();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder eventKey(String eventKey);

      abstract Builder tableKey(String tableKey);

      abstract Builder changelog(boolean changelog);

      abstract Builder waitUpTo(Duration waitUpTo);

      abstract Builder step(String step);

      abstract Builder valueFields(List<String> valueFields);

      abstract Settings build();
    }
  }

  private final transient PCollection<Row> table;
  private final Settings settings;

  private Enrich(PCollection<Row> table, Settings settings) {
    this.table = table;
    this.settings = settings;
  }

  private Enrich with(UnaryOperator<Settings.Builder> change) {
    return new Enrich(table, change.apply(settings.toBuilder()).build());
  }

  private static Enrich from(PCollection<Row> table, String tableKey, boolean changelog) {
    return new Enrich(table, new AutoValue_Enrich_Settings.Builder().tableKey(Names.require(tableKey, "table key")).changelog(changelog)
        .waitUpTo(Duration.ZERO).step("enrich").build());
  }

  /** Enriches from a stream of updates, keyed by {@code tableKey}; a row of nulls deletes its key. */
  public static Enrich fromChangelog(PCollection<Row> updates, String tableKey) {
    return from(updates, tableKey, true);
  }

  /** Enriches from a bounded lookup table (e.g. a file), keyed by {@code tableKey}, read whole. */
  public static Enrich fromLookup(PCollection<Row> lookup, String tableKey) {
    return from(lookup, tableKey, false);
  }

  /** The events' field holding the table key. */
  @CheckReturnValue
  public Enrich withKey(String eventKey) {
    String field = Names.require(eventKey, "event key");
    return with(b -> b.eventKey(field));
  }

  /**
   * The table fields that make its value: an update with all of them null is a tombstone and
   * deletes its key. Default: every field except the key and DATETIME fields (update times).
   */
  @CheckReturnValue
  public Enrich withValueFields(List<String> fields) {
    return with(b -> b.valueFields(List.copyOf(fields)));
  }

  private List<String> valueFields(Schema tableSchema) {
    if (settings.valueFields() != null) {
      for (String field : settings.valueFields()) {
        if (!tableSchema.hasField(field)) {
          throw new IllegalArgumentException(settings.step() + ": value field '" + field + "' is not in the table; fields are "
              + tableSchema.getFieldNames());
        }
      }
      return settings.valueFields();
    }
    List<String> fields = new ArrayList<>();
    for (Schema.Field field : tableSchema.getFields()) {
      if (!field.getName().equals(settings.tableKey()) && field.getType().getTypeName() != Schema.TypeName.DATETIME) {
        fields.add(field.getName());
      }
    }
    return fields;
  }

  /** When no value is known at an event's time, wait up to this much event time for one. */
  @CheckReturnValue
  public Enrich waitingUpTo(Duration wait) {
    if (wait == null || wait.getMillis() < 0) {
      throw new IllegalArgumentException("wait must be >= 0, got wait=" + wait);
    }
    return with(b -> b.waitUpTo(wait));
  }

  @CheckReturnValue
  public Enrich named(String step) {
    String name = Names.require(step, "step");
    return with(b -> b.step(name));
  }

  public static Schema outputSchema(Schema events, Schema table) {
    return Schema.builder().addFields(events.getFields()).addNullableField("value", FieldType.row(table)).build();
  }

  @Override
  public Result expand(PCollection<Row> events) {
    if (settings.eventKey() == null) {
      throw new IllegalArgumentException(settings.step() + ": no event key: call withKey(field)");
    }
    Schema eventSchema = events.getSchema();
    Schema tableSchema = table.getSchema();
    if (!eventSchema.hasField(settings.eventKey())) {
      throw new IllegalArgumentException(settings.step() + ": event key '" + settings.eventKey() + "' is not in the events; fields are " + eventSchema.getFieldNames());
    }
    if (!tableSchema.hasField(settings.tableKey())) {
      throw new IllegalArgumentException(settings.step() + ": table key '" + settings.tableKey() + "' is not in the table; fields are " + tableSchema.getFieldNames());
    }
    if (eventSchema.hasField("value")) {
      throw new IllegalArgumentException(settings.step() + ": the events already have a field named 'value'; rename it first");
    }
    Schema output = outputSchema(eventSchema, tableSchema);
    List<PCollection<Row>> failures = new ArrayList<>();
    PCollection<Row> enriched;
    if (!settings.changelog()) {
      PCollectionTuple keyedTable = table.apply("Key the lookup",
          ParDo.of(new KeyByFn.Rows(Keys.of(settings.tableKey()), settings.step(), KEYED_TABLE, FAILURES)).withOutputTags(KEYED_TABLE, TupleTagList.of(FAILURES)));
      failures.add(keyedTable.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
      PCollectionView<Map<String, Row>> lookup = keyedTable.get(KEYED_TABLE)
          .setCoder(KvCoder.of(StringUtf8Coder.of(), SchemaCoder.of(tableSchema)))
          .apply("As a map", View.asMap());
      PCollectionTuple looked = events.apply("Look up",
          ParDo.of(new LookupFn(Keys.of(settings.eventKey()), lookup, output, settings.step())).withSideInputs(lookup).withOutputTags(ENRICHED, TupleTagList.of(FAILURES)));
      failures.add(looked.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
      enriched = looked.get(ENRICHED).setRowSchema(output);
    } else {
      EventTimeTimers.require(settings.step() + ": enrichment from a changelog needs", events, table);
      EntryCoder coder = new EntryCoder(SchemaCoder.of(eventSchema), SchemaCoder.of(tableSchema));
      PCollectionTuple keyedEvents = events
          .apply("Events in the global window", Window.<Row>into(new GlobalWindows()))
          .apply("Key events", ParDo.of(new KeyEntryFn(Keys.of(settings.eventKey()), false, settings.step())).withOutputTags(KEYED, TupleTagList.of(FAILURES)));
      PCollectionTuple keyedUpdates = table
          .apply("Updates in the global window", Window.<Row>into(new GlobalWindows()))
          .apply("Key updates", ParDo.of(new KeyEntryFn(Keys.of(settings.tableKey()), true, settings.step())).withOutputTags(KEYED, TupleTagList.of(FAILURES)));
      failures.add(keyedEvents.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
      failures.add(keyedUpdates.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
      enriched = PCollectionList.of(keyedEvents.get(KEYED).setCoder(KvCoder.of(StringUtf8Coder.of(), coder)))
          .and(keyedUpdates.get(KEYED).setCoder(KvCoder.of(StringUtf8Coder.of(), coder)))
          .apply("Events and updates", Flatten.pCollections())
          .apply("As of event time", ParDo.of(new ChangelogFn(coder, tableSchema, valueFields(tableSchema), output, settings.waitUpTo().getMillis(), settings.step())))
          .setRowSchema(output);
    }
    return Result.of(enriched, Result.allFailures(failures));
  }

  /** An event or a table update. */
  record Entry(boolean update, Row row, long timestamp) {}

  static final class EntryCoder extends CustomCoder<Entry> {
    private final SchemaCoder<Row> eventCoder;
    private final SchemaCoder<Row> tableCoder;

    EntryCoder(SchemaCoder<Row> eventCoder, SchemaCoder<Row> tableCoder) {
      this.eventCoder = eventCoder;
      this.tableCoder = tableCoder;
    }

    @Override
    public void encode(Entry entry, OutputStream out) throws IOException {
      BooleanCoder.of().encode(entry.update(), out);
      (entry.update() ? tableCoder : eventCoder).encode(entry.row(), out);
      VarLongCoder.of().encode(entry.timestamp(), out);
    }

    @Override
    public Entry decode(InputStream in) throws IOException {
      boolean update = BooleanCoder.of().decode(in);
      return new Entry(update, (update ? tableCoder : eventCoder).decode(in), VarLongCoder.of().decode(in));
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof EntryCoder && ((EntryCoder) other).eventCoder.equals(eventCoder) && ((EntryCoder) other).tableCoder.equals(tableCoder);
    }

    @Override
    public int hashCode() {
      return eventCoder.hashCode() * 31 + tableCoder.hashCode();
    }
  }

  /** Keys events or updates; one with a null key is a dead letter ({@link Keys}). */
  private static final class KeyEntryFn extends KeyByFn<Entry> {
    private final boolean update;

    KeyEntryFn(Keys keys, boolean update, String step) {
      super(keys, step, KEYED, FAILURES);
      this.update = update;
    }

    @Override
    protected Entry value(Row row, Instant timestamp) {
      return new Entry(update, row, timestamp.getMillis());
    }
  }

  private static final class LookupFn extends DoFn<Row, Row> {
    private final Keys keys;
    private final PCollectionView<Map<String, Row>> lookup;
    private final Schema output;
    private final String step;
    private final Counter failed;

    LookupFn(Keys keys, PCollectionView<Map<String, Row>> lookup, Schema output, String step) {
      this.keys = keys;
      this.lookup = lookup;
      this.output = output;
      this.step = step;
      this.failed = DeadLetter.counter(step);
    }

    @ProcessElement
    public void process(@Element Row event, @Timestamp Instant timestamp, ProcessContext context) {
      String key = keys.of(event);
      if (key == null) {
        failed.inc();
        context.output(FAILURES, DeadLetter.ofText(step, keys.nullReason(event), RowText.json(event), DeadLetter.knownTime(timestamp)));
        return;
      }
      Row value = context.sideInput(lookup).get(key);
      context.output(Rows.appended(output, event, value));
    }
  }

  /**
   * Per key: events and updates released in event-time order (updates before events at the same
   * time); the current value; events still waiting for a first value.
   */
  private static final class ChangelogFn extends DoFn<KV<String, Entry>, Row> {
    private static final String CURRENT = "current";
    private static final String WAITING = "waiting";

    @StateId(EventTimeOrder.BUFFER)
    private final StateSpec<BagState<TimestampedValue<Entry>>> bufferSpec;

    @StateId(EventTimeOrder.SORTED)
    private final StateSpec<ValueState<Deque<TimestampedValue<Entry>>>> sortedSpec;

    @StateId(EventTimeOrder.NEXT_RELEASE)
    private final StateSpec<ValueState<Instant>> nextSpec = StateSpecs.value();

    @StateId(CURRENT)
    private final StateSpec<ValueState<Row>> currentSpec;

    @StateId(WAITING)
    private final StateSpec<ValueState<List<Entry>>> waitingSpec;

    @TimerFamily(EventTimeOrder.RELEASE)
    private final TimerSpec releaseSpec = KeyTimers.spec();

    private final Schema tableSchema;
    private final List<String> valueFields;
    private final Schema output;
    private final long wait;
    private final Counter enriched;
    private final Counter unenriched;
    private final Counter deletes;

    ChangelogFn(EntryCoder coder, Schema tableSchema, List<String> valueFields, Schema output, long wait, String step) {
      this.valueFields = valueFields;
      this.bufferSpec = StateSpecs.bag(TimestampedValue.TimestampedValueCoder.of(coder));
      this.sortedSpec = EventTimeOrder.sortedSpec(TimestampedValue.TimestampedValueCoder.of(coder));
      this.currentSpec = StateSpecs.value(SchemaCoder.of(tableSchema));
      this.waitingSpec = StateSpecs.value(ListCoder.of(coder));
      this.tableSchema = tableSchema;
      this.output = output;
      this.wait = wait;
      this.enriched = Metrics.counter("records", step + "-enriched");
      this.unenriched = Metrics.counter("records", step + "-unenriched");
      this.deletes = Metrics.counter("records", step + "-deletes");
    }

    @ProcessElement
    public void process(@Element KV<String, Entry> element, @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Entry>> buffer,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> next, @TimerFamily(EventTimeOrder.RELEASE) TimerMap releaseTimers) {
      Timer release = KeyTimers.of(releaseTimers, element.getKey());
      // Updates sort before events of the same time: one millisecond is enough, as ties go by arrival.
      EventTimeOrder.hold(element.getValue(), new Instant(element.getValue().timestamp()), buffer, next, release);
    }

    @OnTimerFamily(EventTimeOrder.RELEASE)
    public void onRelease(OnTimerContext context, @TimerId String timerId, @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Entry>> buffer,
        @StateId(EventTimeOrder.SORTED) ValueState<Deque<TimestampedValue<Entry>>> sorted,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> next, @StateId(CURRENT) ValueState<Row> currentState,
        @StateId(WAITING) ValueState<List<Entry>> waitingState, @TimerFamily(EventTimeOrder.RELEASE) TimerMap releaseTimers) {
      Timer release = releaseTimers.get(timerId);
      long now = context.fireTimestamp().getMillis();
      long hold = context.timestamp().getMillis();
      List<TimestampedValue<Entry>> ready = EventTimeOrder.release(context.fireTimestamp(), buffer, sorted, next, release);
      ready.sort((a, b) -> a.getTimestamp().equals(b.getTimestamp())
          ? Boolean.compare(!a.getValue().update(), !b.getValue().update()) : a.getTimestamp().compareTo(b.getTimestamp()));
      Row current = currentState.read();
      List<Entry> waiting = waitingState.read() == null ? new ArrayList<>() : new ArrayList<>(waitingState.read());
      for (TimestampedValue<Entry> released : ready) {
        Entry entry = released.getValue();
        // Events that waited too long go on unenriched before anything later is decided.
        waiting = flushExpired(context, waiting, entry.timestamp() - 1, hold);
        if (entry.update()) {
          if (isTombstone(entry.row())) {
            deletes.inc();
            current = null;
          } else {
            current = entry.row();
            for (Entry waited : waiting) {
              enriched.inc();
              emit(context, waited, current, Math.max(entry.timestamp(), hold));
            }
            waiting.clear();
          }
        } else if (current != null) {
          enriched.inc();
          emit(context, entry, current, Math.max(entry.timestamp(), hold));
        } else if (wait > 0) {
          waiting.add(entry);
        } else {
          unenriched.inc();
          emit(context, entry, null, Math.max(entry.timestamp(), hold));
        }
      }
      waiting = flushExpired(context, waiting, now, hold);
      if (current == null) {
        currentState.clear();
      } else {
        currentState.write(current);
      }
      if (waiting.isEmpty()) {
        waitingState.clear();
      } else {
        waitingState.write(waiting);
        long expiry = waiting.get(0).timestamp() + wait;
        Instant buffered = next.read();
        long fireAt = buffered == null ? expiry : Math.min(expiry, buffered.getMillis());
        release.withOutputTimestamp(new Instant(Math.max(hold, Math.min(fireAt, waiting.get(0).timestamp())))).set(new Instant(fireAt));
        next.write(new Instant(fireAt));
      }
    }

    /** Emits unenriched the waiting events whose wait ended at or before {@code upTo}. */
    private List<Entry> flushExpired(OnTimerContext context, List<Entry> waiting, long upTo, long hold) {
      List<Entry> still = new ArrayList<>();
      for (Entry waited : waiting) {
        if (waited.timestamp() + wait <= upTo) {
          unenriched.inc();
          emit(context, waited, null, Math.max(waited.timestamp() + wait, hold));
        } else {
          still.add(waited);
        }
      }
      return still;
    }

    private void emit(OnTimerContext context, Entry event, @Nullable Row value, long at) {
      context.outputWithTimestamp(Rows.appended(output, event.row(), value), new Instant(at));
    }

    /** A table row whose value fields are all null deletes the key. */
    private boolean isTombstone(Row row) {
      for (String field : valueFields) {
        if (row.getValue(field) != null) {
          return false;
        }
      }
      return true;
    }
  }

}
