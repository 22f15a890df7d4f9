package dev.streamtemplates.benchmarks.templates;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.both;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import dev.streamtemplates.pipelines.io.Sources;
import dev.streamtemplates.pipelines.launcher.Catalog;
import dev.streamtemplates.pipelines.spec.SpecNode;
import dev.streamtemplates.transforms.format.RecordFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.beam.sdk.values.Row;
import org.joda.time.ReadableInstant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class TemplateInputsTest {
  private static final String HOME = Path.of("..").toAbsolutePath().normalize().toString();

  @Rule public TemporaryFolder temp = new TemporaryFolder();

  @Test
  public void everyCatalogueTemplateHasAGenerator() {
    assertEquals(new TreeSet<>(Catalog.names()), new TreeSet<>(TemplateInputs.templates()));
  }

  @Test
  public void everyGeneratedRecordDecodesAsTheTemplateReadsIt() throws IOException {
    for (String template : Catalog.names()) {
      Path dir = temp.newFolder(template).toPath();
      Map<String, String> parameters = TemplateInputs.write(template, 500, 42, dir, HOME);
      SpecNode root = Catalog.load(template).resolve(parameters);
      List<Row> rows = new ArrayList<>();
      List<String> failures = new ArrayList<>();
      for (SpecNode source : root.items("sources")) {
        RecordFormat format = Sources.format(source);
        RecordFormat.Receiver receiver = new RecordFormat.Receiver() {
          @Override
          public void record(Row row) {
            rows.add(row);
            // Every record has its event time, within the generated hour.
            long at = ((ReadableInstant) row.getValue(source.child("eventTime").text("field"))).getMillis();
            assertThat(template, at, both(greaterThan(EventClock.START - 1)).and(lessThan(EventClock.START + 3_600_000L)));
          }

          @Override
          public void failure(byte[] raw, String reason) {
            failures.add(template + ": " + reason + ": " + new String(raw, StandardCharsets.UTF_8));
          }
        };
        byte[] file = Files.readAllBytes(Path.of(source.text("path")));
        if ("json".equals(format.name())) {
          // One payload per line, as the file source splits JSON lines.
          for (String line : new String(file, StandardCharsets.UTF_8).split("\n")) {
            format.decode(line.getBytes(StandardCharsets.UTF_8), receiver);
          }
        } else {
          // XML and CSV: the whole document is one payload.
          format.decode(file, receiver);
        }
      }
      assertThat(failures, empty());
      assertEquals(template, 500, rows.size());
    }
  }

  @Test
  public void sameSeedWritesTheSameBytesAndAnotherSeedOthers() throws IOException {
    for (String template : Catalog.names()) {
      byte[] first = written(template, 42, "a");
      assertArrayEquals(template, first, written(template, 42, "b"));
      assertFalse(template, Arrays.equals(first, written(template, 7, "c")));
    }
  }

  @Test
  public void eventTimesSpanTheHourMostlyInOrderAndAtMostThirtySecondsBehind() {
    // EventClock.hour: 5% of events delayed by up to 30 s; so about 5% are behind an earlier one.
    EventClock clock = EventClock.hour(100_000);
    Draw draw = new Draw(42);
    long max = Long.MIN_VALUE;
    long first = Long.MAX_VALUE;
    int behind = 0;
    for (long i = 0; i < 100_000; i++) {
      long at = clock.millis(i, draw);
      first = Math.min(first, at);
      if (at < max) {
        behind++;
        assertThat(max - at, lessThanOrEqualTo(30_000L));
      }
      max = Math.max(max, at);
    }
    assertThat(behind, both(greaterThan(4_000)).and(lessThan(6_000)));
    assertEquals(EventClock.START, first);
    assertThat(max - first, greaterThan(3_590_000L));
  }

  @Test
  public void topSpendersUseTwoThousandCards() throws IOException {
    Path dir = temp.newFolder("cards").toPath();
    TemplateInputs.write("top-n-spenders", 20_000, 42, dir, HOME);
    TreeSet<String> cards = new TreeSet<>();
    for (String line : Files.readAllLines(dir.resolve("spending.jsonl"))) {
      cards.add(line.replaceAll(".*\"cardId\":\"([^\"]+)\".*", "$1"));
    }
    // 20,000 draws over 2,000 cards: every card drawn (the chance of missing one is about 2000 * e^-10).
    assertEquals(2_000, cards.size());
  }

  private byte[] written(String template, long seed, String folder) throws IOException {
    Path dir = temp.newFolder(template + "-" + folder).toPath();
    TemplateInputs.write(template, 200, seed, dir, HOME);
    List<Path> files;
    try (var listing = Files.list(dir)) {
      files = listing.sorted().toList();
    }
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    for (Path file : files) {
      all.write(Files.readAllBytes(file));
    }
    return all.toByteArray();
  }
}
