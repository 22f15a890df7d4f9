package dev.streamtemplates.transforms.aggregate;

import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.Trigger;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * {@code Combine.perKey} of the aggregates over windowed, keyed events, grouped by the cheapest
 * key that makes the same groups: no key at all for a global aggregate ({@code
 * Combine.globally}), the value itself for a single key field of an integer, string or boolean
 * type, else the key Row. Runners encode the key of every event (Spark to group it, Flink to
 * select it), and a Row's coder costs several times a long's. The result stays keyed by that
 * cheapest key ({@link #keyValues} gives the key Row's values back), windows and panes as {@code
 * Combine.perKey} gives them: the step that builds the output rows reads it as it is, so no
 * step of its own turns the key back into a Row (on the Direct runner every step costs a
 * translation of its DoFn per bundle, and a grouping's output comes in a bundle per key).
 *
 * <p>On bounded input with non-merging windows that fire once at their end ({@link
 * #combinesPerBundle}), each bundle first adds its events into one accumulator per window and key
 * ({@link BundleCombine}), and the combine merges those ({@link #perBundleThenPerKey}).
 */
final class KeyedCombine {
  private KeyedCombine() {}

  /** The aggregates per key and window, keyed by the cheapest key ({@link #keyValues}). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static PCollection<KV<Object, Row>> apply(PCollection<KV<Row, TimestampedValue<Row>>> windowed, RowAggregateFn fn, Schema keySchema) {
    Coder<TimestampedValue<Row>> eventCoder = ((KvCoder<Row, TimestampedValue<Row>>) windowed.getCoder()).getValueCoder();
    SchemaCoder<Row> aggregatesCoder = SchemaCoder.of(fn.resultSchema());
    String name = "Aggregate " + fn.aggregations();
    if (combinesPerBundle(windowed)) {
      return perBundleThenPerKey(windowed, fn, keySchema, name, aggregatesCoder);
    }
    if (keySchema.getFieldCount() == 0) {
      return windowed.apply("Events", Values.create()).setCoder(eventCoder)
          .apply(name, Combine.globally(fn).withoutDefaults()).setCoder(aggregatesCoder)
          .apply("With the empty key", ParDo.of(new WithEmptyKey())).setCoder(KvCoder.of((Coder) VoidCoder.of(), aggregatesCoder));
    }
    PCollection<KV<Object, TimestampedValue<Row>>> byValue = byCheapestKey(windowed, keySchema);
    Coder<Object> keyCoder = ((KvCoder<Object, TimestampedValue<Row>>) byValue.getCoder()).getKeyCoder();
    return byValue.apply(name, Combine.perKey(fn)).setCoder(KvCoder.of(keyCoder, aggregatesCoder));
  }

  /**
   * Whether each bundle's events can be added into one accumulator per key and window before the
   * combine ({@link BundleCombine}): bounded input, windows that do not merge, and a trigger that
   * fires when the window closes (in batch, once, with all of its input).
   */
  static boolean combinesPerBundle(PCollection<?> windowed) {
    WindowingStrategy<?, ?> strategy = windowed.getWindowingStrategy();
    Trigger trigger = strategy.getTrigger();
    boolean atTheEnd = trigger instanceof DefaultTrigger || trigger instanceof AfterWatermark.FromEndOfWindow
        || trigger instanceof AfterWatermark.AfterWatermarkEarlyAndLate && ((AfterWatermark.AfterWatermarkEarlyAndLate) trigger).getEarlyTrigger() == null;
    return windowed.isBounded() == PCollection.IsBounded.BOUNDED && strategy.getWindowFn().isNonMerging() && atTheEnd;
  }

  /** {@link BundleCombine} into accumulators, then {@code Combine.perKey} merging them, by the cheapest key. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static PCollection<KV<Object, Row>> perBundleThenPerKey(PCollection<KV<Row, TimestampedValue<Row>>> windowed, RowAggregateFn fn,
      Schema keySchema, String name, SchemaCoder<Row> aggregatesCoder) {
    Coder<TimestampedValue<Row>> eventCoder = ((KvCoder<Row, TimestampedValue<Row>>) windowed.getCoder()).getValueCoder();
    Coder<Object[]> accumulatorCoder;
    try {
      accumulatorCoder = fn.getAccumulatorCoder(windowed.getPipeline().getCoderRegistry(), eventCoder);
    } catch (CannotProvideCoderException e) {
      throw new IllegalStateException("no coder for the aggregates' accumulators: " + e.getMessage(), e);
    }
    PCollection<KV<Object, TimestampedValue<Row>>> keyed = byCheapestKey(windowed, keySchema);
    Coder<Object> keyCoder = ((KvCoder<Object, TimestampedValue<Row>>) keyed.getCoder()).getKeyCoder();
    return keyed
        .apply(name + " in each bundle", ParDo.of(new BundleCombine<Object>(fn, windowed.getWindowingStrategy().getTimestampCombiner())))
        .setCoder(KvCoder.of(keyCoder, accumulatorCoder))
        .apply(name, Combine.perKey(new BundleCombine.Merge(fn)))
        .setCoder(KvCoder.of(keyCoder, aggregatesCoder));
  }

  /**
   * The events keyed by the cheapest key that makes the same groups as the key Row: nothing (a
   * null key) when the Row has no fields, its one value when that is an integer, string or
   * boolean; else the events as they are. {@link #keyRow} gives the key Row back.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static PCollection<KV<Object, TimestampedValue<Row>>> byCheapestKey(PCollection<KV<Row, TimestampedValue<Row>>> keyed, Schema keySchema) {
    Coder<TimestampedValue<Row>> eventCoder = ((KvCoder<Row, TimestampedValue<Row>>) keyed.getCoder()).getValueCoder();
    if (!keysByValue(keySchema)) {
      return (PCollection) keyed;
    }
    Coder<Object> coder = keySchema.getFieldCount() == 0 ? (Coder) VoidCoder.of() : valueCoder(keySchema.getField(0).getType());
    return keyed.apply("Key by value", ParDo.of(new ByValue())).setCoder(KvCoder.of(coder, eventCoder));
  }

  /** Whether {@link #byCheapestKey} keys by a value (or nothing) rather than by the key Row. */
  static boolean keysByValue(Schema keySchema) {
    return keySchema.getFieldCount() == 0 || keySchema.getFieldCount() == 1 && valueCoder(keySchema.getField(0).getType()) != null;
  }

  /** The key Row of a key that {@link #byCheapestKey} gave. */
  static Row keyRow(Schema keySchema, @Nullable Object key) {
    if (key instanceof Row) {
      return (Row) key;
    }
    return Row.withSchema(keySchema).attachValues(keyValues(keySchema, key));
  }

  /**
   * The key Row's values of a key that {@link #byCheapestKey} gave: the Row's values, none (no key
   * fields), or the one value. A value key is never a Row: only integer, string and boolean fields
   * key by value.
   */
  static List<Object> keyValues(Schema keySchema, @Nullable Object key) {
    if (key instanceof Row) {
      return ((Row) key).getValues();
    }
    return keySchema.getFieldCount() == 0 ? List.of() : Collections.singletonList(key);
  }

  /** A compact, deterministic coder for a key field of this type, or null. */
  private static @Nullable Coder<Object> valueCoder(FieldType type) {
    switch (type.getTypeName()) {
      case BYTE:
      case INT16:
      case INT32:
      case INT64:
      case STRING:
      case BOOLEAN:
        Coder<Object> coder = SchemaCoder.coderForFieldType(type.withNullable(false));
        return type.getNullable() ? NullableCoder.of(coder) : coder;
      default:
        return null;
    }
  }

  /** The key Row's one value as the key (null for a key Row of no fields). */
  private static final class ByValue extends DoFn<KV<Row, TimestampedValue<Row>>, KV<Object, TimestampedValue<Row>>> {
    @ProcessElement
    public void process(@Element KV<Row, TimestampedValue<Row>> event, OutputReceiver<KV<Object, TimestampedValue<Row>>> out) {
      out.output(KV.of(event.getKey().getFieldCount() == 0 ? null : event.getKey().getValue(0), event.getValue()));
    }
  }

  /** A global aggregate keyed by nothing (null), as {@link #byCheapestKey} keys a key Row of no fields. */
  private static final class WithEmptyKey extends DoFn<Row, KV<Object, Row>> {
    @ProcessElement
    public void process(@Element Row aggregates, OutputReceiver<KV<Object, Row>> out) {
      out.output(KV.of(null, aggregates));
    }
  }
}
