package dev.streamtemplates.transforms.aggregate;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.transforms.ApproximateUnique.ApproximateUniqueCombineFn;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.CombineFns;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * All of a window's {@link Aggregation}s as one CombineFn: one pass over the events, one
 * accumulator per aggregate, one output Row with a field per aggregate. Built on Beam's {@code
 * CombineFns.compose()}, so it merges, lifts into partial combines, and works under every
 * windowing Beam has.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
public final class RowAggregateFn extends CombineFn<TimestampedValue<Row>, Object[], Row> {
  /** Sample size of the approximate distinct count: standard error about 2 / sqrt(10000) = 2%. */
  static final int DISTINCT_SAMPLE = 10_000;

  /**
   * Name of the field that the rows of {@link #resultSchema()} end with when some aggregate is an
   * integer sum: the names of the sums that overflowed, or null. {@link WindowedAggregate} sends
   * such a result to the dead-letter output and strips the field from the others.
   */
  static final String OVERFLOW_FIELD = "__overflow";

  private final List<Aggregation> aggregations;
  private final Schema outputSchema;
  private final Schema resultSchema;
  private final CombineFns.ComposedCombineFn<TimestampedValue<Row>> composed;
  private final List<TupleTag<Object>> tags;
  // When every aggregate keeps a Stats (count, sum, min, max, mean, variances): per aggregate the
  // index of its input field, or -1 for count(*). addInput then reads the fields by index and adds
  // them to the Stats straight, as the composed fn would through ToDouble and StatsFn, without a
  // field lookup by name, a boxed Double and a function call per aggregate. Else null.
  private final int @Nullable [] statsFields;

  private RowAggregateFn(List<Aggregation> aggregations, Schema outputSchema, Schema resultSchema,
      CombineFns.ComposedCombineFn<TimestampedValue<Row>> composed, List<TupleTag<Object>> tags, int @Nullable [] statsFields) {
    this.aggregations = aggregations;
    this.outputSchema = outputSchema;
    this.resultSchema = resultSchema;
    this.composed = composed;
    this.tags = tags;
    this.statsFields = statsFields;
  }

  /**
   * Checks the aggregations against the input schema and builds the CombineFn.
   *
   * @throws IllegalArgumentException naming every unknown or non-numeric field and duplicate name
   */
  public static RowAggregateFn of(Schema input, List<Aggregation> aggregations) {
    if (aggregations.isEmpty()) {
      throw new IllegalArgumentException("at least one aggregate is needed");
    }
    List<String> errors = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>();
    Schema.Builder output = Schema.builder();
    CombineFns.ComposeCombineFnBuilder builder = CombineFns.compose();
    CombineFns.ComposedCombineFn<TimestampedValue<Row>> composed = null;
    List<TupleTag<Object>> tags = new ArrayList<>();
    boolean integerSums = false;
    for (Aggregation aggregation : aggregations) {
      if (!names.add(aggregation.name())) {
        errors.add("two aggregates are named '" + aggregation.name() + "'");
        continue;
      }
      String field = aggregation.field();
      FieldType fieldType = null;
      if (field != null) {
        if (!input.hasField(field)) {
          errors.add(aggregation.name() + ": field '" + field + "' is not in the input; fields are " + input.getFieldNames());
          continue;
        }
        fieldType = input.getField(field).getType();
      }
      Aggregation.Function fn = aggregation.function();
      boolean numeric = fn != Aggregation.Function.COUNT && fn != Aggregation.Function.COUNT_DISTINCT
          && fn != Aggregation.Function.APPROX_COUNT_DISTINCT && fn != Aggregation.Function.FIRST && fn != Aggregation.Function.LAST
          && !ranked(fn);
      if (ranked(fn) && !ordered(fieldType)) {
        errors.add(aggregation.name() + ": " + fn.name().toLowerCase() + " needs a field with an order (a number, text or time), but '"
            + field + "' is a " + fieldType.getTypeName());
        continue;
      }
      if (numeric && !fieldType.getTypeName().isNumericType()) {
        errors.add(aggregation.name() + ": " + fn.name().toLowerCase() + " needs a numeric field, but '" + field + "' is a " + fieldType.getTypeName());
        continue;
      }
      TupleTag<Object> tag = new TupleTag<>(aggregation.name());
      tags.add(tag);
      Coder<Object> valueCoder = fieldType == null ? null : SchemaCoder.coderForFieldType(fieldType.withNullable(false));
      if (fn == Aggregation.Function.SUM && isInteger(fieldType)) {
        composed = with(builder, composed, new ToLong(field), NullableCoder.of(VarLongCoder.of()), new AggregateFns.IntegerSumFn(), tag);
        output.addField(aggregation.name(), FieldType.INT64.withNullable(true));
        integerSums = true;
        continue;
      }
      if (keepsStats(fn)) {
        composed = with(builder, composed, new ToDouble(field), NullableCoder.of(DoubleCoder.of()), new AggregateFns.StatsFn(fn), tag);
        output.addField(aggregation.name(), fn == Aggregation.Function.COUNT ? FieldType.INT64 : FieldType.DOUBLE.withNullable(true));
        continue;
      }
      switch (fn) {
        case COUNT_DISTINCT:
          composed = with(builder, composed, new ToValue(field), NullableCoder.of(valueCoder), new AggregateFns.DistinctFn(valueCoder), tag);
          output.addField(aggregation.name(), FieldType.INT64);
          break;
        case APPROX_COUNT_DISTINCT:
          composed = with(builder, composed, new ToValue(field), NullableCoder.of(valueCoder),
              new AggregateFns.SkipNulls(new ApproximateUniqueCombineFn<>(DISTINCT_SAMPLE, valueCoder), valueCoder), tag);
          output.addField(aggregation.name(), FieldType.INT64);
          break;
        case QUANTILE:
        case MEDIAN:
          composed = with(builder, composed, new ToDouble(field), NullableCoder.of(DoubleCoder.of()), new QuantileFn(aggregation.quantile()), tag);
          output.addField(aggregation.name(), FieldType.DOUBLE.withNullable(true));
          break;
        case FIRST:
        case LAST:
          composed = with(builder, composed, new ToTimedValue(field), KvCoder.of(VarLongCoder.of(), NullableCoder.of(valueCoder)),
              new AggregateFns.FirstLastFn(fn == Aggregation.Function.LAST, valueCoder), tag);
          output.addField(aggregation.name(), fieldType.withNullable(true));
          break;
        case LARGEST:
        case SMALLEST:
          // Beam's Top keeps a bounded heap of the n first values; it merges exactly, so it also runs on sliding slices.
          composed = with(builder, composed, new ToValue(field), NullableCoder.of(valueCoder), new AggregateFns.SkipNulls(
              new Top.TopCombineFn(aggregation.limit(), fn == Aggregation.Function.LARGEST ? new Top.Natural() : new Top.Reversed()),
              valueCoder), tag);
          output.addField(aggregation.name(), FieldType.array(fieldType.withNullable(false)));
          break;
        default:
          throw new IllegalStateException(fn.name());
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
    Schema outputSchema = output.build();
    Schema resultSchema = !integerSums ? outputSchema
        : Schema.builder().addFields(outputSchema.getFields()).addNullableField(OVERFLOW_FIELD, FieldType.STRING).build();
    return new RowAggregateFn(List.copyOf(aggregations), outputSchema, resultSchema, composed, tags, statsFields(input, aggregations));
  }

  private static boolean ranked(Aggregation.Function fn) {
    return fn == Aggregation.Function.LARGEST || fn == Aggregation.Function.SMALLEST;
  }

  /** Whether values of the type compare in a natural order that Beam's Top can use. */
  private static boolean ordered(FieldType type) {
    switch (type.getTypeName()) {
      case BYTE:
      case INT16:
      case INT32:
      case INT64:
      case FLOAT:
      case DOUBLE:
      case DECIMAL:
      case STRING:
      case DATETIME:
        return true;
      default:
        return false;
    }
  }

  private static boolean isInteger(FieldType type) {
    switch (type.getTypeName()) {
      case BYTE:
      case INT16:
      case INT32:
      case INT64:
        return true;
      default:
        return false;
    }
  }

  private static int @Nullable [] statsFields(Schema input, List<Aggregation> aggregations) {
    int[] fields = new int[aggregations.size()];
    for (int i = 0; i < fields.length; i++) {
      Aggregation aggregation = aggregations.get(i);
      if (!keepsStats(aggregation.function())
          || (aggregation.function() == Aggregation.Function.SUM && isInteger(input.getField(aggregation.field()).getType()))) {
        return null;
      }
      fields[i] = aggregation.field() == null ? -1 : input.indexOf(aggregation.field());
    }
    return fields;
  }

  private static boolean keepsStats(Aggregation.Function fn) {
    switch (fn) {
      case COUNT:
      case SUM:
      case MIN:
      case MAX:
      case MEAN:
      case VAR_POP:
      case VAR_SAMP:
      case STDDEV_POP:
      case STDDEV_SAMP:
        return true;
      default:
        return false;
    }
  }

  private static CombineFns.ComposedCombineFn<TimestampedValue<Row>> with(
      CombineFns.ComposeCombineFnBuilder builder, CombineFns.ComposedCombineFn<TimestampedValue<Row>> composed,
      SimpleFunction extract, Coder coder, CombineFn fn, TupleTag tag) {
    return composed == null ? builder.with(extract, coder, fn, tag) : composed.with(extract, coder, fn, tag);
  }

  /** The schema of the aggregates row: one field per aggregate, in order. */
  public Schema outputSchema() {
    return outputSchema;
  }

  /**
   * The schema of the rows {@link #extractOutput} returns: {@link #outputSchema()}, then, when
   * some aggregate is an integer sum, {@link #OVERFLOW_FIELD}.
   */
  public Schema resultSchema() {
    return resultSchema;
  }

  /** The names of the integer sums that overflowed in a result row, or null. */
  static @Nullable String overflowIn(Row result) {
    return result.getSchema().hasField(OVERFLOW_FIELD) ? result.getString(OVERFLOW_FIELD) : null;
  }

  public List<Aggregation> aggregations() {
    return aggregations;
  }

  @Override
  public Object[] createAccumulator() {
    return composed.createAccumulator();
  }

  @Override
  public Object[] addInput(Object[] accumulator, TimestampedValue<Row> input) {
    if (statsFields == null) {
      return composed.addInput(accumulator, input);
    }
    Row row = input.getValue();
    for (int i = 0; i < statsFields.length; i++) {
      int field = statsFields[i];
      if (field < 0) {
        ((Stats) accumulator[i]).add(1.0);
      } else {
        Object value = row.getValue(field);
        if (value != null) {
          ((Stats) accumulator[i]).add(((Number) value).doubleValue());
        }
      }
    }
    return accumulator;
  }

  @Override
  public Object[] mergeAccumulators(Iterable<Object[]> accumulators) {
    return composed.mergeAccumulators(accumulators);
  }

  @Override
  public Row extractOutput(Object[] accumulator) {
    CombineFns.CoCombineResult result = composed.extractOutput(accumulator);
    List<Object> values = new ArrayList<>(resultSchema.getFieldCount());
    List<String> overflowed = new ArrayList<>();
    for (int i = 0; i < tags.size(); i++) {
      Object value = result.get(tags.get(i));
      if (value == AggregateFns.OVERFLOW) {
        overflowed.add(aggregations.get(i).name());
        value = null;
      }
      values.add(value);
    }
    if (resultSchema != outputSchema) {
      values.add(overflowed.isEmpty() ? null : String.join(", ", overflowed));
    }
    return Row.withSchema(resultSchema).attachValues(values);
  }

  @Override
  public Coder<Object[]> getAccumulatorCoder(CoderRegistry registry, Coder<TimestampedValue<Row>> inputCoder)
      throws CannotProvideCoderException {
    return composed.getAccumulatorCoder(registry, inputCoder);
  }

  /** The aggregates row's coder, which Beam cannot infer for a Row (inner steps of {@code Combine.globally} need it). */
  @Override
  public Coder<Row> getDefaultOutputCoder(CoderRegistry registry, Coder<TimestampedValue<Row>> inputCoder) {
    return SchemaCoder.of(outputSchema);
  }

  /** A numeric field as a double, null when null; COUNT(*) counts every row as 1. */
  private static final class ToDouble extends SimpleFunction<TimestampedValue<Row>, Double> {
    private final @Nullable String field;

    ToDouble(@Nullable String field) {
      this.field = field;
    }

    @Override
    public @Nullable Double apply(TimestampedValue<Row> event) {
      if (field == null) {
        return 1.0;
      }
      Object value = event.getValue().getValue(field);
      return value == null ? null : ((Number) value).doubleValue();
    }
  }

  /** An integer field as a long, null when null. */
  private static final class ToLong extends SimpleFunction<TimestampedValue<Row>, Long> {
    private final String field;

    ToLong(String field) {
      this.field = field;
    }

    @Override
    public @Nullable Long apply(TimestampedValue<Row> event) {
      Object value = event.getValue().getValue(field);
      return value == null ? null : ((Number) value).longValue();
    }
  }

  private static final class ToValue extends SimpleFunction<TimestampedValue<Row>, Object> {
    private final String field;

    ToValue(String field) {
      this.field = field;
    }

    @Override
    public @Nullable Object apply(TimestampedValue<Row> event) {
      return event.getValue().getValue(field);
    }
  }

  private static final class ToTimedValue extends SimpleFunction<TimestampedValue<Row>, KV<Long, Object>> {
    private final String field;

    ToTimedValue(String field) {
      this.field = field;
    }

    @Override
    public KV<Long, Object> apply(TimestampedValue<Row> event) {
      return KV.of(event.getTimestamp().getMillis(), event.getValue().getValue(field));
    }
  }
}
