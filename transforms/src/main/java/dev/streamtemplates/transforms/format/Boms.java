package dev.streamtemplates.transforms.format;

import java.util.Arrays;

/** Drops a UTF-8 byte-order mark, which editors on some systems put at the start of text files. */
final class Boms {
  private Boms() {}

  static byte[] strip(byte[] payload) {
    if (payload.length >= 3 && (payload[0] & 0xff) == 0xEF && (payload[1] & 0xff) == 0xBB && (payload[2] & 0xff) == 0xBF) {
      return Arrays.copyOfRange(payload, 3, payload.length);
    }
    return payload;
  }
}
