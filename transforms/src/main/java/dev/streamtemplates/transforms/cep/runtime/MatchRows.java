package dev.streamtemplates.transforms.cep.runtime;

import dev.cel.runtime.CelEvaluationException;
import dev.streamtemplates.transforms.cep.nfa.Nfa;
import dev.streamtemplates.transforms.expr.ExpressionException;
import dev.streamtemplates.transforms.expr.ScopedExpression;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Instant;

/**
 * Turns matches into rows. A match row is {@code {key, pattern, <one field per stage>, firstAt,
 * lastAt}}: a stage that takes one event is a nullable record of the input schema, a looping stage
 * a list of them. A pattern that ends in an absence with a duration adds {@code absentUntil}, the
 * time the absence lasted until (for a repeating one, the end of the period this match is for).
 * With an {@code emit} projection, the stage fields are replaced by the projected fields, each a
 * CEL expression over {@code key}, {@code firstAt}, {@code lastAt} (and {@code absentUntil}) and
 * the stages. A timed-out partial match has the full form (without {@code absentUntil}) plus
 * {@code timedOutAt}.
 */
public final class MatchRows implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The field of a match that ends in an absence with a duration: when that absence had lasted. */
  public static final String ABSENT_UNTIL = "absentUntil";

  private final Nfa nfa;
  private final Schema full;
  private final Schema timedOut;
  private final Schema output;
  private final LinkedHashMap<String, ScopedExpression> emit;
  private transient Map<String, ScopedExpression.Compiled> programs;

  private MatchRows(Nfa nfa, Schema full, Schema timedOut, Schema output, LinkedHashMap<String, ScopedExpression> emit) {
    this.nfa = nfa;
    this.full = full;
    this.timedOut = timedOut;
    this.output = output;
    this.emit = emit;
  }

  /**
   * @param emit field name to CEL expression, in output order; empty for the full match row
   * @throws IllegalArgumentException naming the field whose expression fails to compile or has no fixed type
   */
  public static MatchRows of(String origin, Nfa nfa, Map<String, String> emit) {
    FieldType event = FieldType.row(nfa.eventSchema());
    Schema.Builder builder = Schema.builder().addStringField("key").addStringField("pattern");
    Map<String, FieldType> scope = new LinkedHashMap<>();
    scope.put("key", FieldType.STRING);
    for (int i = 0; i < nfa.stageCount(); i++) {
      FieldType type = nfa.stageIsList(i) ? FieldType.array(event) : event.withNullable(true);
      builder.addField(nfa.stageName(i), type);
      scope.put(nfa.stageName(i), type);
    }
    builder.addDateTimeField("firstAt").addDateTimeField("lastAt");
    scope.put("firstAt", FieldType.DATETIME);
    scope.put("lastAt", FieldType.DATETIME);
    Schema timedOut = Schema.builder().addFields(builder.build().getFields()).addDateTimeField("timedOutAt").build();
    boolean absence = nfa.finalLastingMillis() > 0;
    if (absence) {
      builder.addDateTimeField(ABSENT_UNTIL);
      scope.put(ABSENT_UNTIL, FieldType.DATETIME);
    }
    Schema full = builder.build();
    LinkedHashMap<String, ScopedExpression> compiled = new LinkedHashMap<>();
    Schema output = full;
    if (!emit.isEmpty()) {
      Schema.Builder projected = Schema.builder().addStringField("key").addStringField("pattern");
      List<String> errors = new ArrayList<>();
      for (Map.Entry<String, String> field : emit.entrySet()) {
        String where = origin + ".emit." + field.getKey();
        if (List.of("key", "pattern", "firstAt", "lastAt", ABSENT_UNTIL).contains(field.getKey())) {
          errors.add(where + ": '" + field.getKey() + "' is always in the output; choose another name");
          continue;
        }
        try {
          ScopedExpression expression = ScopedExpression.compile(where, scope, field.getValue());
          FieldType type = expression.resultType().orElseThrow(() -> new ExpressionException(where + ": cannot tell the type of '"
              + field.getValue() + "'; convert it, e.g. string(...), double(...) or int(...)"));
          compiled.put(field.getKey(), expression);
          projected.addField(field.getKey(), type.withNullable(true));
        } catch (ExpressionException e) {
          errors.add(e.getMessage());
        }
      }
      if (!errors.isEmpty()) {
        throw new IllegalArgumentException(String.join("; ", errors));
      }
      projected.addDateTimeField("firstAt").addDateTimeField("lastAt");
      if (absence) {
        projected.addDateTimeField(ABSENT_UNTIL);
      }
      output = projected.build();
    }
    return new MatchRows(nfa, full, timedOut, output, compiled);
  }

  /** Compiles the emit projection; call it in {@code @Setup} (later calls do nothing). */
  public void prepare() {
    if (programs == null) {
      Map<String, ScopedExpression.Compiled> compiled = new LinkedHashMap<>();
      emit.forEach((name, expression) -> compiled.put(name, expression.program()));
      programs = compiled;
    }
  }

  /** The schema of the match output. */
  public Schema outputSchema() {
    return output;
  }

  public Schema timedOutSchema() {
    return timedOut;
  }

  /** The match as an output row (projected when there is an emit projection). */
  public Row match(String key, Match match) throws CelEvaluationException {
    if (emit.isEmpty()) {
      return fullMatch(key, match);
    }
    prepare();
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("key", key);
    values.put("firstAt", ScopedExpression.celValue(new Instant(match.firstTs()), FieldType.DATETIME));
    values.put("lastAt", ScopedExpression.celValue(new Instant(match.lastTs()), FieldType.DATETIME));
    if (hasAbsentUntil()) {
      values.put(ABSENT_UNTIL, ScopedExpression.celValue(new Instant(match.absentUntil()), FieldType.DATETIME));
    }
    for (int i = 0; i < nfa.stageCount(); i++) {
      List<Row> taken = match.stages().get(i);
      if (nfa.stageIsList(i)) {
        values.put(nfa.stageName(i), taken.stream().map(ScopedExpression::celValue).toList());
      } else {
        values.put(nfa.stageName(i), taken.isEmpty() ? null : ScopedExpression.celValue(taken.get(0)));
      }
    }
    Row.Builder row = Row.withSchema(output).addValues(key, nfa.patternName());
    for (Map.Entry<String, ScopedExpression.Compiled> field : programs.entrySet()) {
      Object value = field.getValue().eval(values::get);
      row.addValue(ScopedExpression.beamValue(value, output.getField(field.getKey()).getType()));
    }
    row.addValues(new Instant(match.firstTs()), new Instant(match.lastTs()));
    if (hasAbsentUntil()) {
      row.addValue(new Instant(match.absentUntil()));
    }
    return row.build();
  }

  private boolean hasAbsentUntil() {
    return nfa.finalLastingMillis() > 0;
  }

  /** The full row of a match, for the dead-letter payload when the projection fails. */
  public Row fullMatch(String key, Match match) {
    Row.Builder row = fullRow(full, key, match);
    if (hasAbsentUntil()) {
      row.addValue(new Instant(match.absentUntil()));
    }
    return row.build();
  }

  /** A timed-out partial match. */
  public Row timedOut(String key, Match partial) {
    return fullRow(timedOut, key, partial).addValue(new Instant(partial.timedOutAt())).build();
  }

  private Row.Builder fullRow(Schema schema, String key, Match match) {
    Row.Builder row = Row.withSchema(schema).addValues(key, nfa.patternName());
    for (int i = 0; i < nfa.stageCount(); i++) {
      List<Row> taken = match.stages().get(i);
      row.addValue(nfa.stageIsList(i) ? taken : (taken.isEmpty() ? null : taken.get(0)));
    }
    return row.addValues(new Instant(match.firstTs()), new Instant(match.lastTs()));
  }
}
