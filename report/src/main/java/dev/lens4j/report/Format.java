package dev.lens4j.report;

import java.util.Locale;

/** Number formatting shared by the HTML and console reports (always {@link Locale#ROOT}). */
final class Format {

    private Format() {}

    /** Fixed decimals; "n/a" for NaN. */
    static String fixed(double v, int decimals) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        String s = String.format(Locale.ROOT, "%." + decimals + "f", v);
        return s.startsWith("-") && s.matches("-0\\.?0*") ? s.substring(1) : s;
    }

    /** Fixed decimals with an explicit sign; "n/a" for NaN. */
    static String signed(double v, int decimals) {
        String s = fixed(v, decimals);
        return s.startsWith("-") || s.equals("n/a") ? s : "+" + s;
    }

    /** A count in words a reader takes in at a glance: 52,416 -> "52.4k", 124,439,808 -> "124.4M". */
    static String count(long n) {
        if (n < 10_000) {
            return Long.toString(n);
        }
        if (n < 1_000_000) {
            return String.format(Locale.ROOT, "%.1fk", n / 1e3);
        }
        if (n < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.1fM", n / 1e6);
        }
        return String.format(Locale.ROOT, "%.2fB", n / 1e9);
    }
}
