package dev.streamtemplates.benchmarks;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.CategoryDataset;

/** The look of the benchmark charts (flat bars, white background, one palette), drawn headless to PNG. */
public final class Charts {
  private Charts() {}

  /** One colour per series, in order: blue, orange, green, red, purple. */
  public static final Color[] PALETTE = {new Color(0x4C72B0), new Color(0xDD8452), new Color(0x55A868), new Color(0xC44E52), new Color(0x8172B3)};

  /** A bar's label from its dataset, series (row) and category (column). */
  @FunctionalInterface
  public interface Label {
    String of(CategoryDataset data, int row, int column);
  }

  /** White chart and plot, light grid, a bold title. */
  public static void whiteBackground(JFreeChart chart, CategoryPlot plot) {
    chart.setBackgroundPaint(Color.WHITE);
    if (chart.getTitle() != null) {
      chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    }
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
  }

  /** Flat bars in the palette, each labelled by {@code label} in a small font. */
  public static void flatBars(BarRenderer renderer, int series, Label label) {
    renderer.setBarPainter(new StandardBarPainter());
    renderer.setShadowVisible(false);
    renderer.setItemMargin(0.05);
    renderer.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator() {
      private static final long serialVersionUID = 1L;

      @Override
      public String generateLabel(CategoryDataset dataset, int row, int column) {
        return label.of(dataset, row, column);
      }
    });
    renderer.setDefaultItemLabelsVisible(true);
    renderer.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
    for (int i = 0; i < series; i++) {
      renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
    }
  }

  public static void save(JFreeChart chart, Path png, int width, int height) throws IOException {
    Files.createDirectories(png.toAbsolutePath().getParent());
    ChartUtils.saveChartAsPNG(png.toFile(), chart, width, height);
  }
}
