package dev.lens4j.analysis.interventions;

import dev.lens4j.tensor.Functional;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.Arrays;

/**
 * The usual metrics of ablation and patching experiments. Every metric averages over the batch.
 *
 * <pre>{@code
 * Metric diff = Metrics.logitDiff(-1, answers, wrongAnswers);        // at the last position
 * float clean = diff.apply(cleanLogits), corrupted = diff.apply(corruptedLogits);
 * Metric normalised = Metrics.normalised(diff, clean, corrupted);   // 1 = clean behaviour, 0 = corrupted
 * }</pre>
 */
public final class Metrics {

    private Metrics() {}

    /**
     * The logit difference at one position: {@code mean_b logits[b, pos, correct[b]] - logits[b, pos, incorrect[b]]}.
     *
     * @param pos the position (negative counts from the end)
     * @param correct {@code [batch]} the right answer of each sequence
     * @param incorrect {@code [batch]} the alternative of each sequence
     * @return the metric
     */
    public static Metric logitDiff(int pos, int[] correct, int[] incorrect) {
        int[] positions = new int[correct.length];
        Arrays.fill(positions, pos);
        return logitDiff(positions, correct, incorrect);
    }

    /**
     * The logit difference at one position per sequence (for prompts whose answers sit at different positions).
     *
     * @param positions {@code [batch]} the position of each sequence's answer logits (negative counts from the end)
     * @param correct {@code [batch]} the right answers
     * @param incorrect {@code [batch]} the alternatives
     * @return the metric
     */
    public static Metric logitDiff(int[] positions, int[] correct, int[] incorrect) {
        if (positions.length != correct.length || incorrect.length != correct.length) {
            throw new IllegalArgumentException("logitDiff needs one position, correct and incorrect token per sequence, got "
                    + positions.length + ", " + correct.length + ", " + incorrect.length);
        }
        int[] p = positions.clone(), c = correct.clone(), w = incorrect.clone();
        return logits -> {
            check(logits, c.length);
            double sum = 0;
            for (int b = 0; b < c.length; b++) {
                int at = pos(logits, b, p[b]);
                sum += logits.get(b, at, tok(logits, c[b])) - logits.get(b, at, tok(logits, w[b]));
            }
            return (float) (sum / c.length);
        };
    }

    /**
     * The probability of a token at one position, {@code mean_b softmax(logits[b, pos])[tokens[b]]}.
     *
     * @param pos the position (negative counts from the end)
     * @param tokens {@code [batch]} the token of each sequence
     * @return the metric
     */
    public static Metric probability(int pos, int[] tokens) {
        int[] t = tokens.clone();
        return logits -> {
            check(logits, t.length);
            double sum = 0;
            for (int b = 0; b < t.length; b++) {
                Tensor row = logits.select(0, b).select(0, pos(logits, b, pos));
                sum += row.softmax(0).get(tok(logits, t[b]));
            }
            return (float) (sum / t.length);
        };
    }

    /**
     * The language-model loss, the mean of TransformerLens's per-token loss {@code [batch, pos - 1]}.
     *
     * @param tokens {@code [batch][pos]} the sequences the logits are of
     * @return the metric, in nats
     */
    public static Metric loss(int[][] tokens) {
        return logits -> Functional.perTokenLoss(logits, tokens).mean();
    }

    /**
     * The mean per-token loss over some predictions: columns {@code [from, to)} of the per-token loss
     * {@code [batch, pos - 1]}, whose column {@code t} is the loss of predicting token {@code t + 1}.
     *
     * @param tokens {@code [batch][pos]} the sequences the logits are of
     * @param from first column, inclusive
     * @param to last column, exclusive
     * @return the metric, in nats
     */
    public static Metric loss(int[][] tokens, int from, int to) {
        if (from < 0 || to <= from) {
            throw new IllegalArgumentException("loss columns [" + from + ", " + to + ") are empty or negative");
        }
        return logits -> {
            Tensor l = Functional.perTokenLoss(logits, tokens);
            if (to > l.dim(1)) {
                throw new IllegalArgumentException("loss columns [" + from + ", " + to + ") exceed the " + l.dim(1) + " predictions of "
                        + (l.dim(1) + 1) + " positions");
            }
            return l.slice(1, from, to).mean();
        };
    }

    /**
     * The normalised patching metric {@code (m - corrupted) / (clean - corrupted)}: 1 where a patch
     * restores the clean behaviour, 0 where it changes nothing.
     *
     * @param metric the raw metric
     * @param clean its value on the clean run
     * @param corrupted its value on the corrupted run
     * @return the normalised metric
     * @throws IllegalArgumentException when clean and corrupted values are equal (nothing to restore)
     */
    public static Metric normalised(Metric metric, float clean, float corrupted) {
        if (!(clean != corrupted) || !Float.isFinite(clean - corrupted)) {
            throw new IllegalArgumentException("the clean (" + clean + ") and corrupted (" + corrupted
                    + ") values of the metric must differ for it to be normalised");
        }
        float range = clean - corrupted;
        return logits -> (metric.apply(logits) - corrupted) / range;
    }

    private static void check(Tensor logits, int batch) {
        if (logits.rank() != 3 || logits.dim(0) != batch) {
            throw new IllegalArgumentException("metric for " + batch + " sequences got logits " + Shapes.str(logits.shape())
                    + "; expected [" + batch + ", pos, d_vocab]");
        }
    }

    /** A metric's position in a sequence, negative counting from the end; refused by name outside it. */
    private static int pos(Tensor logits, int b, int p) {
        int n = logits.dim(1);
        if (p < -n || p >= n) {
            throw new IllegalArgumentException("the metric's position " + p + " (sequence " + b + ") is outside the "
                    + n + " positions of the logits " + Shapes.str(logits.shape()) + " (negative positions count from the end)");
        }
        return p < 0 ? p + n : p;
    }

    private static int tok(Tensor logits, int t) {
        if (t < 0 || t >= logits.dim(2)) {
            throw new IllegalArgumentException("token " + t + " is outside the vocabulary [0, " + logits.dim(2) + ")");
        }
        return t;
    }
}
