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
 *
 * <p>A perfect head does not reach 1 under {@code MUL} when some query rows have no target: they
 * still count in the denominator. On {@code BOS, A, A} (a random block {@code A} of {@code n}
 * tokens repeated) a perfect induction head scores only about {@code n / (2n + 1)}, under one half.
 * {@link #targetScore} is the score lens4j's claims use instead: the same ratio over the rows that
 * have a target, so that a perfect head scores 1 on any tokens.
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
        checkPatterns(pattern, detection);
        int n = pattern.dim(0);
        float[] a = pattern.toArray();
        float[] p = detection.toArray();
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
     * lens4j's head score: the share of a head's attention that lands on the detection pattern, over
     * the query rows that have a target, {@code sum(A * P) / sum(A)} with both sums taken over those
     * rows only. A head that puts all its attention on targets wherever there is one scores 1 on any
     * tokens, which TransformerLens's {@code "mul"} score ({@link #similarity}) does not allow when
     * some rows have no target (on {@code BOS, A, A} a perfect induction head scores under one half
     * there). With {@code excludeBos} the BOS column (position 0) is left out of both sums and a row
     * counts only if it has a target outside it, as TransformerLens's {@code exclude_bos}: heads
     * often rest on BOS when they have nothing to do, and this score asks where the rest of the
     * attention goes.
     *
     * <pre>{@code
     * // BOS, then "a b a": row 3 (the second "a") has the induction target 2 ("b")
     * float s = HeadDetector.targetScore(pattern, DetectionPatterns.induction(new int[] {0, 5, 6, 5}), true);
     * }</pre>
     *
     * @param pattern {@code [pos, pos]} attention probabilities (query, key)
     * @param detection {@code [pos, pos]} lower-triangular detection pattern
     * @param excludeBos leave attention to position 0 out, and targets there
     * @return the score in {@code [0, 1]} for a 0/1 detection pattern; 0 when the rows with a target
     *     hold no attention (outside BOS); NaN when no row has a target
     * @throws IllegalArgumentException when a pattern is not square, the shapes differ or the
     *         detection pattern is not lower-triangular
     */
    public static float targetScore(Tensor pattern, Tensor detection, boolean excludeBos) {
        checkPatterns(pattern, detection);
        int n = pattern.dim(0);
        float[] a = pattern.toArray();
        float[] p = detection.toArray();
        int from = excludeBos ? 1 : 0;
        double num = 0, den = 0;
        boolean anyTarget = false;
        for (int i = 0; i < n; i++) {
            boolean target = false;
            for (int j = from; j <= i; j++) {
                target |= p[i * n + j] != 0f;
            }
            if (!target) {
                continue;
            }
            anyTarget = true;
            for (int j = from; j < n; j++) {
                num += (double) a[i * n + j] * p[i * n + j];
                den += a[i * n + j];
            }
        }
        if (!anyTarget) {
            return Float.NaN;
        }
        return den > 0 ? (float) (num / den) : 0f;
    }

    /**
     * {@link #targetScore} of every head of a layer stack: {@code patterns [n_layers, n_heads, pos, pos]}
     * of one sequence.
     *
     * @param patterns attention patterns of one sequence
     * @param detection {@code [pos, pos]}
     * @param excludeBos leave attention to position 0 out
     * @return {@code [n_layers, n_heads]}, all NaN when no row has a target
     * @throws IllegalArgumentException when {@code patterns} is not of rank 4, or as {@link #targetScore}
     */
    public static Tensor targetScores(Tensor patterns, Tensor detection, boolean excludeBos) {
        return perHead(patterns, p -> targetScore(p, detection, excludeBos));
    }

    private static void checkPatterns(Tensor pattern, Tensor detection) {
        if (pattern.rank() != 2 || pattern.dim(0) != pattern.dim(1)) {
            throw new IllegalArgumentException("attention pattern must be square [pos, pos], got " + Shapes.str(pattern.shape()));
        }
        int n = pattern.dim(0);
        if (detection.rank() != 2 || detection.dim(0) != n || detection.dim(1) != n) {
            throw new IllegalArgumentException("detection pattern " + Shapes.str(detection.shape())
                    + " does not match the attention pattern " + Shapes.str(pattern.shape()));
        }
        float[] p = detection.toArray();
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (p[i * n + j] != 0f) {
                    throw new IllegalArgumentException("detection pattern must be lower-triangular; entry [" + i + ", " + j + "] is " + p[i * n + j]);
                }
            }
        }
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
        return perHead(patterns, p -> similarity(p, detection, excludeBos, excludeCurrentToken, measure));
    }

    /** {@code [n_layers, n_heads]}: one score per head of {@code patterns [n_layers, n_heads, pos, pos]}. */
    private static Tensor perHead(Tensor patterns, java.util.function.ToDoubleFunction<Tensor> score) {
        if (patterns.rank() != 4) {
            throw new IllegalArgumentException("patterns must be [n_layers, n_heads, pos, pos], got " + Shapes.str(patterns.shape()));
        }
        int layers = patterns.dim(0), heads = patterns.dim(1);
        float[] out = new float[layers * heads];
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                out[l * heads + h] = (float) score.applyAsDouble(patterns.select(0, l).select(0, h));
            }
        }
        return Tensor.of(out, layers, heads);
    }
}
