package dev.streamtemplates.transforms.join;

import com.google.auto.value.AutoValue;
import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.core.KeyByFn;
import dev.streamtemplates.transforms.core.Keys;
import dev.streamtemplates.transforms.core.Names;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.expr.RowExpression;
import dev.streamtemplates.transforms.time.EventTimeTimers;
import dev.streamtemplates.transforms.time.KeyTimers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
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
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Joins two keyed streams in event time: a left event L and a right event R with equal keys
 * match when {@code L.ts + lower <= R.ts <= L.ts + upper}, and, if given, a CEL condition over
 * {@code left} and {@code right} holds.
 *
 * <pre>{@code
 * Result joined = searches.apply("Search then click",
 *     IntervalJoin.with(clicks)
 *         .on("sessionId", "sessionId")
 *         .within(Duration.ZERO, Duration.standardMinutes(10))
 *         .withType(IntervalJoin.Type.LEFT)
 *         .withCondition("right.position <= 10"));
 * }</pre>
 *
 * <p>Output rows are {@code {key, left, right, eventTime}}, where {@code left} and {@code right}
 * are the joined events (one is null for an unmatched event of an outer join) and {@code
 * eventTime} is the later of the two. A matched pair is emitted as soon as its second event
 * arrives. An unmatched event of an outer side is emitted when its buffer expires, on the
 * event-time timer at the last time a partner could have: {@code ts + upper} for a left event,
 * {@code ts - lower} for a right one, and never before its own time. Its {@code eventTime} is its
 * own; its Beam timestamp may be later, up to where the buffer held the watermark. Events are kept
 * in per-key state until then and removed by the same timer, so state stays bounded by the bound
 * and the event rate.
 *
 * <p>An event that arrives after the watermark passed the time its partners would have expired
 * cannot be joined correctly any more; it goes to the dead-letter output as {@code late}; so does
 * an event with a null key field (see {@link Keys}). Needs
 * state and event-time timers: Direct and Flink in batch and streaming, Spark in batch; refused
 * on Spark in streaming mode when the pipeline is built.
 */
public final class IntervalJoin extends PTransform<PCollection<Row>, Result> {
  private static final long serialVersionUID = 1L;

  /** Which unmatched events are emitted. */
  private static final TupleTag<KV<String, Side>> KEYED = new TupleTag<KV<String, Side>>() {};
  private static final TupleTag<Row> JOINED = new TupleTag<Row>() {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};

  public enum Type {
    INNER, LEFT, RIGHT, FULL
  }

  /** Every setting but the right side; immutable, copied with a change by each {@code withX}. */
  @AutoValue
  abstract static class Settings implements Serializable {
    private static final long serialVersionUID = 1L;

    abstract List<String> leftKey();

    abstract List<String> rightKey();

    abstract Duration lower();

    abstract Duration upper();

    abstract Type type();

    abstract @Nullable String condition();

    abstract String step();

    abstract String origin();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder leftKey(List<String> leftKey);

      abstract Builder rightKey(List<String> rightKey);

      abstract Builder lower(Duration lower);

      abstract Builder upper(Duration upper);

      abstract Builder type(Type type);

      abstract Builder condition(String condition);

      abstract Builder step(String step);

      abstract Builder origin(String origin);

      abstract Settings build();
    }
  }

  private final transient PCollection<Row> right;
  private final Settings settings;

  private IntervalJoin(PCollection<Row> right, Settings settings) {
    this.right = right;
    this.settings = settings;
  }

  private IntervalJoin with(UnaryOperator<Settings.Builder> change) {
    return new IntervalJoin(right, change.apply(settings.toBuilder()).build());
  }

  /** Joins the input (the left side) with {@code right}. */
  public static IntervalJoin with(PCollection<Row> right) {
    return new IntervalJoin(right, new AutoValue_IntervalJoin_Settings.Builder().leftKey(List.of()).rightKey(List.of())
        .lower(Duration.ZERO).upper(Duration.ZERO).type(Type.INNER).step("interval-join").origin("join").build());
  }

  /** The key fields of each side, in the same order and of the same types. */
  @CheckReturnValue
  public IntervalJoin on(List<String> leftKey, List<String> rightKey) {
    if (leftKey.isEmpty() || leftKey.size() != rightKey.size()) {
      throw new IllegalArgumentException("both sides need the same, non-zero number of key fields, got left=" + leftKey + " right=" + rightKey);
    }
    return with(b -> b.leftKey(List.copyOf(leftKey)).rightKey(List.copyOf(rightKey)));
  }

  @CheckReturnValue
  public IntervalJoin on(String leftKey, String rightKey) {
    return on(List.of(leftKey), List.of(rightKey));
  }

  /** Matches when {@code left.ts + lower <= right.ts <= left.ts + upper}; lower may be negative. */
  @CheckReturnValue
  public IntervalJoin within(Duration lower, Duration upper) {
    if (lower == null || upper == null || lower.isLongerThan(upper)) {
      throw new IllegalArgumentException("lower must be <= upper, got lower=" + lower + " upper=" + upper);
    }
    return with(b -> b.lower(lower).upper(upper));
  }

  @CheckReturnValue
  public IntervalJoin withType(Type type) {
    return with(b -> b.type(type));
  }

  /** A CEL condition over {@code left} and {@code right} that a pair must also meet. */
  @CheckReturnValue
  public IntervalJoin withCondition(String condition) {
    return with(b -> b.condition(condition));
  }

  @CheckReturnValue
  public IntervalJoin named(String step) {
    String name = Names.require(step, "step");
    return with(b -> b.step(name));
  }

  /** Where the join was declared, e.g. {@code steps[2]}, for error messages. */
  @CheckReturnValue
  public IntervalJoin withOrigin(String origin) {
    String where = Names.require(origin, "origin");
    return with(b -> b.origin(where));
  }

  /** The output schema: {@code key}, {@code left}, {@code right}, {@code eventTime}. */
  public static Schema outputSchema(Schema left, Schema right) {
    return Schema.builder().addStringField("key").addNullableField("left", FieldType.row(left))
        .addNullableField("right", FieldType.row(right)).addDateTimeField("eventTime").build();
  }

  @Override
  public Result expand(PCollection<Row> left) {
    if (settings.leftKey().isEmpty()) {
      throw new IllegalArgumentException(settings.origin() + ": no join key: call on(leftKey, rightKey)");
    }
    Schema leftSchema = left.getSchema();
    Schema rightSchema = right.getSchema();
    List<String> errors = new ArrayList<>();
    for (int i = 0; i < settings.leftKey().size(); i++) {
      if (!leftSchema.hasField(settings.leftKey().get(i))) {
        errors.add("left key field '" + settings.leftKey().get(i) + "' is not in the left input; fields are " + leftSchema.getFieldNames());
      } else if (!rightSchema.hasField(settings.rightKey().get(i))) {
        errors.add("right key field '" + settings.rightKey().get(i) + "' is not in the right input; fields are " + rightSchema.getFieldNames());
      } else if (!leftSchema.getField(settings.leftKey().get(i)).getType().getTypeName().equals(rightSchema.getField(settings.rightKey().get(i)).getType().getTypeName())) {
        errors.add("key fields '" + settings.leftKey().get(i) + "' and '" + settings.rightKey().get(i) + "' have different types");
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(settings.origin() + ": " + String.join("; ", errors));
    }
    Schema output = outputSchema(leftSchema, rightSchema);
    RowExpression compiled = settings.condition() == null ? null
        : RowExpression.compile(settings.origin() + ".condition", Schema.builder().addRowField("left", leftSchema).addRowField("right", rightSchema).build(), settings.condition())
            .requireBoolean();
    EventTimeTimers.require(settings.origin() + ": the interval join needs", left, right);
    SideCoder sideCoder = new SideCoder(SchemaCoder.of(leftSchema), SchemaCoder.of(rightSchema));
    // The join's own bound replaces windows: both sides are joined in the global window.
    PCollectionTuple lefts = left
        .apply("Left in the global window", Window.<Row>into(new GlobalWindows()))
        .apply("Key left", ParDo.of(new KeyFn(Keys.of(settings.leftKey()), true, settings.step())).withOutputTags(KEYED, TupleTagList.of(FAILURES)));
    PCollectionTuple rights = right
        .apply("Right in the global window", Window.<Row>into(new GlobalWindows()))
        .apply("Key right", ParDo.of(new KeyFn(Keys.of(settings.rightKey()), false, settings.step())).withOutputTags(KEYED, TupleTagList.of(FAILURES)));
    PCollectionTuple result = PCollectionList.of(lefts.get(KEYED).setCoder(KvCoder.of(StringUtf8Coder.of(), sideCoder)))
        .and(rights.get(KEYED).setCoder(KvCoder.of(StringUtf8Coder.of(), sideCoder)))
        .apply("Both sides", Flatten.pCollections())
        .apply("Join in event time", ParDo.of(new JoinFn(settings.lower().getMillis(), settings.upper().getMillis(), settings.type(), compiled, output, sideCoder, settings.step(), JOINED, FAILURES))
            .withOutputTags(JOINED, TupleTagList.of(FAILURES)));
    PCollection<Row> failures = Result.allFailures(lefts.get(FAILURES), rights.get(FAILURES), result.get(FAILURES));
    return Result.of(result.get(JOINED).setRowSchema(output), failures);
  }

  /** One buffered event of either side. */
  static final class Side {
    final boolean isLeft;
    final Row row;
    final long timestamp;
    boolean matched;

    Side(boolean isLeft, Row row, long timestamp, boolean matched) {
      this.isLeft = isLeft;
      this.row = row;
      this.timestamp = timestamp;
      this.matched = matched;
    }
  }

  static final class SideCoder extends CustomCoder<Side> {
    private final SchemaCoder<Row> leftCoder;
    private final SchemaCoder<Row> rightCoder;

    SideCoder(SchemaCoder<Row> leftCoder, SchemaCoder<Row> rightCoder) {
      this.leftCoder = leftCoder;
      this.rightCoder = rightCoder;
    }

    @Override
    public void encode(Side side, OutputStream out) throws IOException {
      BooleanCoder.of().encode(side.isLeft, out);
      (side.isLeft ? leftCoder : rightCoder).encode(side.row, out);
      VarLongCoder.of().encode(side.timestamp, out);
      BooleanCoder.of().encode(side.matched, out);
    }

    @Override
    public Side decode(InputStream in) throws IOException {
      boolean isLeft = BooleanCoder.of().decode(in);
      Row row = (isLeft ? leftCoder : rightCoder).decode(in);
      return new Side(isLeft, row, VarLongCoder.of().decode(in), BooleanCoder.of().decode(in));
    }
  }

  /** Keys one side; an event with a null key field is a dead letter ({@link Keys}). */
  private static final class KeyFn extends KeyByFn<Side> {
    private final boolean isLeft;

    KeyFn(Keys keys, boolean isLeft, String step) {
      super(keys, step, KEYED, FAILURES);
      this.isLeft = isLeft;
    }

    @Override
    protected Side value(Row row, Instant timestamp) {
      return new Side(isLeft, row, timestamp.getMillis(), false);
    }
  }

  /**
   * Both sides' buffers of one key, and a timer at the earliest expiry. Written by hand: Beam's
   * CoGroupByKey joins within windows, not within a bound around each event.
   */
  private static final class JoinFn extends DoFn<KV<String, Side>, Row> {
    private static final String LEFTS = "lefts";
    private static final String RIGHTS = "rights";
    private static final String EXPIRED_UP_TO = "expiredUpTo";
    private static final String NEXT_EXPIRY = "nextExpiry";
    private static final String EXPIRE = "expire";

    @StateId(LEFTS)
    private final StateSpec<ValueState<List<Side>>> leftsSpec;

    @StateId(RIGHTS)
    private final StateSpec<ValueState<List<Side>>> rightsSpec;

    @StateId(EXPIRED_UP_TO)
    private final StateSpec<ValueState<Long>> expiredSpec = StateSpecs.value(VarLongCoder.of());

    @StateId(NEXT_EXPIRY)
    private final StateSpec<ValueState<Long>> nextExpirySpec = StateSpecs.value(VarLongCoder.of());

    @TimerFamily(EXPIRE)
    private final TimerSpec expireSpec = KeyTimers.spec();

    private final long lower;
    private final long upper;
    private final Type type;
    private final @Nullable RowExpression condition;
    private final Schema output;
    private final String step;
    private final TupleTag<Row> joined;
    private final TupleTag<Row> failures;
    private final Counter pairs;
    private final Counter unmatched;
    private final Counter unjoined;
    private final Counter failed;
    private transient RowExpression.Compiled program;
    private transient Schema conditionSchema;

    JoinFn(long lower, long upper, Type type, @Nullable RowExpression condition, Schema output, SideCoder sideCoder, String step,
        TupleTag<Row> joined, TupleTag<Row> failures) {
      this.lower = lower;
      this.upper = upper;
      this.type = type;
      this.condition = condition;
      this.output = output;
      this.step = step;
      this.joined = joined;
      this.failures = failures;
      this.leftsSpec = StateSpecs.value(ListCoder.of(sideCoder));
      this.rightsSpec = StateSpecs.value(ListCoder.of(sideCoder));
      this.pairs = Metrics.counter("records", step + "-pairs");
      this.unmatched = Metrics.counter("records", step + "-unmatched");
      this.unjoined = Metrics.counter("records", step + "-unjoined");
      this.failed = DeadLetter.counter(step);
    }

    @Setup
    public void setup() {
      if (condition != null) {
        program = condition.program();
        conditionSchema = Schema.builder().addRowField("left", output.getField("left").getType().getRowSchema())
            .addRowField("right", output.getField("right").getType().getRowSchema()).build();
      }
    }

    /**
     * When the event leaves the buffer: after the last time a partner can have ({@code ts + upper}
     * for a left event, {@code ts - lower} for a right one), and never before its own time.
     */
    private long expiry(Side side) {
      return Math.max(side.timestamp, side.isLeft ? side.timestamp + upper : side.timestamp - lower);
    }

    /**
     * Whether partners of this event may already have left the buffer, once expiries up to {@code
     * expiredUpTo} have run: then it can no longer be joined correctly.
     */
    private boolean late(Side side, long expiredUpTo) {
      return side.isLeft ? side.timestamp + Math.max(lower, 0) <= expiredUpTo : side.timestamp - Math.min(upper, 0) <= expiredUpTo;
    }

    @ProcessElement
    public void process(@Element KV<String, Side> element, @StateId(LEFTS) ValueState<List<Side>> leftsState,
        @StateId(RIGHTS) ValueState<List<Side>> rightsState, @StateId(EXPIRED_UP_TO) ValueState<Long> expiredUpTo,
        @StateId(NEXT_EXPIRY) ValueState<Long> nextExpiry, @TimerFamily(EXPIRE) TimerMap expireTimers, MultiOutputReceiver out) {
      Timer expire = KeyTimers.of(expireTimers, element.getKey());
      Side event = element.getValue();
      Long expired = expiredUpTo.read();
      if (expired != null && late(event, expired)) {
        failed.inc();
        out.get(failures).output(DeadLetter.ofText(step, "late: event time " + new Instant(event.timestamp) + " on the "
            + (event.isLeft ? "left" : "right") + " arrived after the watermark passed " + new Instant(expired)
            + ", when its partners may have expired", RowText.json(event.row), new Instant(event.timestamp)));
        return;
      }
      List<Side> lefts = orEmpty(leftsState.read());
      List<Side> rights = orEmpty(rightsState.read());
      for (Side other : event.isLeft ? rights : lefts) {
        Side l = event.isLeft ? event : other;
        Side r = event.isLeft ? other : event;
        if (r.timestamp >= l.timestamp + lower && r.timestamp <= l.timestamp + upper && meets(l, r, element.getKey(), out)) {
          l.matched = true;
          r.matched = true;
          pairs.inc();
          long at = Math.max(l.timestamp, r.timestamp);
          out.get(joined).outputWithTimestamp(row(element.getKey(), l.row, r.row, at), new Instant(at));
        }
      }
      (event.isLeft ? lefts : rights).add(event);
      leftsState.write(lefts);
      rightsState.write(rights);
      // The timer fires at the earliest expiry. Its output timestamp holds the watermark; Beam lets
      // it be no earlier than this event, so an unmatched event is emitted at the later of its own
      // time and that hold.
      long expiresAt = expiry(event);
      Long next = nextExpiry.read();
      if (next == null || expiresAt < next) {
        nextExpiry.write(expiresAt);
        expire.withOutputTimestamp(new Instant(event.timestamp)).set(new Instant(expiresAt));
      }
    }

    @OnTimerFamily(EXPIRE)
    public void onExpire(OnTimerContext context, @TimerId String timerId, @Key String key, @StateId(LEFTS) ValueState<List<Side>> leftsState,
        @StateId(RIGHTS) ValueState<List<Side>> rightsState, @StateId(EXPIRED_UP_TO) ValueState<Long> expiredUpTo,
        @StateId(NEXT_EXPIRY) ValueState<Long> nextExpiry, @TimerFamily(EXPIRE) TimerMap expireTimers) {
      Timer expire = expireTimers.get(timerId);
      long now = context.fireTimestamp().getMillis();
      long hold = context.timestamp().getMillis();
      List<Side> lefts = expire(orEmpty(leftsState.read()), now, hold, key, context, type == Type.LEFT || type == Type.FULL);
      List<Side> rights = expire(orEmpty(rightsState.read()), now, hold, key, context, type == Type.RIGHT || type == Type.FULL);
      expiredUpTo.write(now);
      if (lefts.isEmpty() && rights.isEmpty()) {
        leftsState.clear();
        rightsState.clear();
        nextExpiry.clear();
        return;
      }
      leftsState.write(lefts);
      rightsState.write(rights);
      long next = Long.MAX_VALUE;
      for (Side side : lefts) {
        next = Math.min(next, expiry(side));
      }
      for (Side side : rights) {
        next = Math.min(next, expiry(side));
      }
      nextExpiry.write(next);
      expire.withOutputTimestamp(new Instant(Math.max(hold, Math.min(next, oldest(lefts, rights))))).set(new Instant(next));
    }

    private List<Side> expire(List<Side> sides, long now, long hold, String key, OnTimerContext context, boolean emitUnmatched) {
      List<Side> kept = new ArrayList<>();
      for (Side side : sides) {
        if (expiry(side) > now) {
          kept.add(side);
        } else if (!side.matched && !emitUnmatched) {
          unjoined.inc(); // e.g. a right event without partner in a left join: counted, by design not emitted
        } else if (!side.matched) {
          unmatched.inc();
          context.outputWithTimestamp(joined,
              row(key, side.isLeft ? side.row : null, side.isLeft ? null : side.row, side.timestamp), new Instant(Math.max(side.timestamp, hold)));
        }
      }
      return kept;
    }

    private boolean meets(Side l, Side r, String key, MultiOutputReceiver out) {
      if (program == null) {
        return true;
      }
      try {
        return program.testNullSafe(Row.withSchema(conditionSchema).attachValues(l.row, r.row));
      } catch (Exception e) {
        failed.inc();
        out.get(failures).output(DeadLetter.ofText(step, condition.origin() + ": " + e.getMessage(),
            "{\"left\":" + RowText.json(l.row) + ",\"right\":" + RowText.json(r.row) + "}", new Instant(Math.max(l.timestamp, r.timestamp))));
        return false;
      }
    }

    private Row row(String key, @Nullable Row left, @Nullable Row right, long at) {
      return Row.withSchema(output).attachValues(key.replace('\u0001', '|'), left, right, new Instant(at));
    }

    private static long oldest(List<Side> lefts, List<Side> rights) {
      long oldest = Long.MAX_VALUE;
      for (Side side : lefts) {
        oldest = Math.min(oldest, side.timestamp);
      }
      for (Side side : rights) {
        oldest = Math.min(oldest, side.timestamp);
      }
      return oldest;
    }

    private static List<Side> orEmpty(@Nullable List<Side> sides) {
      return sides == null ? new ArrayList<>() : new ArrayList<>(sides);
    }
  }

}
