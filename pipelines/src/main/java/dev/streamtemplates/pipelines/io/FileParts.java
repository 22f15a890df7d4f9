package dev.streamtemplates.pipelines.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.util.function.Consumer;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * A file as payloads cut where its format allows (see {@link CsvParts} and {@link XmlParts}),
 * counting the files read as {@code records/<source>-files} (the launcher's balance then says
 * "from 1 file in 5 parts").
 */
abstract class FileParts extends DoFn<FileIO.ReadableFile, byte[]> {
  /** Parts of this size are well under the parser's payload limit (16 MiB). */
  static final int DEFAULT_PART_BYTES = 4 << 20;

  private final Counter files;

  FileParts(String source) {
    this.files = Metrics.counter("records", source + "-files");
  }

  /** Reads {@code in} to its end, handing each part to {@code out}. */
  abstract void split(InputStream in, Consumer<byte[]> out) throws IOException;

  @ProcessElement
  public void process(@Element FileIO.ReadableFile file, OutputReceiver<byte[]> out) throws IOException {
    files.inc();
    try (InputStream in = Channels.newInputStream(file.open())) {
      split(in, out::output);
    }
  }
}
