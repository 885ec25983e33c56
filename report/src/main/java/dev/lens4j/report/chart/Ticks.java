package dev.lens4j.report.chart;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** "Nice" axis ticks: steps of 1, 2 or 5 times a power of ten. */
final class Ticks {

    private Ticks() {}

    /** Ticks covering [lo, hi] with about {@code count} steps; the first and last enclose the range. */
    static double[] nice(double lo, double hi, int count) {
        if (!(hi > lo)) {
            hi = lo + 1;
        }
        double step = niceStep((hi - lo) / Math.max(1, count));
        double start = Math.floor(lo / step) * step;
        double end = Math.ceil(hi / step) * step;
        List<Double> out = new ArrayList<>();
        for (double v = start; v <= end + step * 1e-9; v += step) {
            out.add(Math.abs(v) < step * 1e-9 ? 0.0 : v);
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static double niceStep(double raw) {
        double exp = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / exp;
        double nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
        return nf * exp;
    }

    /** A tick label: as few decimals as the step needs. */
    static String label(double v, double step) {
        int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
