package dev.lens4j.analysis.text;

import dev.lens4j.analysis.heads.DetectionPatterns;
import dev.lens4j.analysis.heads.HeadDetection;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;

import java.util.List;
import java.util.function.Function;

/**
 * Induction on natural text: where a model's heads attend in real windows of text (each starting with
 * BOS), and what it gains where copying can help. In natural text most queries have no induction target
 * (their token did not occur earlier in the window), so an induction head has nothing to copy there and
 * its attention "parks" somewhere harmless: on BOS or on the query's own token. This measures both sides:
 *
 * <ul>
 *   <li>each head's induction score on the queries that have a target (the token after an earlier copy
 *       of the query's token: {@link DetectionPatterns#induction}) and its previous-token score, as
 *       {@link HeadDetection#targetScores} defines them (BOS left out, a perfect head scores 1);</li>
 *   <li>the fallbacks: on queries after BOS without a target, the share of each head's attention on BOS
 *       and on the query's own position;</li>
 *   <li>the next-token loss by position, and split by what copying could do: where the current token
 *       occurred earlier in the window followed by the same next token (induction would predict it),
 *       where it occurred earlier followed by another token, and where it had not occurred.</li>
 * </ul>
 *
 * <pre>{@code
 * NaturalTextInduction n = NaturalTextInduction.measure(model, lesson.heldOut(64));
 * n.induction().get(1, 2);              // L1H2's share on induction targets
 * n.bosWithoutTarget().get(1, 2);       // ... and on BOS where there is none
 * n.lossCopyable() < n.lossUnseen();    // copying helps where it can
 * }</pre>
 *
 * @param windows the number of windows measured
 * @param queries the queries after BOS (positions 1 to pos - 1 of every window)
 * @param queriesWithTarget how many of them have an induction target
 * @param induction {@code [n_layers, n_heads]} induction scores on the queries that have a target
 * @param previousToken {@code [n_layers, n_heads]} previous-token scores
 * @param bosWithoutTarget {@code [n_layers, n_heads]} mean attention on BOS of the queries after BOS without a target
 * @param selfWithoutTarget {@code [n_layers, n_heads]} mean attention on their own position of those queries
 * @param lossByPosition mean loss of predicting the token after position {@code t}, {@code t = 0 .. pos - 2}
 * @param copyable predictions ({@code t >= 1}) whose current token occurred earlier in the window followed by the same next token
 * @param lossCopyable their mean loss (NaN when there are none)
 * @param seenOtherwise predictions whose current token occurred earlier, never followed by the next one
 * @param lossSeenOtherwise their mean loss (NaN when there are none)
 * @param unseen predictions whose current token had not occurred earlier in the window
 * @param lossUnseen their mean loss (NaN when there are none)
 */
public record NaturalTextInduction(int windows, int queries, int queriesWithTarget, Tensor induction, Tensor previousToken,
                                   Tensor bosWithoutTarget, Tensor selfWithoutTarget, double[] lossByPosition,
                                   int copyable, double lossCopyable, int seenOtherwise, double lossSeenOtherwise,
                                   int unseen, double lossUnseen) {

    /**
     * Measures a model on windows of text.
     *
     * @param model the model
     * @param windows {@code [n][pos]}, each starting with BOS, all of one length of at least 3
     * @return the measurements
     * @throws IllegalArgumentException if there are no windows, they differ in length or are shorter than 3,
     *     or no query has an induction target
     */
    public static NaturalTextInduction measure(HookedTransformer model, int[][] windows) {
        if (windows == null || windows.length == 0) {
            throw new IllegalArgumentException("natural-text induction needs at least one window of tokens");
        }
        int pos = windows[0].length;
        for (int[] w : windows) {
            if (w == null || w.length != pos) {
                throw new IllegalArgumentException("the windows must all have " + pos + " tokens, got one of "
                        + (w == null ? "null" : w.length));
            }
        }
        if (pos < 3) {
            throw new IllegalArgumentException("natural-text induction needs windows of at least 3 tokens, got " + pos);
        }
        int withTarget = 0;
        for (int[] w : windows) {
            for (int i = 1; i < pos; i++) {
                withTarget += hasTarget(w, i) ? 1 : 0;
            }
        }
        if (withTarget == 0) {
            throw new IllegalArgumentException("no query of the " + windows.length + " windows has an induction target"
                    + " (no token recurs): nothing to measure induction on");
        }
        List<Tensor> scores = HeadDetection.targetScores(model, windows, List.of(
                new HeadDetection.Target(DetectionPatterns::induction, true),
                new HeadDetection.Target(tokens -> DetectionPatterns.previousToken(tokens.length), true),
                new HeadDetection.Target(fallback(true), false),
                new HeadDetection.Target(fallback(false), false)));
        Tensor induction = scores.get(0), previous = scores.get(1), bos = scores.get(2), self = scores.get(3);

        double[] byPos = new double[pos - 1];
        double[] sums = new double[3];
        int[] counts = new int[3];
        Tensor loss = model.perTokenLoss(windows);          // [n, pos - 1]: column t predicts token t + 1
        for (int b = 0; b < windows.length; b++) {
            for (int t = 0; t < pos - 1; t++) {
                double l = loss.get(b, t);
                byPos[t] += l / windows.length;
                if (t >= 1) {
                    int kind = kind(windows[b], t);
                    sums[kind] += l;
                    counts[kind]++;
                }
            }
        }
        return new NaturalTextInduction(windows.length, windows.length * (pos - 1), withTarget, induction, previous, bos, self,
                byPos, counts[0], mean(sums[0], counts[0]), counts[1], mean(sums[1], counts[1]), counts[2], mean(sums[2], counts[2]));
    }

    /** Whether query {@code i} has an induction target: its token occurred at some {@code j < i}, so {@code j + 1} is one. */
    static boolean hasTarget(int[] tokens, int i) {
        for (int j = 0; j < i; j++) {
            if (tokens[j] == tokens[i]) {
                return true;
            }
        }
        return false;
    }

    /** 0: the token after position t was the continuation of an earlier copy of token t; 1: token t occurred, never so followed; 2: it had not occurred. */
    private static int kind(int[] tokens, int t) {
        boolean seen = false;
        for (int j = 0; j < t; j++) {
            if (tokens[j] == tokens[t]) {
                if (tokens[j + 1] == tokens[t + 1]) {
                    return 0;
                }
                seen = true;
            }
        }
        return seen ? 1 : 2;
    }

    /** The detection pattern of the queries after BOS without an induction target: on BOS, or on their own position. */
    private static Function<int[], Tensor> fallback(boolean toBos) {
        return tokens -> {
            int n = tokens.length;
            Tensor p = Tensor.zeros(n, n);
            for (int i = 1; i < n; i++) {
                if (!hasTarget(tokens, i)) {
                    p.set(1f, i, toBos ? 0 : i);
                }
            }
            return p;
        };
    }

    private static double mean(double sum, int n) {
        return n == 0 ? Double.NaN : sum / n;
    }

    /**
     * The share of the queries after BOS that have an induction target.
     *
     * @return {@code queriesWithTarget / queries}
     */
    public double targetShare() {
        return (double) queriesWithTarget / queries;
    }

    @Override
    public String toString() {
        return "NaturalTextInduction[" + windows + " windows, " + queriesWithTarget + " of " + queries
                + " queries with an induction target, loss copyable " + lossCopyable + " (" + copyable + "), seen otherwise "
                + lossSeenOtherwise + " (" + seenOtherwise + "), unseen " + lossUnseen + " (" + unseen + ")]";
    }
}
