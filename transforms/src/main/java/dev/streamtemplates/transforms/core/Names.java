package dev.streamtemplates.transforms.core;

import org.checkerframework.checker.nullness.qual.Nullable;

/** Checks of names given to transforms: step names, origins, field names. */
public final class Names {
  private Names() {}

  /**
   * {@code value}, if it is a non-blank name.
   *
   * @param what what the name is, for the message, e.g. {@code "key field"}
   * @throws IllegalArgumentException naming {@code what} and the value otherwise
   */
  public static String require(@Nullable String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must be a non-empty name, got '" + value + "'");
    }
    return value;
  }
}
