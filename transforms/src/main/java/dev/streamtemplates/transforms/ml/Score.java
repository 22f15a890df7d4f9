package dev.streamtemplates.transforms.ml;

import com.google.errorprone.annotations.CheckReturnValue;
import dev.streamtemplates.transforms.core.Names;
import dev.streamtemplates.transforms.core.Result;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.deadletter.RowText;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.Schema.TypeName;
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
import org.pmml4s.metadata.Field;
import org.pmml4s.model.Model;

/**
 * Scores each row with a pre-trained PMML model (evaluated by pmml4s, Apache-2.0) and adds the
 * prediction, and for a classification model each class's probability, to the row.
 *
 * <pre>{@code
 * Result scored = readings.apply(
 *     Score.modelFile("models/defect.pmml")
 *         .withInputs(Map.of("vibration", "vib_mm_s"))   // model input -> row field; default same name
 *         .named("defect"));
 * }</pre>
 *
 * <p>Output rows are the input row plus {@code prediction} (the predicted class, typed as the
 * model's target: STRING, INT64, DOUBLE or BOOLEAN; for a regression the predicted value as
 * DOUBLE) and, for a classification, {@code probability_<class>} per class (nullable DOUBLE; the
 * class name with every character that is not a letter, digit or {@code _} made {@code _}).
 *
 * <p>The model file is read <b>once, in the main program, at construction</b>: its bytes are
 * checked (well-formed XML without a DTD, a PMML model pmml4s reads, a classification or
 * regression with one target), its inputs and outputs give the output schema, and the bytes then
 * travel in the serialized transform. Each {@code DoFn} instance parses them once in
 * {@code @Setup}. So workers never need the file (a Flink or Spark cluster need not see the
 * launcher's disk), and the model that runs is the one checked at launch, even if the file changes
 * afterwards. Models are limited to 64 MiB for that reason.
 *
 * <p>The rows' schema is checked when the transform is applied: every model input must be a row
 * field (by the same name, or mapped with {@link #withInputs}) of a compatible type (a numeric
 * field for a double, float or integer input; STRING for string; BOOLEAN for boolean), and the
 * added fields must not be row fields already.
 *
 * <p>A row the model cannot score goes to the dead-letter output, naming the model input and the
 * field: a null input (pmml4s would otherwise score it as missing, silently taking a default
 * branch), a NaN or infinite number, a value outside the model's valid values or intervals, an
 * evaluation error, or no prediction from the model. Stateless and element-wise: each row keeps
 * its timestamp and window. Counters: {@code records/<step>-scored}, {@code dead-letter/<step>}.
 */
public final class Score extends PTransform<PCollection<Row>, Result> {
  /** The default name of the field holding the prediction. */
  public static final String PREDICTION = "prediction";
  /** Prefix of the class probability fields. */
  public static final String PROBABILITY_PREFIX = "probability_";

  private static final TupleTag<Row> SCORED = new TupleTag<Row>() {};
  private static final TupleTag<Row> FAILURES = new TupleTag<Row>() {};

  private final PmmlModel model;
  private final Map<String, String> inputs;
  private final String predictionField;
  private final boolean probabilities;
  private final String step;
  private final String rowsDescription;

  private Score(PmmlModel model, Map<String, String> inputs, String predictionField, boolean probabilities, String step, String rowsDescription) {
    this.model = model;
    this.inputs = inputs;
    this.predictionField = predictionField;
    this.probabilities = probabilities;
    this.step = step;
    this.rowsDescription = rowsDescription;
  }

  /** A model read from a PMML file now; an {@link IllegalArgumentException} naming the file if it is missing or not a model Score can use. */
  public static Score modelFile(String path) {
    return new Score(PmmlModel.fromFile(Names.require(path, "model file")), Map.of(), PREDICTION, true, "score", "the rows");
  }

  /** A model given as the bytes of a PMML document; {@code source} names it in messages. */
  public static Score model(byte[] pmml, String source) {
    return new Score(PmmlModel.of(pmml, Names.require(source, "model source")), Map.of(), PREDICTION, true, "score", "the rows");
  }

  /** Model input name to row field, for the inputs whose field has another name; the others are read from fields of their own name. */
  @CheckReturnValue
  public Score withInputs(Map<String, String> modelInputToField) {
    Set<String> names = model.inputsByName().keySet();
    List<String> errors = new ArrayList<>();
    modelInputToField.forEach((input, field) -> {
      Names.require(field, "field of model input '" + input + "'");
      if (!names.contains(input)) {
        errors.add("the model has no input '" + input + "'; its inputs are " + names);
      }
    });
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
    return new Score(model, Map.copyOf(modelInputToField), predictionField, probabilities, step, rowsDescription);
  }

  /** The name of the field holding the prediction (default {@code prediction}). */
  @CheckReturnValue
  public Score withPredictionField(String field) {
    return new Score(model, inputs, Names.require(field, "prediction field"), probabilities, step, rowsDescription);
  }

  /** Whether to add {@code probability_<class>} fields for a classification model (default true). */
  @CheckReturnValue
  public Score withProbabilities(boolean add) {
    return new Score(model, inputs, predictionField, add, step, rowsDescription);
  }

  /** The step name that dead letters and counters carry. */
  @CheckReturnValue
  public Score named(String name) {
    return new Score(model, inputs, predictionField, probabilities, Names.require(name, "step"), rowsDescription);
  }

  /** How messages call the input rows, e.g. {@code the rows of 'readings'} (default {@code the rows}). */
  @CheckReturnValue
  public Score describingRowsAs(String description) {
    return new Score(model, inputs, predictionField, probabilities, step, Names.require(description, "rows description"));
  }

  /** The model's input names, in the model's order. */
  public List<String> modelInputs() {
    return model.inputs.stream().map(PmmlModel.Input::name).toList();
  }

  /** Whether the model is a regression (else a classification). */
  public boolean isRegression() {
    return model.regression;
  }

  /** The classes of a classification model, as text, in the model's order; empty for a regression. */
  public List<String> classes() {
    return List.copyOf(model.probabilityOutputs.keySet());
  }

  /** The field name of a class's probability: {@code probability_} and the class, each character not a letter, digit or {@code _} made {@code _}. */
  public static String probabilityField(String className) {
    StringBuilder name = new StringBuilder(PROBABILITY_PREFIX);
    for (int i = 0; i < className.length(); i++) {
      char c = className.charAt(i);
      name.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
    }
    return name.toString();
  }

  /** The row field each model input is read from. */
  private String fieldOf(String modelInput) {
    return inputs.getOrDefault(modelInput, modelInput);
  }

  /** The output schema for rows of {@code input}: the input's fields, the prediction, the probabilities; an {@link IllegalArgumentException} naming every problem otherwise. */
  public Schema outputSchema(Schema input) {
    List<String> errors = new ArrayList<>();
    for (PmmlModel.Input in : model.inputs) {
      String field = fieldOf(in.name());
      boolean mapped = inputs.containsKey(in.name());
      if (!input.hasField(field)) {
        errors.add(mapped
            ? "model input '" + in.name() + "' is mapped to field '" + field + "', which " + rowsDescription + " do not have; fields are " + input.getFieldNames()
            : "the model needs input '" + in.name() + "', which " + rowsDescription + " do not have; map it with inputs: {" + in.name() + ": <field>}"
                + " (fields are " + input.getFieldNames() + ")");
        continue;
      }
      FieldType type = input.getField(field).getType();
      if (!compatible(in.kind(), type.getTypeName())) {
        errors.add("model input '" + in.name() + "' is a " + in.dataType() + ", but field '" + field + "' of " + rowsDescription + " is a "
            + type.getTypeName() + "; " + expected(in.kind()));
      }
    }
    Schema.Builder out = Schema.builder().addFields(input.getFields());
    List<String> added = new ArrayList<>();
    added.add(predictionField);
    out.addField(predictionField, predictionType());
    if (probabilities && !model.regression) {
      Map<String, String> byField = new HashMap<>();
      for (String className : model.probabilityOutputs.keySet()) {
        String name = probabilityField(className);
        String other = byField.put(name, className);
        if (other != null) {
          errors.add("classes '" + other + "' and '" + className + "' both make the field name '" + name + "'; rename a class in the model, or drop probabilities");
          continue;
        }
        added.add(name);
        out.addNullableField(name, FieldType.DOUBLE);
      }
    }
    for (String name : added) {
      if (input.hasField(name)) {
        errors.add(rowsDescription + " already have a field named '" + name + "'; rename it first"
            + (name.equals(predictionField) ? ", or name the prediction otherwise (prediction: <name>)" : ""));
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
    return out.build();
  }

  private FieldType predictionType() {
    if (model.regression) {
      return FieldType.DOUBLE;
    }
    switch (model.targetDataType.toLowerCase(Locale.ROOT)) {
      case "integer":
        return FieldType.INT64;
      case "double":
      case "float":
      case "real":
        return FieldType.DOUBLE;
      case "boolean":
        return FieldType.BOOLEAN;
      default:
        return FieldType.STRING;
    }
  }

  private static boolean compatible(PmmlModel.Kind kind, TypeName type) {
    switch (kind) {
      case NUMBER:
      case INTEGER:
        return type.isNumericType();
      case STRING:
        return type == TypeName.STRING;
      default:
        return type == TypeName.BOOLEAN;
    }
  }

  private static String expected(PmmlModel.Kind kind) {
    switch (kind) {
      case NUMBER:
      case INTEGER:
        return "give it a numeric field (convert the text first, e.g. with MapFields: double(<field>))";
      case STRING:
        return "give it a STRING field (e.g. with MapFields: string(<field>))";
      default:
        return "give it a BOOLEAN field";
    }
  }

  @Override
  public Result expand(PCollection<Row> input) {
    Schema schema = outputSchema(input.getSchema());
    List<String> fields = new ArrayList<>();
    for (PmmlModel.Input in : model.inputs) {
      fields.add(fieldOf(in.name()));
    }
    int[] positions = fields.stream().mapToInt(input.getSchema()::indexOf).toArray();
    PCollectionTuple result = input.apply("Score with " + model.source,
        ParDo.of(new ScoreFn(model, fields, positions, probabilities, schema, schema.getField(predictionField).getType(), step))
            .withOutputTags(SCORED, TupleTagList.of(FAILURES)));
    return Result.of(result.get(SCORED).setRowSchema(schema), result.get(FAILURES).setRowSchema(DeadLetter.SCHEMA));
  }

  /** Why a row cannot be scored. */
  private static final class Unscorable extends Exception {
    private static final long serialVersionUID = 1L;

    Unscorable(String message) {
      super(message, null, false, false);
    }
  }

  private static final class ScoreFn extends DoFn<Row, Row> {
    private final PmmlModel model;
    private final List<String> fields;
    /** Where each model input's field is in the input rows, so that a row is read by position, not by name. */
    private final int[] positions;
    private final boolean probabilities;
    private final Schema schema;
    private final FieldType predictionType;
    private final String step;
    private final Counter scored;
    private final Counter failed;
    private transient Model evaluator;
    private transient Field[] modelFields;
    private transient String[] inputNames;
    private transient boolean[] checkValid;
    private transient long scoredInBundle;

    ScoreFn(PmmlModel model, List<String> fields, int[] positions, boolean probabilities, Schema schema, FieldType predictionType, String step) {
      this.model = model;
      this.fields = fields;
      this.positions = positions;
      this.probabilities = probabilities;
      this.schema = schema;
      this.predictionType = predictionType;
      this.step = step;
      this.scored = Metrics.counter("records", step + "-scored");
      this.failed = DeadLetter.counter(step);
    }

    @Setup
    public void setup() {
      evaluator = PmmlModel.load(model.bytes, model.source);
      modelFields = new Field[model.inputs.size()];
      inputNames = new String[modelFields.length];
      checkValid = new boolean[modelFields.length];
      for (int i = 0; i < modelFields.length; i++) {
        inputNames[i] = model.inputs.get(i).name();
        modelFields[i] = evaluator.field(inputNames[i]);
        checkValid[i] = model.declaredValid.contains(inputNames[i]);
      }
    }

    @StartBundle
    public void startBundle() {
      scoredInBundle = 0;
    }

    @FinishBundle
    public void finishBundle() {
      scored.inc(scoredInBundle);
    }

    @ProcessElement
    public void process(@Element Row row, @Timestamp Instant timestamp, MultiOutputReceiver out) {
      try {
        out.get(SCORED).output(score(row));
        scoredInBundle++;
      } catch (Unscorable e) {
        failed.inc();
        out.get(FAILURES).output(DeadLetter.ofText(step, e.getMessage(), RowText.json(row), DeadLetter.knownTime(timestamp)));
      }
    }

    private Row score(Row row) throws Unscorable {
      Map<String, Object> values = new HashMap<>(2 * modelFields.length);
      for (int i = 0; i < modelFields.length; i++) {
        PmmlModel.Input input = model.inputs.get(i);
        Object value = modelValue(input, fields.get(i), row.getValue(positions[i]));
        if (checkValid[i] && !modelFields[i].isValidValue(value)) {
          throw new Unscorable(what(input, fields.get(i)) + value + " is not a valid value for the model" + validValues(modelFields[i]));
        }
        values.put(inputNames[i], value);
      }
      Map<String, Object> result;
      try {
        result = evaluator.predict(values);
      } catch (Exception e) { // pmml4s (Scala) also throws checked exceptions
        throw new Unscorable("the model '" + model.source + "' failed on this row: " + PmmlModel.reason(e));
      }
      Object predicted = result.get(model.predictedOutput);
      if (predicted == null || (predicted instanceof Double && ((Double) predicted).isNaN())) {
        for (int i = 0; i < modelFields.length; i++) {
          Object value = values.get(model.inputs.get(i).name());
          if (!modelFields[i].isValidValue(value)) {
            throw new Unscorable("the model '" + model.source + "' gave no prediction for this row: pmml4s takes " + what(model.inputs.get(i), fields.get(i))
                + value + " as invalid" + validValues(modelFields[i]) + "; declare the field's values in the model's DataDictionary");
          }
        }
        throw new Unscorable("the model '" + model.source + "' gave no prediction for this row (no branch or rule of the model applies)");
      }
      Row.Builder scoredRow = Row.withSchema(schema).addValues(row.getValues());
      scoredRow.addValue(prediction(predicted));
      if (probabilities && !model.regression) {
        for (String output : model.probabilityOutputs.values()) {
          Object p = output == null ? null : result.get(output);
          scoredRow.addValue(p instanceof Number && !Double.isNaN(((Number) p).doubleValue()) ? ((Number) p).doubleValue() : null);
        }
      }
      return scoredRow.build();
    }

    private static String what(PmmlModel.Input input, String field) {
      return input.name().equals(field)
          ? "model input '" + input.name() + "': "
          : "model input '" + input.name() + "' (field '" + field + "'): ";
    }

    private static Object modelValue(PmmlModel.Input input, String field, @Nullable Object value) throws Unscorable {
      if (value == null) {
        throw new Unscorable(what(input, field) + "null; the model needs a value");
      }
      switch (input.kind()) {
        case NUMBER:
        case INTEGER: {
          if (input.kind() == PmmlModel.Kind.INTEGER && (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte)) {
            return ((Number) value).longValue();
          }
          double d = value instanceof BigDecimal ? ((BigDecimal) value).doubleValue() : ((Number) value).doubleValue();
          if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new Unscorable(what(input, field) + value + " is not a finite number");
          }
          return d;
        }
        default:
          return value;
      }
    }

    private static String validValues(Field field) {
      if (field.validValues().length > 0) {
        return " (valid: " + Arrays.toString(field.validValues()) + ")";
      }
      if (field.intervals().length > 0) {
        return " (valid: " + Arrays.toString(field.intervals()) + ")";
      }
      return "";
    }

    private Object prediction(Object predicted) throws Unscorable {
      FieldType type = predictionType;
      try {
        switch (type.getTypeName()) {
          case DOUBLE:
            return ((Number) predicted).doubleValue();
          case INT64:
            return ((Number) predicted).longValue();
          case BOOLEAN:
            return predicted instanceof Boolean ? predicted : Boolean.parseBoolean(predicted.toString());
          default:
            return predicted.toString();
        }
      } catch (ClassCastException e) {
        throw new Unscorable("the model '" + model.source + "' predicted " + predicted + ", which is not a " + type.getTypeName());
      }
    }
  }
}
