package dev.lens4j.report.chart;

/**
 * Fast fixed-point number text for charts with tens of thousands of cells, where
 * {@code String.format} dominates the rendering time. Always a '.' decimal point.
 */
public final class Num {

    private static final long[] POW10 = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000};

    private Num() {}

    /**
     * Formats a number with a fixed number of decimals, rounding half away from zero; never {@code -0.00}.
     *
     * @param v the number (NaN and infinities are written as Java writes them)
     * @param decimals 0 to 7 decimals
     * @return the text, e.g. {@code fixed(0.4321, 2)} is {@code "0.43"}
     */
    public static String fixed(double v, int decimals) {
        if (!Double.isFinite(v) || Math.abs(v) >= 1e11) {
            return String.valueOf(v);
        }
        long scale = POW10[decimals];
        long r = Math.round(Math.abs(v) * scale);
        StringBuilder b = new StringBuilder(16);
        if (v < 0 && r != 0) {
            b.append('-');
        }
        b.append(r / scale);
        if (decimals > 0) {
            b.append('.');
            String frac = Long.toString(r % scale);
            for (int i = frac.length(); i < decimals; i++) {
                b.append('0');
            }
            b.append(frac);
        }
        return b.toString();
    }

    /**
     * Formats a coordinate: at most two decimals, no trailing zeros.
     *
     * @param v the number
     * @return the text, e.g. {@code "12"}, {@code "12.5"}, {@code "-0.25"}
     */
    public static String coordinate(double v) {
        String s = fixed(v, 2);
        int end = s.length();
        if (s.indexOf('.') >= 0) {
            while (s.charAt(end - 1) == '0') {
                end--;
            }
            if (s.charAt(end - 1) == '.') {
                end--;
            }
        }
        return s.substring(0, end);
    }
}
