package dev.lens4j.report;

/**
 * Head-detector scores (TransformerLens {@code detect_head}) of every head: how much of each head's
 * attention lies on the previous-token diagonal, on earlier copies of the current token, and on the
 * token after an earlier copy (the induction stripe).
 *
 * @param previousToken {@code [n_layers, n_heads]} previous-token scores
 * @param duplicateToken {@code [n_layers, n_heads]} duplicate-token scores
 * @param induction {@code [n_layers, n_heads]} induction scores
 */
public record HeadDetectorScores(double[][] previousToken, double[][] duplicateToken, double[][] induction) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if the three tables differ in shape or are ragged
     */
    public HeadDetectorScores {
        Checks.notNull("previous-token scores", previousToken);
        int layers = previousToken.length;
        int heads = layers == 0 || previousToken[0] == null ? 0 : previousToken[0].length;
        Checks.matrix("previous-token scores", previousToken, layers, heads);
        Checks.matrix("duplicate-token scores", duplicateToken, layers, heads);
        Checks.matrix("induction scores", induction, layers, heads);
    }

    /**
     * Returns the head with the highest previous-token score.
     *
     * @return the head with the highest previous-token score
     */
    public HeadId topPreviousToken() {
        return argmax(previousToken);
    }

    /**
     * Returns the head with the highest duplicate-token score.
     *
     * @return the head with the highest duplicate-token score
     */
    public HeadId topDuplicateToken() {
        return argmax(duplicateToken);
    }

    /**
     * Returns the head with the highest induction score.
     *
     * @return the head with the highest induction score
     */
    public HeadId topInduction() {
        return argmax(induction);
    }

    static HeadId argmax(double[][] m) {
        int bl = 0;
        int bh = 0;
        for (int l = 0; l < m.length; l++) {
            for (int h = 0; h < m[l].length; h++) {
                if (m[l][h] > m[bl][bh]) {
                    bl = l;
                    bh = h;
                }
            }
        }
        return new HeadId(bl, bh);
    }
}
