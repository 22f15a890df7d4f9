package dev.streamtemplates.transforms.mapping;

import com.google.auto.value.AutoValue;
import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.core.Names;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import dev.streamtemplates.transforms.expr.ExpressionException;
import dev.streamtemplates.transforms.expr.RowExpression;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Computes new fields from CEL expressions, then selects, drops and renames fields.
 *
 * <pre>{@code
 * Result out = orders.apply(
 *     MapFields.create()
 *         .withField("total", "double(quantity) * price")
 *         .withField("country", "upper(address.country)", FieldType.STRING)
 *         .withDrop("internalNote")
 *         .withRename("id", "orderId"));
 * }</pre>
 *
 * <p>The steps apply in a fixed order whatever order the {@code withX} calls came in: computed
 * fields are evaluated against the input row (a computed field named like an input field replaces
 * it in place; new ones are appended); then {@code select} keeps only the listed fields, in the
 * listed order; then {@code drop} removes fields; then {@code rename} renames them.
 *
 * <p>Element-wise: each output row keeps its input's timestamp, window and pane. Expressions are
 * type-checked against the input schema when the pipeline is built, so a typo fails before launch
 * with the field path, line and column; they are compiled once per worker in {@code @Setup}. A row
 * on which an expression fails at run time (a null, an overflow, a bad conversion) goes to the
 * dead-letter output with the expression's path and CEL's message, and increments the counter
 * {@code dead-letter/<step>}.
 */
public final class MapFields extends PTransform<PCollection<Row>, Result> {

  private static final TupleTag<Row> OUT = new TupleTag<Row>() {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};

  /** A computed field: its expression text and optional declared type. */
  static final class Computed implements Serializable {
    private static final long serialVersionUID = 1L;
    final String expression;
    final @Nullable FieldType type;

    Computed(String expression, @Nullable FieldType type) {
      this.expression = expression;
      this.type = type;
    }
  }

  /** Every setting; immutable, copied with a change by each {@code withX}. */
  @AutoValue
  abstract static class Settings implements Serializable {
    private static final long serialVersionUID = 1L;

    abstract Map<String, Computed> computed();

    abstract List<String> select();

    abstract Set<String> drop();

    abstract Map<String, String> rename();

    abstract String step();

    abstract String origin();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder computed(Map<String, Computed> computed);

      abstract Builder select(List<String> select);

      abstract Builder drop(Set<String> drop);

      abstract Builder rename(Map<String, String> rename);

      abstract Builder step(String step);

      abstract Builder origin(String origin);

      abstract Settings build();
    }
  }

  private final Settings settings;

  private MapFields(Settings settings) {
    this.settings = settings;
  }

  private MapFields with(UnaryOperator<Settings.Builder> change) {
    return new MapFields(change.apply(settings.toBuilder()).build());
  }

  /** A MapFields that changes nothing until configured. */
  public static MapFields create() {
    return new MapFields(new AutoValue_MapFields_Settings.Builder().computed(Map.of()).select(List.of()).drop(Set.of()).rename(Map.of())
        .step("map-fields").origin("fields").build());
  }

  /** Adds (or replaces) field {@code name} with the value of a CEL expression; its type is inferred. */
  @CheckReturnValue
  public MapFields withField(String name, String expression) {
    return withField(name, expression, null);
  }

  /**
   * Adds (or replaces) field {@code name} with a CEL expression whose result is converted to {@code
   * type}; needed when CEL cannot infer it ({@code dyn}), and to narrow, e.g. to INT32. A field
   * with a declared type is nullable.
   */
  @CheckReturnValue
  public MapFields withField(String name, String expression, @Nullable FieldType type) {
    Names.require(name, "field name");
    if (expression == null || expression.isBlank()) {
      throw new IllegalArgumentException("expression for field '" + name + "' must be non-empty, got '" + expression + "'");
    }
    Map<String, Computed> next = new LinkedHashMap<>(settings.computed());
    next.put(name, new Computed(expression, type));
    return with(b -> b.computed(Collections.unmodifiableMap(next)));
  }

  /** Keeps only these fields (input or computed), in this order. */
  @CheckReturnValue
  public MapFields withSelect(String... fields) {
    return withSelect(Arrays.asList(fields));
  }

  @CheckReturnValue
  public MapFields withSelect(List<String> fields) {
    fields.forEach(f -> Names.require(f, "selected field"));
    return with(b -> b.select(List.copyOf(fields)));
  }

  /** Removes these fields. */
  @CheckReturnValue
  public MapFields withDrop(String... fields) {
    return withDrop(Arrays.asList(fields));
  }

  @CheckReturnValue
  public MapFields withDrop(List<String> fields) {
    fields.forEach(f -> Names.require(f, "dropped field"));
    Set<String> next = new LinkedHashSet<>(settings.drop());
    next.addAll(fields);
    return with(b -> b.drop(Collections.unmodifiableSet(next)));
  }

  /** Renames field {@code from} to {@code to}. */
  @CheckReturnValue
  public MapFields withRename(String from, String to) {
    Names.require(from, "renamed field");
    Names.require(to, "new name of '" + from + "'");
    Map<String, String> next = new LinkedHashMap<>(settings.rename());
    next.put(from, to);
    return with(b -> b.rename(Collections.unmodifiableMap(next)));
  }

  /** The step name that dead letters and counters carry. */
  @CheckReturnValue
  public MapFields named(String step) {
    Names.require(step, "step");
    return with(b -> b.step(step));
  }

  /**
   * Where the computed fields were declared, e.g. {@code steps[1].fields}; expression errors are
   * reported as {@code <origin>.<field>: line:column: reason}. Defaults to {@code fields}.
   */
  @CheckReturnValue
  public MapFields withOrigin(String origin) {
    Names.require(origin, "origin");
    return with(b -> b.origin(origin));
  }

  @Override
  public Result expand(PCollection<Row> input) {
    Plan plan = plan(input.getSchema());
    if (plan.expressions.isEmpty()) {
      // Only select, drop and rename, resolved here: nothing can fail, so no dead-letter output
      // (see Result.withoutFailures).
      return Result.withoutFailures(
          input.apply("Map fields", ParDo.of(new ProjectFn(plan))).setRowSchema(plan.outputSchema));
    }
    PCollectionTuple result =
        input.apply("Map fields", ParDo.of(new MapFn(plan, settings.step())).withOutputTags(OUT, TupleTagList.of(FAILURES)));
    return Result.of(
        result.get(OUT).setRowSchema(plan.outputSchema), result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
  }

  /** The output schema for an input schema; checks every expression and field name. */
  public Schema outputSchema(Schema inputSchema) {
    return plan(inputSchema).outputSchema;
  }

  private Plan plan(Schema in) {
    List<String> errors = new ArrayList<>();
    // 1. computed fields, in place or appended
    LinkedHashMap<String, FieldType> fields = new LinkedHashMap<>();
    LinkedHashMap<String, Integer> sources = new LinkedHashMap<>(); // >= 0: input index; < 0: -(computed index) - 1
    for (int i = 0; i < in.getFieldCount(); i++) {
      fields.put(in.getField(i).getName(), in.getField(i).getType());
      sources.put(in.getField(i).getName(), i);
    }
    List<RowExpression> expressions = new ArrayList<>();
    List<FieldType> types = new ArrayList<>();
    for (Map.Entry<String, Computed> e : settings.computed().entrySet()) {
      String path = settings.origin() + "." + e.getKey();
      try {
        RowExpression expression = RowExpression.compile(path, in, e.getValue().expression);
        FieldType type = e.getValue().type;
        if (type == null) {
          type = expression.resultType().orElseThrow(() -> new ExpressionException(
              path + ": the type of '" + e.getValue().expression + "' is " + expression.celResultType()
                  + ", which a field cannot hold; declare the field's type, or convert with int(), double() or string()"));
        } else {
          type = type.withNullable(true);
        }
        sources.put(e.getKey(), -expressions.size() - 1);
        fields.put(e.getKey(), type);
        expressions.add(expression);
        types.add(type);
      } catch (ExpressionException ex) {
        errors.add(ex.getMessage());
      }
    }
    // 2. select
    List<String> names = new ArrayList<>(fields.keySet());
    if (!settings.select().isEmpty()) {
      for (String name : settings.select()) {
        if (!fields.containsKey(name)) {
          errors.add(settings.origin() + ": selected field '" + name + "' does not exist; fields are " + names);
        }
      }
      names = new ArrayList<>(settings.select());
    }
    // 3. drop
    for (String name : settings.drop()) {
      if (!fields.containsKey(name)) {
        errors.add(settings.origin() + ": dropped field '" + name + "' does not exist; fields are " + fields.keySet());
      }
    }
    names.removeAll(settings.drop());
    // 4. rename
    for (String name : settings.rename().keySet()) {
      if (!names.contains(name)) {
        errors.add(settings.origin() + ": renamed field '" + name + "' is not in the output; fields are " + names);
      }
    }
    if (!errors.isEmpty()) {
      throw new ExpressionException(String.join("; ", errors));
    }
    Schema.Builder out = Schema.builder();
    Set<String> seen = new LinkedHashSet<>();
    int[] plan = new int[names.size()];
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      String outName = settings.rename().getOrDefault(name, name);
      if (!seen.add(outName)) {
        throw new IllegalArgumentException(settings.origin() + ": two output fields are named '" + outName + "'");
      }
      out.addField(outName, fields.get(name));
      plan[i] = sources.get(name);
    }
    return new Plan(out.build(), plan, expressions, types);
  }

  /** The resolved mapping: where each output field comes from. Serializable; built at expand time. */
  private static final class Plan implements Serializable {
    private static final long serialVersionUID = 1L;
    final Schema outputSchema;
    final int[] sources;
    final List<RowExpression> expressions;
    final List<FieldType> types;

    Plan(Schema outputSchema, int[] sources, List<RowExpression> expressions, List<FieldType> types) {
      this.outputSchema = outputSchema;
      this.sources = sources;
      this.expressions = expressions;
      this.types = types;
    }
  }

  /** A mapping with no expressions: fields selected, dropped and renamed. */
  private static final class ProjectFn extends DoFn<Row, Row> {
    private final Plan plan;

    ProjectFn(Plan plan) {
      this.plan = plan;
    }

    @ProcessElement
    public void process(@Element Row row, OutputReceiver<Row> out) {
      List<Object> values = new ArrayList<>(plan.sources.length);
      for (int source : plan.sources) {
        values.add(row.getValue(source));
      }
      out.output(Row.withSchema(plan.outputSchema).attachValues(values));
    }
  }

  private static final class MapFn extends DoFn<Row, Row> {
    private final Plan plan;
    private final String step;
    private final Counter failed;
    private transient RowExpression.Compiled[] programs;

    MapFn(Plan plan, String step) {
      this.plan = plan;
      this.step = step;
      this.failed = DeadLetter.counter(step);
    }

    @Setup
    public void setup() {
      programs = new RowExpression.Compiled[plan.expressions.size()];
      for (int i = 0; i < programs.length; i++) {
        programs[i] = plan.expressions.get(i).program();
      }
    }

    @ProcessElement
    public void process(@Element Row row, @Timestamp Instant timestamp, MultiOutputReceiver out) {
      Object[] computedValues = new Object[programs.length];
      for (int i = 0; i < programs.length; i++) {
        try {
          computedValues[i] = programs[i].eval(row, plan.types.get(i));
          if (computedValues[i] == null && !plan.types.get(i).getNullable()) {
            throw new IllegalArgumentException("the result is null");
          }
        } catch (Exception e) {
          failed.inc();
          String reason = programs[i].expression().origin() + ": " + e.getMessage();
          out.get(FAILURES).output(DeadLetter.ofText(step, reason, RowText.json(row), DeadLetter.knownTime(timestamp)));
          return;
        }
      }
      List<Object> values = new ArrayList<>(plan.sources.length);
      for (int source : plan.sources) {
        values.add(source >= 0 ? row.getValue(source) : computedValues[-source - 1]);
      }
      out.get(OUT).output(Row.withSchema(plan.outputSchema).attachValues(values));
    }
  }
}
