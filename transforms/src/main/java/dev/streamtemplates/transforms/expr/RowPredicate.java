package dev.streamtemplates.transforms.expr;

import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import java.util.Optional;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.TypeName;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A fast path for the commonest conditions: comparisons of a field of {@code event} with a
 * literal, joined by {@code &&} and {@code ||}, e.g. {@code event.type == 'A' && event.amount >
 * 100}. Such a condition is evaluated straight on the {@link Row}, without building CEL's map
 * view of it, which is most of the cost of a cheap condition; everything else goes to CEL.
 *
 * <p>Written by hand because CEL has no way to evaluate over a Beam Row without converting it.
 * It gives the results CEL gives under {@link ScopedExpression.Compiled#test}: numbers compare
 * across int and double; a null field equals nothing, differs from everything, and makes an
 * ordering false (CEL's error on null, which a condition treats as false). {@code !} is left to
 * CEL, because negating "false because of an error" would not be CEL's answer.
 */
abstract class RowPredicate {
  abstract boolean test(Row row);

  /** The fast form of a checked expression over {@code event} of {@code schema}, if it has one. */
  static Optional<RowPredicate> of(CelExpr expr, Schema schema) {
    return Optional.ofNullable(build(expr, schema));
  }

  private static @Nullable RowPredicate build(CelExpr expr, Schema schema) {
    if (expr.getKind() != CelExpr.ExprKind.Kind.CALL || expr.call().target().isPresent() || expr.call().args().size() != 2) {
      return null;
    }
    String function = expr.call().function();
    CelExpr left = expr.call().args().get(0);
    CelExpr right = expr.call().args().get(1);
    if (function.equals("_&&_") || function.equals("_||_")) {
      RowPredicate a = build(left, schema);
      RowPredicate b = build(right, schema);
      if (a == null || b == null) {
        return null;
      }
      return function.equals("_&&_") ? new And(a, b) : new Or(a, b);
    }
    int op = switch (function) {
      case "_==_" -> 0;
      case "_!=_" -> 1;
      case "_<_" -> 2;
      case "_<=_" -> 3;
      case "_>_" -> 4;
      case "_>=_" -> 5;
      default -> -1;
    };
    if (op < 0) {
      return null;
    }
    boolean swapped = false;
    if (left.getKind() == CelExpr.ExprKind.Kind.CONSTANT) {
      CelExpr t = left;
      left = right;
      right = t;
      swapped = true;
    }
    if (left.getKind() != CelExpr.ExprKind.Kind.SELECT || right.getKind() != CelExpr.ExprKind.Kind.CONSTANT) {
      return null;
    }
    CelExpr operand = left.select().operand();
    String field = left.select().field();
    if (left.select().testOnly() || operand.getKind() != CelExpr.ExprKind.Kind.IDENT || !operand.ident().name().equals("event")
        || !schema.hasField(field)) {
      return null;
    }
    if (swapped && op >= 2) {
      op = new int[] {0, 1, 4, 5, 2, 3}[op];
    }
    int index = schema.indexOf(field);
    TypeName type = schema.getField(index).getType().getTypeName();
    CelConstant constant = right.constant();
    switch (constant.getKind()) {
      case STRING_VALUE:
        // Only equality: CEL orders strings by code point, Java by UTF-16 unit.
        return type == TypeName.STRING && op <= 1 ? new Equals(index, op, constant.stringValue()) : null;
      case BOOLEAN_VALUE:
        return type == TypeName.BOOLEAN && op <= 1 ? new Equals(index, op, constant.booleanValue()) : null;
      case INT64_VALUE:
        if (type == TypeName.BYTE || type == TypeName.INT16 || type == TypeName.INT32 || type == TypeName.INT64) {
          return new CompareLong(index, op, constant.int64Value());
        }
        return type == TypeName.DOUBLE || type == TypeName.FLOAT ? new CompareDouble(index, op, constant.int64Value()) : null;
      case DOUBLE_VALUE:
        return type.isNumericType() && type != TypeName.DECIMAL ? new CompareDouble(index, op, constant.doubleValue()) : null;
      default:
        return null;
    }
  }

  private static final class And extends RowPredicate {
    private final RowPredicate a;
    private final RowPredicate b;

    And(RowPredicate a, RowPredicate b) {
      this.a = a;
      this.b = b;
    }

    @Override
    boolean test(Row row) {
      return a.test(row) && b.test(row);
    }
  }

  private static final class Or extends RowPredicate {
    private final RowPredicate a;
    private final RowPredicate b;

    Or(RowPredicate a, RowPredicate b) {
      this.a = a;
      this.b = b;
    }

    @Override
    boolean test(Row row) {
      return a.test(row) || b.test(row);
    }
  }

  /** {@code event.field == literal} (op 0) or {@code !=} (op 1); a null field equals nothing. */
  private static final class Equals extends RowPredicate {
    private final int index;
    private final boolean equal;
    private final Object literal;

    Equals(int index, int op, Object literal) {
      this.index = index;
      this.equal = op == 0;
      this.literal = literal;
    }

    @Override
    boolean test(Row row) {
      return literal.equals(row.getValue(index)) == equal;
    }
  }

  /** A numeric field against a literal, op 0..5 being ==, !=, <, <=, >, >=; a null field differs from everything and orders as false. */
  private abstract static class NumberCompare extends RowPredicate {
    final int index;
    final int op;

    NumberCompare(int index, int op) {
      this.index = index;
      this.op = op;
    }

    @Override
    final boolean test(Row row) {
      Object value = row.getValue(index);
      return value == null ? op == 1 : compare((Number) value);
    }

    abstract boolean compare(Number value);
  }

  /** An integer field against an integer literal, exactly. */
  private static final class CompareLong extends NumberCompare {
    private final long literal;

    CompareLong(int index, int op, long literal) {
      super(index, op);
      this.literal = literal;
    }

    @Override
    boolean compare(Number value) {
      int order = Long.compare(value.longValue(), literal);
      return op == 0 ? order == 0 : op == 1 ? order != 0 : op == 2 ? order < 0 : op == 3 ? order <= 0 : op == 4 ? order > 0 : order >= 0;
    }
  }

  /** As doubles, with IEEE comparisons as CEL makes them (NaN is unordered, -0.0 == 0.0). */
  private static final class CompareDouble extends NumberCompare {
    private final double literal;

    CompareDouble(int index, int op, double literal) {
      super(index, op);
      this.literal = literal;
    }

    @Override
    boolean compare(Number value) {
      double v = value.doubleValue();
      return op == 0 ? v == literal : op == 1 ? v != literal : op == 2 ? v < literal : op == 3 ? v <= literal : op == 4 ? v > literal : v >= literal;
    }
  }
}
