package dev.lens4j.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Head-detector scores of every head: how much of each head's attention lies on the previous
 * token, on earlier copies of the current token, and on the token after an earlier copy (the
 * induction target), in two forms.
 *
 * <p>The scores lens4j's claims use ({@link #previousToken}, {@link #duplicateToken},
 * {@link #induction}) are {@link dev.lens4j.analysis.heads.HeadDetector#targetScore}: the share of
 * the head's attention (outside BOS when the sequences start with it) that lands on a target, over
 * the queries that have one, so that a perfect head of the kind scores 1 on any tokens.
 * TransformerLens's {@code detect_head} "mul" ({@link #detectHeadPreviousToken} and the others)
 * divides by the attention of every query, targets or not, so on {@code BOS, A, A} a perfect
 * induction head scores about {@code n / (2n + 1)}, under one half: it is shown beside them, for
 * comparison with TransformerLens.
 *
 * @param previousToken {@code [n_layers, n_heads]} previous-token scores
 * @param duplicateToken {@code [n_layers, n_heads]} duplicate-token scores
 * @param induction {@code [n_layers, n_heads]} induction scores
 * @param detectHeadPreviousToken {@code [n_layers, n_heads]} TransformerLens {@code detect_head("previous_token_head", "mul")}
 * @param detectHeadDuplicateToken {@code [n_layers, n_heads]} TransformerLens {@code detect_head("duplicate_token_head", "mul")}
 * @param detectHeadInduction {@code [n_layers, n_heads]} TransformerLens {@code detect_head("induction_head", "mul")}
 */
public record HeadDetectorScores(double[][] previousToken, double[][] duplicateToken, double[][] induction,
                                 double[][] detectHeadPreviousToken, double[][] detectHeadDuplicateToken,
                                 double[][] detectHeadInduction) {

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if the tables differ in shape or are ragged
     */
    public HeadDetectorScores {
        Checks.notNull("previous-token scores", previousToken);
        int layers = previousToken.length;
        int heads = layers == 0 || previousToken[0] == null ? 0 : previousToken[0].length;
        Checks.matrix("previous-token scores", previousToken, layers, heads);
        Checks.matrix("duplicate-token scores", duplicateToken, layers, heads);
        Checks.matrix("induction scores", induction, layers, heads);
        Checks.matrix("detect_head previous-token scores", detectHeadPreviousToken, layers, heads);
        Checks.matrix("detect_head duplicate-token scores", detectHeadDuplicateToken, layers, heads);
        Checks.matrix("detect_head induction scores", detectHeadInduction, layers, heads);
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
     * Returns the head with the highest induction score, in any layer (layer 0 included, which holds
     * no induction-head candidate; see {@link #inductionHead()}).
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
     * Whether any head can be an induction head: only heads after the first layer can, since an
     * induction head's keys read which token came before, which only a head of an earlier layer
     * writes into the residual stream.
     *
     * @return true for a model of at least two layers
     */
    public boolean hasInductionCandidates() {
        return induction.length >= 2;
    }

    /**
     * The best induction-head candidate: the highest induction score after the first layer.
     *
     * @return the head, or empty for a one-layer model (see {@link #hasInductionCandidates()})
     */
    public Optional<HeadId> inductionHead() {
        return hasInductionCandidates() ? Optional.of(argmax(induction, 1, induction.length)) : Optional.empty();
    }

    /**
     * The induction heads: every head after the first layer whose induction score is at least
     * {@code bar}, in layer-major order. Induction heads are often redundant (several heads of a
     * layer each do the job), so {@link InductionInvestigation} makes its claims about this set.
     *
     * @param bar the score that marks an induction head (the investigation uses
     *            {@link InductionInvestigation#PATTERN_BAR})
     * @return the heads; empty when none reaches the bar, or for a one-layer model
     */
    public List<HeadId> inductionHeads(double bar) {
        List<HeadId> out = new ArrayList<>();
        for (int l = 1; l < induction.length; l++) {
            for (int h = 0; h < induction[l].length; h++) {
                if (induction[l][h] >= bar) {
                    out.add(new HeadId(l, h));
                }
            }
        }
        return List.copyOf(out);
    }

    /** The head with the highest score in any layer; the first one on ties. */
    private static HeadId argmax(double[][] m) {
        return argmax(m, 0, m.length);
    }

    /** The head with the highest score in layers {@code [from, to)}; the first one on ties. */
    private static HeadId argmax(double[][] m, int from, int to) {
        if (from >= m.length || to <= from || m[from].length == 0) {
            throw new IllegalStateException("the head-detector scores hold no heads (" + Plural.of(m.length, "layer") + ")");
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
