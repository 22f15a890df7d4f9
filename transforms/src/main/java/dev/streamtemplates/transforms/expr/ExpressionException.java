package dev.streamtemplates.transforms.expr;

/**
 * A CEL expression that does not compile against its input schema. The message names where the
 * expression came from (a spec path such as {@code steps[1].fields.total}), the line and column,
 * and the reason, e.g. {@code steps[1].fields.total: 1:1: undeclared reference to 'amout'}.
 */
public final class ExpressionException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ExpressionException(String message) {
    super(message);
  }
}
