package dev.streamtemplates.pipelines.spec;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.Assert.assertThrows;

import java.util.Map;
import org.joda.time.Duration;
import org.junit.Test;

/** Durations in the short form and in ISO-8601, their bounds, and the one line a refused one gives. */
public class DurationsTest {
  @Test
  public void theShortFormAndIso8601AreTheSameDurations() {
    assertThat(Durations.parse("5m", "p"), equalTo(Duration.millis(300_000)));
    assertThat(Durations.parse("PT5M", "p"), equalTo(Duration.millis(300_000)));
    assertThat(Durations.parse("pt5m", "p"), equalTo(Duration.millis(300_000)));
    assertThat(Durations.parse("250ms", "p"), equalTo(Duration.millis(250)));
    assertThat(Durations.parse("PT0.25S", "p"), equalTo(Duration.millis(250)));
    assertThat(Durations.parse("P1D", "p"), equalTo(Duration.millis(86_400_000)));
    assertThat(Durations.parse("PT1H30M", "p"), equalTo(Duration.millis(5_400_000)));
    assertThat(Durations.parse("P1DT2H", "p"), equalTo(Duration.millis(93_600_000)));
    assertThat(Durations.parse("-PT5S", "p"), equalTo(Duration.millis(-5_000)));
    assertThat(Durations.parse("-5s", "p"), equalTo(Duration.millis(-5_000)));
    assertThat(Durations.parse("PT0S", "p"), equalTo(Duration.ZERO));
  }

  @Test
  public void aRefusedDurationIsOneLineWithTheValueAndBothForms() {
    assertThat(Durations.problem("5 minutes", false), equalTo("'5 minutes' is not a duration; write e.g. 5m, 90s, 250ms, 2h, 1d or ISO-8601 PT5M"));
    // Years and months have no fixed length: java.time.Duration does not read them, nor do specs.
    assertThat(Durations.problem("P1Y", false), equalTo("'P1Y' is not a duration; write e.g. 5m, 90s, 250ms, 2h, 1d or ISO-8601 PT5M"));
    assertThat(Durations.problem("PT", false), equalTo("'PT' is not a duration; write e.g. 5m, 90s, 250ms, 2h, 1d or ISO-8601 PT5M"));
    assertThat(Durations.problem("PT0.0001S", false), equalTo("'PT0.0001S' is finer than a millisecond, the finest duration a spec may give"));
    assertThat(Durations.problem("-5s", false), equalTo("'-5s' is negative; a duration here is zero or more, e.g. 5m, 90s, 250ms, 2h, 1d or ISO-8601 PT5M"));
    assertThat(Durations.problem("-PT5S", false), equalTo("'-PT5S' is negative; a duration here is zero or more, e.g. 5m, 90s, 250ms, 2h, 1d or ISO-8601 PT5M"));
    assertThat(Durations.problem("-PT5S", true), nullValue());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse("5x", "steps[0].within"));
    assertThat(e.getMessage(), equalTo("steps[0].within: '5x' is not a duration; write e.g. 5m, 90s, 250ms, 2h, 1d or ISO-8601 PT5M"));
  }

  @Test
  public void bothFormsAreBoundedBy100Years() {
    assertThat(Durations.problem("36525d", false), nullValue());
    assertThat(Durations.problem("P36525D", false), nullValue());
    String longer = "is longer than the longest duration allowed, 36525d (100 years)";
    assertThat(Durations.problem("36526d", false), equalTo("'36526d' " + longer));
    assertThat(Durations.problem("P36526D", false), equalTo("'P36526D' " + longer));
    assertThat(Durations.problem("PT876601H", false), equalTo("'PT876601H' " + longer));
    assertThat(Durations.problem("-P36526D", true), equalTo("'-P36526D' " + longer));
    // Beyond what java.time.Duration holds, and beyond a long of milliseconds: still the bound, not a crash.
    assertThat(Durations.problem("PT99999999999999999999H", false), equalTo("'PT99999999999999999999H' " + longer));
    assertThat(Durations.problem("P999999999999D", false), equalTo("'P999999999999D' " + longer));
    assertThat(Durations.problem("99999999999d", false), equalTo("'99999999999d' " + longer));
  }

  @Test
  public void aDurationParameterAcceptsBothFormsAndSaysWhyItRefusesOne() {
    ParameterSpec size = new ParameterSpec("size", "duration", "1m", "Window size.", null, false);
    assertThat(size.check("PT1M"), nullValue());
    assertThat(size.check("1m"), nullValue());
    assertThat(size.check("5 minutes"), equalTo("--size=5 minutes is not a duration; write e.g. 5m, 90s, 250ms, 2h, 1d or ISO-8601 PT5M"));
    assertThat(size.check("-1d"), equalTo("--size=-1d is negative; a duration here is zero or more, e.g. 5m, 90s, 250ms, 2h, 1d or ISO-8601 PT5M"));
    assertThat(size.check("P36526D"), equalTo("--size=P36526D is longer than the longest duration allowed, 36525d (100 years)"));
  }

  static final String SPEC =
      "name: windows\n"
          + "description: Durations in a spec.\n"
          + "parameters:\n"
          + "  lateness: {type: duration, default: PT30S, description: Allowed lateness.}\n"
          + "sources:\n"
          + "  - {name: in, type: file, path: in.jsonl, format: json, schema: s.avsc, eventTime: {field: at, maxOutOfOrderness: %s}}\n"
          + "sinks:\n"
          + "  - {name: out, input: in, type: file, format: json, path: out/part}\n";

  @Test
  public void aSpecDurationIsCheckedByItsSchemaWithTheSameOneLine() {
    SpecNode root = TemplateSpec.parse("windows.yaml", String.format(SPEC, "PT0.5S")).resolve(Map.of());
    assertThat(root.items("sources").get(0).child("eventTime").text("maxOutOfOrderness"), equalTo("PT0.5S"));

    SpecException e = org.junit.Assert.assertThrows(SpecException.class,
        () -> TemplateSpec.parse("windows.yaml", String.format(SPEC, "'5 minutes'")).resolve(Map.of()));
    assertThat(e.errors(), equalTo(java.util.List.of(
        "sources[0].eventTime.maxOutOfOrderness: '5 minutes' is not a duration; write e.g. 5m, 90s, 250ms, 2h, 1d or ISO-8601 PT5M")));

    e = org.junit.Assert.assertThrows(SpecException.class,
        () -> TemplateSpec.parse("windows.yaml", String.format(SPEC, "-1s")).resolve(Map.of("lateness", "half a minute")));
    assertThat(e.errors(), equalTo(java.util.List.of(
        "--lateness=half a minute is not a duration; write e.g. 5m, 90s, 250ms, 2h, 1d or ISO-8601 PT5M")));
  }
}
