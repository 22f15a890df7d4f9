package dev.streamtemplates.pipelines.launcher;

import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.progress.Progress;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What a long run has done so far, printed while it runs: the records each source read, each sink
 * wrote, how many were dead-lettered, and the rate. Nothing for a run shorter than {@value
 * #AFTER_MILLIS} ms; after that, on a terminal, one line that updates in place every {@value
 * #TERMINAL_EVERY_MILLIS} ms ({@code \r}); into a log or a pipe, a plain line every {@value
 * #PLAIN_EVERY_MILLIS} ms (the first after as long). When the run ends, the line is printed once
 * more with the final counts, before the end-of-run account.
 *
 * <p>It reads {@link Progress}, the counts that the sources, sinks and dead-letter outputs keep in
 * this JVM; the embedded runners (Direct, Flink {@code [local]}, Spark {@code local[*]}) run the
 * pipeline here. On a remote cluster the workers are other JVMs, nothing is counted here, and no
 * progress is shown (no line until something is counted): the end-of-run account comes from Beam's
 * metrics as before.
 *
 * <p>The system properties {@value #AFTER} and {@value #EVERY} (milliseconds) change the two
 * periods; the tests use them.
 */
final class ProgressLine implements AutoCloseable {
  /** System property: milliseconds before the first line (default {@value #AFTER_MILLIS}). */
  static final String AFTER = "templates.progress.after";
  /** System property: milliseconds between lines (default {@value #TERMINAL_EVERY_MILLIS} on a terminal, else {@value #PLAIN_EVERY_MILLIS}). */
  static final String EVERY = "templates.progress.every";
  static final long AFTER_MILLIS = 3_000;
  static final long TERMINAL_EVERY_MILLIS = 2_000;
  static final long PLAIN_EVERY_MILLIS = 10_000;

  private final PrintStream out;
  private final boolean terminal;
  private final List<String> sources;
  private final List<String> sinks;
  private final long start = System.nanoTime();
  private final CountDownLatch ended = new CountDownLatch(1);
  private final Thread thread;
  private boolean shown;
  private int width;
  private long lastRead;
  private long lastNanos = start;

  private ProgressLine(PrintStream out, SpecNode root, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
    this.sources = root.items("sources").stream().map(n -> n.text("name")).toList();
    this.sinks = root.items("sinks").stream().map(n -> n.text("name")).toList();
    long every = Math.max(100, Long.getLong(EVERY, terminal ? TERMINAL_EVERY_MILLIS : PLAIN_EVERY_MILLIS));
    // Into a log, the first line comes after one period too: a log of a short run stays as it was.
    long after = Math.max(Long.getLong(AFTER, AFTER_MILLIS), terminal ? 0 : every);
    this.thread = new Thread(() -> loop(after, every), "progress");
    thread.setDaemon(true);
  }

  /** Zeroes the counts and starts showing them on {@code out}, as a line updated in place when stdout is a terminal. */
  static ProgressLine start(PrintStream out, SpecNode root) {
    Progress.reset();
    Progress.watched(true);
    ProgressLine line = new ProgressLine(out, root, System.console() != null);
    line.thread.start();
    return line;
  }

  private void loop(long after, long every) {
    long wait = after;
    try {
      while (!ended.await(wait, TimeUnit.MILLISECONDS)) {
        print(false);
        wait = every;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the updates; if any line was shown, shows the final counts (ending the in-place line). */
  @Override
  public void close() {
    ended.countDown();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Progress.watched(false);
    if (shown) {
      print(true);
    }
  }

  private synchronized void print(boolean last) {
    if (!shown && Progress.total("records") == 0 && Progress.total(DeadLetter.METRICS_NAMESPACE) == 0) {
      // Nothing counted in this JVM yet: still starting, or the workers are elsewhere (a remote
      // cluster), where a line of zeros would mislead.
      return;
    }
    String text = line(last);
    if (terminal) {
      // Pad over the longer line before; the final one ends with a newline.
      String padded = text + " ".repeat(Math.max(0, width - text.length()));
      width = text.length();
      out.print("\r" + padded + (last ? System.lineSeparator() : ""));
      out.flush();
    } else {
      out.println(text);
    }
    shown = true;
  }

  /** {@code   12 s: requests read 120000, metrics written 4, dead-lettered 2; 10000 records/s}. */
  String line(boolean last) {
    long now = System.nanoTime();
    StringBuilder text = new StringBuilder(String.format("  %d s: ", Math.round((now - start) / 1e9)));
    long read = 0;
    for (String source : sources) {
      long count = Progress.value("records", source + "-records") + Progress.value(DeadLetter.METRICS_NAMESPACE, source);
      read += count;
      text.append(source).append(" read ").append(count).append(", ");
    }
    for (String sink : sinks) {
      text.append(sink).append(" written ").append(Progress.value("records", sink + "-written")).append(", ");
    }
    text.append("dead-lettered ").append(Progress.total(DeadLetter.METRICS_NAMESPACE));
    if (last) {
      text.append("; ").append(perSecond(read, now - start)).append(" records/s on average");
    } else {
      text.append("; ").append(perSecond(read - lastRead, now - lastNanos)).append(" records/s");
    }
    lastRead = read;
    lastNanos = now;
    return text.toString();
  }

  private static long perSecond(long count, long nanos) {
    return nanos <= 0 ? 0 : Math.round(count * 1e9 / nanos);
  }
}
