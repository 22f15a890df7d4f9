package dev.streamtemplates.transforms.expr;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.junit.Test;

/** The fast path gives CEL's answer for every condition it takes, nulls and NaN included. */
public class RowPredicateTest {
  static final Schema SCHEMA = Schema.builder().addNullableField("type", FieldType.STRING).addNullableField("n", FieldType.INT64)
      .addNullableField("x", FieldType.DOUBLE).addNullableField("ok", FieldType.BOOLEAN).build();

  @Test
  public void fastPathAgreesWithCel() throws Exception {
    List<String> conditions = List.of("event.type == 'A'", "event.type != 'A'", "'A' == event.type", "event.n > 3", "3 < event.n",
        "event.n <= 3", "event.n >= 3 && event.type == 'B'", "event.x < 2.5 || event.ok == true", "event.x == 2", "event.x != 2",
        "event.n == 9223372036854775807", "event.ok != false", "2.5 >= event.x");
    List<Row> rows = new ArrayList<>();
    for (String type : new String[] {"A", "B", null}) {
      for (Long n : new Long[] {1L, 3L, 5L, Long.MAX_VALUE, null}) {
        for (Double x : new Double[] {1.0, 2.0, 2.5, Double.NaN, -0.0, null}) {
          for (Boolean ok : new Boolean[] {true, false, null}) {
            rows.add(Row.withSchema(SCHEMA).addValues(type, n, x, ok).build());
          }
        }
      }
    }
    for (String condition : conditions) {
      ScopedExpression.Compiled program = ScopedExpression.compile("c", Map.of("event", FieldType.row(SCHEMA)), condition).program();
      assertThat(condition + " should take the fast path", program.hasRowFastPath(), equalTo(true));
      for (Row row : rows) {
        Map<String, Object> cel = ScopedExpression.celValue(row);
        assertThat(condition + " on " + row, program.testEvent(row), equalTo(program.test(name -> cel)));
      }
    }
    assertThat(ScopedExpression.compile("c", Map.of("event", FieldType.row(SCHEMA)), "!(event.n > 3)").program().hasRowFastPath(), equalTo(false));
    assertThat(ScopedExpression.compile("c", Map.of("event", FieldType.row(SCHEMA)), "event.type < 'B'").program().hasRowFastPath(), equalTo(false));
  }

  @Test
  public void filterConditionsOverFieldVariablesTakeTheFastPathWithCelsAnswers() throws Exception {
    List<String> conditions = List.of("n > 3", "type in ['A', 'B']", "n % 3 == 1", "n % -4 != 0", "n % 123 == 0", "3 < n % 5",
        "x in [1.0, 2.5]", "n in [1, 5]", "type == 'A' && n % 2 == 0", "event.n >= 3 || ok == true", "x < 2.5 || ok");
    List<Row> rows = new ArrayList<>();
    for (String type : new String[] {"A", "B", "C", null}) {
      for (Long n : new Long[] {1L, 3L, 5L, 246L, -7L, -246L, Long.MIN_VALUE, Long.MAX_VALUE, null}) {
        for (Double x : new Double[] {1.0, 2.5, Double.NaN, -0.0, null}) {
          for (Boolean ok : new Boolean[] {true, false, null}) {
            rows.add(Row.withSchema(SCHEMA).addValues(type, n, x, ok).build());
          }
        }
      }
    }
    for (String condition : conditions) {
      RowExpression.Compiled program = RowExpression.compile("c", SCHEMA, condition).requireBoolean().program();
      boolean fast = !condition.equals("x < 2.5 || ok"); // a bare boolean is not a comparison: CEL's
      assertThat(condition + " fast path", program.hasFastPath(), equalTo(fast));
      for (Row row : rows) {
        if (!row.getValues().contains(null)) {
          assertThat(condition + " on " + row, program.test(row), equalTo(program.evalRaw(row)));
        }
      }
    }
    // With a null, CEL decides, null-safety included.
    RowExpression.Compiled notA = RowExpression.compile("c", SCHEMA, "type != 'A'").program();
    Row nullType = Row.withSchema(SCHEMA).addValues(null, 1L, 1.0, true).build();
    assertThat(notA.testNullSafe(nullType), equalTo(RowExpression.compile("c", SCHEMA, "!(type == 'A')").program().testNullSafe(nullType)));
  }

  static final Schema INNER = Schema.builder().addNullableField("tier", FieldType.STRING).build();
  static final Schema RECORD = Schema.builder().addNullableField("state", FieldType.STRING).addNullableField("n", FieldType.INT32)
      .addNullableField("x", FieldType.DOUBLE).addNullableField("ok", FieldType.BOOLEAN).addNullableField("inner", FieldType.row(INNER)).build();
  static final Schema JOINED = Schema.builder().addStringField("id").addNullableField("value", FieldType.row(RECORD)).build();

  /** Conditions on fields of nested records (an Enrich's {@code value}): CEL's answers, and never an error. */
  @Test
  public void nestedFieldConditionsTakeTheFastPathWithCelsAnswersAndCannotFail() throws Exception {
    List<String> fast = List.of("value.state != ''", "value.state == 'OR'", "value.state in ['OR', 'ID']", "value.n > 3", "3 >= value.n",
        "value.n == 5 && id == 'a'", "value.x >= 2.5", "value.x != 1.0 || value.ok == true", "value.inner.tier == 'gold'", "value.ok == false",
        "event.value.state == 'OR'");
    // A nested field is dyn to CEL: an int literal against a double field (or the reverse) is CEL's to decide.
    List<String> slow = List.of("value.x > 2", "value.n == 3.0", "value.state < 'B'", "has(value.state)", "value.inner == null");
    List<Row> rows = new ArrayList<>();
    rows.add(Row.withSchema(JOINED).addValues("a", null).build());
    for (String state : new String[] {"OR", "", "CA", null}) {
      for (Integer n : new Integer[] {3, 5, null}) {
        for (Double x : new Double[] {1.0, 2.5, Double.NaN, null}) {
          for (Boolean ok : new Boolean[] {true, false, null}) {
            for (Row inner : new Row[] {Row.withSchema(INNER).addValue("gold").build(), Row.withSchema(INNER).addValue(null).build(), null}) {
              rows.add(Row.withSchema(JOINED).addValues(n == null ? "b" : "a", Row.withSchema(RECORD).addValues(state, n, x, ok, inner).build()).build());
            }
          }
        }
      }
    }
    for (String condition : fast) {
      RowExpression expression = RowExpression.compile("c", JOINED, condition).requireBoolean();
      RowExpression.Compiled program = expression.program();
      assertThat(condition + " fast path", program.hasFastPath(), equalTo(true));
      assertThat(condition + " cannot fail", expression.conditionCannotFail(), equalTo(true));
      for (Row row : rows) {
        boolean answer = program.testNullSafe(row); // throws if it can fail after all
        Object cel;
        try {
          cel = program.evalRaw(row); // CEL alone: an error is "missing data", false
        } catch (Exception e) {
          cel = false;
        }
        assertThat(condition + " on " + row, answer, equalTo(cel));
      }
    }
    for (String condition : slow) {
      assertThat(condition + " fast path", RowExpression.compile("c", JOINED, condition).requireBoolean().program().hasFastPath(), equalTo(false));
    }
  }
}
