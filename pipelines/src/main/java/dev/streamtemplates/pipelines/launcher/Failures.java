package dev.streamtemplates.pipelines.launcher;

import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

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

  /**
   * Where in the spec a run-time failure happened, as {@code ", in sink 'out'"}, or "" when it
   * cannot be told. Beam's exceptions do not carry the name of the transform that failed, so this
   * looks for two traces of it: a path of a file source or sink in a message (an I/O failure), or
   * else the first of our classes on the stack of the innermost cause, whose step type names the
   * step when the spec has one step of that type.
   */
  static String where(Throwable e, SpecNode root) {
    StringBuilder messages = new StringBuilder();
    Throwable innermost = e;
    for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
      messages.append(cause.getMessage()).append('\n');
      innermost = cause;
    }
    // The output whose path, or else whose directory, the messages mention, the longest first:
    // a file sink's temporary files are in its directory, not under its path.
    java.util.TreeMap<Integer, List<String>> byPath = new java.util.TreeMap<>();
    for (String kind : List.of("sources", "sinks")) {
      for (SpecNode node : root.items(kind)) {
        if (node.has("path")) {
          mentioned(messages, node.text("path"), kind.substring(0, kind.length() - 1) + " '" + node.text("name") + "'", byPath);
        }
      }
    }
    SpecNode deadLetter = root.child("deadLetter");
    if (deadLetter.has("path")) {
      mentioned(messages, deadLetter.text("path"), "the dead-letter output", byPath);
    }
    if (!byPath.isEmpty()) {
      return ", in " + String.join(" or ", byPath.lastEntry().getValue());
    }
    for (StackTraceElement frame : innermost.getStackTrace()) {
      String type = stepType(frame.getClassName());
      if (type != null) {
        List<String> names = root.items("steps").stream().filter(n -> type.equals(n.text("type", ""))).map(n -> "'" + n.text("name") + "'").toList();
        if (names.size() == 1) {
          return ", in step " + names.get(0);
        }
        if (!names.isEmpty()) {
          return ", in " + (type.matches("[AEIOU].*") ? "an " : "a ") + type + " step (" + String.join(" or ", names) + ")";
        }
      }
    }
    return "";
  }

  private static void mentioned(CharSequence messages, String path, String what, java.util.TreeMap<Integer, List<String>> found) {
    String text = messages.toString();
    Path absolute = Path.of(path).toAbsolutePath().normalize();
    List<String> forms = new ArrayList<>(List.of(path, absolute.toString()));
    if (absolute.getParent() != null && absolute.getParent().getParent() != null) {
      forms.add(absolute.getParent() + "/");
    }
    forms.stream().filter(text::contains).mapToInt(String::length).max()
        .ifPresent(length -> found.computeIfAbsent(length, k -> new ArrayList<>()).add(what));
  }

  /** The step type of one of our classes, from its package and outer class name, or null. */
  static String stepType(String className) {
    String prefix = "dev.streamtemplates.";
    if (!className.startsWith(prefix)) {
      return null;
    }
    String outer = className.substring(className.lastIndexOf('.') + 1).split("\\$")[0];
    if (className.startsWith(prefix + "transforms.aggregate.")) {
      return "Aggregate";
    }
    if (className.startsWith(prefix + "transforms.cep.")) {
      return "Sequence";
    }
    if (className.startsWith(prefix + "pipelines.steps.") && outer.endsWith("Step")) {
      return outer.substring(0, outer.length() - "Step".length());
    }
    return Set.of("Filter", "Threshold", "Route", "MapFields", "IntervalJoin", "Gather", "Enrich", "Deduplicate").contains(outer) ? outer : null;
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
