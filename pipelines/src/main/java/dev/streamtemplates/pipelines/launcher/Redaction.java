package dev.streamtemplates.pipelines.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Keeps secret values out of everything printed: each line written through {@link #wrap} has
 * every registered secret replaced by {@code ******} before it reaches the terminal or log. The
 * launcher registers the values of parameters declared {@code secret: true} and of options whose
 * names look secret ({@link Secrets}); {@link Main} wraps {@code System.out} and {@code System.err},
 * so messages, errors, paths and the runners' own log lines are masked alike.
 */
public final class Redaction {
  /** Shorter values are not masked: they would mask ordinary words and digits everywhere. */
  static final int SHORTEST = 4;

  private final List<String> secrets = new CopyOnWriteArrayList<>();

  /** Masks {@code value} from now on (values shorter than {@value #SHORTEST} characters excepted). */
  public void add(String value) {
    if (value != null && value.length() >= SHORTEST && !secrets.contains(value)) {
      // Longest first, so that a secret containing another is masked whole.
      secrets.add(value);
      secrets.sort((a, b) -> b.length() - a.length());
    }
  }

  /** The text with every secret masked. */
  public String apply(String text) {
    String out = text;
    for (String secret : secrets) {
      out = out.replace(secret, "******");
    }
    return out;
  }

  /** A print stream that masks secrets line by line before writing to {@code target}. */
  public PrintStream wrap(OutputStream target) {
    return new PrintStream(new Lines(target), true, StandardCharsets.UTF_8);
  }

  /** Buffers a line, masks it, writes it; a flush writes a partial line too. */
  private final class Lines extends OutputStream {
    private final OutputStream target;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    Lines(OutputStream target) {
      this.target = target;
    }

    @Override
    public synchronized void write(int b) throws IOException {
      line.write(b);
      if (b == '\n') {
        emit();
      }
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
      for (int i = offset; i < offset + length; i++) {
        write(bytes[i]);
      }
    }

    @Override
    public synchronized void flush() throws IOException {
      emit();
      target.flush();
    }

    private void emit() throws IOException {
      if (line.size() == 0) {
        return;
      }
      String text = line.toString(StandardCharsets.UTF_8);
      line.reset();
      target.write((secrets.isEmpty() ? text : apply(text)).getBytes(StandardCharsets.UTF_8));
    }
  }
}
