package dev.streamtemplates.pipelines.spec;

import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A declared template parameter: set on the command line as {@code --name=value}.
 *
 * @param name the option name
 * @param type {@code string}, {@code integer}, {@code number}, {@code boolean} or {@code duration}
 *     (checked by {@link Durations}: {@code 5m} or ISO-8601 {@code PT5M}, zero or more; substituted
 *     as text)
 * @param defaultValue the value when none is given; null makes the parameter required
 * @param description one line for {@code --help}
 * @param pattern an optional regular expression the whole value must match
 * @param secret whether the value must never be printed (passwords, JAAS configs)
 */
public record ParameterSpec(
    String name,
    String type,
    @Nullable String defaultValue,
    String description,
    @Nullable String pattern,
    boolean secret) {

  /** Checks a value; returns null when valid, else the reason, naming the parameter and the expected form. */
  public @Nullable String check(String value) {
    String expected;
    boolean ok;
    switch (type) {
      case "integer":
        ok = value.matches("-?\\d+") && fitsLong(value);
        expected = value.matches("-?\\d+") ? "an integer from -9223372036854775808 to 9223372036854775807" : "an integer";
        break;
      case "number":
        ok = value.matches("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?") && Double.isFinite(Double.parseDouble(value));
        expected = "a number";
        break;
      case "boolean":
        ok = value.equals("true") || value.equals("false");
        expected = "true or false";
        break;
      case "duration":
        String reason = Durations.reason(value, false);
        if (reason != null) {
          return "--" + name + "=" + shown(value) + " " + reason; // "--size=5 minutes is not a duration; write e.g. ..."
        }
        ok = true;
        expected = "a duration";
        break;
      default:
        ok = true;
        expected = "a string";
    }
    if (!ok) {
      return "--" + name + "=" + shown(value) + " is not valid: expected " + expected;
    }
    if (pattern != null && !Pattern.compile(pattern).matcher(value).matches()) {
      return "--" + name + "=" + shown(value) + " is not valid: expected a value matching " + pattern
          + (description.isEmpty() ? "" : " (" + description + ")");
    }
    return null;
  }

  private static boolean fitsLong(String value) {
    try {
      Long.parseLong(value);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** The value as it may be shown in logs and errors. */
  public String shown(String value) {
    return secret ? "******" : value;
  }
}
