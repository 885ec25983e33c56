package dev.lens4j.report;

/**
 * Composition scores between every earlier head's OV circuit and every later head's Q, K or V input
 * (TransformerLens's {@code all_composition_scores}), with the score two random matrices of the same
 * shapes get, for reference.
 *
 * @param q {@code [n_layers, n_heads, n_layers, n_heads]} Q-composition; zero unless the second head is in a later layer
 * @param k {@code [n_layers, n_heads, n_layers, n_heads]} K-composition
 * @param v {@code [n_layers, n_heads, n_layers, n_heads]} V-composition
 * @param baseline the mean composition score of random matrices of these shapes
 * @param caveat why the scores may not describe the model's heads (Qwen 3's query and key norms, which
 *               {@code W_Q W_K^T} leaves out), shown beside them; null when there is none
 */
public record CompositionScores(double[][][][] q, double[][][][] k, double[][][][] v, double baseline, String caveat) {

    /**
     * Scores without a caveat.
     *
     * @param q Q-composition
     * @param k K-composition
     * @param v V-composition
     * @param baseline the random baseline
     */
    public CompositionScores(double[][][][] q, double[][][][] k, double[][][][] v, double baseline) {
        this(q, k, v, baseline, null);
    }

    /** Which input of the later head a score is about. */
    public enum Mode {
        /** queries */
        Q,
        /** keys */
        K,
        /** values */
        V
    }

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if the three tensors differ in shape or are ragged
     */
    public CompositionScores {
        Checks.notNull("Q-composition scores", q);
        int layers = q.length;
        int heads = layers == 0 || q[0] == null ? 0 : q[0].length;
        check("Q-composition scores", q, layers, heads);
        check("K-composition scores", k, layers, heads);
        check("V-composition scores", v, layers, heads);
        Checks.finite("composition baseline", baseline);
    }

    private static void check(String what, double[][][][] s, int layers, int heads) {
        if (s == null || s.length != layers) {
            throw new IllegalArgumentException(what + " must be [" + layers + ", " + heads + ", " + layers + ", " + heads
                    + "], got " + (s == null ? "none" : Plural.of(s.length, "layer")));
        }
        for (int l = 0; l < layers; l++) {
            if (s[l] == null || s[l].length != heads) {
                throw new IllegalArgumentException(what + " layer " + l + " has "
                        + (s[l] == null ? "no heads" : Plural.of(s[l].length, "head")) + "; expected [" + layers + ", "
                        + heads + ", " + layers + ", " + heads + "]");
            }
            for (int h = 0; h < heads; h++) {
                Checks.matrix(what + "[" + l + "][" + h + "]", s[l][h], layers, heads);
            }
        }
    }

    /**
     * Returns that mode's scores, {@code [n_layers, n_heads, n_layers, n_heads]}.
     *
     * @param mode Q, K or V
     * @return that mode's scores, {@code [n_layers, n_heads, n_layers, n_heads]}
     */
    public double[][][][] scores(Mode mode) {
        return switch (mode) {
            case Q -> q;
            case K -> k;
            case V -> v;
        };
    }

    /**
     * Returns {@code n_layers}.
     *
     * @return {@code n_layers}
     */
    public int layers() {
        return q.length;
    }

    /**
     * Returns {@code n_heads}.
     *
     * @return {@code n_heads}
     */
    public int heads() {
        return q.length == 0 ? 0 : q[0].length;
    }
}
