package dev.lens4j.report.chart;

import java.awt.Color;
import java.util.function.DoubleFunction;

/**
 * A matrix of coloured cells with row and column labels and a colour bar: attention patterns
 * ({@code [query_pos, key_pos]}) and composition scores ({@code [L*H, L*H]}). NaN cells have no value
 * and are drawn pale grey.
 */
public final class Heatmap {

    private final double[][] values;
    private final String[] rowLabels;
    private final String[] colLabels;
    private final String rowAxis;
    private final String colAxis;
    private final double vmax;
    private final DoubleFunction<Color> colors;
    private final boolean monoLabels;
    private double cell;
    private int groupSize;
    private double referenceValue = Double.NaN;
    private String referenceLabel;
    private boolean cellAttributes;
    private String valueUnit = "";
    private double textThreshold = Double.NEGATIVE_INFINITY;
    private boolean symmetric;


    /**
     * Creates the heatmap.
     *
     * @param values {@code [rows, cols]} values, NaN for cells without a value
     * @param rowLabels one label per row
     * @param colLabels one label per column
     * @param rowAxis the row axis's title, e.g. {@code "query token"}
     * @param colAxis the column axis's title
     * @param vmax the value drawn darkest (the scale runs from 0)
     * @param colors colour of a value scaled to [0, 1]
     * @param monoLabels whether labels are tokens (drawn monospace)
     */
    public Heatmap(double[][] values, String[] rowLabels, String[] colLabels, String rowAxis, String colAxis,
                   double vmax, DoubleFunction<Color> colors, boolean monoLabels) {
        if (values.length != rowLabels.length || (values.length > 0 && values[0].length != colLabels.length)) {
            throw new IllegalArgumentException("heatmap values are [" + values.length + ", "
                    + (values.length == 0 ? 0 : values[0].length) + "] but there are " + rowLabels.length
                    + " row and " + colLabels.length + " column labels");
        }
        this.values = values;
        this.rowLabels = rowLabels;
        this.colLabels = colLabels;
        this.rowAxis = rowAxis;
        this.colAxis = colAxis;
        this.vmax = vmax > 0 ? vmax : 1;
        this.colors = colors;
        this.monoLabels = monoLabels;
        this.cell = cellSize(Math.max(values.length, colLabels.length), 30);
    }

    /** Room left of the matrix: the row axis title and the row labels. */
    private double labelLeft() {
        double lw = 0;
        if (showLabels()) {
            var style = labelStyle(ChartCanvas.Anchor.END);
            for (String l : rowLabels) {
                lw = Math.max(lw, TextMetrics.width(Html.showToken(l), style));
            }
        }
        return 34 + (showLabels() ? lw + 8 : groupLabels() ? 26 : 0);
    }

    /** Whether groups (layers) are labelled instead of single rows and columns, which are too small. */
    private boolean groupLabels() {
        return !showLabels() && groupSize > 0;
    }

    /** Room above the matrix for the column labels, drawn at 50 degrees. */
    private double labelTop() {
        double cw = 0;
        if (showLabels()) {
            var style = labelStyle(ChartCanvas.Anchor.START);
            for (String l : colLabels) {
                cw = Math.max(cw, TextMetrics.width(Html.showToken(l), style));
            }
        }
        return 34 + (showLabels() ? cw * Math.sin(Math.toRadians(50)) + 8 : groupLabels() ? 16 : 0);
    }

    /**
     * Draws separator lines every {@code n} rows and columns (e.g. between layers).
     *
     * @param n rows per group, 0 for none
     * @return this heatmap
     */
    public Heatmap groups(int n) {
        groupSize = n;
        return this;
    }

    /**
     * Marks a reference value on the colour bar, e.g. the random baseline of composition scores.
     *
     * @param value the value
     * @param label its name
     * @return this heatmap
     */
    public Heatmap reference(double value, String label) {
        referenceValue = value;
        referenceLabel = label;
        return this;
    }

    /**
     * Gives every SVG cell the data attributes {@code data-row}, {@code data-col} (the labels) and
     * {@code data-value} instead of a hover title, which keeps large matrices small.
     *
     * @return this heatmap
     */
    public Heatmap cellAttributes() {
        cellAttributes = true;
        return this;
    }

    /**
     * Writes values into cells (when cells are large enough) only where they reach a threshold, so
     * that a sparse matrix reads at a glance.
     *
     * @param threshold the smallest value written
     * @return this heatmap
     */
    public Heatmap writeValuesFrom(double threshold) {
        textThreshold = threshold;
        return this;
    }

    /**
     * Returns this heatmap.
     *
     * @param unit text appended to values in hover tips, e.g. {@code " nats"}
     * @return this heatmap
     */
    public Heatmap unit(String unit) {
        valueUnit = unit;
        return this;
    }

    /**
     * Makes the scale run from {@code -vmax} to {@code vmax} instead of from 0, for signed values: the
     * colour function then receives {@code value / vmax} in [-1, 1] (e.g. {@link Palette#redBlue}), and
     * the colour bar shows {@code -vmax}, 0 and {@code vmax}.
     *
     * @return this heatmap
     */
    public Heatmap symmetric() {
        symmetric = true;
        return this;
    }

    private static double cellSize(int n, double max) {
        return Math.max(6, Math.min(max, 560.0 / Math.max(1, n)));
    }

    /**
     * Lets small matrices use larger cells (the default largest is 30 chart units).
     *
     * @param max the largest cell size
     * @return this heatmap
     */
    public Heatmap maxCell(double max) {
        cell = cellSize(Math.max(values.length, colLabels.length), max);
        return this;
    }

    private boolean showLabels() {
        return cell >= 9;
    }

    private ChartCanvas.TextStyle labelStyle(ChartCanvas.Anchor anchor) {
        var s = ChartCanvas.TextStyle.of(Math.min(12, cell * 0.62), Palette.INK, anchor);
        return monoLabels ? s.asMono() : s;
    }

    /**
     * Returns chart width.
     *
     * @param withTitle whether a title will be drawn
     * @return chart width
     */
    public double width(boolean withTitle) {
        double legend = 40 + 19 + Math.max(40, referenceLabel == null ? 0
                : TextMetrics.width(referenceLabel, ChartCanvas.TextStyle.of(11, Palette.ORANGE, ChartCanvas.Anchor.START).asBold()) + 8);
        // the last column label leans right past the matrix
        double lean = showLabels() ? lastLabelLean() - 40 : 0;
        return labelLeft() + colLabels.length * cell + Math.max(legend, lean) + 10;
    }

    private double lastLabelLean() {
        if (colLabels.length == 0) {
            return 0;
        }
        return TextMetrics.width(Html.showToken(colLabels[colLabels.length - 1]), labelStyle(ChartCanvas.Anchor.START))
                * Math.cos(Math.toRadians(50));
    }

    /**
     * Returns chart height.
     *
     * @param withTitle whether a title will be drawn
     * @return chart height
     */
    public double height(boolean withTitle) {
        return (withTitle ? 40 : 0) + labelTop() + values.length * cell + 20;
    }

    /**
     * Draws the heatmap.
     *
     * @param c the canvas, {@link #width(boolean)} x {@link #height(boolean)}
     * @param title a title, or null
     */
    public void draw(ChartCanvas c, String title) {
        double top = labelTop() + (title == null ? 0 : 40);
        if (title != null) {
            c.text(14, 28, title, ChartCanvas.TextStyle.of(17, Palette.INK, ChartCanvas.Anchor.START).asBold(), 0);
        }
        double left = labelLeft();
        int rows = values.length;
        int cols = colLabels.length;
        boolean text = cell >= 26;
        // Cells without a value share one background instead of a rectangle each.
        c.rect(left, top, cols * cell, rows * cell, Palette.EMPTY, null, null);
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < cols; k++) {
                double v = values[r][k];
                if (Double.isNaN(v)) {
                    continue;
                }
                double x = left + k * cell;
                double y = top + r * cell;
                Color col = colors.apply(v / vmax);
                if (cellAttributes) {
                    // Large matrices: the page's script builds the hover text from these attributes.
                    c.rect(x, y, cell, cell, col, null, "data-row=\"" + Html.escape(rowLabels[r]) + "\" data-col=\""
                            + Html.escape(colLabels[k]) + "\" data-value=\"" + Num.fixed(v, 4) + "\"");
                } else {
                    c.rect(x, y, cell, cell, col, rowLabels[r] + " \u2192 " + colLabels[k] + ": " + Num.fixed(v, 3) + valueUnit, null);
                }
                if (text && v >= textThreshold) {
                    c.text(x + cell / 2, y + cell / 2 + 3.5, Num.fixed(v, 2).replaceFirst("^0\\.", "."),
                            ChartCanvas.TextStyle.of(Math.min(12.5, cell * 0.32), Palette.textOn(col), ChartCanvas.Anchor.MIDDLE), 0);
                }
            }
        }
        c.strokeRect(left, top, cols * cell, rows * cell, Palette.AXIS, 1);
        if (groupSize > 0) {
            for (int g = groupSize; g < Math.max(rows, cols); g += groupSize) {
                if (g < cols) {
                    c.line(left + g * cell, top, left + g * cell, top + rows * cell, Palette.INK, 1.4, false);
                }
                if (g < rows) {
                    c.line(left, top + g * cell, left + cols * cell, top + g * cell, Palette.INK, 1.4, false);
                }
            }
        }
        if (showLabels()) {
            var rs = labelStyle(ChartCanvas.Anchor.END);
            for (int r = 0; r < rows; r++) {
                c.text(left - 6, top + r * cell + cell / 2 + rs.size() * 0.35, Html.showToken(rowLabels[r]), rs, 0);
            }
            var cs = labelStyle(ChartCanvas.Anchor.START);
            for (int k = 0; k < cols; k++) {
                c.text(left + k * cell + cell / 2 + cs.size() * 0.35, top - 6, Html.showToken(colLabels[k]), cs, -50);
            }
        }
        if (groupLabels()) {
            var gs = ChartCanvas.TextStyle.of(11, Palette.MUTED, ChartCanvas.Anchor.END).asMono();
            var gc = ChartCanvas.TextStyle.of(11, Palette.MUTED, ChartCanvas.Anchor.MIDDLE).asMono();
            for (int g = 0; g * groupSize < rows; g++) {
                c.text(left - 6, top + (g + 0.5) * groupSize * cell + 4, "L" + g, gs, 0);
            }
            for (int g = 0; g * groupSize < cols; g++) {
                c.text(left + (g + 0.5) * groupSize * cell, top - 6, "L" + g, gc, 0);
            }
        }
        var axis = ChartCanvas.TextStyle.of(12.5, Palette.INK, ChartCanvas.Anchor.MIDDLE);
        c.text(14, top + rows * cell / 2, rowAxis, axis, -90);
        c.text(left + cols * cell / 2, top + rows * cell + 16, colAxis, axis, 0);
        colorBar(c, left + cols * cell + 28, top, Math.min(rows * cell, 260));
    }

    private void colorBar(ChartCanvas c, double x, double y, double h) {
        int steps = 48;
        double low = symmetric ? -1 : 0;            // the bar runs from the colour of 1 down to that of low
        for (int i = 0; i < steps; i++) {
            double t = 1 - (1 - low) * (i + 0.5) / steps;
            c.rect(x, y + i * h / steps, 14, h / steps + 0.6, colors.apply(t), null, null);
        }
        c.strokeRect(x, y, 14, h, Palette.AXIS, 1);
        var s = ChartCanvas.TextStyle.of(11, Palette.MUTED, ChartCanvas.Anchor.START);
        c.text(x + 19, y + 8, Num.fixed(vmax, 2), s, 0);
        if (symmetric) {
            c.text(x + 19, y + h / 2 + 4, "0", s, 0);
            c.text(x + 19, y + h, Num.fixed(-vmax, 2), s, 0);
        } else {
            c.text(x + 19, y + h, "0", s, 0);
        }
        if (!symmetric && !Double.isNaN(referenceValue) && referenceValue <= vmax) {
            double ry = y + h * (1 - referenceValue / vmax);
            c.line(x - 4, ry, x + 18, ry, Palette.ORANGE, 2, false);
            c.text(x + 19, ry + 4, referenceLabel, ChartCanvas.TextStyle.of(11, Palette.ORANGE, ChartCanvas.Anchor.START).asBold(), 0);
        }
    }
}
