package dev.lens4j.transformer.train;

/**
 * TransformerLens's {@code detect_head} with {@code error_measure="mul"} and no exclusions, for the tests
 * of this package (the analysis module has the full detector; this module cannot depend on it).
 *
 * <p>Score of one sequence: {@code sum(A * P) / sum(A)} over the whole {@code [p, p]} pattern {@code A}
 * of the head and detection pattern {@code P} (rows without any target still count in the
 * denominator); the head's score is the mean over sequences.
 */
final class HeadDetection {

    private HeadDetection() {}

    /**
     * @param pattern {@code [p, p]} attention pattern of one head on one sequence, at {@code off}
     * @param detection {@code [p, p]} detection pattern
     * @return {@code sum(pattern * detection) / sum(pattern)}
     */
    static double mulScore(float[] pattern, int off, float[] detection, int p) {
        double num = 0, den = 0;
        for (int i = 0; i < p * p; i++) {
            num += (double) pattern[off + i] * detection[i];
            den += pattern[off + i];
        }
        return num / den;
    }

    /** @return {@code [p, p]}: 1 on the sub-diagonal (each token attends to the one before it) */
    static float[] previousToken(int p) {
        float[] d = new float[p * p];
        for (int i = 1; i < p; i++) {
            d[i * p + i - 1] = 1;
        }
        return d;
    }

    /** @return {@code [p, p]}: 1 where an earlier token equals the current one (no diagonal) */
    static float[] duplicateToken(int[] tokens, int off, int p) {
        float[] d = new float[p * p];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < i; j++) {
                if (tokens[off + j] == tokens[off + i]) {
                    d[i * p + j] = 1;
                }
            }
        }
        return d;
    }

    /** @return {@code [p, p]}: the duplicate-token pattern shifted one column right, lower-triangular */
    static float[] induction(int[] tokens, int off, int p) {
        float[] dup = duplicateToken(tokens, off, p);
        float[] d = new float[p * p];
        for (int i = 0; i < p; i++) {
            for (int j = 1; j <= i; j++) {
                d[i * p + j] = dup[i * p + j - 1];
            }
        }
        return d;
    }
}
