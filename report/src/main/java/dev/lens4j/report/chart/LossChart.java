package dev.lens4j.report.chart;

import java.util.Locale;
import java.util.function.IntFunction;

/**
 * Loss by position on repeated random tokens: a line of the mean per-token loss, the first and
 * repeated halves shaded differently with each half's mean, and the {@code ln(d_vocab)} line of a
 * uniform guess. Each point's tooltip names the token it predicts. The predictions outside both
 * halves (after BOS, and of the second copy's first token) are grey on white.
 */
public final class LossChart {

    /** Chart height in chart units. */
    public static final double HEIGHT = 340;

    private static final double LEFT = 58;
    private static final double RIGHT = 18;
    private static final double BOTTOM = 46;

    private final double[] loss;
    private final int firstStart;
    private final int repeatedStart;
    private final IntFunction<String> predicted;
    private final double firstMean;
    private final double repeatedMean;
    private final double lnVocab;
    private final double width;

    /**
     * Creates the loss chart.
     *
     * @param loss {@code [pos - 1]} mean loss per position (entry i predicts token i + 1), nats
     * @param firstStart first entry of the first half, which ends one entry before the repeated half
     * @param repeatedStart first entry of the repeated half, which runs to the end
     * @param firstMean the first half's mean loss
     * @param repeatedMean the repeated half's mean loss
     * @param lnVocab {@code ln(d_vocab)}
     * @param predicted names the token entry i predicts and its half, for its tooltip
     *                  (e.g. "token 25 (the second copy's token 2, in the repeated half)")
     * @param width chart width in chart units
     */
    public LossChart(double[] loss, int firstStart, int repeatedStart, double firstMean, double repeatedMean, double lnVocab,
                     IntFunction<String> predicted, double width) {
        this.loss = loss;
        this.firstStart = firstStart;
        this.repeatedStart = repeatedStart;
        this.predicted = predicted;
        this.firstMean = firstMean;
        this.repeatedMean = repeatedMean;
        this.lnVocab = lnVocab;
        this.width = width;
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
     * Draws the chart.
     *
     * @param c the canvas, {@link #width()} x {@link #HEIGHT}
     * @param title a title drawn at the top, or null (the HTML section has its own heading)
     */
    public void draw(ChartCanvas c, String title) {
        double top = title == null ? 34 : 62;
        if (title != null) {
            c.text(LEFT, 26, title, ChartCanvas.TextStyle.of(17, Palette.INK, ChartCanvas.Anchor.START).asBold(), 0);
        }
        double x0 = LEFT;
        double x1 = width - RIGHT;
        double y0 = HEIGHT - BOTTOM;
        double y1 = top;
        int n = loss.length;
        double max = lnVocab;
        for (double v : loss) {
            max = Math.max(max, v);
        }
        double[] yt = Ticks.nice(0, max * 1.05, 5);
        double ymax = yt[yt.length - 1];
        // Positions are those of the predicted tokens, 1 .. n, so the BOS (position 0) has no loss.
        double xmin = 0.5;
        double xmax = n + 0.5;
        java.util.function.DoubleUnaryOperator sx = p -> x0 + (p - xmin) / (xmax - xmin) * (x1 - x0);
        java.util.function.DoubleUnaryOperator sy = v -> y0 - v / ymax * (y0 - y1);

        // entry i is drawn at the predicted token's position i + 1; the first half is entries
        // [firstStart, repeatedStart - 1), the repeated half [repeatedStart, n)
        double firstFrom = sx.applyAsDouble(firstStart + 0.5);
        double firstTo = sx.applyAsDouble(repeatedStart - 0.5);
        double split = sx.applyAsDouble(repeatedStart + 0.5);
        c.rect(firstFrom, y1, firstTo - firstFrom, y0 - y1, Palette.FIRST_HALF, null, "data-half=\"first\"");
        c.rect(split, y1, x1 - split, y0 - y1, Palette.REPEATED_HALF, null, "data-half=\"repeated\"");
        var small = ChartCanvas.TextStyle.of(12, Palette.MUTED, ChartCanvas.Anchor.MIDDLE);
        c.text((firstFrom + firstTo) / 2, y1 - 8, String.format(Locale.ROOT, "first half (random): mean %.3f", firstMean),
                small.asBold(), 0);
        c.text((split + x1) / 2, y1 - 8, String.format(Locale.ROOT, "repeated half: mean %.3f", repeatedMean),
                small.asBold(), 0);

        var tick = ChartCanvas.TextStyle.of(11.5, Palette.MUTED, ChartCanvas.Anchor.END);
        double ystep = yt.length > 1 ? yt[1] - yt[0] : 1;
        for (double v : yt) {
            double y = sy.applyAsDouble(v);
            c.line(x0, y, x1, y, Palette.GRID, 1, false);
            c.text(x0 - 8, y + 4, Ticks.label(v, ystep), tick, 0);
        }
        double[] xt = Ticks.nice(1, n, Math.min(10, n));
        var xtick = ChartCanvas.TextStyle.of(11.5, Palette.MUTED, ChartCanvas.Anchor.MIDDLE);
        for (double p : xt) {
            if (p < 1 || p > n) {
                continue;
            }
            double x = sx.applyAsDouble(p);
            c.line(x, y0, x, y0 + 5, Palette.AXIS, 1, false);
            c.text(x, y0 + 19, Ticks.label(p, 1), xtick, 0);
        }
        c.line(x0, y0, x1, y0, Palette.AXIS, 1, false);
        c.line(x0, y1, x0, y0, Palette.AXIS, 1, false);

        double yv = sy.applyAsDouble(lnVocab);
        c.line(x0, yv, x1, yv, Palette.MUTED, 1.2, true);
        c.text(x1 - 4, yv - 6, String.format(Locale.ROOT, "ln(d_vocab) = %.2f  (uniform guess)", lnVocab),
                ChartCanvas.TextStyle.of(11.5, Palette.MUTED, ChartCanvas.Anchor.END), 0);

        // Each half's mean as a line across that half; the values are in the half's heading.
        c.line(firstFrom + 2, sy.applyAsDouble(firstMean), firstTo - 2, sy.applyAsDouble(firstMean), Palette.withAlpha(Palette.BLUE, 170), 2, false);
        c.line(split + 2, sy.applyAsDouble(repeatedMean), x1 - 2, sy.applyAsDouble(repeatedMean),
                Palette.withAlpha(Palette.ORANGE, 170), 2, false);

        double[] xs = new double[n];
        double[] ys = new double[n];
        for (int i = 0; i < n; i++) {
            xs[i] = sx.applyAsDouble(i + 1);
            ys[i] = sy.applyAsDouble(loss[i]);
        }
        c.polyline(xs, ys, Palette.INK, 1.8);
        double r = n > 120 ? 0 : n > 60 ? 2 : 3;
        for (int i = 0; i < n && r > 0; i++) {
            boolean first = i >= firstStart && i < repeatedStart - 1;
            var col = i >= repeatedStart ? Palette.ORANGE : first ? Palette.BLUE : Palette.MUTED;
            c.circle(xs[i], ys[i], r, col, String.format(Locale.ROOT, "predicting %s: %.3f nats", predicted.apply(i), loss[i]));
        }

        var axis = ChartCanvas.TextStyle.of(12.5, Palette.INK, ChartCanvas.Anchor.MIDDLE);
        c.text((x0 + x1) / 2, HEIGHT - 8, "position of the predicted token", axis, 0);
        c.text(16, (y0 + y1) / 2, "loss (nats)", axis, -90);
    }
}
