package dev.streamtemplates.transforms.aggregate;

import dev.streamtemplates.transforms.time.EventTimeOrder;
import dev.streamtemplates.transforms.time.EventTimeTimers;
import dev.streamtemplates.transforms.time.KeyTimers;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
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
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Adds to each aggregate row, for chosen aggregates {@code a}, the same key's value in the
 * previous window ({@code aPrevious}), the change ({@code aChange} = a - aPrevious) and the change
 * in percent of the previous value ({@code aChangePct}).
 *
 * <p>The previous window of a tumbling or calendar window is the one that ends where it starts
 * (yesterday for a day, last month for a month); of a sliding window, the one that starts one
 * slide earlier; of session, count and global windows, the key's result just before it in event
 * time. When the key had no result there (its first window, or no
 * events in the window before), the three fields are null; {@code aChangePct} is null too when the
 * previous value is 0. A window's later panes (EARLY then ON_TIME, LATE updates) each compare
 * with the previous window's latest result.
 *
 * <p>Rows are put in event-time order per key ({@link EventTimeOrder}) before they are compared:
 * in batch every window is emitted at once, in any order. So this needs event-time timers (not on
 * Spark in streaming mode).
 */
final class PreviousWindow {
  private PreviousWindow() {}

  static final String PREVIOUS = "Previous";
  static final String CHANGE = "Change";
  static final String CHANGE_PCT = "ChangePct";

  /** The schema of rows with the previous-window fields of {@code aggregates} appended. */
  static Schema outputSchema(Schema rows, List<String> aggregates) {
    Schema.Builder out = Schema.builder().addFields(rows.getFields());
    for (String aggregate : aggregates) {
      out.addField(aggregate + PREVIOUS, rows.getField(aggregate).getType().withNullable(true))
          .addNullableField(aggregate + CHANGE, FieldType.DOUBLE)
          .addNullableField(aggregate + CHANGE_PCT, FieldType.DOUBLE);
    }
    return out.build();
  }

  /**
   * Which earlier result is a window's previous one: the one whose end is this one's start
   * (tumbling and calendar windows), the one starting one {@code slide} earlier (sliding), or the
   * key's last result of another window (session, count and global windows).
   */
  record Rule(boolean adjacent, @Nullable Duration slide) implements java.io.Serializable {
    static Rule of(Windowing windowing) {
      switch (windowing.kind()) {
        case TUMBLING:
        case CALENDAR:
          return new Rule(true, null);
        case SLIDING:
          return new Rule(false, windowing.slide());
        default:
          return new Rule(false, null);
      }
    }

    boolean lastResult() {
      return !adjacent && slide == null;
    }
  }

  /** Adds the fields to {@code rows} (in the global window), keyed by {@code keySchema}'s fields. */
  static PCollection<Row> apply(PCollection<Row> rows, Schema keySchema, List<String> aggregates, Rule rule, String origin) {
    EventTimeTimers.require(origin + ": comparing with the previous window needs", rows);
    Schema schema = rows.getSchema();
    Schema output = outputSchema(schema, aggregates);
    return rows
        .apply("Results by " + keySchema.getFieldNames(), ParDo.of(new KeyFn(schema, keySchema)))
        .setCoder(KvCoder.of(SchemaCoder.of(keySchema), SchemaCoder.of(schema)))
        .apply("With previous " + aggregates, ParDo.of(new PreviousFn(schema, output, aggregates, rule)))
        .setRowSchema(output);
  }

  private static final class KeyFn extends DoFn<Row, KV<Row, Row>> {
    private final Schema keySchema;
    private final int[] keyFields;

    /** The key fields' positions in the rows are found once, here, not per row. */
    KeyFn(Schema rows, Schema keySchema) {
      this.keySchema = keySchema;
      this.keyFields = keySchema.getFields().stream().mapToInt(field -> rows.indexOf(field.getName())).toArray();
    }

    @ProcessElement
    public void process(@Element Row row, OutputReceiver<KV<Row, Row>> out) {
      List<Object> key = new ArrayList<>(keyFields.length);
      for (int field : keyFields) {
        key.add(row.getValue(field));
      }
      out.output(KV.of(Row.withSchema(keySchema).attachValues(key), row));
    }
  }

  private static final class PreviousFn extends DoFn<KV<Row, Row>, Row> {
    private static final String RECENT = "recent";

    @StateId(EventTimeOrder.BUFFER)
    private final StateSpec<BagState<TimestampedValue<Row>>> bufferSpec;

    @StateId(EventTimeOrder.SORTED)
    private final StateSpec<ValueState<Deque<TimestampedValue<Row>>>> sortedSpec;

    /** The key's latest results, the one per window still needed as someone's previous window. */
    @StateId(RECENT)
    private final StateSpec<ValueState<List<Row>>> recentSpec;

    @StateId(EventTimeOrder.NEXT_RELEASE)
    private final StateSpec<ValueState<Instant>> nextReleaseSpec = StateSpecs.value();

    @TimerFamily(EventTimeOrder.RELEASE)
    private final TimerSpec releaseSpec = KeyTimers.spec();

    private final Schema output;
    private final List<String> aggregates;
    private final Rule rule;

    PreviousFn(Schema input, Schema output, List<String> aggregates, Rule rule) {
      this.bufferSpec = StateSpecs.bag(TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(input)));
      this.sortedSpec = EventTimeOrder.sortedSpec(TimestampedValue.TimestampedValueCoder.of(SchemaCoder.of(input)));
      this.recentSpec = StateSpecs.value(ListCoder.of(SchemaCoder.of(input)));
      this.output = output;
      this.aggregates = aggregates;
      this.rule = rule;
    }

    @ProcessElement
    public void process(@Element KV<Row, Row> element, @Timestamp Instant timestamp,
        @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextRelease,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap releaseTimers) {
      Timer release = KeyTimers.of(releaseTimers, element.getKey());
      EventTimeOrder.hold(element.getValue(), timestamp, buffer, nextRelease, release);
    }

    @OnTimerFamily(EventTimeOrder.RELEASE)
    public void onRelease(OnTimerContext context,
        @TimerId String timerId,
        @StateId(EventTimeOrder.BUFFER) BagState<TimestampedValue<Row>> buffer,
        @StateId(EventTimeOrder.SORTED) ValueState<Deque<TimestampedValue<Row>>> sorted,
        @StateId(RECENT) ValueState<List<Row>> recentState,
        @StateId(EventTimeOrder.NEXT_RELEASE) ValueState<Instant> nextRelease,
        @TimerFamily(EventTimeOrder.RELEASE) TimerMap releaseTimers) {
      Timer release = releaseTimers.get(timerId);
      List<TimestampedValue<Row>> ready =
          EventTimeOrder.release(context.fireTimestamp(), buffer, sorted, nextRelease, release, EventTimeOrder.BY_TIME_THEN_CONTENT);
      List<Row> recent = recentState.read() == null ? new ArrayList<>() : new ArrayList<>(recentState.read());
      for (TimestampedValue<Row> released : ready) {
        Row row = released.getValue();
        Row previous = previous(recent, row);
        context.outputWithTimestamp(withPrevious(row, previous), released.getTimestamp());
        // Keep what this window's later panes and later windows can still name as their previous:
        // the windows up to one slide back for sliding windows, the one before for tumbling and
        // calendar windows, else the previous result only.
        if (rule.lastResult()) {
          recent.clear();
          if (previous != null) {
            recent.add(previous);
          }
        } else if (rule.adjacent()) {
          Instant start = row.getDateTime("windowStart").toInstant();
          recent.removeIf(kept -> sameWindow(kept, row) || kept.getDateTime("windowEnd").toInstant().isBefore(start));
        } else {
          Instant oldest = row.getDateTime("windowStart").toInstant().minus(rule.slide());
          recent.removeIf(kept -> sameWindow(kept, row) || kept.getDateTime("windowStart").toInstant().isBefore(oldest));
        }
        recent.add(row);
      }
      recentState.write(recent);
    }

    private @Nullable Row previous(List<Row> recent, Row row) {
      if (rule.adjacent()) {
        Object start = row.getValue("windowStart");
        for (int i = recent.size() - 1; i >= 0; i--) {
          if (Objects.equals(recent.get(i).getValue("windowEnd"), start)) {
            return recent.get(i);
          }
        }
        return null;
      }
      if (rule.lastResult()) {
        // Session, count and global windows: the key's last result of another window.
        for (int i = recent.size() - 1; i >= 0; i--) {
          if (!sameWindow(recent.get(i), row)) {
            return recent.get(i);
          }
        }
        return null;
      }
      Instant wanted = row.getDateTime("windowStart").toInstant().minus(rule.slide());
      for (int i = recent.size() - 1; i >= 0; i--) {
        if (recent.get(i).getDateTime("windowStart").toInstant().equals(wanted)) {
          return recent.get(i);
        }
      }
      return null;
    }

    private static boolean sameWindow(Row a, Row b) {
      return Objects.equals(a.getValue("windowStart"), b.getValue("windowStart")) && Objects.equals(a.getValue("windowEnd"), b.getValue("windowEnd"));
    }

    private Row withPrevious(Row row, @Nullable Row previous) {
      List<Object> values = new ArrayList<>(row.getValues());
      for (String aggregate : aggregates) {
        Object now = row.getValue(aggregate);
        Object before = previous == null ? null : previous.getValue(aggregate);
        values.add(before);
        if (now == null || before == null) {
          values.add(null);
          values.add(null);
        } else {
          double current = ((Number) now).doubleValue();
          double last = ((Number) before).doubleValue();
          values.add(current - last);
          values.add(last == 0 ? null : 100.0 * (current - last) / Math.abs(last));
        }
      }
      return Row.withSchema(output).attachValues(values);
    }
  }
}
