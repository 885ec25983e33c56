package dev.lens4j.analysis.heads;

import dev.lens4j.tensor.Tensor;

/**
 * The attention patterns that TransformerLens's {@code detect_head} looks for, each
 * {@code [pos, pos]} (query, key), lower-triangular, of zeros and ones. Tokens include the BOS
 * token when the model's input does.
 */
public final class DetectionPatterns {

    private DetectionPatterns() {}

    /**
     * Previous-token heads: each position attends to the one before it (the sub-diagonal).
     *
     * @param n the sequence length
     * @return {@code [n, n]}
     */
    public static Tensor previousToken(int n) {
        Tensor p = Tensor.zeros(n, n);
        for (int i = 1; i < n; i++) {
            p.set(1f, i, i - 1);
        }
        return p;
    }

    /**
     * Duplicate-token heads: position {@code i} attends to every earlier position holding the same
     * token (not to itself).
     *
     * @param tokens the sequence
     * @return {@code [n, n]}
     */
    public static Tensor duplicateToken(int[] tokens) {
        int n = tokens.length;
        Tensor p = Tensor.zeros(n, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                if (tokens[i] == tokens[j]) {
                    p.set(1f, i, j);
                }
            }
        }
        return p;
    }

    /**
     * Induction heads: position {@code i} attends to the token right after each earlier occurrence
     * of its own token — the duplicate-token pattern shifted one column right, kept lower-triangular.
     *
     * @param tokens the sequence
     * @return {@code [n, n]}
     */
    public static Tensor induction(int[] tokens) {
        int n = tokens.length;
        Tensor p = Tensor.zeros(n, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                // duplicate (i, j) moves to (i, j + 1); column 0 stays empty; keep j + 1 <= i
                if (tokens[i] == tokens[j] && j + 1 <= i) {
                    p.set(1f, i, j + 1);
                }
            }
        }
        return p;
    }
}
