package dev.streamtemplates.transforms.expr;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.junit.Test;

/** The arithmetic fast path gives CEL's value, or CEL's error, for every expression it takes. */
public class RowArithmeticTest {
  private static final Schema SCHEMA = Schema.builder().addNullableField("a", FieldType.INT64).addNullableField("b", FieldType.INT64)
      .addNullableField("i", FieldType.INT32).addNullableField("x", FieldType.DOUBLE).addNullableField("f", FieldType.FLOAT)
      .addNullableField("s", FieldType.STRING).build();

  private static final long[] EDGES = {0, 1, -1, 2, -2, 7, -7, 908, 1000, 123, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1,
      Long.MIN_VALUE + 1, 3037000499L, 3037000500L, -3037000500L, 1L << 32, Integer.MAX_VALUE, Integer.MIN_VALUE};
  private static final double[] DOUBLE_EDGES = {0.0, -0.0, 1.5, -2.25, 1e308, -1e308, Double.MIN_VALUE, Double.NaN,
      Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};

  @Test
  public void arithmeticAgreesWithCelOnEdgesAndRandomValues() throws Exception {
    List<String> expressions = List.of("a * 908 / 1000", "a + b", "a - b", "a * b", "a / b", "a % b", "-a", "-(a - b) * 2",
        "a % 123 + i", "i * i * i", "a / -1", "a % -1", "(a + 1) * (b - 1) / (i % 5)", "x * 2.5 + x", "x / 0.0", "x - -x",
        "x * f", "-f / x", "0.0 / x", "a", "42", "a * 9223372036854775807", "b / 0", "b % 0");
    Random random = new Random(7);
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < 3000; r++) {
      Long a = r % 41 == 0 ? null : pick(random);
      Long b = r % 37 == 0 ? null : pick(random);
      Integer i = r % 43 == 0 ? null : (int) pick(random);
      Double x = r % 47 == 0 ? null : r % 2 == 0 ? DOUBLE_EDGES[random.nextInt(DOUBLE_EDGES.length)] : random.nextGaussian() * 1e6;
      Float f = r % 53 == 0 ? null : (float) random.nextGaussian();
      rows.add(Row.withSchema(SCHEMA).addValues(a, b, i, x, f, "s").build());
    }
    for (String text : expressions) {
      RowExpression expression = RowExpression.compile("f", SCHEMA, text);
      RowExpression.Compiled program = expression.program();
      assertThat(text + " should take the fast path", program.hasFastPath(), equalTo(true));
      FieldType type = expression.resultType().orElseThrow();
      for (Row row : rows) {
        assertThat(text + " on " + row, outcome(() -> program.eval(row, type)),
            equalTo(outcome(() -> CelTypes.toBeamValue(program.evalRaw(row), type))));
      }
    }
  }

  @Test
  public void declaredNarrowerTypeConvertsAsCelsResultWould() throws Exception {
    RowExpression.Compiled program = RowExpression.compile("f", SCHEMA, "a * 2").program();
    Row big = Row.withSchema(SCHEMA).addValues(Long.MAX_VALUE / 4, 1L, 1, 1.0, 1f, "s").build();
    Row small = Row.withSchema(SCHEMA).addValues(21L, 1L, 1, 1.0, 1f, "s").build();
    assertThat(outcome(() -> program.eval(small, FieldType.INT32)), equalTo("Integer:42"));
    assertThat(outcome(() -> program.eval(big, FieldType.INT32)), equalTo(outcome(() -> CelTypes.toBeamValue(program.evalRaw(big),
        FieldType.INT32))));
  }

  @Test
  public void otherExpressionsAreLeftToCel() {
    for (String text : List.of("double(a) * x", "a + int(x)", "s + 's'", "a > b ? a : b", "int(event.a) * 2", "math.abs(a)",
        "size(s) * 2")) {
      RowExpression.Compiled program = RowExpression.compile("f", SCHEMA, text).program();
      assertThat(text + " should be left to CEL", program.hasFastPath(), equalTo(false));
    }
  }

  private static long pick(Random random) {
    return switch (random.nextInt(3)) {
      case 0 -> EDGES[random.nextInt(EDGES.length)];
      case 1 -> random.nextInt(2001) - 1000;
      default -> random.nextLong();
    };
  }

  private interface Eval {
    Object get() throws Exception;
  }

  /** The value as text (so that NaN equals NaN and -0.0 differs from 0.0), or the error's message. */
  private static String outcome(Eval eval) {
    try {
      Object value = eval.get();
      return value == null ? "null" : value.getClass().getSimpleName() + ":" + value;
    } catch (Exception e) {
      return "error: " + e.getMessage();
    }
  }
}
