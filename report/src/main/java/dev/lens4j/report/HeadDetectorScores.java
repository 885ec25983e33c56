package dev.lens4j.report;

import java.util.ArrayList;
import java.util.List;

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

    /**
     * The previous-token head an induction circuit would use: the highest previous-token score in
     * the layers before the last (a previous-token head feeds the keys of a later layer), or in the
     * only layer of a one-layer model. {@link InductionInvestigation} makes its claims about this head.
     *
     * @return the head
     */
    public HeadId previousTokenHead() {
        return argmax(previousToken, 0, previousTokenLayerEnd());
    }

    /**
     * The end (exclusive) of the layers {@link #previousTokenHead()} is chosen from, which start at
     * layer 0: all layers but the last, or the only layer of a one-layer model.
     *
     * @return the first layer after them
     */
    int previousTokenLayerEnd() {
        return Math.max(1, previousToken.length - 1);
    }

    /**
     * The best induction head: the highest induction score after the first layer (an induction head
     * reads a previous-token head's output), or in the only layer of a one-layer model.
     *
     * @return the head
     */
    public HeadId inductionHead() {
        return argmax(induction, firstInductionLayer(), induction.length);
    }

    /**
     * The induction heads: every head after the first layer whose induction score is at least
     * {@code bar}, in layer-major order, or {@link #inductionHead()} alone when none is. Induction
     * heads are often redundant (several heads of a layer each do the job), so
     * {@link InductionInvestigation} makes its claims about this set.
     *
     * @param bar the score that marks an induction head (the investigation uses
     *            {@link InductionInvestigation#PATTERN_BAR})
     * @return the heads, never empty
     */
    public List<HeadId> inductionHeads(double bar) {
        List<HeadId> out = new ArrayList<>();
        for (int l = firstInductionLayer(); l < induction.length; l++) {
            for (int h = 0; h < induction[l].length; h++) {
                if (induction[l][h] >= bar) {
                    out.add(new HeadId(l, h));
                }
            }
        }
        if (out.isEmpty()) {
            out.add(inductionHead());
        }
        return List.copyOf(out);
    }

    /** The first layer induction heads are chosen from: layer 1, or the only layer of a one-layer model. */
    private int firstInductionLayer() {
        return Math.min(1, induction.length - 1);
    }

    /** The head with the highest score in any layer; the first one on ties. */
    private static HeadId argmax(double[][] m) {
        return argmax(m, 0, m.length);
    }

    /** The head with the highest score in layers {@code [from, to)}; the first one on ties. */
    private static HeadId argmax(double[][] m, int from, int to) {
        if (from >= m.length || to <= from || m[from].length == 0) {
            throw new IllegalStateException("the head-detector scores hold no heads (" + m.length + " layers)");
        }
        int bl = from;
        int bh = 0;
        for (int l = from; l < to; l++) {
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
