package dev.lens4j.analysis.heads;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * How closely an attention pattern matches a detection pattern, with TransformerLens's
 * {@code detect_head} semantics.
 *
 * <ul>
 *   <li>{@link ErrorMeasure#MUL}: {@code sum(A * P) / sum(A)} over the whole {@code [pos, pos]}
 *       pattern — the fraction of the head's attention that lands where P has ones (rows with no
 *       target still count in the denominator).</li>
 *   <li>{@link ErrorMeasure#ABS}: {@code 1 - round(sum|A - P| / pos, 3)}, from -1 (opposite) to 1
 *       (exact), rounded as Python does (half to even on the float32 value: {@code 0.0625} becomes
 *       {@code 0.062}). The attention pattern must be causal, as TransformerLens asserts.</li>
 * </ul>
 * With {@code excludeBos} the attention to position 0 is zeroed first (so it leaves the
 * denominator too), with {@code excludeCurrentToken} the diagonal. For {@code ABS} the same entries
 * of {@code |A - P|} are zeroed, while the divisor stays {@code pos}. A {@code MUL} score whose
 * remaining attention is all zero is NaN ({@code 0 / 0}), as in TransformerLens.
 */
public final class HeadDetector {

    /** TransformerLens's two error measures. */
    public enum ErrorMeasure {
        /** element-wise product, normalised by the attention mass */
        MUL,
        /** mean absolute difference, mapped to {@code [-1, 1]} */
        ABS
    }

    private HeadDetector() {}

    /**
     * The similarity of one head's pattern to a detection pattern.
     *
     * @param pattern {@code [pos, pos]} attention probabilities (query, key)
     * @param detection {@code [pos, pos]} lower-triangular detection pattern
     * @param excludeBos zero the attention to position 0 before scoring
     * @param excludeCurrentToken zero the diagonal before scoring
     * @param measure the error measure
     * @return the score
     * @throws IllegalArgumentException when a pattern is not square, the shapes differ, the detection
     *         pattern is not lower-triangular, or (for {@code ABS}) the attention is not causal
     */
    public static float similarity(Tensor pattern, Tensor detection, boolean excludeBos, boolean excludeCurrentToken,
                                   ErrorMeasure measure) {
        if (pattern.rank() != 2 || pattern.dim(0) != pattern.dim(1)) {
            throw new IllegalArgumentException("attention pattern must be square [pos, pos], got " + Shapes.str(pattern.shape()));
        }
        int n = pattern.dim(0);
        if (detection.rank() != 2 || detection.dim(0) != n || detection.dim(1) != n) {
            throw new IllegalArgumentException("detection pattern " + Shapes.str(detection.shape())
                    + " does not match the attention pattern " + Shapes.str(pattern.shape()));
        }
        float[] a = pattern.toArray();
        float[] p = detection.toArray();
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (p[i * n + j] != 0f) {
                    throw new IllegalArgumentException("detection pattern must be lower-triangular; entry [" + i + ", " + j + "] is " + p[i * n + j]);
                }
            }
        }
        if (measure == ErrorMeasure.MUL) {
            double num = 0, den = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double v = a[i * n + j];
                    if ((excludeBos && j == 0) || (excludeCurrentToken && i == j)) {
                        v = 0;
                    }
                    num += v * p[i * n + j];
                    den += v;
                }
            }
            return (float) (num / den);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (j > i && a[i * n + j] != 0f) {
                    // TransformerLens asserts that |A - P| is lower-triangular
                    throw new IllegalArgumentException("attention pattern must be causal (lower-triangular) for the abs measure; entry ["
                            + i + ", " + j + "] is " + a[i * n + j]);
                }
                if ((excludeBos && j == 0) || (excludeCurrentToken && i == j)) {
                    continue;
                }
                sum += Math.abs(a[i * n + j] - p[i * n + j]);
            }
        }
        return (float) (1 - roundLikePython(sum, n));
    }

    /**
     * TransformerLens's {@code round((abs_diff.mean() * size).item(), 3)}: the mean and the product
     * are float32 tensor operations, and Python's {@code round} rounds the exact binary value half to
     * even (so {@code 0.0625} becomes {@code 0.062}, where {@link Math#round} would give {@code 0.063}).
     */
    private static double roundLikePython(double sumAbsDiff, int n) {
        float mean = (float) (sumAbsDiff / ((double) n * n));
        float scaled = mean * n;
        return new BigDecimal(scaled).setScale(3, RoundingMode.HALF_EVEN).doubleValue();
    }

    /**
     * Scores every head of a layer stack: {@code patterns [n_layers, n_heads, pos, pos]} of one sequence.
     *
     * @param patterns attention patterns of one sequence
     * @param detection {@code [pos, pos]}
     * @param excludeBos zero the attention to position 0
     * @param excludeCurrentToken zero the diagonal
     * @param measure the error measure
     * @return {@code [n_layers, n_heads]}
     * @throws IllegalArgumentException when {@code patterns} is not of rank 4, or as {@link #similarity}
     */
    public static Tensor scores(Tensor patterns, Tensor detection, boolean excludeBos, boolean excludeCurrentToken,
                                ErrorMeasure measure) {
        if (patterns.rank() != 4) {
            throw new IllegalArgumentException("patterns must be [n_layers, n_heads, pos, pos], got " + Shapes.str(patterns.shape()));
        }
        int layers = patterns.dim(0), heads = patterns.dim(1);
        float[] out = new float[layers * heads];
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                out[l * heads + h] = similarity(patterns.select(0, l).select(0, h), detection, excludeBos, excludeCurrentToken, measure);
            }
        }
        return Tensor.of(out, layers, heads);
    }
}
