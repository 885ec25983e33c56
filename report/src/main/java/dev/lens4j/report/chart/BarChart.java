package dev.lens4j.report.chart;

import dev.lens4j.report.Plural;

import java.util.Locale;

/**
 * Horizontal bars, one per labelled value, in the given order: positive values blue to the right
 * of zero, negative values red to the left.
 */
public final class BarChart {

    private static final double ROW = 20;
    private static final double TOP_WITH_TITLE = 58;
    private static final double TOP = 14;
    private static final double BOTTOM = 44;
    private static final double RIGHT = 64;

    private final String[] labels;
    private final double[] values;
    private final String axisLabel;
    private final double width;
    private final double labelWidth;

    /**
     * Creates the bar chart.
     *
     * @param labels one label per bar, e.g. {@code "L1H3"}
     * @param values one value per bar
     * @param axisLabel the value axis's label with its unit, e.g. {@code "direct logit attribution (logits)"}
     * @param width chart width in chart units
     */
    public BarChart(String[] labels, double[] values, String axisLabel, double width) {
        if (labels.length != values.length) {
            throw new IllegalArgumentException("bar chart has " + Plural.of(labels.length, "label") + " but "
                    + Plural.of(values.length, "value"));
        }
        this.labels = labels;
        this.values = values;
        this.axisLabel = axisLabel;
        this.width = width;
        double lw = 0;
        var style = ChartCanvas.TextStyle.of(12, Palette.INK, ChartCanvas.Anchor.END).asMono();
        for (String l : labels) {
            lw = Math.max(lw, TextMetrics.width(l, style));
        }
        this.labelWidth = lw + 18;
    }

    /**
     * Returns chart width in chart units.
     *
     * @return chart width in chart units
     */
    public double width() {
        return width;
    }

    /**
     * Returns chart height in chart units.
     *
     * @param withTitle whether a title will be drawn
     * @return chart height in chart units
     */
    public double height(boolean withTitle) {
        return (withTitle ? TOP_WITH_TITLE : TOP) + labels.length * ROW + BOTTOM;
    }

    /**
     * Draws the chart.
     *
     * @param c the canvas, {@link #width()} x {@link #height(boolean)}
     * @param title a title, or null
     */
    public void draw(ChartCanvas c, String title) {
        double top = title == null ? TOP : TOP_WITH_TITLE;
        if (title != null) {
            c.text(12, 26, title, ChartCanvas.TextStyle.of(17, Palette.INK, ChartCanvas.Anchor.START).asBold(), 0);
        }
        double x0 = labelWidth;
        double x1 = width - RIGHT;
        double y0 = top;
        double y1 = top + labels.length * ROW;
        double lo = 0;
        double hi = 0;
        for (double v : values) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        double[] ticks = Ticks.nice(lo, hi, 6);
        double tmin = ticks[0];
        double tmax = ticks[ticks.length - 1];
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
        java.util.function.DoubleUnaryOperator sx = v -> x0 + (v - tmin) / (tmax - tmin) * (x1 - x0);
        var tick = ChartCanvas.TextStyle.of(11.5, Palette.MUTED, ChartCanvas.Anchor.MIDDLE);
        for (double t : ticks) {
            double x = sx.applyAsDouble(t);
            c.line(x, y0 - 4, x, y1, Palette.GRID, 1, false);
            c.text(x, y1 + 17, Ticks.label(t, step), tick, 0);
        }
        double zero = sx.applyAsDouble(0);
        var label = ChartCanvas.TextStyle.of(12, Palette.INK, ChartCanvas.Anchor.END).asMono();
        var valueStyle = ChartCanvas.TextStyle.of(11, Palette.MUTED, ChartCanvas.Anchor.START);
        for (int i = 0; i < labels.length; i++) {
            double y = y0 + i * ROW;
            double v = values[i];
            double xv = sx.applyAsDouble(v);
            var color = v >= 0 ? Palette.BLUE : Palette.RED;
            String text = String.format(Locale.ROOT, "%+.3f", v);
            c.rect(Math.min(zero, xv), y + 3, Math.max(1, Math.abs(xv - zero)), ROW - 6, color,
                    labels[i] + ": " + text, "data-label=\"" + Html.escape(labels[i]) + "\" data-value=\""
                            + Num.fixed(v, 6) + "\"");
            c.text(x0 - 10, y + ROW / 2 + 4, labels[i], label, 0);
            // Negative values are labelled right of the zero line, clear of the head labels.
            c.text((v >= 0 ? xv : zero) + 4, y + ROW / 2 + 4, text, valueStyle, 0);
        }
        c.line(zero, y0 - 4, zero, y1, Palette.INK, 1.2, false);
        c.text((x0 + x1) / 2, y1 + 36, axisLabel, ChartCanvas.TextStyle.of(12.5, Palette.INK, ChartCanvas.Anchor.MIDDLE), 0);
    }
}
