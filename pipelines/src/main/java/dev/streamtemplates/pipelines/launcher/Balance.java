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
record Balance(long read, long decoded, long sourceDeadLetters, long written, long deadLettered, long dropped, Shape shape, String note) {
  /** Step types that pass each record on at most once, or drop or dead-letter it. */
  static final Set<String> RECORD_FOR_RECORD = Set.of("Filter", "MapFields", "Route", "Threshold", "Deduplicate");

  /** Whether a step passes each record on at most once, or drops or dead-letters it: those types, and an Aggregate per event. */
  static boolean recordForRecord(SpecNode step) {
    return RECORD_FOR_RECORD.contains(step.text("type"))
        || ("Aggregate".equals(step.text("type")) && step.has("window") && "perEvent".equals(step.child("window").text("type", "")));
  }

  /** What the account can say of a run. */
  enum Shape {
    /** Each record is written once, dead-lettered, or dropped: read = written + dead-lettered + dropped. */
    RECORD_FOR_RECORD,
    /** A step writes results (aggregates, matches, joins), not records: only the sources' account. */
    RESULTS,
    /** A collection feeds more than one step, or a step and a sink: a record may be counted on several paths. */
    FAN_OUT
  }

  static Balance of(SpecNode root, Map<String, Long> records, Map<String, Long> deadLetters) {
    long decoded = 0;
    long sourceDead = 0;
    for (SpecNode source : root.items("sources")) {
      decoded += records.getOrDefault(source.text("name") + "-records", 0L);
      sourceDead += deadLetters.getOrDefault(source.text("name"), 0L);
    }
    long dropped = 0;
    Shape shape = Shape.RECORD_FOR_RECORD;
    Map<String, Integer> stepReaders = new java.util.HashMap<>();
    for (SpecNode step : root.items("steps")) {
      dropped += records.getOrDefault(step.text("name") + "-dropped", 0L);
      if (!recordForRecord(step)) {
        shape = Shape.RESULTS;
      }
      List<String> inputs = new ArrayList<>(step.has("input") ? List.of(step.text("input")) : List.of());
      if (step.has("inputs")) {
        inputs.addAll(step.texts("inputs"));
      }
      inputs.forEach(input -> stepReaders.merge(input, 1, Integer::sum));
    }
    // Sinks that read the same collection see the same records: count them once, by the first.
    Map<String, List<String>> sinksByInput = new java.util.LinkedHashMap<>();
    for (SpecNode sink : root.items("sinks")) {
      sinksByInput.computeIfAbsent(sink.text("input", ""), k -> new ArrayList<>()).add(sink.text("name"));
    }
    long written = 0;
    long sinkDead = 0;
    List<String> notes = new ArrayList<>();
    for (Map.Entry<String, List<String>> group : sinksByInput.entrySet()) {
      List<String> sinks = group.getValue();
      String first = sinks.get(0);
      long firstWritten = records.getOrDefault(first + "-written", 0L);
      long firstDead = deadLetters.getOrDefault(first, 0L);
      written += firstWritten;
      sinkDead += firstDead;
      if (sinks.size() > 1) {
        boolean same = sinks.stream().allMatch(sink -> records.getOrDefault(sink + "-written", 0L) + deadLetters.getOrDefault(sink, 0L) == firstWritten + firstDead);
        notes.add("sinks " + String.join(" and ", sinks) + " read the same records, counted once"
            + (same ? "" : ", but they did not all take as many"));
      }
      if (stepReaders.containsKey(group.getKey())) {
        shape = shape == Shape.RESULTS ? shape : Shape.FAN_OUT;
      }
    }
    if (stepReaders.values().stream().anyMatch(n -> n > 1) && shape == Shape.RECORD_FOR_RECORD) {
      shape = Shape.FAN_OUT;
    }
    long sinkDeadAll = root.items("sinks").stream().mapToLong(sink -> deadLetters.getOrDefault(sink.text("name"), 0L)).sum();
    long deadLettered = deadLetters.values().stream().mapToLong(Long::longValue).sum() - sinkDeadAll + sinkDead;
    return new Balance(decoded + sourceDead, decoded, sourceDead, written, deadLettered, dropped, shape, String.join("; ", notes));
  }

  /**
   * One line per source, step and sink, with its counters: a source's own account (what it read =
   * decoded + dead-lettered, and whether that holds), what each step dropped or dead-lettered (and
   * its other counters: matches, late events, ...), and what each sink wrote or dead-lettered.
   * A counter is {@code <name>-<what>}; names may hold dashes, so the longest name that prefixes
   * the counter owns it. Counters of no component (there should be none) are listed as they are.
   */
  static List<String> components(SpecNode root, Map<String, Long> records, Map<String, Long> deadLetters) {
    Map<String, String> kinds = new java.util.LinkedHashMap<>();
    Map<String, SpecNode> nodes = new java.util.HashMap<>();
    root.items("sources").forEach(n -> nodes.put(n.text("name"), n));
    root.items("sources").forEach(n -> kinds.put(n.text("name"), "source"));
    root.items("steps").forEach(n -> kinds.put(n.text("name"), "step"));
    root.items("sinks").forEach(n -> kinds.put(n.text("name"), "sink"));
    if (root.child("deadLetter").has("type")) {
      kinds.put("dead-letter", "dead letters");
    }
    Map<String, Map<String, Long>> counters = new java.util.LinkedHashMap<>();
    kinds.keySet().forEach(name -> counters.put(name, new java.util.LinkedHashMap<>()));
    Map<String, Long> unowned = new java.util.TreeMap<>();
    records.forEach((counter, value) -> {
      String owner = kinds.keySet().stream().filter(name -> counter.startsWith(name + "-"))
          .max(java.util.Comparator.comparingInt(String::length)).orElse(null);
      if (owner == null) {
        unowned.put(counter, value);
      } else {
        counters.get(owner).put(counter.substring(owner.length() + 1), value);
      }
    });
    Map<String, String> labels = new java.util.LinkedHashMap<>();
    kinds.forEach((name, kind) -> labels.put(name, "dead letters".equals(kind) ? kind : kind + " " + name));
    int width = labels.values().stream().mapToInt(String::length).max().orElse(0);
    List<String> lines = new ArrayList<>();
    kinds.forEach((name, kind) -> {
      Map<String, Long> own = new java.util.LinkedHashMap<>(counters.get(name));
      long dead = deadLetters.getOrDefault(name, 0L);
      StringBuilder line = new StringBuilder(String.format("  %-" + width + "s  ", labels.get(name)));
      if ("source".equals(kind)) {
        Long payloads = own.remove("payloads");
        Long files = own.remove("files"); // a CSV or XML file may be read in parts (see FileParts)
        long decoded = own.getOrDefault("records", 0L);
        own.remove("records");
        line.append(String.format("read %d = decoded %d + dead-lettered %d", decoded + dead, decoded, dead));
        String unit = payloadUnit(nodes.get(name));
        if (payloads != null && unit != null) {
          // A line or a message is one record or one dead letter; a file may hold any number.
          boolean oneEach = !unit.equals("files");
          long count = files != null ? files : payloads;
          line.append(String.format(", from %d %s", count, count == 1 ? unit.substring(0, unit.length() - 1) : unit));
          if (files != null && !files.equals(payloads)) {
            line.append(String.format(" in %d parts", payloads));
          }
          if (oneEach) {
            line.append(payloads == decoded + dead ? ": holds" : ": DOES NOT HOLD");
          }
        }
      } else if ("sink".equals(kind) || "dead letters".equals(kind)) {
        line.append("written ").append(own.getOrDefault("written", 0L));
        own.remove("written");
        if (!"dead letters".equals(kind)) {
          line.append(", dead-lettered ").append(dead);
        }
      } else {
        line.append("dead-lettered ").append(dead);
      }
      own.forEach((what, value) -> line.append(", ").append(what).append(' ').append(value));
      lines.add(line.toString());
    });
    unowned.forEach((counter, value) -> lines.add(String.format("  counter %s  %d", counter, value)));
    return lines;
  }

  String describe() {
    if (shape == Shape.RESULTS) {
      return String.format("  balance: read %d = decoded %d + dead-lettered by the sources %d (%s); the steps write results, not records",
          read, decoded, sourceDeadLetters, read == decoded + sourceDeadLetters ? "holds" : "DOES NOT HOLD");
    }
    if (shape == Shape.FAN_OUT) {
      return String.format("  balance: read %d = decoded %d + dead-lettered by the sources %d (%s); records go down more than one path,"
          + " so the account per source, step and sink above is the one to read", read, decoded, sourceDeadLetters,
          read == decoded + sourceDeadLetters ? "holds" : "DOES NOT HOLD");
    }
    boolean holds = read == written + deadLettered + dropped && !note.contains("did not all");
    return String.format("  balance: read %d = written %d + dead-lettered %d + dropped on purpose %d: %s%s", read, written, deadLettered, dropped,
        holds ? "holds" : "DOES NOT HOLD", note.isEmpty() ? "" : " (" + note + ")");
  }

  /** What one payload of a source is: lines, messages or files; null when it does not count them. */
  private static String payloadUnit(SpecNode source) {
    if ("kafka".equals(source.text("type", ""))) {
      return "messages";
    }
    String format = source.text("format", "");
    return "json".equals(format) ? "lines" : "csv".equals(format) || "xml".equals(format) ? "files" : null;
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
