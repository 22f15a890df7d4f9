package dev.streamtemplates.pipelines.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Consumer;

/**
 * A CSV file as payloads of about {@code partBytes} each, cut between records, each part after the
 * first starting with the file's header record; a file no larger than a part is one payload, as it
 * is. A CSV payload is parsed whole, with a size limit, so a file of 100 MB would be one oversized
 * dead letter; in parts it is read like any other, and the parts are parsed by every worker.
 *
 * <p>Written by hand because no CSV reader here splits a file: a newline ends a record unless it
 * lies inside a quoted field, and under RFC 4180 (quotes inside a field are doubled) that is when
 * the number of quote characters before it is odd. A quote byte never occurs inside a multi-byte
 * UTF-8 character, so the bytes are scanned as they are. A file whose quotes never balance again
 * (an unterminated quote) is not cut after that point, and is dead-lettered as the parser says.
 */
final class CsvParts extends FileParts {
  private final boolean header;
  private final int partBytes;

  CsvParts(String source, boolean header, int partBytes) {
    super(source);
    this.header = header;
    this.partBytes = partBytes;
  }

  @Override
  void split(InputStream in, Consumer<byte[]> out) throws IOException {
    split(in, header, partBytes, out);
  }

  static void split(InputStream in, boolean header, int partBytes, Consumer<byte[]> out) throws IOException {
    byte[] buffer = new byte[64 << 10];
    ByteArrayOutputStream part = new ByteArrayOutputStream();
    byte[] headerRecord = header ? null : new byte[0];
    boolean quoted = false;
    int emitted = 0;
    int read;
    while ((read = in.read(buffer)) > 0) {
      int from = 0;
      for (int i = 0; i < read; i++) {
        byte b = buffer[i];
        if (b == '"') {
          quoted = !quoted;
        } else if (b == '\n' && !quoted) {
          if (headerRecord == null) {
            part.write(buffer, from, i + 1 - from);
            from = i + 1;
            headerRecord = part.toByteArray();
          } else if (part.size() + (i + 1 - from) >= partBytes) {
            part.write(buffer, from, i + 1 - from);
            from = i + 1;
            out.accept(part.toByteArray());
            emitted++;
            part.reset();
            part.write(headerRecord);
          }
        }
      }
      part.write(buffer, from, read - from);
    }
    // The whole file when it was not cut (even empty, as a whole file is read); else the last
    // part, unless nothing follows its header.
    if (emitted == 0 || part.size() > headerRecord.length) {
      out.accept(part.toByteArray());
    }
  }
}
