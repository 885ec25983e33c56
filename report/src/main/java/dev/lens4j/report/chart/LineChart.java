package dev.lens4j.report.chart;

import dev.lens4j.report.Plural;

import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/**
 * One or more lines over a shared x axis, with nice ticks, grid lines and a legend: the general line
 * plot (ARENA's {@code line}). A NaN value leaves a gap in its line. Points get a marker with a hover
 * tip while there are few of them.
 */
public final class LineChart {

    /** Chart height in chart units. */
    public static final double HEIGHT = 360;

    private static final double LEFT = 64;
    private static final double RIGHT = 18;
    private static final double BOTTOM = 48;
    private static final int MARKER_LIMIT = 120;

    private final double[] x;
    private final double[][] ys;
    private final String[] names;
    private final String xLabel;
    private final String yLabel;
    private final double width;

    /**
     * Creates the chart.
     *
     * @param x the x coordinate of each point, finite, {@code [n]}
     * @param ys one row of {@code n} values per line
     * @param names one name per line (the legend shows them when there is more than one line)
     * @param xLabel the x axis's title
     * @param yLabel the y axis's title
     * @param width chart width in chart units
     * @throws IllegalArgumentException when the lengths disagree or an x is not finite
     */
    public LineChart(double[] x, double[][] ys, String[] names, String xLabel, String yLabel, double width) {
        if (ys.length == 0 || names.length != ys.length) {
            throw new IllegalArgumentException("a line chart needs at least one line and one name per line, got "
                    + Plural.of(ys.length, "line") + " and " + Plural.of(names.length, "name"));
        }
        for (int s = 0; s < ys.length; s++) {
            if (ys[s].length != x.length) {
                throw new IllegalArgumentException("line " + s + " (" + names[s] + ") has " + Plural.of(ys[s].length, "value")
                        + " but there are " + Plural.of(x.length, "x coordinate"));
            }
        }
        for (double v : x) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("x coordinates must be finite, got " + v);
            }
        }
        this.x = x;
        this.ys = ys;
        this.names = names;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.width = width;
    }

    /**
     * Returns the chart width in chart units.
     *
     * @return the width
     */
    public double width() {
        return width;
    }

    /**
     * Draws the chart.
     *
     * @param c the canvas, {@link #width()} x {@link #HEIGHT}
     * @param title a title drawn at the top, or null
     */
    public void draw(ChartCanvas c, String title) {
        double top = title == null ? 22 : 50;
        if (title != null) {
            c.text(LEFT, 28, title, ChartCanvas.TextStyle.of(17, Palette.INK, ChartCanvas.Anchor.START).asBold(), 0);
        }
        boolean legend = ys.length > 1;
        double x0 = LEFT;
        double x1 = width - RIGHT;
        double y0 = HEIGHT - BOTTOM;
        double y1 = top + (legend ? 22 : 0);

        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double[] row : ys) {
            for (double v : row) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (lo > hi) {          // nothing finite to draw: an empty frame with a 0..1 axis
            lo = 0;
            hi = 1;
        }
        double pad = hi > lo ? (hi - lo) * 0.05 : Math.max(1, Math.abs(hi)) * 0.5;
        double[] yt = Ticks.nice(lo - pad, hi + pad, 6);
        double ymin = yt[0];
        double ymax = yt[yt.length - 1];
        double xminData = x.length == 0 ? 0 : x[0];
        double xmaxData = x.length == 0 ? 1 : x[0];
        for (double v : x) {
            xminData = Math.min(xminData, v);
            xmaxData = Math.max(xmaxData, v);
        }
        double xspan = xmaxData > xminData ? xmaxData - xminData : 1;
        double xmin = xminData - xspan * 0.02;
        double xmax = (xmaxData > xminData ? xmaxData : xminData + 1) + xspan * 0.02;
        DoubleUnaryOperator sx = p -> x0 + (p - xmin) / (xmax - xmin) * (x1 - x0);
        DoubleUnaryOperator sy = v -> y0 - (v - ymin) / (ymax - ymin) * (y0 - y1);

        var tick = ChartCanvas.TextStyle.of(11.5, Palette.MUTED, ChartCanvas.Anchor.END);
        double ystep = yt.length > 1 ? yt[1] - yt[0] : 1;
        for (double v : yt) {
            double y = sy.applyAsDouble(v);
            c.line(x0, y, x1, y, v == 0 ? Palette.AXIS : Palette.GRID, 1, false);
            c.text(x0 - 8, y + 4, Ticks.label(v, ystep), tick, 0);
        }
        double[] xt = Ticks.nice(xminData, xmaxData > xminData ? xmaxData : xminData + 1, 8);
        double xstep = xt.length > 1 ? xt[1] - xt[0] : 1;
        var xtick = ChartCanvas.TextStyle.of(11.5, Palette.MUTED, ChartCanvas.Anchor.MIDDLE);
        for (double p : xt) {
            if (p < xmin || p > xmax) {
                continue;
            }
            double px = sx.applyAsDouble(p);
            c.line(px, y0, px, y0 + 5, Palette.AXIS, 1, false);
            c.text(px, y0 + 19, Ticks.label(p, xstep), xtick, 0);
        }
        c.line(x0, y0, x1, y0, Palette.AXIS, 1, false);
        c.line(x0, y1, x0, y0, Palette.AXIS, 1, false);

        boolean markers = x.length <= MARKER_LIMIT;
        for (int s = 0; s < ys.length; s++) {
            var color = Palette.series(s);
            // one polyline per run of finite values, so NaN leaves a gap
            int start = 0;
            while (start < x.length) {
                while (start < x.length && !Double.isFinite(ys[s][start])) {
                    start++;
                }
                int end = start;
                while (end < x.length && Double.isFinite(ys[s][end])) {
                    end++;
                }
                if (end - start >= 2) {
                    double[] px = new double[end - start];
                    double[] py = new double[end - start];
                    for (int i = start; i < end; i++) {
                        px[i - start] = sx.applyAsDouble(x[i]);
                        py[i - start] = sy.applyAsDouble(ys[s][i]);
                    }
                    c.polyline(px, py, color, 2);
                }
                for (int i = start; i < end && (markers || end - start == 1); i++) {
                    c.circle(sx.applyAsDouble(x[i]), sy.applyAsDouble(ys[s][i]), markers ? 2.6 : 2, color,
                            (legend ? names[s] + ", " : "") + Ticks.label(x[i], xstep) + ": " + String.format(Locale.ROOT, "%.4g", ys[s][i]));
                }
                start = end;
            }
        }
        if (legend) {
            var ls = ChartCanvas.TextStyle.of(12, Palette.INK, ChartCanvas.Anchor.START);
            double lx = x0;
            for (int s = 0; s < ys.length; s++) {
                c.line(lx, top + 6, lx + 18, top + 6, Palette.series(s), 3, false);
                c.text(lx + 23, top + 10, names[s], ls, 0);
                lx += 23 + c.textWidth(names[s], ls) + 18;
            }
        }
        var axis = ChartCanvas.TextStyle.of(12.5, Palette.INK, ChartCanvas.Anchor.MIDDLE);
        c.text((x0 + x1) / 2, HEIGHT - 8, xLabel, axis, 0);
        c.text(16, (y0 + y1) / 2, yLabel, axis, -90);
    }
}
