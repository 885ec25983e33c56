package dev.lens4j.report;

import dev.lens4j.report.chart.BarChart;
import dev.lens4j.report.chart.Heatmap;
import dev.lens4j.report.chart.LossChart;
import dev.lens4j.report.chart.Palette;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Builds the report's charts from its data, the same way for the HTML page (SVG) and the PNGs. */
final class Charts {

    /** Most bars a DLA chart shows; larger models show the largest by magnitude. */
    static final int MAX_BARS = 32;

    private Charts() {}

    static LossChart loss(LossByPosition l, double width) {
        return new LossChart(l.meanLoss(), l.firstStart(), l.repeatedStart(), l.firstHalfMean(), l.repeatedHalfMean(), l.lnVocab(),
                l::predicted, width);
    }

    /** The DLA values a chart shows: all of them, or the {@link #MAX_BARS} largest by magnitude; largest first. */
    static List<LabelledValue> dlaShown(DirectLogitAttribution dla) {
        List<LabelledValue> vs = new ArrayList<>(dla.values());
        if (vs.size() > MAX_BARS) {
            vs.sort(Comparator.comparingDouble((LabelledValue v) -> Math.abs(v.value())).reversed());
            vs = new ArrayList<>(vs.subList(0, MAX_BARS));
        }
        vs.sort(Comparator.comparingDouble(LabelledValue::value).reversed());
        return vs;
    }

    static BarChart dla(DirectLogitAttribution dla, double width) {
        List<LabelledValue> vs = dlaShown(dla);
        String[] labels = vs.stream().map(LabelledValue::label).toArray(String[]::new);
        double[] values = vs.stream().mapToDouble(LabelledValue::value).toArray();
        return new BarChart(labels, values, "direct logit attribution (logits)", width);
    }

    /** Composition scores as an {@code [L*H, L*H]} heatmap: rows the earlier head, columns the later head. */
    static Heatmap composition(CompositionScores c, CompositionScores.Mode mode) {
        int layers = c.layers();
        int heads = c.heads();
        int n = layers * heads;
        double[][] m = new double[n][n];
        // One colour scale for Q, K and V, so that switching modes compares like with like.
        double max = c.baseline();
        for (CompositionScores.Mode other : CompositionScores.Mode.values()) {
            for (double[] p : HtmlReport.topPairs(c.scores(other), 1)) {
                max = Math.max(max, p[4]);
            }
        }
        double[][][][] s = c.scores(mode);
        String[] labels = new String[n];
        for (int l1 = 0; l1 < layers; l1++) {
            for (int h1 = 0; h1 < heads; h1++) {
                labels[l1 * heads + h1] = new HeadId(l1, h1).label();
                for (int l2 = 0; l2 < layers; l2++) {
                    for (int h2 = 0; h2 < heads; h2++) {
                        double v = l2 > l1 ? s[l1][h1][l2][h2] : Double.NaN;
                        m[l1 * heads + h1][l2 * heads + h2] = v;
                    }
                }
            }
        }
        String input = switch (mode) {
            case Q -> "query";
            case K -> "key";
            case V -> "value";
        };
        return new Heatmap(m, labels, labels, "earlier head (OV output)", "later head (" + input + " input)",
                max, Palette::purples, true)
                .groups(heads)
                .reference(c.baseline(), String.format(Locale.ROOT, "random %.3f", c.baseline()))
                .cellAttributes();
    }

    /** One head's attention pattern as a heatmap; entries above the diagonal are masked (NaN). */
    static Heatmap pattern(AttentionPatterns a, AttentionPatterns.HeadPattern hp) {
        int n = hp.size();
        double[][] m = new double[n][n];
        for (int q = 0; q < n; q++) {
            for (int k = 0; k < n; k++) {
                m[q][k] = k > q ? Double.NaN : hp.pattern()[q][k];
            }
        }
        String[] labels = new String[n];
        for (int i = 0; i < n; i++) {
            labels[i] = a.tokens().get(i);
        }
        return new Heatmap(m, labels, labels, "query token (attends from)", "key token (attended to)", 1.0,
                Palette::blues, true).writeValuesFrom(0.1);
    }
}
