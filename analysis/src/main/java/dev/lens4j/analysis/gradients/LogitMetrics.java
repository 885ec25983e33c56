package dev.lens4j.analysis.gradients;

import dev.lens4j.analysis.interventions.Metric;
import dev.lens4j.analysis.interventions.Metrics;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.LogitMetric;

import java.util.Arrays;

/**
 * Differentiable metrics of the logits ({@link LogitMetric}: a value and its exact gradient), the
 * ones gradient attributions differentiate. Each averages over the batch, as {@link Metrics} does,
 * and {@link #asMetric} turns one into the {@link Metric} an activation-patching sweep records, so
 * that a linear estimate and the real patch measure the same number.
 *
 * <pre>{@code
 * LogitMetric diff = LogitMetrics.logitDiff(-1, answers, wrong);          // mean over the batch
 * LogitMetric copied = LogitMetrics.logProb(tokens, probe.repeatedLossFrom(), probe.repeatedLossTo());
 * Metric same = LogitMetrics.asMetric(diff);                              // for ActivationPatching
 * }</pre>
 */
public final class LogitMetrics {

    private LogitMetrics() {}

    /**
     * The logit difference at one position, averaged over the batch (the differentiable
     * {@link Metrics#logitDiff(int, int[], int[])}).
     *
     * @param pos the position (negative counts from the end)
     * @param correct {@code [batch]} the right answer of each sequence
     * @param incorrect {@code [batch]} the alternative of each sequence
     * @return the metric
     */
    public static LogitMetric logitDiff(int pos, int[] correct, int[] incorrect) {
        int[] positions = new int[correct.length];
        Arrays.fill(positions, pos);
        return logitDiff(positions, correct, incorrect);
    }

    /**
     * The logit difference at one position per sequence, averaged over the batch:
     * {@code mean_b logits[b, pos[b], correct[b]] - logits[b, pos[b], incorrect[b]]}.
     *
     * @param positions {@code [batch]} the position of each sequence's answer logits (negative counts from the end)
     * @param correct {@code [batch]} the right answers
     * @param incorrect {@code [batch]} the alternatives
     * @return the metric
     * @throws IllegalArgumentException if the arrays differ in length
     */
    public static LogitMetric logitDiff(int[] positions, int[] correct, int[] incorrect) {
        if (positions.length != correct.length || incorrect.length != correct.length || correct.length == 0) {
            throw new IllegalArgumentException("logitDiff needs one position, correct and incorrect token per sequence, got "
                    + positions.length + ", " + correct.length + ", " + incorrect.length);
        }
        int[] p = positions.clone(), c = correct.clone(), w = incorrect.clone();
        return new LogitMetric() {
            @Override
            public double value(Tensor logits) {
                check(logits, c.length, "logitDiff");
                double sum = 0;
                for (int b = 0; b < c.length; b++) {
                    int at = position(logits, p[b]);
                    sum += (double) logits.get(b, at, token(logits, c[b])) - logits.get(b, at, token(logits, w[b]));
                }
                return sum / c.length;
            }

            @Override
            public Tensor gradient(Tensor logits) {
                check(logits, c.length, "logitDiff");
                Tensor g = Tensor.zeros(logits.shape());
                float share = 1f / c.length;
                for (int b = 0; b < c.length; b++) {
                    int at = position(logits, p[b]);
                    int right = token(logits, c[b]), wrong = token(logits, w[b]);
                    g.set(g.get(b, at, right) + share, b, at, right);
                    g.set(g.get(b, at, wrong) - share, b, at, wrong);
                }
                return g;
            }

            @Override
            public int[][] positionsRead(int batch, int pos) {
                if (batch != c.length) {
                    return null;
                }
                int[][] at = new int[batch][];
                for (int b = 0; b < batch; b++) {
                    int q = p[b] < 0 ? p[b] + pos : p[b];
                    if (q < 0 || q >= pos) {
                        throw new IllegalArgumentException("position " + p[b] + " is outside the " + pos + " positions of the logits");
                    }
                    at[b] = new int[] {q};
                }
                return at;
            }

            @Override
            public String toString() {
                return "mean logit difference";
            }
        };
    }

    /**
     * The mean log-probability of the next token over some predictions: columns {@code [from, to)}
     * of the per-token predictions {@code [batch, pos - 1]}, whose column {@code t} predicts token
     * {@code t + 1}. It is minus {@link Metrics#loss(int[][], int, int)}: higher is better, so
     * an attribution toward it is positive for what helps the prediction.
     *
     * @param tokens {@code [batch][pos]} the sequences the logits are of
     * @param from first column, inclusive
     * @param to last column, exclusive, at most {@code pos - 1}
     * @return the metric, in nats
     * @throws IllegalArgumentException if the columns are empty or outside the predictions
     */
    public static LogitMetric logProb(int[][] tokens, int from, int to) {
        if (tokens == null || tokens.length == 0 || tokens[0] == null) {
            throw new IllegalArgumentException("logProb needs a batch of token sequences");
        }
        int predictions = tokens[0].length - 1;
        if (from < 0 || to <= from || to > predictions) {
            throw new IllegalArgumentException("logProb columns [" + from + ", " + to + ") are empty or outside the "
                    + predictions + " predictions of " + tokens[0].length + " positions");
        }
        int[][] t = new int[tokens.length][];
        for (int b = 0; b < t.length; b++) {
            t[b] = tokens[b].clone();
        }
        double count = (double) t.length * (to - from);
        return new LogitMetric() {
            @Override
            public double value(Tensor logits) {
                check(logits, t.length, "logProb");
                checkPositions(logits);
                int V = logits.dim(2);
                float[] l = logits.contiguous().toArray();
                double sum = 0;
                for (int b = 0; b < t.length; b++) {
                    for (int c = from; c < to; c++) {
                        int o = (b * logits.dim(1) + c) * V;
                        sum += l[o + token(logits, t[b][c + 1])] - logSumExp(l, o, V);
                    }
                }
                return sum / count;
            }

            @Override
            public Tensor gradient(Tensor logits) {
                check(logits, t.length, "logProb");
                checkPositions(logits);
                int V = logits.dim(2);
                float[] l = logits.contiguous().toArray();
                float[] g = new float[l.length];
                for (int b = 0; b < t.length; b++) {
                    for (int c = from; c < to; c++) {
                        int o = (b * logits.dim(1) + c) * V;
                        double lse = logSumExp(l, o, V);
                        // d log softmax(l)[y] / d l[v] = [v == y] - softmax(l)[v]
                        for (int v = 0; v < V; v++) {
                            g[o + v] = (float) (-Math.exp(l[o + v] - lse) / count);
                        }
                        g[o + token(logits, t[b][c + 1])] += (float) (1 / count);
                    }
                }
                return Tensor.of(g, logits.shape());
            }

            @Override
            public int[][] positionsRead(int batch, int pos) {
                if (batch != t.length || pos != t[0].length) {
                    return null;
                }
                int[][] at = new int[batch][];
                for (int b = 0; b < batch; b++) {
                    at[b] = java.util.stream.IntStream.range(from, to).toArray();
                }
                return at;
            }

            private void checkPositions(Tensor logits) {
                if (logits.dim(1) != t[0].length) {
                    throw new IllegalArgumentException("logProb was built for sequences of " + t[0].length + " tokens, got logits "
                            + Shapes.str(logits.shape()));
                }
            }

            @Override
            public String toString() {
                return "mean log-probability of the next token over columns [" + from + ", " + to + ")";
            }
        };
    }

    /**
     * The metric as an activation-patching {@link Metric}, so a sweep records the value the
     * gradients were taken of.
     *
     * @param metric the differentiable metric
     * @return its value, rounded to float
     */
    public static Metric asMetric(LogitMetric metric) {
        if (metric == null) {
            throw new IllegalArgumentException("metric is null");
        }
        return logits -> (float) metric.value(logits);
    }

    private static double logSumExp(float[] l, int o, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < n; v++) {
            max = Math.max(max, l[o + v]);
        }
        double z = 0;
        for (int v = 0; v < n; v++) {
            z += Math.exp(l[o + v] - max);
        }
        return max + Math.log(z);
    }

    private static void check(Tensor logits, int batch, String what) {
        if (logits.rank() != 3 || logits.dim(0) != batch) {
            throw new IllegalArgumentException(what + " for " + batch + " sequences got logits " + Shapes.str(logits.shape())
                    + "; expected [" + batch + ", pos, d_vocab]");
        }
    }

    private static int position(Tensor logits, int p) {
        int n = logits.dim(1);
        int at = p < 0 ? p + n : p;
        if (at < 0 || at >= n) {
            throw new IllegalArgumentException("position " + p + " is outside the " + n + " positions of the logits");
        }
        return at;
    }

    private static int token(Tensor logits, int t) {
        if (t < 0 || t >= logits.dim(2)) {
            throw new IllegalArgumentException("token " + t + " is outside the vocabulary [0, " + logits.dim(2) + ")");
        }
        return t;
    }
}
