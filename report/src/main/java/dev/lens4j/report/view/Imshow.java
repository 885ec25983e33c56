package dev.lens4j.report.view;

import dev.lens4j.report.Plural;
import dev.lens4j.report.PngCharts;
import dev.lens4j.report.chart.Heatmap;
import dev.lens4j.report.chart.Java2DCanvas;
import dev.lens4j.report.chart.Palette;
import dev.lens4j.report.chart.SvgCanvas;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * A matrix as a heatmap, like plotly's {@code imshow} as ARENA calls it
 * ({@code color_continuous_midpoint=0, color_continuous_scale="RdBu"}): negative values red, positive
 * blue, zero white, on a scale symmetric about 0 that reaches the largest magnitude. {@link #sequential()}
 * switches to white-to-blue from 0 for values that cannot be negative. Every cell has a hover tip with its
 * row, column and value; NaN cells are left blank.
 *
 * <pre>{@code
 * Tensor scores = InductionEvals.inductionScores(model, rep, 10);          // [n_layers, n_heads]
 * Imshow.of(scores).title("Induction scores").xLabel("head").yLabel("layer").save(Path.of("scores.html"));
 * }</pre>
 */
public final class Imshow implements View {

    /** The most cells one view draws (an SVG element each); larger matrices should be sliced first. */
    public static final int MAX_CELLS = 250_000;

    private final double[][] values;
    private String[] rowLabels;
    private String[] colLabels;
    private String xLabel = "";
    private String yLabel = "";
    private String title = "Heatmap";
    private boolean sequential;

    private Imshow(double[][] values) {
        this.values = values;
        this.rowLabels = indexLabels(values.length);
        this.colLabels = indexLabels(values[0].length);
    }

    private static String[] indexLabels(int n) {
        String[] s = new String[n];
        for (int i = 0; i < n; i++) {
            s[i] = Integer.toString(i);
        }
        return s;
    }

    /**
     * A heatmap of a matrix, rows down and columns across; a vector is one row.
     *
     * @param values {@code [rows, cols]} (or {@code [cols]})
     * @return the view, rows and columns labelled by index
     * @throws IllegalArgumentException naming the shape for other ranks, an empty matrix or more than
     *         {@link #MAX_CELLS} cells
     */
    public static Imshow of(Tensor values) {
        if (values == null) {
            throw new IllegalArgumentException("imshow needs a tensor");
        }
        Tensor m = values.rank() == 1 ? values.unsqueeze(0) : values;
        if (m.rank() != 2 || m.size() == 0) {
            throw new IllegalArgumentException("imshow needs a non-empty [rows, cols] matrix (or a vector), got shape "
                    + Shapes.str(values.shape()) + (values.rank() > 2 ? "; select or reshape it to two dimensions" : ""));
        }
        if (m.size() > MAX_CELLS) {
            throw new IllegalArgumentException("imshow of " + Shapes.str(values.shape()) + " would draw " + m.size()
                    + " cells, more than " + MAX_CELLS + "; slice it first");
        }
        float[] v = m.contiguous().toArray();
        int rows = m.dim(0);
        int cols = m.dim(1);
        double[][] d = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                d[r][c] = v[r * cols + c];
            }
        }
        return new Imshow(d);
    }

    /**
     * Labels the rows (e.g. tokens, or layers).
     *
     * @param labels one per row
     * @return this view
     * @throws IllegalArgumentException if the count differs from the number of rows
     */
    public Imshow rowLabels(List<String> labels) {
        rowLabels = labels(labels, values.length, "row");
        return this;
    }

    /**
     * Labels the columns.
     *
     * @param labels one per column
     * @return this view
     * @throws IllegalArgumentException if the count differs from the number of columns
     */
    public Imshow colLabels(List<String> labels) {
        colLabels = labels(labels, values[0].length, "column");
        return this;
    }

    private static String[] labels(List<String> labels, int n, String what) {
        if (labels.size() != n) {
            throw new IllegalArgumentException(Plural.of(labels.size(), what + " label") + " for " + Plural.of(n, what));
        }
        return labels.toArray(String[]::new);
    }

    /**
     * Titles the column axis.
     *
     * @param text the x axis's title
     * @return this view
     */
    public Imshow xLabel(String text) {
        xLabel = text;
        return this;
    }

    /**
     * Titles the row axis.
     *
     * @param text the y axis's title
     * @return this view
     */
    public Imshow yLabel(String text) {
        yLabel = text;
        return this;
    }

    /**
     * Sets the title.
     *
     * @param text the title
     * @return this view
     */
    public Imshow title(String text) {
        title = text;
        return this;
    }

    /**
     * Uses a white-to-blue scale from 0 to the largest value (for probabilities, attention weights,
     * scores that cannot be negative) instead of the red-white-blue scale about 0.
     *
     * @return this view
     */
    public Imshow sequential() {
        sequential = true;
        return this;
    }

    Heatmap heatmap() {
        double max = 0;
        for (double[] row : values) {
            for (double v : row) {
                if (Double.isFinite(v)) {
                    max = Math.max(max, sequential ? v : Math.abs(v));
                }
            }
        }
        Heatmap m = new Heatmap(values, rowLabels, colLabels, yLabel, xLabel, max, sequential ? Palette::blues : Palette::redBlue, true)
                .maxCell(40);
        return sequential ? m : m.symmetric();
    }

    @Override
    public String toHtml() {
        Heatmap m = heatmap();
        SvgCanvas c = new SvgCanvas(m.width(false), m.height(false));
        m.draw(c, null);
        return Page.html(title, "<figure id=\"imshow\">" + c.toSvg(null, null, title) + "</figure>\n", null);
    }

    @Override
    public BufferedImage toImage() {
        Heatmap m = heatmap();
        Java2DCanvas c = new Java2DCanvas(m.width(true), m.height(true), PngCharts.SCALE);
        m.draw(c, title);
        return c.finish();
    }
}
