package dev.streamtemplates.transforms.expr;

import com.google.common.primitives.UnsignedLong;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableExpr;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.NullableType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.values.NullValue;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.Schema.TypeName;

/**
 * Aggregates over a list in CEL, as Flink SQL's {@code MATCH_RECOGNIZE} offers over a pattern
 * variable's rows: {@code sum}, {@code avg}, {@code min}, {@code max} and {@code count} of a field
 * of a list of records ({@code sum(rising, 'price') > 1000}, a looping stage's events), or of a
 * list of numbers ({@code avg(rising.map(e, e.price * e.qty))}).
 *
 * <p>As in SQL, nulls are skipped; {@code sum}, {@code avg}, {@code min} and {@code max} of no
 * value are null (and a comparison with null is false); {@code count} of none is 0, and {@code
 * count(list)} counts the elements. Numbers of every type are summed as doubles. A field name
 * written as a literal is checked when the expression is compiled, against the records' schema;
 * otherwise a missing field or a value that is not a number fails the evaluation with a message
 * (the record goes to the dead letters). Each call is one pass over the list, so its work is
 * linear in the list's length, which is bounded where the list is made (a match's events, or
 * {@link ValueBounds} for a list an expression builds).
 */
final class ListAggregates {
  private ListAggregates() {}

  private static final List<String> NUMERIC = List.of("sum", "avg", "min", "max");
  static final Set<String> FUNCTIONS = Set.of("sum", "avg", "min", "max", "count");

  private static final CelType LIST = ListType.create(SimpleType.DYN);
  private static final CelType NULLABLE_DOUBLE = NullableType.create(SimpleType.DOUBLE);

  /** The declarations for the compiler: two overloads per function, a field of records or the numbers themselves. */
  static List<CelFunctionDecl> declarations() {
    List<CelFunctionDecl> declarations = new ArrayList<>();
    for (String function : NUMERIC) {
      declarations.add(CelFunctionDecl.newFunctionDeclaration(function,
          CelOverloadDecl.newGlobalOverload(function + "_list_field", NULLABLE_DOUBLE, LIST, SimpleType.STRING),
          CelOverloadDecl.newGlobalOverload(function + "_list", NULLABLE_DOUBLE, LIST)));
    }
    declarations.add(CelFunctionDecl.newFunctionDeclaration("count",
        CelOverloadDecl.newGlobalOverload("count_list_field", SimpleType.INT, LIST, SimpleType.STRING),
        CelOverloadDecl.newGlobalOverload("count_list", SimpleType.INT, LIST)));
    return declarations;
  }

  /** The implementations for the runtime. */
  static List<CelFunctionBinding> bindings() {
    List<CelFunctionBinding> bindings = new ArrayList<>();
    for (String function : NUMERIC) {
      bindings.add(CelFunctionBinding.from(function + "_list_field", List.class, String.class,
          (list, field) -> aggregate(function, values(function, list, field))));
      bindings.add(CelFunctionBinding.from(function + "_list", List.class, list -> aggregate(function, values(function, list, null))));
    }
    bindings.add(CelFunctionBinding.from("count_list_field", List.class, String.class,
        (list, field) -> (long) values("count", list, field).size()));
    bindings.add(CelFunctionBinding.from("count_list", List.class, list -> (long) list.size()));
    return bindings;
  }

  /** The non-null values of {@code field} of each record of the list, or of the list's elements when field is null. */
  private static List<Object> values(String function, List<?> list, String field) throws CelEvaluationException {
    List<Object> values = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      Object element = list.get(i);
      Object value = element;
      if (field != null) {
        if (!(element instanceof Map<?, ?> record)) {
          throw new CelEvaluationException(function + "(list, '" + field + "') needs a list of records, but element " + i + " is not one");
        }
        if (!record.containsKey(field)) {
          throw new CelEvaluationException(function + "(list, '" + field + "'): the records have no field '" + field + "'; fields are "
              + record.keySet());
        }
        value = record.get(field);
      }
      if (value != null && !(value instanceof NullValue) && !(value instanceof com.google.protobuf.NullValue)) {
        values.add(value);
      }
    }
    return values;
  }

  private static Object aggregate(String function, List<Object> values) throws CelEvaluationException {
    if (values.isEmpty()) {
      return NullValue.NULL_VALUE;
    }
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (Object value : values) {
      double number = number(function, value);
      sum += number;
      min = Math.min(min, number);
      max = Math.max(max, number);
    }
    switch (function) {
      case "sum":
        return sum;
      case "avg":
        return sum / values.size();
      case "min":
        return min;
      default:
        return max;
    }
  }

  private static double number(String function, Object value) throws CelEvaluationException {
    if (value instanceof Number number) {
      return number.doubleValue();
    }
    if (value instanceof UnsignedLong unsigned) {
      return unsigned.doubleValue();
    }
    throw new CelEvaluationException(function + "() adds up numbers, but got " + value + " (" + value.getClass().getSimpleName() + ")");
  }

  /**
   * Checks, when an expression is compiled, each aggregate over a list-of-records variable with a
   * literal field name: the field must exist, and be a number for {@code sum}, {@code avg},
   * {@code min} and {@code max}.
   *
   * @throws ExpressionException naming the origin, the call and the fields there are
   */
  static void check(String origin, CelAbstractSyntaxTree ast, Map<String, FieldType> variables) {
    CelNavigableExpr.fromExpr(ast.getExpr()).allNodes()
        .filter(node -> node.getKind() == CelExpr.ExprKind.Kind.CALL)
        .map(node -> node.expr().call())
        .filter(call -> FUNCTIONS.contains(call.function()) && call.target().isEmpty() && call.args().size() == 2)
        .forEach(call -> {
          CelExpr list = call.args().get(0);
          CelExpr field = call.args().get(1);
          if (list.getKind() != CelExpr.ExprKind.Kind.IDENT || field.getKind() != CelExpr.ExprKind.Kind.CONSTANT
              || field.constant().getKind() != CelConstant.Kind.STRING_VALUE) {
            return;
          }
          FieldType type = variables.get(list.ident().name());
          if (type == null || type.getTypeName() != TypeName.ARRAY || type.getCollectionElementType().getTypeName() != TypeName.ROW) {
            return;
          }
          Schema schema = type.getCollectionElementType().getRowSchema();
          String name = field.constant().stringValue();
          String call0 = call.function() + "(" + list.ident().name() + ", '" + name + "')";
          if (!schema.hasField(name)) {
            throw new ExpressionException(origin + ": " + call0 + ": the events have no field '" + name + "'; fields are " + schema.getFieldNames());
          }
          FieldType fieldType = schema.getField(name).getType();
          if (NUMERIC.contains(call.function()) && !fieldType.getTypeName().isNumericType()) {
            throw new ExpressionException(origin + ": " + call0 + ": field '" + name + "' is a " + fieldType.getTypeName()
                + ", not a number");
          }
        });
  }
}
