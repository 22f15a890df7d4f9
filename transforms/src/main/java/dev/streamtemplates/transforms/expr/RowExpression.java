package dev.streamtemplates.transforms.expr;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.CelType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.NullableType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.compiler.CelCompilerLibrary;
import dev.cel.extensions.CelExtensions;
import dev.cel.extensions.CelStringExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.cel.runtime.CelRuntimeLibrary;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A CEL expression over the fields of a Beam {@link Row}, type-checked against the row's schema.
 *
 * <p>Every field whose name is a CEL identifier is a variable of its own type, e.g. {@code
 * quantity * price}; the whole row is also available as {@code event}, a {@code map(string, dyn)},
 * e.g. {@code event['unit price']}. Besides the standard library, CEL's extension libraries for
 * strings ({@code upperAscii}, {@code split}, {@code substring}, ...), math ({@code math.round},
 * {@code math.abs}, ...) and sets are available,
 * without the functions that could grow a value exponentially (see {@link #EXTENSIONS}).
 *
 * <pre>{@code
 * RowExpression total = RowExpression.compile("steps[1].fields.total", schema, "quantity * price");
 * // in @Setup:   RowExpression.Compiled program = total.program();
 * // per element: Object value = program.eval(row);
 * }</pre>
 *
 * <p>This object is serializable and holds only the source text and types. {@link #program()}
 * compiles the expression into an evaluable program; call it once per DoFn instance in
 * {@code @Setup}, never per element.
 *
 * <p>CEL is a sandbox by design: no reflection, no I/O, no loops beyond bounded comprehensions,
 * and RE2 regular expressions that run in linear time. On top of that, {@link #LIMITS} caps the
 * expression's size, nesting and comprehension iterations, so every evaluation terminates quickly.
 */
public final class RowExpression implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The name under which the whole input row is visible, as a map. */
  public static final String EVENT = "event";

  /** Bounds that keep a hostile expression from taking unbounded work. */
  public static final CelOptions LIMITS =
      CelOptions.current()
          .maxExpressionCodePointSize(20_000)
          .maxParseRecursionDepth(64)
          .comprehensionMaxIterations(10_000)
          .maxRegexProgramSize(5_000)
          .enableTimestampEpoch(true)
          .enableHeterogeneousNumericComparisons(true)
          .build();

  /**
   * The functions of CEL's strings extension offered to every expression, with its math and sets
   * extensions. Functions whose output can grow exponentially with a short expression are left
   * out, because CEL has no output-size limit ({@link ValueBounds} bounds only concatenation and
   * {@code join}): {@code replace} (chained, each call can double a
   * string), the lists extension ({@code lists.range} allocates a list of any length, and
   * cel-java 0.11 does not let us pick its other functions alone), and the base64 and regex
   * extensions ({@code base64.encode} and {@code regex.replace} chain the same way).
   */
  private static final List<CelStringExtensions.Function> STRING_FUNCTIONS =
      List.of(
          CelStringExtensions.Function.CHAR_AT,
          CelStringExtensions.Function.INDEX_OF,
          CelStringExtensions.Function.JOIN,
          CelStringExtensions.Function.LAST_INDEX_OF,
          CelStringExtensions.Function.LOWER_ASCII,
          CelStringExtensions.Function.SPLIT,
          CelStringExtensions.Function.SUBSTRING,
          CelStringExtensions.Function.TRIM,
          CelStringExtensions.Function.UPPER_ASCII);

  private static final List<CelCompilerLibrary> COMPILER_EXTENSIONS =
      List.of(
          CelExtensions.strings(STRING_FUNCTIONS.toArray(CelStringExtensions.Function[]::new)),
          CelExtensions.math(LIMITS),
          CelExtensions.sets(LIMITS));

  /**
   * The same extensions at run time, but {@code join} comes from {@link ValueBounds}, which
   * bounds the size of the string it builds.
   */
  private static final List<CelRuntimeLibrary> RUNTIME_EXTENSIONS =
      List.of(
          CelExtensions.strings(
              STRING_FUNCTIONS.stream()
                  .filter(f -> f != CelStringExtensions.Function.JOIN)
                  .toArray(CelStringExtensions.Function[]::new)),
          CelExtensions.math(LIMITS),
          CelExtensions.sets(LIMITS));

  private static final Pattern NO_OVERLOAD = Pattern.compile("No matching overload for function '([^']+)'");
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Set<String> RESERVED =
      Set.of(
          "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
          "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
          "void", "while");

  private final String origin;
  private final Schema schema;
  private final String text;
  private final @Nullable FieldType resultType;
  private final String celResultType;
  private final List<String> referencedFields;

  private RowExpression(
      String origin,
      Schema schema,
      String text,
      @Nullable FieldType resultType,
      String celResultType,
      List<String> referencedFields) {
    this.origin = origin;
    this.schema = schema;
    this.text = text;
    this.resultType = resultType;
    this.celResultType = celResultType;
    this.referencedFields = referencedFields;
  }

  /**
   * Parses and type-checks {@code text} against {@code schema}.
   *
   * @param origin where the expression comes from, e.g. {@code steps[1].fields.total}; it prefixes
   *     every error message
   * @throws ExpressionException naming the origin, line and column of each error
   */
  public static RowExpression compile(String origin, Schema schema, String text) {
    if (text == null || text.isBlank()) {
      throw new ExpressionException(origin + ": the expression is empty");
    }
    CelValidationResult result = compiler(schema).compile(text);
    if (result.hasError()) {
      throw new ExpressionException(errors(origin, result));
    }
    CelAbstractSyntaxTree ast;
    try {
      ast = result.getAst();
    } catch (Exception e) {
      throw new ExpressionException(origin + ": " + e.getMessage());
    }
    LiteralRegexes.check(origin, ast);
    CelType type = ast.getResultType();
    if (type instanceof NullableType nullable) {
      type = nullable.targetType(); // a nullable field's value: its type, which may be null (as any result may)
    }
    java.util.Set<String> referenced = new java.util.TreeSet<>();
    for (dev.cel.common.ast.CelReference reference : ast.getReferenceMap().values()) {
      if (schema.hasField(reference.name())) {
        referenced.add(reference.name());
      } else if (EVENT.equals(reference.name())) {
        referenced.addAll(schema.getFieldNames());
      }
    }
    return new RowExpression(origin, schema, text, CelTypes.toBeam(type), type.name(), List.copyOf(referenced));
  }

  /** Where this expression came from, e.g. a spec path. */
  public String origin() {
    return origin;
  }

  public String text() {
    return text;
  }

  /** The Beam type of the result, or empty when CEL cannot tell it statically (e.g. {@code dyn}). */
  public Optional<FieldType> resultType() {
    return Optional.ofNullable(resultType);
  }

  /** CEL's name for the result type, for error messages. */
  public String celResultType() {
    return celResultType;
  }

  /** The input fields the expression reads (all of them when it uses {@code event}). */
  public List<String> referencedFields() {
    return referencedFields;
  }

  /** Requires a boolean result, as for a condition. */
  public RowExpression requireBoolean() {
    if (!"bool".equals(celResultType) && !"dyn".equals(celResultType)) {
      throw new ExpressionException(
          origin + ": a condition must be a bool, but '" + text + "' is a " + celResultType);
    }
    return this;
  }

  /**
   * Whether this condition gives true or false for every row of its schema, never an error, so
   * that a Filter needs no dead-letter output: comparisons of fields with literals joined by
   * {@code &&} and {@code ||} (the {@link RowPredicate} fast path, fields of nested records
   * included), which are evaluated straight on a row whose fields are set, and which read as false
   * where a field or a record on the way to it is null (missing data).
   */
  public boolean conditionCannotFail() {
    if (!"bool".equals(celResultType) || schema.hasField(EVENT)) {
      return false;
    }
    try {
      return RowPredicate.ofFieldVariables(compiler(schema).compile(text).getAst().getExpr(), schema).isPresent();
    } catch (Exception e) {
      return false;
    }
  }

  /** Compiles the evaluable program. Call once per DoFn instance, in {@code @Setup}. */
  public Compiled program() {
    try {
      CelAbstractSyntaxTree ast = compiler(schema).compile(text).getAst();
      boolean fieldVariables = !schema.hasField(EVENT);
      RowPredicate fast = "bool".equals(celResultType) && fieldVariables
          ? RowPredicate.ofFieldVariables(ast.getExpr(), schema).orElse(null) : null;
      RowArithmetic arithmetic = ("int".equals(celResultType) || "double".equals(celResultType)) && fieldVariables
          ? RowArithmetic.of(ast.getExpr(), schema).orElse(null) : null;
      return new Compiled(this, program(ast), fast, arithmetic);
    } catch (Exception e) {
      throw new ExpressionException(origin + ": " + e.getMessage());
    }
  }

  private static CelCompiler compiler(Schema schema) {
    CelCompilerBuilder builder = compilerBuilder();
    boolean eventIsAField = false;
    for (Schema.Field field : schema.getFields()) {
      if (isIdentifier(field.getName())) {
        builder.addVar(field.getName(), variableType(field.getType()));
      }
      eventIsAField |= field.getName().equals(EVENT);
    }
    if (!eventIsAField) {
      builder.addVar(EVENT, MapType.create(SimpleType.STRING, SimpleType.DYN));
    }
    return builder.build();
  }

  /**
   * The CEL type of a field's variable. A nullable field of a scalar type is CEL's nullable
   * (wrapper) type of it, as a {@code google.protobuf.StringValue} field would be: then {@code s
   * == null} and {@code s != null} type-check (a plain {@code string} is never null to CEL's
   * checker, which refused them), and {@code s} still goes wherever a string goes ({@code
   * size(s)}, {@code s + 'x'}, {@code s == 'x'}). Timestamps, records, lists and maps have no
   * nullable form in CEL; {@code event.at == null} works for them, {@code event} being a map.
   */
  static CelType variableType(FieldType type) {
    CelType cel = CelTypes.toCel(type);
    boolean scalar = cel == SimpleType.STRING || cel == SimpleType.INT || cel == SimpleType.DOUBLE
        || cel == SimpleType.BOOL || cel == SimpleType.BYTES;
    return Boolean.TRUE.equals(type.getNullable()) && scalar ? NullableType.create(cel) : cel;
  }

  /** Up to five of CEL's errors, each prefixed with the origin and a 1-based line:column. */
  static String errors(String origin, CelValidationResult result) {
    StringBuilder message = new StringBuilder();
    int shown = 0;
    for (CelIssue issue : result.getErrors()) {
      if (shown++ == 5) {
        message.append("; and ").append(result.getErrors().size() - 5).append(" more errors in ").append(origin);
        break;
      }
      if (message.length() > 0) {
        message.append("; ");
      }
      message.append(origin).append(": ");
      int line = issue.getSourceLocation().getLine();
      int column = issue.getSourceLocation().getColumn();
      if (line > 0) {
        // CEL columns are 0-based; people count from 1.
        message.append(line).append(':').append(column + 1).append(": ");
      }
      message.append(issue.getMessage());
    }
    return message.toString();
  }

  /** A compiler with our options, macros and extensions; the caller declares the variables. */
  static CelCompilerBuilder compilerBuilder() {
    return CelCompilerFactory.standardCelCompilerBuilder()
        .setOptions(LIMITS)
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
        .addLibraries(COMPILER_EXTENSIONS)
        .addFunctionDeclarations(ListAggregates.declarations());
  }

  /** The evaluable program of a checked expression, with our options and extensions. */
  static CelRuntime.Program program(CelAbstractSyntaxTree ast) throws dev.cel.common.CelException {
    CelRuntime runtime =
        CelRuntimeFactory.standardCelRuntimeBuilder()
            .setOptions(LIMITS)
            .setStandardEnvironmentEnabled(false)
            .setStandardFunctions(ValueBounds.standardFunctions())
            .addFunctionBindings(ValueBounds.bindings())
            .addFunctionBindings(ListAggregates.bindings())
            .addLibraries(RUNTIME_EXTENSIONS)
            .build();
    return runtime.createProgram(ast);
  }

  /** The index of field {@code name} read as a CEL variable of its own, or -1 if it cannot be. */
  static int variableField(String name, Schema schema) {
    return schema.hasField(name) && isIdentifier(name) ? schema.indexOf(name) : -1;
  }

  /** Whether a field of this type is a CEL int (every integer type is an int64 to CEL). */
  static boolean isInteger(Schema.TypeName type) {
    return type == Schema.TypeName.BYTE || type == Schema.TypeName.INT16 || type == Schema.TypeName.INT32 || type == Schema.TypeName.INT64;
  }

  static boolean isIdentifier(String name) {
    return IDENTIFIER.matcher(name).matches() && !RESERVED.contains(name);
  }

  /** A compiled, evaluable expression. Not serializable: build it in {@code @Setup}. */
  public static final class Compiled {
    private final RowExpression expression;
    private final CelRuntime.Program program;
    // A condition of comparisons of fields with literals, evaluated straight on the row when none
    // of the fields it reads is null (with a null, CEL decides: errors and null-safety are its).
    private final @Nullable RowPredicate fast;
    // Likewise, arithmetic over numeric fields and literals (see RowArithmetic), for eval().
    private final @Nullable RowArithmetic arithmetic;
    private final int[] fastFields;
    private final int[][] nestedPaths; // top-level index, then nested indices: read only when no record on the way is null
    private @Nullable Schema checkedSchema; // the last row schema found equal to the expression's

    private Compiled(RowExpression expression, CelRuntime.Program program, @Nullable RowPredicate fast,
        @Nullable RowArithmetic arithmetic) {
      this.expression = expression;
      this.program = program;
      this.fast = fast;
      this.arithmetic = arithmetic;
      java.util.BitSet fields = new java.util.BitSet();
      List<int[]> paths = new ArrayList<>();
      if (fast != null) {
        fast.fields(fields);
        fast.nestedPaths(paths);
      }
      if (arithmetic != null) {
        arithmetic.fields(fields);
      }
      this.fastFields = fields.stream().toArray();
      this.nestedPaths = paths.toArray(int[][]::new);
    }

    /**
     * Whether the expression is evaluated straight on the row when its fields are not null: a
     * condition of comparisons (see {@link RowPredicate}), or arithmetic (see {@link RowArithmetic}).
     */
    public boolean hasFastPath() {
      return fast != null || arithmetic != null;
    }

    private boolean fastApplies(Row row) {
      if (fast == null && arithmetic == null) {
        return false;
      }
      if (row.getSchema() != checkedSchema) {
        if (!row.getSchema().equals(expression.schema)) {
          return false;
        }
        checkedSchema = row.getSchema();
      }
      for (int field : fastFields) {
        if (row.getValue(field) == null) {
          return false;
        }
      }
      for (int[] path : nestedPaths) {
        Object value = row.getValue(path[0]);
        for (int i = 1; i < path.length; i++) {
          value = ((Row) value).getValue(path[i]);
          if (value == null) {
            return false;
          }
        }
      }
      return true;
    }

    /**
     * Evaluates against one row and returns the raw CEL result. A function or operator given a
     * null field fails in CEL with "No matching overload for function 'size'"; that failure names
     * the field instead: {@code field 's' is null, and size() takes no null; ...}.
     */
    public Object evalRaw(Row row) throws CelEvaluationException {
      try {
        return evalCel(row);
      } catch (CelEvaluationException e) {
        Matcher overload = e.getMessage() == null ? null : NO_OVERLOAD.matcher(e.getMessage());
        String field = overload != null && overload.find() ? nullField(row) : null;
        if (field == null) {
          throw e;
        }
        String function = overload.group(1).replaceAll("^_|_$", "").replace("_", " ");
        throw new CelEvaluationException("field '" + field + "' is null, and " + (function.matches("\\w+") ? function + "()" : "'" + function + "'")
            + " takes no null; test it first, e.g. " + (isIdentifier(field) ? field : "event['" + field + "']") + " == null ? ... : ...", e);
      }
    }

    /** The first field the expression's text names that is null in {@code row}, or null. */
    private @Nullable String nullField(Row row) {
      for (String field : expression.referencedFields) {
        if (row.getSchema().hasField(field) && row.getValue(field) == null
            && Pattern.compile("(?<![A-Za-z0-9_])" + Pattern.quote(field) + "(?![A-Za-z0-9_])").matcher(expression.text).find()) {
          return field;
        }
      }
      return null;
    }

    private Object evalCel(Row row) throws CelEvaluationException {
      Schema schema = row.getSchema();
      return program.eval(
          name -> {
            if (schema.hasField(name)) {
              int index = schema.indexOf(name);
              return Optional.of(CelTypes.toCelValue(row.getValue(index), schema.getField(index).getType()));
            }
            if (EVENT.equals(name)) {
              return Optional.of(CelTypes.rowToMap(row));
            }
            return Optional.empty();
          });
    }

    /** Evaluates and converts the result to the given Beam type. */
    public @Nullable Object eval(Row row, FieldType type) throws CelEvaluationException {
      if (arithmetic != null && fastApplies(row)) {
        Object value;
        try {
          value = arithmetic.value(row);
        } catch (RowArithmetic.GiveUp e) {
          value = evalRaw(row); // an overflow, a zero divisor, ...: CEL's value or error
        }
        return CelTypes.toBeamValue(value, type);
      }
      return CelTypes.toBeamValue(evalRaw(row), type);
    }

    /** Evaluates a condition; a non-boolean result is an error. */
    public boolean test(Row row) throws CelEvaluationException {
      if (fast != null && fastApplies(row)) {
        return fast.test(row);
      }
      Object result = evalRaw(row);
      if (result instanceof Boolean) {
        return (Boolean) result;
      }
      throw new CelEvaluationException(
          "condition '" + expression.text + "' returned " + result + ", not a bool");
    }

    /**
     * Evaluates a condition in which missing data is false: a key absent from a map (a nested
     * record or {@code event}), or a failure on a record where a field the condition reads is
     * null, makes the condition false rather than an error. Other failures (a string compared
     * with a number, a bad regex argument, ...) are thrown, for the caller to dead-letter.
     */
    public boolean testNullSafe(Row row) throws CelEvaluationException {
      try {
        return test(row);
      } catch (CelEvaluationException e) {
        if (e.getErrorCode() == dev.cel.common.CelErrorCode.ATTRIBUTE_NOT_FOUND || readsNull(row)) {
          return false;
        }
        throw e;
      }
    }

    private boolean readsNull(Row row) {
      for (String field : expression.referencedFields) {
        if (row.getSchema().hasField(field) && containsNull(row.getValue(field))) {
          return true;
        }
      }
      return false;
    }

    /** Null, or a nested record holding a null at any depth (CEL sees nested records as maps). */
    private static boolean containsNull(@Nullable Object value) {
      if (value == null) {
        return true;
      }
      if (value instanceof Row) {
        for (Object nested : ((Row) value).getValues()) {
          if (containsNull(nested)) {
            return true;
          }
        }
      }
      return false;
    }

    public RowExpression expression() {
      return expression;
    }
  }
}
