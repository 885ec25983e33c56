package dev.lens4j.report;

import dev.lens4j.analysis.heads.HeadDetector;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.AttentionType;
import dev.lens4j.transformer.TransformerConfig;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The previous-token and induction scores that mark a head as such in the claims:
 * {@link InductionInvestigation#PATTERN_BAR}, or twice a layer's chance score where that is higher, but never
 * more than halfway from chance to 1. Chance is the score of attention spread evenly over the keys a query
 * may see; with causal attention on the probe it is small (0.13 or less for the previous token), but a
 * sliding window of two tokens leaves a query itself and its predecessor, so any head puts about half its
 * attention on the previous token and would pass 0.5 with no mechanism at all (the bar is then 0.75). A
 * perfect head of the kind still scores 1, above every bar.
 *
 * @param previousToken the bar of the previous-token score
 * @param previousTokenWhy what raised it, or null when it is {@link InductionInvestigation#PATTERN_BAR}
 * @param induction the bar of the induction score
 * @param inductionWhy what raised it, or null
 */
record PatternBars(double previousToken, String previousTokenWhy, double induction, String inductionWhy) {

    /** Both bars at {@link InductionInvestigation#PATTERN_BAR}. */
    static final PatternBars DEFAULT = new PatternBars(InductionInvestigation.PATTERN_BAR, null, InductionInvestigation.PATTERN_BAR,
            null);

    /**
     * The bars for a model and a probe: each detection's chance score in every layer, from even attention over
     * the keys the layer's mask shows each query (its window, for a local layer), scored as the heads are.
     *
     * @param cfg the model's config
     * @param tokens the probe's sequences
     * @param previous the previous-token detection pattern of a sequence
     * @param induction the induction detection pattern of a sequence
     * @param excludeBos whether the scores leave attention to position 0 out
     * @return the bars
     */
    static PatternBars of(TransformerConfig cfg, int[][] tokens, Function<int[], Tensor> previous, Function<int[], Tensor> induction,
                          boolean excludeBos) {
        double bar = InductionInvestigation.PATTERN_BAR;
        double prevBar = bar, indBar = bar;
        String prevWhy = null, indWhy = null;
        // layers with the same mask have the same chance: each window once, named by its first layer
        Map<Integer, Integer> firstLayerOfWindow = new LinkedHashMap<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            firstLayerOfWindow.putIfAbsent(cfg.attnType(l) == AttentionType.LOCAL ? cfg.windowSize() : Integer.MAX_VALUE, l);
        }
        for (Map.Entry<Integer, Integer> w : firstLayerOfWindow.entrySet()) {
            int window = w.getKey(), l = w.getValue();
            double prevChance = chance(tokens, previous, excludeBos, window);
            double indChance = chance(tokens, induction, excludeBos, window);
            if (bar(prevChance) > prevBar) {
                prevBar = bar(prevChance);
                prevWhy = raised(l, window, "a previous-token", prevChance);
            }
            if (bar(indChance) > indBar) {
                indBar = bar(indChance);
                indWhy = raised(l, window, "an induction", indChance);
            }
        }
        return new PatternBars(prevBar, prevWhy, indBar, indWhy);
    }

    /** @return how the previous-token bar reads in a claim: {@code "bar 0.5"}, or the raised bar with its reason */
    String previousTokenText() {
        return text(previousToken, previousTokenWhy);
    }

    /** @return how the induction bar reads in a claim */
    String inductionText() {
        return text(induction, inductionWhy);
    }

    /** @return the previous-token bar as a number in a claim: {@code "0.5"}, or {@code "0.75"} when raised */
    String previousTokenNumber() {
        return number(previousToken, previousTokenWhy);
    }

    /** @return the induction bar as a number in a claim */
    String inductionNumber() {
        return number(induction, inductionWhy);
    }

    private static String number(double value, String why) {
        return Format.fixed(value, why == null ? 1 : 2);
    }

    private static String text(double value, String why) {
        String bar = "bar " + number(value, why);
        return why == null ? bar : bar + " (raised from " + number(InductionInvestigation.PATTERN_BAR, null) + ": " + why + ")";
    }

    /** Twice chance, at most halfway from chance to 1. */
    private static double bar(double chance) {
        return Math.min(2 * chance, (1 + chance) / 2);
    }

    private static String raised(int layer, int window, String kind, double chance) {
        String where = window == Integer.MAX_VALUE ? "over layer " + layer + "'s causal mask"
                : "within layer " + layer + "'s window of " + window + " tokens";
        return String.format(Locale.ROOT, "attention spread evenly %s has %s score of %.2f; the bar is twice that, at most "
                + "halfway from it to 1", where, kind, chance);
    }

    /** The mean score over the sequences of even attention within the window, skipping sequences without a target. */
    private static double chance(int[][] tokens, Function<int[], Tensor> detection, boolean excludeBos, int window) {
        double sum = 0;
        int n = 0;
        for (int[] seq : tokens) {
            int pos = seq.length;
            float[] even = new float[pos * pos];
            for (int q = 0; q < pos; q++) {
                int first = (int) Math.max(0, (long) q - window + 1);
                for (int k = first; k <= q; k++) {
                    even[q * pos + k] = 1f / (q - first + 1);
                }
            }
            Tensor patterns = Tensor.of(even, 1, 1, pos, pos);
            float s = HeadDetector.targetScores(patterns, detection.apply(seq), excludeBos).get(0, 0);
            if (!Float.isNaN(s)) {
                sum += s;
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }
}
