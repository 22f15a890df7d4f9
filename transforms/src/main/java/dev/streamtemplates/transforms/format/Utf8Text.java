package dev.streamtemplates.transforms.format;

import org.checkerframework.checker.nullness.qual.Nullable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding of text payloads (CSV and XML documents): {@code new String(bytes,
 * UTF_8)} would silently put U+FFFD in place of bytes that are not UTF-8.
 */
final class Utf8Text {
  private Utf8Text() {}

  /**
   * The text of {@code payload} without its byte-order mark; or null, after reporting the whole
   * payload to {@code receiver} as a failure naming the first byte that is not UTF-8, its offset
   * and its line.
   */
  static @Nullable String decode(byte[] payload, RecordFormat.Receiver receiver) {
    byte[] bytes = Boms.strip(payload);
    CharsetDecoder decoder =
        StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    try {
      return decoder.decode(buffer).toString();
    } catch (CharacterCodingException e) {
      int at = buffer.position(); // the decoder stops at the malformed sequence
      int line = 1;
      for (int i = 0; i < at; i++) {
        if (bytes[i] == '\n') {
          line++;
        }
      }
      receiver.failure(payload,
          String.format("not UTF-8: byte 0x%02X at offset %d (line %d); the payload is not read", bytes[at] & 0xff, at, line));
      return null;
    }
  }
}
