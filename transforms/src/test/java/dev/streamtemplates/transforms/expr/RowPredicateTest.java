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
}
