package dev.lens4j.transformer;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.kernel.ReproducibleKernels;

/**
 * The mean cross-entropy of chosen targets ({@link LogitMetric#crossEntropy}, and
 * {@link LogitMetric#meanLoss} with the next tokens as targets): the softmax of each position's logits
 * is taken in double precision, once for the value and the gradient together ({@link #evaluate}).
 */
final class CrossEntropyMetric implements LogitMetric {

    /** {@code [batch][pos]}: the token to predict, or negative to ignore the position. */
    private final int[][] targets;
    private final String name;
    private final int count;

    CrossEntropyMetric(int[][] targets, String name) {
        this.targets = targets;
        this.name = name;
        int n = 0;
        for (int[] row : targets) {
            for (int t : row) {
                n += t >= 0 ? 1 : 0;
            }
        }
        this.count = n;
    }

    @Override
    public double value(Tensor logits) {
        return value(logits, false);
    }

    @Override
    public Tensor gradient(Tensor logits) {
        return gradient(logits, false);
    }

    @Override
    public double value(Tensor logits, boolean reproducible) {
        return evaluate(logits, reproducible, false).value();
    }

    @Override
    public Tensor gradient(Tensor logits, boolean reproducible) {
        return evaluate(logits, reproducible, true).gradient();
    }

    @Override
    public Evaluation evaluate(Tensor logits, boolean reproducible) {
        return evaluate(logits, reproducible, true);
    }

    /**
     * The value and, when asked, the gradient, from one softmax per position: each position's
     * {@code e^(l - max)} and their sum {@code z} give both {@code -log p = -(l[target] - max - log z)}
     * and {@code dl = (e / z - [v = target]) / count}.
     */
    private Evaluation evaluate(Tensor logits, boolean reproducible, boolean withGradient) {
        check(logits);
        int B = logits.dim(0), T = logits.dim(1), V = logits.dim(2);
        float[] l = Pass.compact(logits.contiguous());
        float[] g = withGradient ? new float[l.length] : null;
        if (count == 0) {
            return new Evaluation(0, withGradient ? Tensor.of(g, B, T, V) : null);
        }
        double w = 1.0 / count;
        // positions are independent: each is computed on some thread, its loss kept, and the losses
        // added in position order afterwards, so the value is the same bits on any number of threads
        double[] losses = new double[B * T];
        Parallel.forRange(B * T, Math.max(1, 65536 / V), (s, end) -> {
            double[] e = new double[V];
            for (int row = s; row < end; row++) {
                int target = targets[row / T][row % T];
                if (target < 0) {
                    continue;
                }
                int o = row * V;
                double max = max(l, o, V);
                double z = 0;
                for (int v = 0; v < V; v++) {
                    e[v] = exp(l[o + v] - max, reproducible);
                    z += e[v];
                }
                losses[row] = -(l[o + target] - max - log(z, reproducible));
                if (withGradient) {
                    double scale = w / z;
                    for (int v = 0; v < V; v++) {
                        g[o + v] = (float) (scale * e[v]);
                    }
                    g[o + target] -= (float) w;
                }
            }
        });
        double sum = 0;
        for (int row = 0; row < B * T; row++) {
            if (targets[row / T][row % T] >= 0) {
                sum += losses[row];
            }
        }
        return new Evaluation(sum / count, withGradient ? Tensor.of(g, B, T, V) : null);
    }

    private void check(Tensor logits) {
        if (logits.rank() != 3 || logits.dim(0) != targets.length || logits.dim(1) != targets[0].length) {
            throw new IllegalArgumentException(name + " was built for [" + targets.length + ", " + targets[0].length
                    + "] positions, got logits " + Shapes.str(logits.shape()));
        }
        for (int b = 0; b < targets.length; b++) {
            for (int t = 0; t < targets[b].length; t++) {
                if (targets[b][t] >= logits.dim(2)) {
                    throw new IllegalArgumentException("target " + targets[b][t] + " at [" + b + ", " + t
                            + "] is outside the vocabulary [0, " + logits.dim(2) + ")");
                }
            }
        }
    }

    /** The positions with a target (the others' logits are not read), when the pass has the targets' shape. */
    @Override
    public int[][] positionsRead(int batch, int pos) {
        if (batch != targets.length || pos != targets[0].length) {
            return null;
        }
        int[][] at = new int[batch][];
        for (int b = 0; b < batch; b++) {
            int[] row = targets[b];
            at[b] = java.util.stream.IntStream.range(0, pos).filter(t -> row[t] >= 0).toArray();
        }
        return at;
    }

    @Override
    public String toString() {
        return name;
    }

    /** {@code log softmax(l[o .. o + n))[target]} in double precision. */
    static double logSoftmaxAt(float[] l, int o, int n, int target, boolean reproducible) {
        double max = max(l, o, n);
        double z = 0;
        for (int v = 0; v < n; v++) {
            z += exp(l[o + v] - max, reproducible);
        }
        return l[o + target] - max - log(z, reproducible); // one log per position
    }

    private static double log(double z, boolean reproducible) {
        return reproducible ? StrictMath.log(z) : Math.log(z);
    }

    private static double max(float[] l, int o, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < n; v++) {
            max = Math.max(max, l[o + v]);
        }
        return max;
    }

    private static double exp(double x, boolean reproducible) {
        return reproducible ? ReproducibleKernels.exp((float) x) : Math.exp(x);
    }
}
