package dev.streamtemplates.transforms.expr;

import dev.cel.common.ast.CelExpr;
import java.util.BitSet;
import java.util.Optional;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.TypeName;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A fast path for the commonest computed fields: arithmetic over numeric fields and literals, e.g.
 * {@code price * 908 / 1000} or {@code quantity * unitPrice + 0.5}, with {@code + - * / %} and
 * unary minus. Such an expression is evaluated straight on the {@link Row}, without CEL's
 * activation and dispatch, which cost several hundred nanoseconds a record; everything else goes
 * to CEL.
 *
 * <p>It gives CEL's value or steps aside: integers (any integer field, as CEL's int) add, subtract
 * and multiply exactly, divide and take remainders truncated toward zero; doubles follow IEEE
 * (division by zero is infinite). Where CEL might fail or where its answer is less certain, the
 * evaluation gives up and {@link RowExpression.Compiled} asks CEL, so errors and their messages
 * are CEL's: an int64 overflow, an integer divisor of 0 or -1, a null field. Int and double never
 * mix (CEL's checker rejects {@code int * double}), so the types are fixed when it is built.
 */
abstract class RowArithmetic {
  /** Thrown when CEL has to decide; stack-free, as it carries no information. */
  static final class GiveUp extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final GiveUp INSTANCE = new GiveUp();

    private GiveUp() {
      super("left to CEL", null, false, false);
    }
  }

  /** Whether the value is a double (else an int64). */
  abstract boolean isDouble();

  abstract long longValue(Row row);

  abstract double doubleValue(Row row);

  /** The value as CEL would box it: a Long or a Double; throws {@link GiveUp} where CEL must decide. */
  final Object value(Row row) {
    return isDouble() ? (Object) doubleValue(row) : (Object) longValue(row);
  }

  /** Adds the indices of the fields this expression reads. */
  abstract void fields(BitSet into);

  /**
   * The fast form of a checked expression over a row whose fields are top-level variables (as in
   * {@link RowExpression}), if it is arithmetic over numeric fields and literals.
   */
  static Optional<RowArithmetic> of(CelExpr expr, Schema schema) {
    return Optional.ofNullable(build(expr, schema));
  }

  private static @Nullable RowArithmetic build(CelExpr expr, Schema schema) {
    switch (expr.getKind()) {
      case IDENT:
        return field(expr.ident().name(), schema);
      case CONSTANT:
        switch (expr.constant().getKind()) {
          case INT64_VALUE:
            return new Literal(false, expr.constant().int64Value(), 0);
          case DOUBLE_VALUE:
            return new Literal(true, 0, expr.constant().doubleValue());
          default:
            return null;
        }
      case CALL:
        break;
      default:
        return null;
    }
    if (expr.call().target().isPresent()) {
      return null;
    }
    String function = expr.call().function();
    if (function.equals("-_") && expr.call().args().size() == 1) {
      RowArithmetic operand = build(expr.call().args().get(0), schema);
      return operand == null ? null : new Negate(operand);
    }
    if (expr.call().args().size() != 2) {
      return null;
    }
    int op = switch (function) {
      case "_+_" -> Binary.ADD;
      case "_-_" -> Binary.SUBTRACT;
      case "_*_" -> Binary.MULTIPLY;
      case "_/_" -> Binary.DIVIDE;
      case "_%_" -> Binary.REMAINDER;
      default -> -1;
    };
    if (op < 0) {
      return null;
    }
    RowArithmetic left = build(expr.call().args().get(0), schema);
    RowArithmetic right = build(expr.call().args().get(1), schema);
    if (left == null || right == null || left.isDouble() != right.isDouble() || (op == Binary.REMAINDER && left.isDouble())) {
      return null;
    }
    return new Binary(op, left, right);
  }

  private static @Nullable RowArithmetic field(String name, Schema schema) {
    int index = RowExpression.variableField(name, schema);
    if (index < 0) {
      return null;
    }
    TypeName type = schema.getField(index).getType().getTypeName();
    if (RowExpression.isInteger(type)) {
      return new Field(index, false);
    }
    return type == TypeName.FLOAT || type == TypeName.DOUBLE ? new Field(index, true) : null;
  }

  /** A numeric field, as CEL sees it (every integer as an int64, float as a double); a null gives up. */
  private static final class Field extends RowArithmetic {
    private final int index;
    private final boolean isDouble;

    Field(int index, boolean isDouble) {
      this.index = index;
      this.isDouble = isDouble;
    }

    @Override
    boolean isDouble() {
      return isDouble;
    }

    private Number number(Row row) {
      Object value = row.getValue(index);
      if (value == null) {
        throw GiveUp.INSTANCE;
      }
      return (Number) value;
    }

    @Override
    long longValue(Row row) {
      return number(row).longValue();
    }

    @Override
    double doubleValue(Row row) {
      return number(row).doubleValue();
    }

    @Override
    void fields(BitSet into) {
      into.set(index);
    }
  }

  /** An int or double literal. */
  private static final class Literal extends RowArithmetic {
    private final boolean isDouble;
    private final long longValue;
    private final double doubleValue;

    Literal(boolean isDouble, long longValue, double doubleValue) {
      this.isDouble = isDouble;
      this.longValue = longValue;
      this.doubleValue = doubleValue;
    }

    @Override
    boolean isDouble() {
      return isDouble;
    }

    @Override
    long longValue(Row row) {
      return longValue;
    }

    @Override
    double doubleValue(Row row) {
      return doubleValue;
    }

    @Override
    void fields(BitSet into) {}
  }

  /** {@code -x}: an int that overflows (-MIN) gives up. */
  private static final class Negate extends RowArithmetic {
    private final RowArithmetic operand;

    Negate(RowArithmetic operand) {
      this.operand = operand;
    }

    @Override
    boolean isDouble() {
      return operand.isDouble();
    }

    @Override
    long longValue(Row row) {
      try {
        return Math.negateExact(operand.longValue(row));
      } catch (ArithmeticException overflow) {
        throw GiveUp.INSTANCE;
      }
    }

    @Override
    double doubleValue(Row row) {
      return -operand.doubleValue(row);
    }

    @Override
    void fields(BitSet into) {
      operand.fields(into);
    }
  }

  /** {@code a op b} over two ints or two doubles. */
  private static final class Binary extends RowArithmetic {
    static final int ADD = 0;
    static final int SUBTRACT = 1;
    static final int MULTIPLY = 2;
    static final int DIVIDE = 3;
    static final int REMAINDER = 4;

    private final int op;
    private final RowArithmetic left;
    private final RowArithmetic right;

    Binary(int op, RowArithmetic left, RowArithmetic right) {
      this.op = op;
      this.left = left;
      this.right = right;
    }

    @Override
    boolean isDouble() {
      return left.isDouble();
    }

    @Override
    long longValue(Row row) {
      long a = left.longValue(row);
      long b = right.longValue(row);
      try {
        switch (op) {
          case ADD:
            return Math.addExact(a, b);
          case SUBTRACT:
            return Math.subtractExact(a, b);
          case MULTIPLY:
            return Math.multiplyExact(a, b);
          default:
            // 0 fails in CEL, and -1 overflows on Long.MIN_VALUE: CEL decides both.
            if (b == 0 || b == -1) {
              throw GiveUp.INSTANCE;
            }
            return op == DIVIDE ? a / b : a % b;
        }
      } catch (ArithmeticException overflow) {
        throw GiveUp.INSTANCE; // an int64 overflow: CEL reports it in its own words
      }
    }

    @Override
    double doubleValue(Row row) {
      double a = left.doubleValue(row);
      double b = right.doubleValue(row);
      switch (op) {
        case ADD:
          return a + b;
        case SUBTRACT:
          return a - b;
        case MULTIPLY:
          return a * b;
        default:
          return a / b;
      }
    }

    @Override
    void fields(BitSet into) {
      left.fields(into);
      right.fields(into);
    }
  }
}
