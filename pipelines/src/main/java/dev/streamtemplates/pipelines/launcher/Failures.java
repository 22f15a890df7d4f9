package dev.streamtemplates.pipelines.launcher;

import dev.streamtemplates.transforms.deadletter.DeadLetter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/** A failure that escaped as one line for the user, and its stack trace in a log file. */
final class Failures {
  private Failures() {}

  /**
   * The innermost cause that says something ({@code IllegalStateException: the broker ...}),
   * first line only: wrappers such as Beam's {@code PipelineExecutionException} add nothing.
   */
  static String describe(Throwable e) {
    Throwable said = e;
    for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
      if (cause.getMessage() != null && !cause.getMessage().isBlank()) {
        said = cause;
      }
    }
    return DeadLetter.reason(said).strip().split("\n")[0];
  }

  /** Writes the stack trace, secrets masked, to a new file under the temporary directory; returns its path. */
  static Path log(Throwable e, Redaction redaction) {
    StringWriter trace = new StringWriter();
    e.printStackTrace(new PrintWriter(trace));
    try {
      Path dir = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "stream-templates"));
      Path file = dir.resolve("failure-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS")) + ".log");
      Files.writeString(file, redaction.apply(trace.toString()), StandardCharsets.UTF_8);
      return file;
    } catch (IOException io) {
      return Path.of("(not written: " + io.getMessage() + ")");
    }
  }
}
