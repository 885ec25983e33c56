package dev.lens4j.report;

import dev.lens4j.report.chart.BarChart;
import dev.lens4j.report.chart.Heatmap;
import dev.lens4j.report.chart.Java2DCanvas;
import dev.lens4j.report.chart.LossChart;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * PNG images of the report's key plots, drawn with Java2D (antialiased, headless) at
 * {@value #SCALE} pixels per chart unit.
 *
 * <pre>{@code
 * BufferedImage img = PngCharts.lossByPosition(data.loss());   // 1520 x 680 pixels
 * PngCharts.write(img, Path.of("loss-by-position.png"));
 * }</pre>
 */
public final class PngCharts {

    /** Pixels per chart unit: 2 keeps text crisp on high-density screens and in slides. */
    public static final double SCALE = 2;

    static {
        // No display is needed or wanted: charts are drawn into images on servers and in CI.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private PngCharts() {}

    /**
     * Draws the loss-by-position plot.
     *
     * @param loss the loss by position
     * @return the loss-by-position plot
     */
    public static BufferedImage lossByPosition(LossByPosition loss) {
        LossChart chart = Charts.loss(loss, 760);
        Java2DCanvas c = new Java2DCanvas(chart.width(), LossChart.HEIGHT, SCALE);
        chart.draw(c, "Loss by position on repeated random tokens");
        return c.finish();
    }

    /**
     * Draws the direct-logit-attribution bar chart.
     *
     * @param dla the direct logit attribution
     * @return its bar chart, largest first (at most 32 bars, the largest by magnitude)
     */
    public static BufferedImage directLogitAttribution(DirectLogitAttribution dla) {
        BarChart chart = Charts.dla(dla, 760);
        Java2DCanvas c = new Java2DCanvas(chart.width(), chart.height(true), SCALE);
        chart.draw(c, "Direct logit attribution per head");
        return c.finish();
    }

    /**
     * Draws a composition-score heatmap.
     *
     * @param composition the composition scores
     * @param mode which of Q, K, V
     * @return the {@code [L*H, L*H]} heatmap with its random baseline marked
     */
    public static BufferedImage composition(CompositionScores composition, CompositionScores.Mode mode) {
        Heatmap chart = Charts.composition(composition, mode);
        Java2DCanvas c = new Java2DCanvas(chart.width(true), chart.height(true), SCALE);
        chart.draw(c, mode + "-composition scores");
        return c.finish();
    }

    /**
     * Draws one head's attention pattern.
     *
     * @param attention the attention patterns
     * @param head a head among them
     * @return its {@code [query_pos, key_pos]} pattern with token labels
     * @throws IllegalArgumentException if the head's pattern is not in the report
     */
    public static BufferedImage attentionPattern(AttentionPatterns attention, HeadId head) {
        AttentionPatterns.HeadPattern hp = attention.find(head);
        if (hp == null) {
            throw new IllegalArgumentException("the report has no attention pattern of head " + head);
        }
        Heatmap chart = Charts.pattern(attention, hp);
        Java2DCanvas c = new Java2DCanvas(chart.width(true), chart.height(true), SCALE);
        chart.draw(c, "Attention pattern of " + head);
        return c.finish();
    }

    /**
     * Writes an image as PNG; readers never see a partly written file.
     *
     * @param image the image
     * @param file the target file
     * @throws IOException if the file cannot be written
     */
    public static void write(BufferedImage image, Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
        try {
            if (!ImageIO.write(image, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available to write " + file);
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
