package dev.streamtemplates.benchmarks.templates;

import dev.streamtemplates.benchmarks.Charts;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainCategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Reads {@code templates.csv} (the latest row for each case, runner and size), prints the results
 * table in Markdown and draws {@code templates.png}: events per second of each catalogue template on
 * each embedded runner, one panel per input size, on a log scale; a run that timed out, was refused
 * or failed is a stub labelled so. Runs headless.
 *
 * <pre>
 * java -Djava.awt.headless=true ... TemplatesChart [benchmarks/results]
 * </pre>
 */
public final class TemplatesChart {
  private TemplatesChart() {}

  private static final List<String> RUNNERS = List.of("direct", "flink", "spark");
  private static final Map<String, String> LABELS = Map.of("direct", "Direct", "flink", "Flink [local]", "spark", "Spark local[*]");

  /** One CSV row. */
  record Line(String run, String commit, String name, String runner, long events, String status, double wallSeconds,
      double eventsPerSecond, String note) {
    static Line parse(String row) {
      String[] f = row.split(",", 13);
      return new Line(f[0], f[1], f[2], f[3], Long.parseLong(f[4]), f[5], number(f[6]), number(f[7]), f.length > 12 ? f[12] : "");
    }

    private static double number(String text) {
      return text.isEmpty() ? 0 : Double.parseDouble(text);
    }

    boolean ok() {
      return status.equals("ok");
    }
  }

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "benchmarks/results");
    List<Line> lines = latest(dir.resolve("templates.csv"));
    System.out.println(table(lines));
    draw(lines, dir.resolve("templates.png"));
    System.out.println("chart: " + dir.resolve("templates.png"));
  }

  /** The last row of each (case, runner, size), in catalogue order of the cases, then by size and runner. */
  static List<Line> latest(Path csv) throws IOException {
    Map<String, Line> byKey = new LinkedHashMap<>();
    List<String> rows = Files.readAllLines(csv);
    for (String row : rows.subList(1, rows.size())) {
      if (!row.isBlank()) {
        Line line = Line.parse(row);
        byKey.put(line.name() + "/" + line.runner() + "/" + line.events(), line);
      }
    }
    Set<String> names = new LinkedHashSet<>(TemplatesBenchmark.cases(null));
    byKey.values().forEach(l -> names.add(l.name()));
    List<Line> ordered = new ArrayList<>();
    for (String name : names) {
      TreeSet<Long> sizes = new TreeSet<>();
      byKey.values().stream().filter(l -> l.name().equals(name)).forEach(l -> sizes.add(l.events()));
      for (long size : sizes) {
        for (String runner : RUNNERS) {
          Line l = byKey.get(name + "/" + runner + "/" + size);
          if (l != null) {
            ordered.add(l);
          }
        }
      }
    }
    return ordered;
  }

  /**
   * The Markdown table: a row per case and size, events/s and wall seconds per runner, and
   * Direct's throughput as a share of the fastest runner's (issue 20's first goal asks for at least
   * 1/1.5). Refusals, failures and notes are footnoted.
   */
  static String table(List<Line> lines) {
    StringBuilder out = new StringBuilder("| template | events | Direct | Flink `[local]` | Spark `local[*]` | Direct ÷ fastest |\n"
        + "|---|---|---|---|---|---|\n");
    Map<String, Integer> footnotes = new LinkedHashMap<>();
    Map<String, Map<String, Line>> rows = new LinkedHashMap<>();
    for (Line l : lines) {
      rows.computeIfAbsent(l.name() + "/" + l.events(), k -> new LinkedHashMap<>()).put(l.runner(), l);
    }
    for (Map<String, Line> row : rows.values()) {
      Line any = row.values().iterator().next();
      out.append(String.format(Locale.ROOT, "| `%s` | %,d |", any.name(), any.events()));
      for (String runner : RUNNERS) {
        out.append(' ').append(cell(row.get(runner), footnotes)).append(" |");
      }
      double fastest = row.values().stream().filter(Line::ok).mapToDouble(Line::eventsPerSecond).max().orElse(0);
      Line direct = row.get("direct");
      if (direct == null || fastest == 0) {
        out.append(" |\n");
      } else if (direct.ok()) {
        out.append(String.format(Locale.ROOT, " %.2f |%n", direct.eventsPerSecond() / fastest));
      } else if (direct.status().equals("timeout")) {
        // It had not finished: its rate was below its events over the time it was given.
        out.append(String.format(Locale.ROOT, " < %.2f |%n", direct.events() / direct.wallSeconds() / fastest));
      } else {
        out.append(" |\n");
      }
    }
    out.append("\nEach cell: events/s, and in brackets the wall-clock seconds of `bin/run` from start to exit (JVM and runner start-up included).\n");
    footnotes.forEach((note, number) -> out.append(String.format(Locale.ROOT, "%n%d. %s", number, note)));
    if (!footnotes.isEmpty()) {
      out.append('\n');
    }
    Set<String> runs = new TreeSet<>();
    lines.forEach(l -> runs.add(l.run() + (l.commit().isEmpty() ? "" : " (commit " + l.commit() + ")")));
    out.append("\nRuns: ").append(String.join(", ", runs)).append('\n');
    return out.toString();
  }

  private static String cell(Line line, Map<String, Integer> footnotes) {
    if (line == null) {
      return "";
    }
    String mark = line.note().isEmpty() ? "" : " [" + footnotes.computeIfAbsent(line.note(), k -> footnotes.size() + 1) + "]";
    switch (line.status()) {
      case "ok":
        return String.format(Locale.ROOT, "%,.0f (%.1f s)%s", line.eventsPerSecond(), line.wallSeconds(), mark);
      case "timeout":
        return String.format(Locale.ROOT, "timeout (> %.0f s)", line.wallSeconds());
      default:
        return line.status() + mark;
    }
  }

  static void draw(List<Line> lines, Path png) throws IOException {
    TreeSet<Long> sizes = new TreeSet<>();
    List<String> names = new ArrayList<>();
    double lowest = Double.MAX_VALUE;
    double highest = 0;
    for (Line l : lines) {
      sizes.add(l.events());
      if (!names.contains(l.name())) {
        names.add(l.name());
      }
      if (l.ok()) {
        lowest = Math.min(lowest, l.eventsPerSecond());
        highest = Math.max(highest, l.eventsPerSecond());
      }
    }
    if (highest == 0) {
      lowest = 1;
      highest = 10;
    }
    // Whole decades around the measured rates; a run without a rate is a stub at the axis' foot.
    double floor = Math.pow(10, Math.floor(Math.log10(lowest)));
    double ceiling = Math.pow(10, Math.ceil(Math.log10(highest * 1.5)));
    CombinedDomainCategoryPlot combined = new CombinedDomainCategoryPlot(new CategoryAxis("template"));
    combined.setOrientation(PlotOrientation.HORIZONTAL);
    combined.setGap(16);
    for (long size : sizes) {
      DefaultCategoryDataset data = new DefaultCategoryDataset();
      Map<String, Line> byCell = new LinkedHashMap<>();
      for (String name : names) {
        for (String runner : RUNNERS) {
          Line l = lines.stream().filter(x -> x.events() == size && x.name().equals(name) && x.runner().equals(runner)).findFirst().orElse(null);
          data.addValue(l == null ? null : l.ok() ? l.eventsPerSecond() : floor * 1.0001, LABELS.get(runner), name);
          byCell.put(runner + "/" + name, l);
        }
      }
      LogAxis axis = new LogAxis(String.format(Locale.ROOT, "events/s over %,d events, wall clock incl. start-up (log scale)", size));
      axis.setRange(floor, ceiling);
      axis.setBase(10);
      axis.setSmallestValue(floor);
      axis.setNumberFormatOverride(new java.text.DecimalFormat("#,##0"));
      // A tick per decade (LogAxis counts tick units in powers of its base), unlabelled ones between.
      axis.setTickUnit(new NumberTickUnit(1));
      axis.setMinorTickCount(9);
      axis.setMinorTickMarksVisible(true);
      BarRenderer renderer = new BarRenderer();
      renderer.setBase(floor);
      renderer.setIncludeBaseInRange(false);
      Charts.flatBars(renderer, RUNNERS.size(), (dataset, row, column) -> {
        Line l = byCell.get(RUNNERS.get(row) + "/" + dataset.getColumnKey(column));
        if (l == null) {
          return "";
        }
        if (l.ok()) {
          return String.format(Locale.ROOT, "%,.0f", l.eventsPerSecond());
        }
        return l.status().equals("timeout") ? String.format(Locale.ROOT, "timeout > %.0f s", l.wallSeconds()) : l.status();
      });
      renderer.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
      // Labels just past the end of each bar (a stub's at the axis' foot).
      renderer.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT));
      CategoryPlot plot = new CategoryPlot(data, null, axis, renderer);
      plot.setRangeAxisLocation(AxisLocation.BOTTOM_OR_RIGHT);
      plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
      plot.setBackgroundPaint(Color.WHITE);
      combined.add(plot, 1);
    }
    // One legend for the panels, which share their series.
    combined.setFixedLegendItems(((CategoryPlot) combined.getSubplots().get(0)).getLegendItems());
    JFreeChart chart = new JFreeChart("Catalogue templates through bin/run: events/s per embedded runner", JFreeChart.DEFAULT_TITLE_FONT, combined, true);
    Charts.whiteBackground(chart, combined);
    chart.addSubtitle(new TextTitle("generated input, one hour of event time; higher is better; a stub is a run that timed out, was refused or failed",
        new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
    Charts.save(chart, png, 1400, 200 + 32 * names.size());
  }
}
