package dev.streamtemplates.pipelines.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * An XML file as documents of about {@code partBytes} each, cut between the root's child elements:
 * each part is the file's start up to the end of the root's start tag (its prolog, and the
 * namespaces declared on the root), some whole children of the root, and an end tag for the root.
 * A file no larger than a part is one payload, as it is. An XML payload is parsed whole, with a
 * size limit, so an export of 100 MB would be one oversized dead letter; in parts it is read like
 * any other, and the parts are parsed by every worker.
 *
 * <p>Cuts are made only after a record element (named {@code recordElement}, as the format
 * matches it: by local name or by the prefixed name as written) that is a child of the root, and
 * only where another record follows, so that no part is without a record (which the format would
 * report as a dead letter). A file whose root is itself the record is not cut. A DOCTYPE (refused
 * by the parser), or a root that ends before the file does, stops the cutting: the rest is one
 * part, for the parser to report.
 *
 * <p>Written by hand because no XML reader here gives byte offsets (Woodstox reports character
 * offsets only, and a file must be cut as its bytes, with any bad bytes kept for the dead letters).
 * The scan only tells markup from text: comments, CDATA sections, processing instructions, and
 * quoted attribute values (which may hold {@code >} or {@code /}); it checks nothing, the parser
 * does. Every markup character is ASCII, and an ASCII byte never occurs inside a multi-byte UTF-8
 * character, so the bytes are scanned as they are. A malformed file may be cut at a place a parser
 * would not; every byte of it is still in exactly one part (the prolog also heads the later ones),
 * so the parser's dead letters still hold all of it.
 */
final class XmlParts extends FileParts {
  private final String recordElement;
  private final int partBytes;

  XmlParts(String source, String recordElement, int partBytes) {
    super(source);
    this.recordElement = recordElement;
    this.partBytes = partBytes;
  }

  @Override
  void split(InputStream in, Consumer<byte[]> out) throws IOException {
    split(in, recordElement, partBytes, out);
  }

  static void split(InputStream in, String recordElement, int partBytes, Consumer<byte[]> out) throws IOException {
    Scanner scanner = new Scanner(recordElement.getBytes(StandardCharsets.UTF_8), partBytes, out);
    byte[] buffer = new byte[64 << 10];
    int read;
    while ((read = in.read(buffer)) > 0) {
      scanner.feed(buffer, read);
    }
    scanner.finish();
  }

  /** What the scan is inside of. */
  private enum State {
    TEXT, OPEN, BANG, COMMENT, CDATA, PI, END_TAG, START_NAME, START_ATTRIBUTES, QUOTED
  }

  private static final byte[] COMMENT_OPEN = "--".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CDATA_OPEN = "[CDATA[".getBytes(StandardCharsets.US_ASCII);

  private static final class Scanner {
    private final byte[] recordName;
    private final int partBytes;
    private final Consumer<byte[]> out;
    private final ByteArrayOutputStream part = new ByteArrayOutputStream();
    private int partLength; // part.size(), kept here: the stream's methods are synchronized
    private byte[] name = new byte[32]; // the start tag's name so far, its first nameLength bytes
    private int nameLength;

    private State state = State.TEXT;
    private boolean cutting = true;
    private int depth;
    private byte quote;
    private byte last; // the byte before this one, in the current markup
    private byte beforeLast;
    private byte[] bangOpen; // "--" or "[CDATA[", as told by the byte after "<!"
    private int bangMatched; // bytes of it matched so far
    private byte[] header; // the file up to the end of the root's start tag
    private byte[] rootEnd; // "</" + the root's name + ">"
    private boolean partHasRecord;
    private byte[] held; // the last part cut, emitted once another record follows it

    private byte[] buffer = new byte[0]; // the bytes being scanned; part holds those before written
    private int written; // bytes of buffer already in part
    private int position; // the byte being scanned

    Scanner(byte[] recordName, int partBytes, Consumer<byte[]> out) {
      this.recordName = recordName;
      this.partBytes = partBytes;
      this.out = out;
    }

    /** Scans {@code length} bytes of {@code bytes}; they go into the part in ranges, not one by one. */
    void feed(byte[] bytes, int length) {
      buffer = bytes;
      written = 0;
      for (position = 0; position < length; position++) {
        accept(bytes[position]);
      }
      write(bytes, written, length - written);
      written = length;
    }

    private void write(byte[] bytes, int from, int length) {
      part.write(bytes, from, length);
      partLength += length;
    }

    /** Puts the bytes scanned so far, this one included, into the part. */
    private void catchUp() {
      write(buffer, written, position + 1 - written);
      written = position + 1;
    }

    /** The size of the part up to and including the byte being scanned. */
    private int partSize() {
      return partLength + position + 1 - written;
    }

    private void accept(byte b) {
      switch (state) {
        case TEXT -> {
          if (b == '<') {
            state = State.OPEN;
          }
        }
        case OPEN -> {
          if (b == '/') {
            state = State.END_TAG;
          } else if (b == '?') {
            state = State.PI;
            last = 0;
          } else if (b == '!') {
            state = State.BANG;
            bangMatched = 0;
          } else {
            state = State.START_NAME;
            nameLength = 0;
            nameByte(b);
          }
        }
        case BANG -> bang(b);
        case COMMENT -> endsWith(b, (byte) '-', (byte) '-');
        case CDATA -> endsWith(b, (byte) ']', (byte) ']');
        case PI -> {
          if (b == '>' && last == '?') {
            state = State.TEXT;
          }
          last = b;
        }
        case END_TAG -> {
          if (b == '>') {
            state = State.TEXT;
            depth--;
            closed();
          }
        }
        case START_NAME -> {
          if (b == '>' || b == '/' || b == ' ' || b == '\t' || b == '\n' || b == '\r') {
            state = State.START_ATTRIBUTES;
            last = 0;
            attributes(b);
          } else {
            nameByte(b);
          }
        }
        case START_ATTRIBUTES -> attributes(b);
        case QUOTED -> {
          if (b == quote) {
            state = State.START_ATTRIBUTES;
            last = b;
          }
        }
        default -> throw new IllegalStateException(state.name());
      }
    }

    /** After {@code <!}: a comment ({@code <!--}), a CDATA section ({@code <![CDATA[}), or else a DOCTYPE. */
    private void bang(byte b) {
      if (bangMatched == 0) {
        bangOpen = b == '-' ? COMMENT_OPEN : b == '[' ? CDATA_OPEN : null;
      }
      if (bangOpen != null && b == bangOpen[bangMatched]) {
        if (++bangMatched == bangOpen.length) {
          state = bangOpen == COMMENT_OPEN ? State.COMMENT : State.CDATA;
          last = 0;
          beforeLast = 0;
        }
      } else {
        // A DOCTYPE (or something no parser accepts): the parser is to report it, on the rest as one part.
        cutting = false;
        state = State.TEXT;
      }
    }

    /** Ends a comment ({@code -->}) or CDATA section ({@code ]]>}) at {@code >} after {@code first second}. */
    private void endsWith(byte b, byte first, byte second) {
      if (b == '>' && last == second && beforeLast == first) {
        state = State.TEXT;
      }
      beforeLast = last;
      last = b;
    }

    private void attributes(byte b) {
      if (b == '"' || b == '\'') {
        state = State.QUOTED;
        quote = b;
      } else if (b == '>') {
        state = State.TEXT;
        boolean selfClosing = last == '/';
        opened(selfClosing);
      } else if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        last = b;
      }
    }

    private void nameByte(byte b) {
      if (nameLength == name.length) {
        name = Arrays.copyOf(name, name.length * 2);
      }
      name[nameLength++] = b;
    }

    private void opened(boolean selfClosing) {
      if (depth == 0 && header == null) {
        // The root. A root that is the record, or that closes at once, is not cut.
        if (selfClosing || isRecord()) {
          cutting = false;
        }
        catchUp();
        header = part.toByteArray();
        rootEnd = ("</" + new String(name, 0, nameLength, StandardCharsets.UTF_8) + ">").getBytes(StandardCharsets.UTF_8);
      } else if (depth == 1 && isRecord()) {
        if (held != null) {
          // A record follows the part held back, so that part can go.
          emit(held, rootEnd);
          held = null;
        }
        partHasRecord = true;
      }
      if (!selfClosing) {
        depth++;
      } else {
        closed();
      }
    }

    /** After an element that ends at {@code depth} (its parent's depth). */
    private void closed() {
      if (depth < 1) {
        cutting = false; // the root has ended (or a stray end tag): the rest is the last part
        return;
      }
      if (depth == 1 && cutting && partHasRecord && partSize() >= partBytes) {
        catchUp();
        held = part.toByteArray(); // the part before was emitted when this part's first record began
        part.reset();
        partLength = 0;
        write(header, 0, header.length);
        partHasRecord = false;
      }
    }

    void finish() {
      if (held == null) {
        out.accept(part.toByteArray()); // the last part, or the whole file when it was not cut (even empty)
      } else {
        // No record after the last cut: what follows it goes with the part before.
        byte[] rest = part.toByteArray();
        emit(held, Arrays.copyOfRange(rest, header.length, rest.length));
      }
    }

    private void emit(byte[] body, byte[] end) {
      byte[] payload = Arrays.copyOf(body, body.length + end.length);
      System.arraycopy(end, 0, payload, body.length, end.length);
      out.accept(payload);
    }

    /** Whether the start tag's name is the record element: as written, or its local name (after a prefix). */
    private boolean isRecord() {
      if (Arrays.equals(name, 0, nameLength, recordName, 0, recordName.length)) {
        return true;
      }
      for (int i = 0; i < nameLength; i++) {
        if (name[i] == ':') {
          return Arrays.equals(name, i + 1, nameLength, recordName, 0, recordName.length);
        }
      }
      return false;
    }
  }
}
