package dev.streamtemplates.transforms.format;

import dev.streamtemplates.transforms.deadletter.RecordException;
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
   * The text of {@code bytes}, or a {@link RecordException} naming the first byte that is not
   * UTF-8, its offset and its line.
   */
  static String decode(byte[] bytes) {
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
      throw new RecordException(
          String.format("not UTF-8: byte 0x%02X at offset %d (line %d); the payload is not read", bytes[at] & 0xff, at, line));
    }
  }
}
