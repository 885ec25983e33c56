package dev.lens4j.report.chart;

import java.awt.Color;

/** Colours shared by the report's charts (the page's CSS and scripts use the same values). */
public final class Palette {

    private Palette() {}

    /** Main text. */
    public static final Color INK = new Color(0x1f2933);
    /** Secondary text, axis labels. */
    public static final Color MUTED = new Color(0x52606d);
    /** Axis lines. */
    public static final Color AXIS = new Color(0x9aa5b1);
    /** Grid lines. */
    public static final Color GRID = new Color(0xe4e7eb);
    /** Positive values, the first-half series. */
    public static final Color BLUE = new Color(0x2563eb);
    /** Negative values. */
    public static final Color RED = new Color(0xdc2626);
    /** The repeated-half series and highlights. */
    public static final Color ORANGE = new Color(0xea580c);
    /** Shading of the first half. */
    public static final Color FIRST_HALF = new Color(0xeff4ff);
    /** Shading of the repeated half. */
    public static final Color REPEATED_HALF = new Color(0xfff3e8);
    /** Cells that have no value (e.g. composition into an earlier layer). */
    public static final Color EMPTY = new Color(0xf5f7fa);

    private static final Color[] BLUES = {
        new Color(0xffffff), new Color(0xdbe7f6), new Color(0x9cc2e5), new Color(0x4a90c8), new Color(0x1c5fa8), new Color(0x08306b)};
    private static final Color[] PURPLES = {
        new Color(0xfcfbfd), new Color(0xe2e0ef), new Color(0xb9b5da), new Color(0x8a7fbf), new Color(0x60409f), new Color(0x3f007d)};

    /**
     * The attention-weight colour scale: white to dark blue.
     *
     * @param t a value in [0, 1] (clamped)
     * @return white to dark blue, for attention weights
     */
    public static Color blues(double t) {
        return ramp(BLUES, t);
    }

    /**
     * The composition-score colour scale: near-white to dark purple.
     *
     * @param t a value in [0, 1] (clamped)
     * @return near-white to dark purple, for composition scores
     */
    public static Color purples(double t) {
        return ramp(PURPLES, t);
    }

    private static final Color[] RED_BLUE = {
        new Color(0x67001f), new Color(0xb2182b), new Color(0xd6604d), new Color(0xf4a582), new Color(0xfddbc7),
        new Color(0xf7f7f7), new Color(0xd1e5f0), new Color(0x92c5de), new Color(0x4393c3), new Color(0x2166ac), new Color(0x053061)};

    /**
     * The diverging scale of signed values (plotly's "RdBu", as ARENA's {@code imshow} uses it):
     * dark red for the most negative, near-white at zero, dark blue for the most positive.
     *
     * @param t a value in [-1, 1] (clamped): the value divided by the largest magnitude shown
     * @return the colour
     */
    public static Color redBlue(double t) {
        return ramp(RED_BLUE, (Math.max(-1, Math.min(1, t)) + 1) / 2);
    }

    private static final Color[] SERIES = {
        BLUE, ORANGE, new Color(0x15803d), new Color(0x6a51a3), RED, new Color(0x0891b2), new Color(0xb45309), new Color(0x52606d)};

    /**
     * A colour per line of a multi-line chart, distinct for the first eight and then repeating.
     *
     * @param i the line's index, from 0
     * @return its colour
     */
    public static Color series(int i) {
        return SERIES[Math.floorMod(i, SERIES.length)];
    }

    /**
     * Picks a text colour readable on a background.
     *
     * @param c a colour
     * @return a text colour readable on it (white on dark colours, ink on light ones)
     */
    public static Color textOn(Color c) {
        double lum = 0.2126 * c.getRed() + 0.7152 * c.getGreen() + 0.0722 * c.getBlue();
        return lum < 140 ? Color.WHITE : INK;
    }

    /**
     * Makes a colour translucent.
     *
     * @param c a colour
     * @param alpha 0 to 255
     * @return the colour with that alpha
     */
    public static Color withAlpha(Color c, int alpha) {
        return new Color(c.getRed(), c.getGreen(), c.getBlue(), alpha);
    }

    private static Color ramp(Color[] stops, double t) {
        if (Double.isNaN(t)) {
            return EMPTY;
        }
        double x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
        int i = Math.min(stops.length - 2, (int) Math.floor(x));
        double f = x - i;
        Color a = stops[i];
        Color b = stops[i + 1];
        return new Color(mix(a.getRed(), b.getRed(), f), mix(a.getGreen(), b.getGreen(), f), mix(a.getBlue(), b.getBlue(), f));
    }

    private static int mix(int a, int b, double f) {
        return (int) Math.round(a + (b - a) * f);
    }
}
