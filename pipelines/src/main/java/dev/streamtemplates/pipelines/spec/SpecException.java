package dev.streamtemplates.pipelines.spec;

import java.util.List;

/**
 * A template spec, or the options it was launched with, is invalid. Carries every error found,
 * each prefixed with its path in the spec (e.g. {@code steps[1].fields.total}) or the option name.
 */
public final class SpecException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final List<String> errors;

  public SpecException(String source, List<String> errors) {
    super(render(source, errors));
    this.errors = List.copyOf(errors);
  }

  public SpecException(String source, String error) {
    this(source, List.of(error));
  }

  public List<String> errors() {
    return errors;
  }

  private static String render(String source, List<String> errors) {
    StringBuilder text = new StringBuilder(source).append(": ")
        .append(errors.size() == 1 ? "1 error" : errors.size() + " errors");
    for (String error : errors) {
      text.append("\n  - ").append(error);
    }
    return text.toString();
  }
}
