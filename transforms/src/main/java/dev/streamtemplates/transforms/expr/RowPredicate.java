package dev.streamtemplates.transforms.expr;

import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
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
 *
 * <p>Over field variables ({@link #ofFieldVariables}) a comparison may also read a field of a
 * nested record, {@code value.state == 'OR'} (an Enrich or Join output): CEL sees a nested record
 * as a {@code map(string, dyn)}, so there the literal must be of the field's own CEL type (no int
 * against a double), and the caller evaluates straight on the row only when no record or field on
 * the path is null ({@link #nestedPaths}).
 */
abstract class RowPredicate {
  abstract boolean test(Row row);

  /** Adds the indices of the (top-level) fields this predicate reads. */
  abstract void fields(BitSet into);

  /** Adds the paths (top-level index, then nested indices) of the nested fields this predicate reads. */
  abstract void nestedPaths(List<int[]> into);

  /** The fast form of a checked expression over {@code event} of {@code schema}, if it has one. */
  static Optional<RowPredicate> of(CelExpr expr, Schema schema) {
    return Optional.ofNullable(build(expr, schema, false));
  }

  /**
   * The fast form of a checked expression over a row whose fields are also top-level variables
   * (as in {@link RowExpression}): {@code amount > 10} as well as {@code event.amount > 10}, and
   * besides comparisons, {@code field in [literals]} and {@code intField % n <op> int}.
   */
  static Optional<RowPredicate> ofFieldVariables(CelExpr expr, Schema schema) {
    return Optional.ofNullable(build(expr, schema, true));
  }

  private static @Nullable RowPredicate build(CelExpr expr, Schema schema, boolean fieldVariables) {
    if (expr.getKind() != CelExpr.ExprKind.Kind.CALL || expr.call().target().isPresent() || expr.call().args().size() != 2) {
      return null;
    }
    String function = expr.call().function();
    CelExpr left = expr.call().args().get(0);
    CelExpr right = expr.call().args().get(1);
    if (function.equals("_&&_") || function.equals("_||_")) {
      RowPredicate a = build(left, schema, fieldVariables);
      RowPredicate b = build(right, schema, fieldVariables);
      if (a == null || b == null) {
        return null;
      }
      return function.equals("_&&_") ? new And(a, b) : new Or(a, b);
    }
    if (function.equals("@in") && fieldVariables) {
      // field in [c1, c2, ...]: field == c1 || field == c2 || ...
      Path path = path(left, schema, true);
      if (path == null || right.getKind() != CelExpr.ExprKind.Kind.LIST || right.list().elements().isEmpty()) {
        return null;
      }
      RowPredicate any = null;
      for (CelExpr element : right.list().elements()) {
        if (element.getKind() != CelExpr.ExprKind.Kind.CONSTANT) {
          return null;
        }
        RowPredicate one = compare(path, 0, element.constant());
        if (one == null) {
          return null;
        }
        any = any == null ? one : new Or(any, one);
      }
      return any;
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
    if (right.getKind() != CelExpr.ExprKind.Kind.CONSTANT) {
      return null;
    }
    if (swapped && op >= 2) {
      op = new int[] {0, 1, 4, 5, 2, 3}[op];
    }
    if (fieldVariables && left.getKind() == CelExpr.ExprKind.Kind.CALL && left.call().function().equals("_%_")
        && left.call().args().size() == 2 && !left.call().target().isPresent()) {
      // intField % n <op> int, with n an int literal other than 0 and -1: as CEL computes it (Java's remainder).
      Path path = path(left.call().args().get(0), schema, true);
      CelExpr divisor = left.call().args().get(1);
      if (path == null || path.nested() != null || !RowExpression.isInteger(path.type()) || divisor.getKind() != CelExpr.ExprKind.Kind.CONSTANT
          || divisor.constant().getKind() != CelConstant.Kind.INT64_VALUE || divisor.constant().int64Value() == 0
          || divisor.constant().int64Value() == -1 // Long.MIN_VALUE % -1: left to CEL, which may call it an overflow
          || right.constant().getKind() != CelConstant.Kind.INT64_VALUE) {
        return null;
      }
      return new CompareRemainder(path, op, divisor.constant().int64Value(), right.constant().int64Value());
    }
    Path path = path(left, schema, fieldVariables);
    return path == null ? null : compare(path, op, right.constant());
  }

  /**
   * A field a comparison reads: a top-level field {@code index}, and within it, when {@code nested}
   * is not null, the fields at those indices of nested records, down to a field of {@code type}.
   */
  private record Path(int index, int @Nullable [] nested, TypeName type) {}

  /**
   * The field {@code expr} reads: {@code event.f} or (with field variables) {@code f}, and with
   * field variables also {@code f.g.h} or {@code event.f.g} through nested records; or null.
   */
  private static @Nullable Path path(CelExpr expr, Schema schema, boolean fieldVariables) {
    List<String> names = new ArrayList<>();
    CelExpr at = expr;
    while (at.getKind() == CelExpr.ExprKind.Kind.SELECT && !at.select().testOnly()) {
      names.add(0, at.select().field());
      at = at.select().operand();
    }
    if (at.getKind() != CelExpr.ExprKind.Kind.IDENT) {
      return null;
    }
    String root = at.ident().name();
    int index;
    List<String> inside;
    if (!names.isEmpty() && root.equals("event") && schema.hasField(names.get(0))) {
      index = schema.indexOf(names.get(0));
      inside = names.subList(1, names.size());
    } else {
      index = fieldVariables ? RowExpression.variableField(root, schema) : -1;
      inside = names;
    }
    if (index < 0 || !inside.isEmpty() && !fieldVariables) {
      return null; // nested fields only where the caller checks the path for nulls
    }
    Schema.FieldType type = schema.getField(index).getType();
    int[] nested = inside.isEmpty() ? null : new int[inside.size()];
    for (int i = 0; i < inside.size(); i++) {
      if (type.getTypeName() != TypeName.ROW || !type.getRowSchema().hasField(inside.get(i))) {
        return null;
      }
      Schema record = type.getRowSchema();
      nested[i] = record.indexOf(inside.get(i));
      type = record.getField(nested[i]).getType();
    }
    return new Path(index, nested, type.getTypeName());
  }

  private static @Nullable RowPredicate compare(Path path, int op, CelConstant constant) {
    TypeName type = path.type();
    // A nested field is dyn to CEL: only a literal of its own CEL type compares as here.
    boolean exact = path.nested() != null;
    switch (constant.getKind()) {
      case STRING_VALUE:
        // Only equality: CEL orders strings by code point, Java by UTF-16 unit.
        return type == TypeName.STRING && op <= 1 ? new Equals(path, op, constant.stringValue()) : null;
      case BOOLEAN_VALUE:
        return type == TypeName.BOOLEAN && op <= 1 ? new Equals(path, op, constant.booleanValue()) : null;
      case INT64_VALUE:
        if (RowExpression.isInteger(type)) {
          return new CompareLong(path, op, constant.int64Value());
        }
        return (type == TypeName.DOUBLE || type == TypeName.FLOAT) && !exact ? new CompareDouble(path, op, constant.int64Value()) : null;
      case DOUBLE_VALUE:
        return type == TypeName.DOUBLE || type == TypeName.FLOAT || type.isNumericType() && type != TypeName.DECIMAL && !exact
            ? new CompareDouble(path, op, constant.doubleValue()) : null;
      default:
        return null;
    }
  }

  /** A comparison's field, read from the row (nested records are not null: see {@link #nestedPaths}). */
  private abstract static class Leaf extends RowPredicate {
    private final int index;
    private final int @Nullable [] nested;

    Leaf(Path path) {
      this.index = path.index();
      this.nested = path.nested();
    }

    final @Nullable Object read(Row row) {
      Object value = row.getValue(index);
      if (nested != null) {
        for (int field : nested) {
          value = ((Row) value).getValue(field);
        }
      }
      return value;
    }

    @Override
    final void fields(BitSet into) {
      into.set(index);
    }

    @Override
    final void nestedPaths(List<int[]> into) {
      if (nested != null) {
        int[] path = new int[nested.length + 1];
        path[0] = index;
        System.arraycopy(nested, 0, path, 1, nested.length);
        into.add(path);
      }
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

    @Override
    void fields(BitSet into) {
      a.fields(into);
      b.fields(into);
    }

    @Override
    void nestedPaths(List<int[]> into) {
      a.nestedPaths(into);
      b.nestedPaths(into);
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

    @Override
    void fields(BitSet into) {
      a.fields(into);
      b.fields(into);
    }

    @Override
    void nestedPaths(List<int[]> into) {
      a.nestedPaths(into);
      b.nestedPaths(into);
    }
  }

  /** {@code event.field == literal} (op 0) or {@code !=} (op 1); a null field equals nothing. */
  private static final class Equals extends Leaf {
    private final boolean equal;
    private final Object literal;

    Equals(Path path, int op, Object literal) {
      super(path);
      this.equal = op == 0;
      this.literal = literal;
    }

    @Override
    boolean test(Row row) {
      return literal.equals(read(row)) == equal;
    }
  }

  /** A numeric field against a literal, op 0..5 being ==, !=, <, <=, >, >=; a null field differs from everything and orders as false. */
  private abstract static class NumberCompare extends Leaf {
    final int op;

    NumberCompare(Path path, int op) {
      super(path);
      this.op = op;
    }

    @Override
    final boolean test(Row row) {
      Object value = read(row);
      return value == null ? op == 1 : compare((Number) value);
    }

    abstract boolean compare(Number value);
  }

  /** {@code intField % divisor <op> literal}, in Java's (and CEL's) truncated remainder. */
  private static final class CompareRemainder extends NumberCompare {
    private final long divisor;
    private final long literal;

    CompareRemainder(Path path, int op, long divisor, long literal) {
      super(path, op);
      this.divisor = divisor;
      this.literal = literal;
    }

    @Override
    boolean compare(Number value) {
      int order = Long.compare(value.longValue() % divisor, literal);
      return op == 0 ? order == 0 : op == 1 ? order != 0 : op == 2 ? order < 0 : op == 3 ? order <= 0 : op == 4 ? order > 0 : order >= 0;
    }
  }

  /** An integer field against an integer literal, exactly. */
  private static final class CompareLong extends NumberCompare {
    private final long literal;

    CompareLong(Path path, int op, long literal) {
      super(path, op);
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

    CompareDouble(Path path, int op, double literal) {
      super(path, op);
      this.literal = literal;
    }

    @Override
    boolean compare(Number value) {
      double v = value.doubleValue();
      return op == 0 ? v == literal : op == 1 ? v != literal : op == 2 ? v < literal : op == 3 ? v <= literal : op == 4 ? v > literal : v >= literal;
    }
  }
}
