package dev.streamtemplates.transforms.deadletter;

/**
 * A record-level failure whose message is already a complete, readable reason (it names the field
 * and the value). Thrown inside DoFns and turned into a dead letter, never out of a bundle.
 */
public final class RecordException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RecordException(String message) {
    super(message);
  }

  public RecordException(String message, Throwable cause) {
    super(message, cause);
  }
}
