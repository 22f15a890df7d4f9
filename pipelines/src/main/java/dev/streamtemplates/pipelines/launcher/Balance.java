package dev.streamtemplates.pipelines.launcher;

import dev.streamtemplates.pipelines.spec.SpecNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The end-of-run account of records: read = written + dead-lettered + dropped on purpose, from the
 * run's counters ({@code records/<source>-records}, {@code records/<sink>-written}, {@code
 * records/<step>-dropped} and the dead-letter counters), and whether it holds. It applies where
 * every step passes each record on, or drops or dead-letters it (Filter, MapFields, Route,
 * Threshold) and each record reaches one sink; an Aggregate, a pattern or a join writes results,
 * not records, and then the account is of what was read: decoded or dead-lettered by its source.
 */
record Balance(long read, long decoded, long sourceDeadLetters, long written, long deadLettered, long dropped, boolean recordForRecord) {
  /** Step types that pass each record on at most once, or drop or dead-letter it. */
  static final Set<String> RECORD_FOR_RECORD = Set.of("Filter", "MapFields", "Route", "Threshold");

  static Balance of(SpecNode root, Map<String, Long> records, Map<String, Long> deadLetters) {
    long decoded = 0;
    long sourceDead = 0;
    for (SpecNode source : root.items("sources")) {
      decoded += records.getOrDefault(source.text("name") + "-records", 0L);
      sourceDead += deadLetters.getOrDefault(source.text("name"), 0L);
    }
    long written = 0;
    for (SpecNode sink : root.items("sinks")) {
      written += records.getOrDefault(sink.text("name") + "-written", 0L);
    }
    long dropped = 0;
    boolean recordForRecord = true;
    for (SpecNode step : root.items("steps")) {
      dropped += records.getOrDefault(step.text("name") + "-dropped", 0L);
      recordForRecord &= RECORD_FOR_RECORD.contains(step.text("type"));
    }
    long deadLettered = deadLetters.values().stream().mapToLong(Long::longValue).sum();
    return new Balance(decoded + sourceDead, decoded, sourceDead, written, deadLettered, dropped, recordForRecord);
  }

  String describe() {
    if (!recordForRecord) {
      return String.format("  balance: read %d = decoded %d + dead-lettered by the sources %d (%s); the steps write results, not records",
          read, decoded, sourceDeadLetters, read == decoded + sourceDeadLetters ? "holds" : "DOES NOT HOLD");
    }
    boolean holds = read == written + deadLettered + dropped;
    return String.format("  balance: read %d = written %d + dead-lettered %d + dropped on purpose %d: %s", read, written, deadLettered, dropped,
        holds ? "holds" : "DOES NOT HOLD" + (written + deadLettered + dropped > read ? " (a record that reaches two sinks is counted twice)" : ""));
  }

  /** The files the file sinks and the dead-letter output wrote: every file whose name starts with a sink's path. */
  static List<String> filesWritten(SpecNode root) {
    List<SpecNode> outputs = new ArrayList<>(root.items("sinks"));
    outputs.add(root.child("deadLetter"));
    List<String> files = new ArrayList<>();
    for (SpecNode output : outputs) {
      if (!"file".equals(output.text("type", "")) || !output.has("path")) {
        continue;
      }
      Path prefix = Path.of(output.text("path")).toAbsolutePath();
      Path dir = prefix.getParent();
      if (dir == null || !Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> list = Files.list(dir)) {
        list.filter(f -> f.getFileName().toString().startsWith(prefix.getFileName().toString()) && Files.isRegularFile(f))
            .sorted().forEach(f -> files.add(f.toString()));
      } catch (IOException e) {
        files.add(dir + " (cannot list: " + e.getMessage() + ")");
      }
    }
    return files;
  }
}
