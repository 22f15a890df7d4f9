package dev.streamtemplates.transforms.join;

import dev.streamtemplates.transforms.core.Names;
import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.time.EventTimeOrder;
import dev.streamtemplates.transforms.time.EventTimeTimers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.state.BagState;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Stream-table enrichment: each event is joined with the latest value of its key in a table,
 * as of the event's time.
 *
 * <pre>{@code
 * PCollection<Row> enriched = Enrich.events(tweets).withKey("company")
 *     .fromChangelog(prices, "symbol")        // or .fromLookup(staticTable, "symbol")
 *     .waitingUpTo(Duration.standardMinutes(1))
 *     .expand();
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
 * without event time. The changelog path needs state and event-time timers (Direct and Flink,
 * Spark in batch; refused on Spark in streaming).
 */
public final class Enrich {
  private final transient PCollection<Row> events;
  private final @Nullable String eventKey;
  private final transient @Nullable PCollection<Row> table;
  private final @Nullable String tableKey;
  private final boolean changelog;
  private final Duration wait;
  private final String step;
  private final @Nullable List<String> valueFields;

  private Enrich(PCollection<Row> events, @Nullable String eventKey, @Nullable PCollection<Row> table, @Nullable String tableKey,
      boolean changelog, Duration wait, String step) {
    this(events, eventKey, table, tableKey, changelog, wait, step, null);
  }

  private Enrich(PCollection<Row> events, @Nullable String eventKey, @Nullable PCollection<Row> table, @Nullable String tableKey,
      boolean changelog, Duration wait, String step, @Nullable List<String> valueFields) {
    this.valueFields = valueFields;
    this.events = events;
    this.eventKey = eventKey;
    this.table = table;
    this.tableKey = tableKey;
    this.changelog = changelog;
    this.wait = wait;
    this.step = step;
  }

  public static Enrich events(PCollection<Row> events) {
    return new Enrich(events, null, null, null, true, Duration.ZERO, "enrich");
  }

  /** The events' field holding the table key. */
  @CheckReturnValue
  public Enrich withKey(String eventKey) {
    return new Enrich(events, Names.require(eventKey, "event key"), table, tableKey, changelog, wait, step, valueFields);
  }

  /** The table is a stream of updates, keyed by {@code tableKey}; a row of nulls deletes its key. */
  @CheckReturnValue
  public Enrich fromChangelog(PCollection<Row> updates, String tableKey) {
    return new Enrich(events, eventKey, updates, Names.require(tableKey, "table key"), true, wait, step, valueFields);
  }

  /** The table is a bounded lookup (e.g. a file), keyed by {@code tableKey}, read whole. */
  @CheckReturnValue
  public Enrich fromLookup(PCollection<Row> lookup, String tableKey) {
    return new Enrich(events, eventKey, lookup, Names.require(tableKey, "table key"), false, wait, step, valueFields);
  }

  /**
   * The table fields that make its value: an update with all of them null is a tombstone and
   * deletes its key. Default: every field except the key and DATETIME fields (update times).
   */
  @CheckReturnValue
  public Enrich withValueFields(List<String> fields) {
    return new Enrich(events, eventKey, table, tableKey, changelog, wait, step, List.copyOf(fields));
  }

  private List<String> valueFields(Schema tableSchema) {
    if (valueFields != null) {
      for (String field : valueFields) {
        if (!tableSchema.hasField(field)) {
          throw new IllegalArgumentException(step + ": value field '" + field + "' is not in the table; fields are " + tableSchema.getFieldNames());
        }
      }
      return valueFields;
    }
    List<String> fields = new ArrayList<>();
    for (Schema.Field field : tableSchema.getFields()) {
      if (!field.getName().equals(tableKey) && field.getType().getTypeName() != Schema.TypeName.DATETIME) {
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
    return new Enrich(events, eventKey, table, tableKey, changelog, wait, step, valueFields);
  }

  @CheckReturnValue
  public Enrich named(String step) {
    return new Enrich(events, eventKey, table, tableKey, changelog, wait, Names.require(step, "step"), valueFields);
  }

  public static Schema outputSchema(Schema events, Schema table) {
    return Schema.builder().addFields(events.getFields()).addNullableField("value", FieldType.row(table)).build();
  }

  public PCollection<Row> expand() {
    if (eventKey == null || table == null) {
      throw new IllegalArgumentException(step + ": call withKey(field) and fromChangelog(...) or fromLookup(...)");
    }
    Schema eventSchema = events.getSchema();
    Schema tableSchema = table.getSchema();
    if (!eventSchema.hasField(eventKey)) {
      throw new IllegalArgumentException(step + ": event key '" + eventKey + "' is not in the events; fields are " + eventSchema.getFieldNames());
    }
    if (!tableSchema.hasField(tableKey)) {
      throw new IllegalArgumentException(step + ": table key '" + tableKey + "' is not in the table; fields are " + tableSchema.getFieldNames());
    }
    if (eventSchema.hasField("value")) {
      throw new IllegalArgumentException(step + ": the events already have a field named 'value'; rename it first");
    }
    Schema output = outputSchema(eventSchema, tableSchema);
    if (!changelog) {
      PCollectionView<Map<String, Row>> lookup = table
          .apply(step + "/Key the lookup", ParDo.of(new KeyTableFn(tableKey)))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), SchemaCoder.of(tableSchema)))
          .apply(step + "/As a map", View.asMap());
      return events.apply(step + "/Look up", ParDo.of(new LookupFn(eventKey, lookup, output)).withSideInputs(lookup)).setRowSchema(output);
    }
    EventTimeTimers.require(step + ": enrichment from a changelog needs", events, table);
    EntryCoder coder = new EntryCoder(SchemaCoder.of(eventSchema), SchemaCoder.of(tableSchema));
    PCollection<KV<String, Entry>> keyedEvents = events
        .apply(step + "/Events in the global window", Window.<Row>into(new GlobalWindows()))
        .apply(step + "/Key events", ParDo.of(new KeyEntryFn(eventKey, false)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), coder));
    PCollection<KV<String, Entry>> keyedUpdates = table
        .apply(step + "/Updates in the global window", Window.<Row>into(new GlobalWindows()))
        .apply(step + "/Key updates", ParDo.of(new KeyEntryFn(tableKey, true)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), coder));
    return PCollectionList.of(keyedEvents).and(keyedUpdates)
        .apply(step + "/Events and updates", Flatten.pCollections())
        .apply(step + "/As of event time", ParDo.of(new ChangelogFn(coder, tableSchema, valueFields(tableSchema), output, wait.getMillis(), step)))
        .setRowSchema(output);
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

  private static final class KeyEntryFn extends DoFn<Row, KV<String, Entry>> {
    private final String keyField;
    private final boolean update;

    KeyEntryFn(String keyField, boolean update) {
      this.keyField = keyField;
      this.update = update;
    }

    @ProcessElement
    public void process(@Element Row row, @Timestamp Instant timestamp, OutputReceiver<KV<String, Entry>> out) {
      out.output(KV.of(String.valueOf((Object) row.getValue(keyField)), new Entry(update, row, timestamp.getMillis())));
    }
  }

  private static final class KeyTableFn extends DoFn<Row, KV<String, Row>> {
    private final String keyField;

    KeyTableFn(String keyField) {
      this.keyField = keyField;
    }

    @ProcessElement
    public void process(@Element Row row, OutputReceiver<KV<String, Row>> out) {
      out.output(KV.of(String.valueOf((Object) row.getValue(keyField)), row));
    }
  }

  private static final class LookupFn extends DoFn<Row, Row> {
    private final String keyField;
    private final PCollectionView<Map<String, Row>> lookup;
    private final Schema output;

    LookupFn(String keyField, PCollectionView<Map<String, Row>> lookup, Schema output) {
      this.keyField = keyField;
      this.lookup = lookup;
      this.output = output;
    }

    @ProcessElement
    public void process(@Element Row event, ProcessContext context) {
      Row value = context.sideInput(lookup).get(String.valueOf((Object) event.getValue(keyField)));
      context.output(Row.withSchema(output).addValues(event.getValues()).addValue(value).build());
    }
  }

  /**
   * Per key: events and updates released in event-time order (updates before events at the same
   * time); the current value; events still waiting for a first value.
   */
  private static final class ChangelogFn extends DoFn<KV<String, Entry>, Row> {
    private static final String BUFFER = "buffer";
    private static final String NEXT = "next";
    private static final String CURRENT = "current";
    private static final String WAITING = "waiting";
    private static final String RELEASE = "release";

    @StateId(BUFFER)
    private final StateSpec<BagState<TimestampedValue<Entry>>> bufferSpec;

    @StateId(NEXT)
    private final StateSpec<ValueState<Instant>> nextSpec = StateSpecs.value();

    @StateId(CURRENT)
    private final StateSpec<ValueState<Row>> currentSpec;

    @StateId(WAITING)
    private final StateSpec<ValueState<List<Entry>>> waitingSpec;

    @TimerId(RELEASE)
    private final TimerSpec releaseSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

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
    public void process(@Element KV<String, Entry> element, @StateId(BUFFER) BagState<TimestampedValue<Entry>> buffer,
        @StateId(NEXT) ValueState<Instant> next, @TimerId(RELEASE) Timer release) {
      // Updates sort before events of the same time: one millisecond is enough, as ties go by arrival.
      EventTimeOrder.hold(element.getValue(), new Instant(element.getValue().timestamp()), buffer, next, release);
    }

    @OnTimer(RELEASE)
    public void onRelease(OnTimerContext context, @StateId(BUFFER) BagState<TimestampedValue<Entry>> buffer,
        @StateId(NEXT) ValueState<Instant> next, @StateId(CURRENT) ValueState<Row> currentState,
        @StateId(WAITING) ValueState<List<Entry>> waitingState, @TimerId(RELEASE) Timer release) {
      long now = context.fireTimestamp().getMillis();
      long hold = context.timestamp().getMillis();
      List<TimestampedValue<Entry>> ready = EventTimeOrder.release(context.fireTimestamp(), buffer, next, release);
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
      context.outputWithTimestamp(Row.withSchema(output).addValues(event.row().getValues()).addValue(value).build(), new Instant(at));
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
