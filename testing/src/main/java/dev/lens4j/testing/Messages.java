package dev.lens4j.testing;

import java.util.Locale;

/** Number and rank formatting shared by the failure messages, so they all read alike. */
final class Messages {

    private Messages() {}

    /**
     * A number with three significant digits, never in scientific notation for the magnitudes
     * interpretability scores and losses take: {@code 0.5 -> "0.500"}, {@code 2.314 -> "2.31"},
     * {@code 0.0321 -> "0.0321"}, {@code 1234.5 -> "1235"}.
     */
    static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.toString(v);
        }
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a != 0 && a < 1e-4) {
            return String.format(Locale.ROOT, "%.2e", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }

    /** Like {@link #num} with an explicit sign: {@code "+0.312"}, {@code "-1.20"}. */
    static String signed(double v) {
        String s = num(v);
        return v >= 0 && !s.startsWith("-") ? "+" + s : s;
    }

    /** {@code 1 -> "1st"}, {@code 2 -> "2nd"}, {@code 11 -> "11th"}, {@code 23 -> "23rd"}. */
    static String ordinal(int n) {
        int mod100 = n % 100;
        String suffix = mod100 >= 11 && mod100 <= 13 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }

    /** {@code "L1H2"}, the label TransformerLens's {@code stack_head_results} gives a head. */
    static String head(int layer, int head) {
        return "L" + layer + "H" + head;
    }
}
