package dev.streamtemplates.transforms.format;

import com.fasterxml.jackson.core.JsonProcessingException;

/** Short, readable reasons for Jackson and RowJson failures (no source dumps, no stack traces). */
final class JsonErrors {
  private JsonErrors() {}

  static String reason(Throwable e) {
    Throwable cause = e;
    // RowJson wraps its own UnsupportedRowJsonException in Jackson's; the inner one is the clear one.
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    String message =
        cause instanceof JsonProcessingException
            ? ((JsonProcessingException) cause).getOriginalMessage()
            : cause.getMessage();
    if (e instanceof JsonProcessingException && cause == e) {
      message = "malformed JSON: " + message;
    }
    return message == null ? cause.getClass().getSimpleName() : message.replace('\n', ' ');
  }
}
