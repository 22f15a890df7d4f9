package dev.streamtemplates.benchmarks.nexmark;

import dev.streamtemplates.benchmarks.Charts;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Reads {@code nexmark.csv} (the latest row for each runner, mode and query), prints the results
 * table in Markdown and draws {@code nexmark.png}: template ÷ hand-written throughput per query,
 * one bar per runner and mode, with the 0.9 goal and parity marked. Rows of runner {@code FlinkSQL}
 * hold template ÷ native Flink SQL on Flink (goal 0.5), drawn as a series of their own. Runs headless.
 *
 * <pre>
 * java -Djava.awt.headless=true ... NexmarkChart [benchmarks/results]
 * </pre>
 */
public final class NexmarkChart {
  private NexmarkChart() {}

  record Line(String runner, String mode, String query, long events, double template, double hand, double ratio, long results) {
    String series() {
      return runner.equals(NexmarkBenchmark.FLINK_SQL) ? "Flink " + mode + " ÷ native Flink SQL" : runner.replace("Runner", "") + " " + mode;
    }

    /** The goal of the ratio: 0.9 of hand-written Beam, 0.5 of native Flink SQL. */
    double goal() {
      return runner.equals(NexmarkBenchmark.FLINK_SQL) ? 0.5 : 0.9;
    }
  }

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "benchmarks/results");
    List<Line> lines = latest(dir.resolve("nexmark.csv"));
    System.out.println(table(lines));
    draw(lines, dir.resolve("nexmark.png"));
    System.out.println("chart: " + dir.resolve("nexmark.png"));
  }

  /** The last measurement of each (runner, mode, query), in query order then runner order of first appearance. */
  static List<Line> latest(Path csv) throws IOException {
    Map<String, Line> byKey = new LinkedHashMap<>();
    for (String row : Files.readAllLines(csv).subList(1, Files.readAllLines(csv).size())) {
      String[] f = row.split(",");
      Line line = new Line(f[1], f[2], f[3], Long.parseLong(f[4]), Double.parseDouble(f[7]), Double.parseDouble(f[8]),
          Double.parseDouble(f[9]), Long.parseLong(f[10]));
      byKey.remove(line.series() + "/" + line.query());
      byKey.put(line.series() + "/" + line.query(), line);
    }
    List<String> series = new ArrayList<>();
    byKey.values().forEach(l -> {
      if (!series.contains(l.series())) {
        series.add(l.series());
      }
    });
    List<Line> ordered = new ArrayList<>();
    for (String query : NexmarkQueries.ids()) {
      for (String s : series) {
        Line l = byKey.get(s + "/" + query);
        if (l != null) {
          ordered.add(l);
        }
      }
    }
    return ordered;
  }

  static String table(List<Line> lines) {
    StringBuilder out = new StringBuilder("| query | runner | events | template events/s | baseline events/s | template ÷ baseline | results |\n"
        + "|---|---|---|---|---|---|---|\n");
    for (Line l : lines) {
      out.append(String.format(Locale.ROOT, "| %s | %s | %,d | %,.0f | %,.0f | %s%.2f%s | %,d |%n", l.query(), l.series(), l.events(), l.template(),
          l.hand(), l.ratio() < l.goal() ? "" : "**", l.ratio(), l.ratio() < l.goal() ? "" : "**", l.results()));
    }
    return out.toString();
  }

  static void draw(List<Line> lines, Path png) throws IOException {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (Line l : lines) {
      data.addValue(l.ratio(), l.series(), l.query().toUpperCase(Locale.ROOT));
    }
    JFreeChart chart = ChartFactory.createBarChart("Nexmark: template ÷ hand-written Beam throughput (same runner, same events); ÷ native Flink SQL where named",
        "query", "template ÷ baseline (higher is better)", data, PlotOrientation.VERTICAL, true, false, false);
    CategoryPlot plot = chart.getCategoryPlot();
    Charts.whiteBackground(chart, plot);
    // Rounded as the table rounds (%.2f), so that both show the same figure.
    Charts.flatBars((BarRenderer) plot.getRenderer(), data.getRowCount(),
        (dataset, row, column) -> String.format(Locale.ROOT, "%.2f", dataset.getValue(row, column).doubleValue()));
    plot.addRangeMarker(goal(0.9, "goal 0.9"));
    if (lines.stream().anyMatch(l -> l.goal() != 0.9)) {
      plot.addRangeMarker(goal(0.5, "goal 0.5 (÷ native Flink SQL)"));
    }
    plot.addRangeMarker(new ValueMarker(1.0, Color.DARK_GRAY, new BasicStroke(1f)));
    Charts.save(chart, png, 1200, 600);
  }

  private static ValueMarker goal(double value, String label) {
    ValueMarker goal = new ValueMarker(value, new Color(0xC44E52), new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {6f, 4f}, 0f));
    goal.setLabel(label);
    goal.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    goal.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.TOP_LEFT);
    goal.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.BOTTOM_LEFT);
    return goal;
  }
}
