package dev.streamtemplates.transforms.format;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Strict UTF-8 decoding of text payloads (CSV and XML documents): {@code new String(bytes,
 * UTF_8)} would silently put U+FFFD in place of bytes that are not UTF-8. Here each run of bad
 * bytes is still decoded as U+FFFD, so that the rest of the document can be parsed, but its place
 * is remembered: the format then dead-letters the record that holds it, with the byte, its offset
 * and its line, and reads the others. Hand-written because the JDK's decoders either replace
 * silently or stop at the first bad byte, and say nothing of where it lies in the text.
 */
final class Utf8Text {
  /** A run of bytes that are not UTF-8: where it starts in the payload and the text, its length, its line. */
  record BadBytes(int byteOffset, int length, int charPosition, long line, int firstByte) {
    String reason(String what) {
      return String.format("not UTF-8: byte 0x%02X at offset %d (line %d); %s", firstByte, byteOffset, line, what);
    }
  }

  private final byte[] payload;
  private final int bomLength;
  private final String text;
  private final List<BadBytes> bad;

  private Utf8Text(byte[] payload, int bomLength, String text, List<BadBytes> bad) {
    this.payload = payload;
    this.bomLength = bomLength;
    this.text = text;
    this.bad = bad;
  }

  /** Decodes {@code payload} without its byte-order mark, marking every run of bytes that are not UTF-8. */
  static Utf8Text of(byte[] payload) {
    byte[] bytes = Boms.strip(payload);
    int bom = payload.length - bytes.length;
    CharsetDecoder decoder =
        StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length + 1); // UTF-8 never gives more chars than bytes
    List<BadBytes> bad = new ArrayList<>();
    long line = 1;
    int counted = 0; // bytes up to here are counted in line
    while (true) {
      CoderResult result = decoder.decode(in, out, true);
      if (result.isUnderflow()) {
        decoder.flush(out);
        break;
      }
      if (result.isError()) {
        int at = in.position();
        for (; counted < at; counted++) {
          if (bytes[counted] == '\n' || (bytes[counted] == '\r' && (counted + 1 == bytes.length || bytes[counted + 1] != '\n'))) {
            line++;
          }
        }
        bad.add(new BadBytes(bom + at, result.length(), out.position(), line, bytes[at] & 0xff));
        in.position(at + result.length());
        out.put('\uFFFD');
      } else {
        throw new IllegalStateException("UTF-8 decoding overflowed its buffer: " + result);
      }
    }
    out.flip();
    return new Utf8Text(payload, bom, out.toString(), List.copyOf(bad));
  }

  /** The text, with U+FFFD where bytes were not UTF-8. */
  String text() {
    return text;
  }

  boolean isClean() {
    return bad.isEmpty();
  }

  /** The first run of bad bytes on lines {@code (afterLine, throughLine]} (1-based), or null. */
  @Nullable BadBytes onLines(long afterLine, long throughLine) {
    for (BadBytes run : bad) {
      if (run.line() > afterLine && run.line() <= throughLine) {
        return run;
      }
    }
    return null;
  }

  /** The first run of bad bytes in the text's chars {@code [from, to)}, or null. */
  @Nullable BadBytes inChars(int from, int to) {
    for (BadBytes run : bad) {
      if (run.charPosition() >= from && run.charPosition() < to) {
        return run;
      }
    }
    return null;
  }

  /** The first run of bad bytes anywhere, or null. */
  @Nullable BadBytes first() {
    return bad.isEmpty() ? null : bad.get(0);
  }

  /** The payload's own bytes of lines {@code (afterLine, throughLine]}, bad bytes as they were, without the last line break. */
  byte[] lines(long afterLine, long throughLine) {
    int start = afterLine == 0 ? bomLength : -1;
    int end = payload.length;
    long line = 1;
    for (int i = bomLength; i < payload.length; i++) {
      byte b = payload[i];
      if (b == '\n' || (b == '\r' && (i + 1 == payload.length || payload[i + 1] != '\n'))) {
        line++;
        if (line == afterLine + 1) {
          start = i + 1;
        }
        if (line == throughLine + 1) {
          end = i + 1;
          break;
        }
      }
    }
    start = start < 0 ? payload.length : start;
    while (end > start && (payload[end - 1] == '\n' || payload[end - 1] == '\r')) {
      end--;
    }
    return Arrays.copyOfRange(payload, start, Math.max(start, end));
  }

  /** The payload's own bytes of the text's chars {@code [from, to)}, bad bytes as they were. */
  byte[] chars(int from, int to) {
    return Arrays.copyOfRange(payload, byteOffset(from), byteOffset(to));
  }

  /** Where char {@code position} of the text starts in the payload. */
  private int byteOffset(int position) {
    int offset = bomLength;
    int runs = 0;
    for (int i = 0; i < position && i < text.length(); i++) {
      if (runs < bad.size() && bad.get(runs).charPosition() == i) {
        offset += bad.get(runs++).length();
        continue;
      }
      char c = text.charAt(i);
      if (c < 0x80) {
        offset += 1;
      } else if (c < 0x800) {
        offset += 2;
      } else if (Character.isHighSurrogate(c)) {
        offset += 4;
        i++;
      } else {
        offset += 3;
      }
    }
    return Math.min(offset, payload.length);
  }
}
