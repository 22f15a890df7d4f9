package dev.streamtemplates.transforms.expr;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.Assert.assertThrows;

import dev.cel.runtime.CelEvaluationException;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.joda.time.DateTime;
import org.joda.time.DateTimeZone;
import org.junit.Test;

public class RowExpressionTest {
  static final Schema ADDRESS = Schema.builder().addStringField("country").build();
  static final Schema SCHEMA =
      Schema.builder()
          .addStringField("id")
          .addInt32Field("quantity")
          .addDoubleField("amount")
          .addDateTimeField("at")
          .addRowField("address", ADDRESS)
          .addArrayField("tags", FieldType.STRING)
          .build();
  static final Row ROW =
      Row.withSchema(SCHEMA)
          .addValues("a-1", 4, 2.5, new DateTime(2024, 5, 1, 10, 0, DateTimeZone.UTC),
              Row.withSchema(ADDRESS).addValue("FR").build(), List.of("x", "y"))
          .build();

  @Test
  public void undeclaredReferenceNamesThePathLineAndColumn() {
    ExpressionException e = assertThrows(ExpressionException.class,
        () -> RowExpression.compile("steps[1].fields.total", SCHEMA, "quantity * amout"));
    assertThat(e.getMessage(), startsWith("steps[1].fields.total: 1:12: undeclared reference to 'amout'"));
  }

  @Test
  public void aBadLiteralRegexIsRefusedWhenCompiledNotForEveryRecord() {
    ExpressionException method = assertThrows(ExpressionException.class,
        () -> RowExpression.compile("steps[0].condition", SCHEMA, "id.matches('^[A-Z')"));
    assertThat(method.getMessage(), startsWith("steps[0].condition: the regular expression '^[A-Z' is not valid: missing closing ]"));
    ExpressionException global = assertThrows(ExpressionException.class,
        () -> RowExpression.compile("steps[0].condition", SCHEMA, "quantity > 1 && matches(id, '(a')"));
    assertThat(global.getMessage(), containsString("the regular expression '(a' is not valid"));
    ExpressionException scoped = assertThrows(ExpressionException.class, () -> ScopedExpression.compile("stages[0].where",
        java.util.Map.of("event", FieldType.row(SCHEMA)), "string(event.id).matches('*x')"));
    assertThat(scoped.getMessage(), containsString("stages[0].where: the regular expression '*x' is not valid"));
    RowExpression.compile("ok", SCHEMA, "id.matches('^[A-Z]+$') && id.matches(string(quantity))"); // not a literal: checked when run
  }

  @Test
  public void syntaxErrorIsRejectedWithPosition() {
    ExpressionException e = assertThrows(ExpressionException.class,
        () -> RowExpression.compile("steps[0].fields.x", SCHEMA, "quantity * (amount"));
    assertThat(e.getMessage(), startsWith("steps[0].fields.x: 1:"));
  }

  @Test
  public void illTypedExpressionIsRejectedAtCompileTime() {
    ExpressionException e = assertThrows(ExpressionException.class,
        () -> RowExpression.compile("f", SCHEMA, "id + quantity"));
    assertThat(e.getMessage(), containsString("found no matching overload"));
  }

  @Test
  public void evaluatesArithmeticStringsTimestampsNestedRowsAndLists() throws CelEvaluationException {
    assertThat(eval("double(quantity) * amount", FieldType.DOUBLE), equalTo(10.0));
    assertThat(eval("id + '/' + address.country", FieldType.STRING), equalTo("a-1/FR"));
    assertThat(eval("at.getHours()", FieldType.INT64), equalTo(10L));
    assertThat(eval("'y' in tags && size(tags) == 2", FieldType.BOOLEAN), equalTo(true));
    assertThat(eval("event['quantity'] + 1", FieldType.INT64), equalTo(5L));
    assertThat(eval("at + duration('1h')", FieldType.DATETIME), equalTo(new DateTime(2024, 5, 1, 11, 0, DateTimeZone.UTC).toInstant()));
    assertThat(eval("amount >= 2 && quantity < 4.5", FieldType.BOOLEAN), equalTo(true));
    assertThat(eval("math.round(amount + 0.1)", FieldType.DOUBLE), equalTo(3.0));
    assertThat(eval("id.upperAscii()", FieldType.STRING), equalTo("A-1"));
  }

  @Test
  public void inferredTypesMapToBeamTypes() {
    assertThat(RowExpression.compile("f", SCHEMA, "quantity * 2").resultType().get(), equalTo(FieldType.INT64));
    assertThat(RowExpression.compile("f", SCHEMA, "amount > 1.0").resultType().get(), equalTo(FieldType.BOOLEAN));
    assertThat(RowExpression.compile("f", SCHEMA, "event.id").resultType().isPresent(), equalTo(false));
  }

  @Test
  public void runtimeFailureIsAnEvaluationException() {
    RowExpression.Compiled divide = RowExpression.compile("f", SCHEMA, "quantity / (quantity - 4)").program();
    CelEvaluationException e = assertThrows(CelEvaluationException.class, () -> divide.evalRaw(ROW));
    assertThat(e.getMessage(), containsString("by zero"));
  }

  @Test
  public void hostileExpressionsAreBounded() {
    // Deep nesting is refused by the parser's recursion limit.
    String deep = "(".repeat(200) + "1" + ")".repeat(200);
    assertThrows(ExpressionException.class, () -> RowExpression.compile("f", SCHEMA, deep));
    // A huge expression is refused by the size limit.
    String huge = "1" + " + 1".repeat(10_000);
    assertThrows(ExpressionException.class, () -> RowExpression.compile("f", SCHEMA, huge));
    // Nested comprehensions stop at the iteration limit instead of running for ever.
    RowExpression.Compiled loops = RowExpression.compile("f", SCHEMA,
        "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c,"
            + " [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, a + b + c + d + e > 0)))))").program();
    CelEvaluationException e = assertThrows(CelEvaluationException.class, () -> loops.evalRaw(ROW));
    assertThat(e.getMessage(), containsString("Iteration budget exceeded"));
    // Functions that could double a value per call are not offered at all: a huge string
    // repetition or list cannot be built in a short expression.
    String doubling = "id" + ".replace('a', 'aa')".repeat(60);
    assertThat(assertThrows(ExpressionException.class, () -> RowExpression.compile("f", SCHEMA, doubling)).getMessage(),
        allOf(containsString("undeclared reference to 'replace'"), containsString("and 55 more errors in f")));
    assertThrows(ExpressionException.class, () -> RowExpression.compile("f", SCHEMA, "size(lists.range(2000000000)) > 0"));
    assertThrows(ExpressionException.class, () -> RowExpression.compile("f", SCHEMA, "id * 100000000"));
  }

  @Test
  public void valuesAnExpressionBuildsAreBoundedBeforeTheyAreBuilt() throws CelEvaluationException {
    Schema big = Schema.builder().addStringField("s").addArrayField("l", FieldType.STRING).build();
    String megabyte = "x".repeat(1_000_000);
    Row row = Row.withSchema(big).addValues(megabyte, java.util.Collections.nCopies(60_000, "y")).build();
    // 2,000 references to a 1 MB field would join into 2 GB: refused before anything is built.
    String joined = "[" + String.join(", ", java.util.Collections.nCopies(2_000, "s")) + "].join()";
    CelEvaluationException e = assertThrows(CelEvaluationException.class,
        () -> RowExpression.compile("f", big, joined).program().evalRaw(row));
    assertThat(e.getMessage(), containsString("join() would build a value of 2,000,000,000 characters, more than the 1,048,576"));
    // The same through map and a separator; and chained concatenation stops at the first step over.
    assertThat(assertThrows(CelEvaluationException.class, () -> RowExpression.compile("f", big,
            "[1,2,3,4,5,6,7,8,9,10].map(i, s).join('-')").program().evalRaw(row)).getMessage(),
        containsString("join() would build a value of 10,000,009 characters"));
    assertThat(assertThrows(CelEvaluationException.class, () -> RowExpression.compile("f", big,
            "s + s + s + s + s + s + s + s").program().evalRaw(row)).getMessage(),
        containsString("+ would build a value of 2,000,000 characters"));
    assertThat(assertThrows(CelEvaluationException.class, () -> RowExpression.compile("f", big,
            "size(l + l) > 0").program().evalRaw(row)).getMessage(),
        containsString("+ would build a value of 120,000 elements, more than the 100,000"));
    assertThat(assertThrows(CelEvaluationException.class, () -> RowExpression.compile("f", big,
            "size(bytes(s) + bytes(s)) > 0").program().evalRaw(row)).getMessage(),
        containsString("+ would build a value of 2,000,000 bytes"));
    // Below the bounds, the same functions give CEL's answers.
    Row small = Row.withSchema(big).addValues("ab", List.of("c", "d")).build();
    assertThat(RowExpression.compile("f", big, "[s, s].join('-') + '!' + l.join()").program().evalRaw(small), equalTo("ab-ab!cd"));
    assertThat(RowExpression.compile("f", big, "(l + ['e']).map(x, x + s)").program().evalRaw(small), equalTo(List.of("cab", "dab", "eab")));
    assertThat(RowExpression.compile("f", big, "l.filter(x, x != 'c') + [] == ['d']").program().evalRaw(small), equalTo(true));
    assertThat(RowExpression.compile("f", big, "string(bytes(s) + bytes('!'))").program().evalRaw(small), equalTo("ab!"));
  }

  private static Object eval(String expression, FieldType type) throws CelEvaluationException {
    return RowExpression.compile("f", SCHEMA, expression).program().eval(ROW, type);
  }

  static final Schema NULLABLE = Schema.builder()
      .addNullableField("s", FieldType.STRING)
      .addNullableField("n", FieldType.INT64)
      .addNullableField("ok", FieldType.BOOLEAN)
      .build();
  static final Row NULLS = Row.withSchema(NULLABLE).addValues(null, null, null).build();
  static final Row VALUES = Row.withSchema(NULLABLE).addValues("abc", 7L, true).build();

  @Test
  public void aNullableFieldComparesWithNull() throws CelEvaluationException {
    RowExpression isNull = RowExpression.compile("c", NULLABLE, "s == null");
    assertThat(isNull.celResultType(), equalTo("bool"));
    assertThat(isNull.program().test(NULLS), equalTo(true));
    assertThat(isNull.program().test(VALUES), equalTo(false));
    assertThat(RowExpression.compile("c", NULLABLE, "s != null && size(s) > 2").program().test(VALUES), equalTo(true));
    assertThat(RowExpression.compile("c", NULLABLE, "s != null && size(s) > 2").program().test(NULLS), equalTo(false));
    assertThat(RowExpression.compile("c", NULLABLE, "n == null || n > 5").program().test(NULLS), equalTo(true));
    assertThat(RowExpression.compile("c", NULLABLE, "event.s == null").program().test(NULLS), equalTo(true));
    assertThat(RowExpression.compile("c", NULLABLE, "s == 'x'").program().test(NULLS), equalTo(false));
    assertThat(RowExpression.compile("c", NULLABLE, "s != 'x'").program().test(NULLS), equalTo(true));
    assertThat(RowExpression.compile("c", NULLABLE, "ok").requireBoolean().program().test(VALUES), equalTo(true));

    RowExpression orNone = RowExpression.compile("f", NULLABLE, "s == null ? 'none' : s");
    assertThat(orNone.resultType().get(), equalTo(FieldType.STRING));
    assertThat(orNone.program().eval(NULLS, FieldType.STRING), equalTo("none"));
    assertThat(orNone.program().eval(VALUES, FieldType.STRING), equalTo("abc"));
    assertThat(RowExpression.compile("f", NULLABLE, "s + '!'").resultType().get(), equalTo(FieldType.STRING));
    assertThat(RowExpression.compile("f", NULLABLE, "s + '!'").program().eval(VALUES, FieldType.STRING), equalTo("abc!"));
    assertThat(RowExpression.compile("f", NULLABLE, "n * 2").program().eval(VALUES, FieldType.INT64), equalTo(14L));
    assertThat(RowExpression.compile("f", NULLABLE, "s").resultType().get(), equalTo(FieldType.STRING));
    // A field that is not nullable is never null: comparing it with null stays an error.
    ExpressionException e = assertThrows(ExpressionException.class, () -> RowExpression.compile("c", SCHEMA, "id == null"));
    assertThat(e.getMessage(), containsString("found no matching overload for '_==_' applied to '(string, null)'"));
  }

  @Test
  public void aFunctionGivenANullFieldSaysWhichFieldIsNull() {
    CelEvaluationException e = assertThrows(CelEvaluationException.class,
        () -> RowExpression.compile("f", NULLABLE, "size(s)").program().eval(NULLS, FieldType.INT64));
    assertThat(e.getMessage(), equalTo("field 's' is null, and size() takes no null; test it first, e.g. s == null ? ... : ..."));
    e = assertThrows(CelEvaluationException.class,
        () -> RowExpression.compile("f", NULLABLE, "size(event.s) + 1").program().eval(NULLS, FieldType.INT64));
    assertThat(e.getMessage(), equalTo("field 's' is null, and size() takes no null; test it first, e.g. s == null ? ... : ..."));
    e = assertThrows(CelEvaluationException.class,
        () -> RowExpression.compile("f", NULLABLE, "s.startsWith('a')").program().eval(NULLS, FieldType.BOOLEAN));
    assertThat(e.getMessage(), equalTo("field 's' is null, and startsWith() takes no null; test it first, e.g. s == null ? ... : ..."));
    e = assertThrows(CelEvaluationException.class,
        () -> RowExpression.compile("f", NULLABLE, "n + 1").program().eval(NULLS, FieldType.INT64));
    assertThat(e.getMessage(), equalTo("field 'n' is null, and '+' takes no null; test it first, e.g. n == null ? ... : ..."));
    // Another failure on a row with nulls keeps CEL's own message.
    e = assertThrows(CelEvaluationException.class,
        () -> RowExpression.compile("f", NULLABLE, "n != null ? n / 0 : 1 / 0").program().eval(NULLS, FieldType.INT64));
    assertThat(e.getMessage(), equalTo("evaluation error at <input>:22: / by zero"));
  }
}
