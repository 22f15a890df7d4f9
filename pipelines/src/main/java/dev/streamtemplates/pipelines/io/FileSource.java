package dev.streamtemplates.pipelines.io;

import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.deadletter.DeadLetter;
import dev.streamtemplates.transforms.format.RecordFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * {@code type: file} source: a file name or glob; JSON lines, Avro container files, XML or CSV
 * documents (a large one read in parts).
 *
 * <pre>{@code
 * - name: orders
 *   type: file
 *   path: test-data/input/orders*.jsonl
 *   format: json
 *   schema: test-data/schemas/order.avsc
 *   eventTime: {field: placedAt}
 * }</pre>
 */
public final class FileSource implements SourceProvider {
  @Override
  public String type() {
    return "file";
  }

  @Override
  public String description() {
    return "Files matching a name or glob: JSON lines, Avro container files, XML or CSV documents.";
  }

  @Override
  public boolean bounded() {
    return true;
  }

  @Override
  public Read read(Pipeline pipeline, SpecNode source) {
    String name = source.text("name");
    SpecFormats.Decoding decoding = SpecFormats.decoding(source);
    RecordFormat format = decoding.format();
    List<PCollection<Row>> deadLetters = new ArrayList<>();
    String path = source.text("path");
    requireMatch(source, path);
    // Event time is given where the records are parsed (one step, one dead-letter output); Avro
    // files are read by their own DoFn, and Sources gives their rows event time after it.
    String timeField = Sources.eventTimeField(source);
    PCollection<Row> rows;
    if ("avro".equals(format.name())) {
      rows = readAvroFiles(pipeline, name, path, decoding.avroSchema(), decoding.schema(), deadLetters);
    } else if ("json".equals(format.name())) {
      // Lines are split as bytes, in ranges read by every worker at once; see LineRanges.
      PCollection<byte[]> lines =
          pipeline.apply(name + "/Match", FileIO.match().filepattern(path))
              .apply(name + "/Open", FileIO.readMatches())
              .apply(name + "/Non-blank lines", new LineRanges(LineRanges.DEFAULT_RANGE_BYTES));
      rows = Sources.parse(name, lines, format, deadLetters, timeField);
    } else if ("csv".equals(format.name())) {
      // In parts cut between records, parsed by every worker; see CsvParts.
      PCollection<byte[]> parts =
          pipeline.apply(name + "/Match", FileIO.match().filepattern(path))
              .apply(name + "/Open", FileIO.readMatches())
              .apply(name + "/Parts", ParDo.of(new CsvParts(name, format.fileHeader() != null, FileParts.DEFAULT_PART_BYTES)))
              .setCoder(ByteArrayCoder.of())
              .apply(name + "/Spread parts", Reshuffle.viaRandomKey());
      rows = Sources.parse(name, parts, format, deadLetters, timeField);
    } else if ("xml".equals(format.name())) {
      // In parts cut between records, each a document with the file's prolog and root; see XmlParts.
      PCollection<byte[]> parts =
          pipeline.apply(name + "/Match", FileIO.match().filepattern(path))
              .apply(name + "/Open", FileIO.readMatches())
              .apply(name + "/Parts", ParDo.of(new XmlParts(name, source.text("recordElement"), FileParts.DEFAULT_PART_BYTES)))
              .setCoder(ByteArrayCoder.of())
              .apply(name + "/Spread parts", Reshuffle.viaRandomKey());
      rows = Sources.parse(name, parts, format, deadLetters, timeField);
    } else {
      throw new IllegalArgumentException(source.childPath("format") + ": a file source reads json, avro, xml or csv, not '" + format.name() + "'");
    }
    return new Read(rows, deadLetters, timeField != null && !"avro".equals(format.name()));
  }

  /**
   * Fails before launch, naming the source, when the path is empty, matches nothing, or matches
   * something that is not a regular file of data: a directory (an empty path would read the
   * working directory), a FIFO or device (a read that never ends, or gives nothing), or a file of
   * the operating system under /proc, /sys or /dev (they report a size of 0 and are read as empty).
   */
  private static void requireMatch(SpecNode source, String path) {
    if (path.isBlank()) {
      throw new IllegalArgumentException(source.childPath("path") + ": is empty; name a file or a glob, e.g. data/*.jsonl");
    }
    MatchResult match;
    try {
      match = FileSystems.match(path, EmptyMatchTreatment.ALLOW);
      if (match.status() == MatchResult.Status.OK && match.metadata().isEmpty()) {
        throw new IllegalArgumentException(source.childPath("path") + ": no file matches '" + path + "'");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(source.childPath("path") + ": cannot list '" + path + "': " + e.getMessage());
    }
    if (match.status() != MatchResult.Status.OK) {
      return;
    }
    try {
      for (MatchResult.Metadata file : match.metadata()) {
        if (!"file".equals(file.resourceId().getScheme())) {
          continue;
        }
        java.nio.file.Path local = java.nio.file.Path.of(file.resourceId().toString());
        String problem = notRegular(local);
        if (problem != null) {
          throw new IllegalArgumentException(source.childPath("path") + ": '" + local + "' " + problem + "; a file source reads regular files only");
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(source.childPath("path") + ": cannot read '" + path + "': " + e.getMessage());
    }
  }

  private static @org.checkerframework.checker.nullness.qual.Nullable String notRegular(java.nio.file.Path local) throws IOException {
    if (java.nio.file.Files.isDirectory(local)) {
      return "is a directory (to read the files in it, name them, e.g. " + local.resolve("*.jsonl") + ")";
    }
    if (!java.nio.file.Files.isRegularFile(local)) {
      return "is not a regular file (a FIFO, socket or device)";
    }
    java.nio.file.Path real = local.toRealPath();
    for (String system : List.of("/proc/", "/sys/", "/dev/")) {
      if (real.toString().startsWith(system)) {
        return "is a file of the operating system (" + real + "), not data";
      }
    }
    return null;
  }

  private static PCollection<Row> readAvroFiles(
      Pipeline pipeline, String name, String path, org.apache.avro.Schema avroSchema, Schema schema, List<PCollection<Row>> deadLetters) {
    TupleTag<Row> ok = new TupleTag<Row>() {};
    TupleTag<Row> failed = new TupleTag<Row>() {};
    // Whole files, block by block, so that a bad file or block is a dead letter (AvroIO fails the
    // job on one, or ends a truncated file silently); see AvroContainerFiles.
    PCollectionTuple converted =
        pipeline.apply(name + "/Match", FileIO.match().filepattern(path))
            .apply(name + "/Open", FileIO.readMatches())
            .apply(name + "/Read Avro", ParDo.of(new AvroContainerFiles(avroSchema, schema, name, ok, failed))
                .withOutputTags(ok, TupleTagList.of(failed)));
    deadLetters.add(converted.get(failed).setRowSchema(DeadLetter.SCHEMA));
    return converted.get(ok).setRowSchema(schema);
  }

}
