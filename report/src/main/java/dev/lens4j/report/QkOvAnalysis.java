package dev.lens4j.report;

import java.util.List;

/**
 * Weight-level readouts of every head's QK and OV circuits.
 *
 * @param copyingScore {@code [n_layers, n_heads]} copying score of the full OV circuit
 *                     {@code W_E OV W_U}: {@code Re(sum eigenvalues) / sum |eigenvalues|}, in [-1, 1]
 * @param previousTokenScore {@code [n_layers, n_heads]} how strongly the positional QK circuit
 *                           {@code W_pos QK W_pos^T} prefers the previous position (e.g. the mean
 *                           softmax weight it puts on the sub-diagonal), in [0, 1]; null when the
 *                           model has no such circuit (rotary or no positional embeddings)
 * @param previousTokenScoreNote why there are no positional scores, when {@code previousTokenScore} is
 *                               null (and only then)
 * @param ovReadouts for chosen heads and source tokens, the tokens the full OV circuit most raises
 */
public record QkOvAnalysis(double[][] copyingScore, double[][] previousTokenScore, String previousTokenScoreNote,
                           List<OvReadout> ovReadouts) {

    /**
     * The readouts of a model with learned positions, which has positional scores.
     *
     * @param copyingScore {@code [n_layers, n_heads]} copying scores
     * @param previousTokenScore {@code [n_layers, n_heads]} positional previous-token scores
     * @param ovReadouts the OV readouts
     */
    public QkOvAnalysis(double[][] copyingScore, double[][] previousTokenScore, List<OvReadout> ovReadouts) {
        this(copyingScore, previousTokenScore, null, ovReadouts);
    }

    /**
     * One output token and its full-OV-circuit value.
     *
     * @param token the output token as a string
     * @param value its entry of {@code W_E OV W_U} for the source token, in logits
     */
    public record TokenScore(String token, double value) {

        /**
         * Validates the components.
         *
         * @throws IllegalArgumentException if the token is missing or the value not finite
         */
        public TokenScore {
            Checks.notNull("readout token", token);
            Checks.finite("readout value of " + token, value);
        }
    }

    /**
     * The top output tokens of one head's full OV circuit for one source token: "if this head
     * attends to {@code source}, it raises the logits of {@code top}".
     *
     * @param head the head
     * @param source the attended-to token as a string
     * @param top the output tokens, highest first
     */
    public record OvReadout(HeadId head, String source, List<TokenScore> top) {

        /**
         * Validates the components.
         *
         * @throws IllegalArgumentException if a part is missing
         */
        public OvReadout {
            Checks.notNull("OV readout head", head);
            Checks.notNull("OV readout source token", source);
            Checks.notNull("OV readout top tokens", top);
            top = List.copyOf(top);
        }
    }

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if the two tables differ in shape or are ragged, or if the
     *     positional scores are missing without a note saying why (or present with one)
     */
    public QkOvAnalysis {
        Checks.notNull("copying scores", copyingScore);
        int layers = copyingScore.length;
        int heads = layers == 0 || copyingScore[0] == null ? 0 : copyingScore[0].length;
        Checks.matrix("copying scores", copyingScore, layers, heads);
        if ((previousTokenScore == null) == (previousTokenScoreNote == null)) {
            throw new IllegalArgumentException("positional previous-token scores need either the scores or a note saying why "
                    + "there are none, not " + (previousTokenScore == null ? "neither" : "both"));
        }
        if (previousTokenScore != null) {
            Checks.matrix("positional previous-token scores", previousTokenScore, layers, heads);
        }
        ovReadouts = ovReadouts == null ? List.of() : List.copyOf(ovReadouts);
    }
}
