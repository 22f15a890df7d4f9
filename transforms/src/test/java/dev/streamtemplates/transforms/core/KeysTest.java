package dev.streamtemplates.transforms.core;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.Assert.assertThrows;

import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.junit.Test;

/** The one keying rule: values as text, several joined unambiguously, a null key field means no key. */
public class KeysTest {
  static final Schema SCHEMA = Schema.builder()
      .addNullableField("card", FieldType.STRING).addNullableField("n", FieldType.INT64).build();

  static Row row(String card, Long n) {
    return Row.withSchema(SCHEMA).addValues(card, n).build();
  }

  @Test
  public void nullKeyFieldMeansNoKeyAndIsNeverTheTextNull() {
    Keys keys = Keys.of("card");
    assertThat(keys.of(row(null, 1L)), nullValue());
    assertThat(keys.of(row("null", 1L)), equalTo("null"));
    assertThat(keys.nullReason(row(null, 1L)), equalTo("key field 'card' is null"));
  }

  @Test
  public void severalFieldsJoinWithoutAmbiguity() {
    Keys keys = Keys.of(List.of("card", "n"));
    assertThat(keys.of(row("a", 12L)), not(equalTo(keys.of(row("a1", 2L)))));
    assertThat(keys.of(row("a", null)), nullValue());
    assertThat(keys.nullReason(row("a", null)), equalTo("key field 'n' is null"));
  }

  @Test
  public void blankKeyFieldIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Keys.of(" "));
    assertThat(e.getMessage(), equalTo("key field must be a non-empty name, got ' '"));
  }
}
