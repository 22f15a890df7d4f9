package dev.streamtemplates.transforms.expr;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.CelType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A CEL expression over named variables of Beam types, e.g. {@code event}, {@code us} (a record)
 * and {@code rising} (a list of records), type-checked when it is compiled. Records are seen as
 * {@code map(string, dyn)}, as in {@link RowExpression}, with the same sandbox and limits.
 *
 * <pre>{@code
 * ScopedExpression abroad = ScopedExpression.compile("stages[1].where",
 *     Map.of("event", FieldType.row(schema), "us", FieldType.row(schema)),
 *     "event.country != 'US' && event.amount > us.amount");
 * // in @Setup:   ScopedExpression.Compiled program = abroad.program();
 * // per element: program.test(name -> values.get(name));   // values from celValue(...)
 * }</pre>
 *
 * <p>Serializable; holds only the text and the declarations. The variables an expression reads are
 * known after compiling ({@link #referencedVariables()}), so a caller can evaluate an expression
 * that reads only {@code event} once per event rather than once per use.
 */
public final class ScopedExpression implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String origin;
  private final LinkedHashMap<String, FieldType> variables;
  private final String text;
  private final String celResultType;
  private final @Nullable FieldType resultType;
  private final Set<String> referenced;

  private ScopedExpression(String origin, LinkedHashMap<String, FieldType> variables, String text, String celResultType,
      @Nullable FieldType resultType, Set<String> referenced) {
    this.origin = origin;
    this.variables = variables;
    this.text = text;
    this.celResultType = celResultType;
    this.resultType = resultType;
    this.referenced = referenced;
  }

  /**
   * Parses and type-checks {@code text} with the given variables in scope.
   *
   * @throws ExpressionException naming the origin, line and column of each error
   */
  public static ScopedExpression compile(String origin, Map<String, FieldType> variables, String text) {
    if (text == null || text.isBlank()) {
      throw new ExpressionException(origin + ": the expression is empty");
    }
    LinkedHashMap<String, FieldType> declared = new LinkedHashMap<>(variables);
    for (String name : declared.keySet()) {
      if (!RowExpression.isIdentifier(name)) {
        throw new ExpressionException(origin + ": '" + name + "' cannot be a CEL variable name");
      }
    }
    CelValidationResult result = compiler(declared).compile(text);
    if (result.hasError()) {
      throw new ExpressionException(RowExpression.errors(origin, result));
    }
    CelAbstractSyntaxTree ast;
    try {
      ast = result.getAst();
    } catch (Exception e) {
      throw new ExpressionException(origin + ": " + e.getMessage());
    }
    LiteralRegexes.check(origin, ast);
    ListAggregates.check(origin, ast, declared);
    Set<String> referenced = new TreeSet<>();
    for (dev.cel.common.ast.CelReference reference : ast.getReferenceMap().values()) {
      if (declared.containsKey(reference.name())) {
        referenced.add(reference.name());
      }
    }
    CelType type = ast.getResultType();
    return new ScopedExpression(origin, declared, text, type.name(), CelTypes.toBeam(type), Set.copyOf(referenced));
  }

  /** The CEL value of a Beam value of the given type, as the resolver passed to {@link Compiled} returns it. */
  public static Object celValue(@Nullable Object value, FieldType type) {
    return CelTypes.toCelValue(value, type);
  }

  /** The CEL value (a map) of a record. */
  public static Map<String, Object> celValue(Row row) {
    return CelTypes.rowToMap(row);
  }

  /** Converts a CEL result to a value of the Beam field type, or throws a readable error. */
  public static @Nullable Object beamValue(@Nullable Object celValue, FieldType type) {
    return CelTypes.toBeamValue(celValue, type);
  }

  /** The Beam type of a CEL result type, or empty for {@code dyn}. */
  public Optional<FieldType> resultType() {
    return Optional.ofNullable(resultType);
  }

  public String origin() {
    return origin;
  }

  public String text() {
    return text;
  }

  /** The declared variables the expression reads. */
  public Set<String> referencedVariables() {
    return referenced;
  }

  /** Requires a boolean result, as for a condition. */
  public ScopedExpression requireBoolean() {
    if (!"bool".equals(celResultType) && !"dyn".equals(celResultType)) {
      throw new ExpressionException(origin + ": a condition must be a bool, but '" + text + "' is a " + celResultType);
    }
    return this;
  }

  /** Compiles the evaluable program. Call once per DoFn instance, in {@code @Setup}. */
  public Compiled program() {
    try {
      CelAbstractSyntaxTree ast = compiler(variables).compile(text).getAst();
      FieldType event = variables.get("event");
      RowPredicate fast = null;
      if (event != null && event.getTypeName() == org.apache.beam.sdk.schemas.Schema.TypeName.ROW
          && referenced.stream().allMatch("event"::equals)) {
        fast = RowPredicate.of(ast.getExpr(), event.getRowSchema()).orElse(null);
      }
      return new Compiled(this, RowExpression.program(ast), fast);
    } catch (Exception e) {
      throw new ExpressionException(origin + ": " + e.getMessage());
    }
  }

  private static CelCompiler compiler(Map<String, FieldType> variables) {
    CelCompilerBuilder builder = RowExpression.compilerBuilder();
    variables.forEach((name, type) -> builder.addVar(name, CelTypes.toCel(type)));
    return builder.build();
  }

  /** A compiled, evaluable expression. Not serializable: build it in {@code @Setup}. */
  public static final class Compiled {
    private final ScopedExpression expression;
    private final CelRuntime.Program program;

    private final @Nullable RowPredicate fast;

    private Compiled(ScopedExpression expression, CelRuntime.Program program, @Nullable RowPredicate fast) {
      this.expression = expression;
      this.program = program;
      this.fast = fast;
    }

    /** Whether {@link #testEvent} evaluates this condition straight on the row (see {@link RowPredicate}). */
    public boolean hasRowFastPath() {
      return fast != null;
    }

    /** Tests a condition that reads only {@code event}; only when {@link #hasRowFastPath()}. */
    public boolean testEvent(Row event) {
      return fast.test(event);
    }

    /**
     * Evaluates with the variables' CEL values from {@code values} ({@link #celValue}); a variable
     * it returns null for is CEL {@code null}.
     */
    public Object eval(Function<String, Object> values) throws CelEvaluationException {
      return program.eval(name -> {
        if (!expression.variables.containsKey(name)) {
          return Optional.empty();
        }
        Object value = values.apply(name);
        return Optional.of(value == null ? dev.cel.common.values.NullValue.NULL_VALUE : value);
      });
    }

    /**
     * Evaluates a condition. Missing data is false: a key absent from a record, or a failure that
     * involves a null (e.g. {@code event.n > 3} with a null {@code n}). Other failures (division by
     * zero, a bad regex, ...) are thrown, for the caller to dead-letter.
     */
    public boolean test(Function<String, Object> values) throws CelEvaluationException {
      Object result;
      try {
        result = eval(values);
      } catch (CelEvaluationException e) {
        // Conditions are type-checked against the schema, so at run time a missing overload comes
        // from a null field read through a record (dyn), as does a message that names null.
        if (e.getErrorCode() == dev.cel.common.CelErrorCode.ATTRIBUTE_NOT_FOUND || e.getErrorCode() == dev.cel.common.CelErrorCode.OVERLOAD_NOT_FOUND
            || String.valueOf(e.getMessage()).contains("null")) {
          return false;
        }
        throw e;
      }
      if (result instanceof Boolean) {
        return (Boolean) result;
      }
      if (result == null || result instanceof dev.cel.common.values.NullValue) {
        return false;
      }
      throw new CelEvaluationException("condition '" + expression.text + "' returned " + result + ", not a bool");
    }

    public ScopedExpression expression() {
      return expression;
    }
  }
}
