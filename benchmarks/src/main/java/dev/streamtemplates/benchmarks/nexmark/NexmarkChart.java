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
 * one bar per runner and mode, with the 0.9 goal and parity marked. Runs headless.
 *
 * <pre>
 * java -Djava.awt.headless=true ... NexmarkChart [benchmarks/results]
 * </pre>
 */
public final class NexmarkChart {
  private NexmarkChart() {}

  record Line(String runner, String mode, String query, long events, double template, double hand, double ratio, long results) {
    String series() {
      return runner.replace("Runner", "") + " " + mode;
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
    StringBuilder out = new StringBuilder("| query | runner | events | template events/s | hand-written events/s | template ÷ hand-written | results |\n"
        + "|---|---|---|---|---|---|---|\n");
    for (Line l : lines) {
      out.append(String.format(Locale.ROOT, "| %s | %s | %,d | %,.0f | %,.0f | %s%.2f%s | %,d |%n", l.query(), l.series(), l.events(), l.template(),
          l.hand(), l.ratio() < 0.9 ? "" : "**", l.ratio(), l.ratio() < 0.9 ? "" : "**", l.results()));
    }
    return out.toString();
  }

  static void draw(List<Line> lines, Path png) throws IOException {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (Line l : lines) {
      data.addValue(l.ratio(), l.series(), l.query().toUpperCase(Locale.ROOT));
    }
    JFreeChart chart = ChartFactory.createBarChart("Nexmark: template ÷ hand-written Beam throughput (same runner, same events)",
        "query", "template ÷ hand-written (higher is better)", data, PlotOrientation.VERTICAL, true, false, false);
    CategoryPlot plot = chart.getCategoryPlot();
    Charts.whiteBackground(chart, plot);
    // Rounded as the table rounds (%.2f), so that both show the same figure.
    Charts.flatBars((BarRenderer) plot.getRenderer(), data.getRowCount(),
        (dataset, row, column) -> String.format(Locale.ROOT, "%.2f", dataset.getValue(row, column).doubleValue()));
    ValueMarker goal = new ValueMarker(0.9, new Color(0xC44E52), new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {6f, 4f}, 0f));
    goal.setLabel("goal 0.9");
    goal.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    goal.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.TOP_LEFT);
    goal.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.BOTTOM_LEFT);
    plot.addRangeMarker(goal);
    plot.addRangeMarker(new ValueMarker(1.0, Color.DARK_GRAY, new BasicStroke(1f)));
    Charts.save(chart, png, 1200, 600);
  }
}
