package dev.lens4j.transformer.processing;

/**
 * Which of TransformerLens's weight simplifications to apply when a model is loaded, with the flag
 * names of {@code HookedTransformer.from_pretrained}.
 *
 * <p>{@link #defaults()} is what {@code from_pretrained} does; {@link #none()} is
 * {@code from_pretrained_no_processing}. Every step except {@code center_unembed} keeps the logits
 * exactly (up to rounding); {@code center_unembed} shifts each position's logits by a constant, so
 * log-probabilities and the loss never change.
 *
 * @param foldLn fold each LayerNorm's weight and bias into the weights that read from it and centre
 *               those reading weights; the LayerNorms become {@code "LNPre"} (centring and scaling only).
 *               Applies only to {@code "LN"} models.
 * @param centerWritingWeights subtract the mean over d_model from every weight and bias that writes
 *                             to the residual stream (W_E, W_pos, W_O, b_O, W_out, b_out). Applies only to
 *                             models with LayerNorm ({@code "LN"} or {@code "LNPre"}), whose outputs
 *                             ignore that mean.
 * @param centerUnembed subtract the mean over d_vocab from W_U and b_U
 * @param foldValueBiases set b_V to zero and add {@code sum_h b_V[h] W_O[h]} to b_O
 * @param refactorFactoredAttnMatrices rewrite each head's W_Q, W_K (with their biases) and W_V, W_O
 *                                     as "even" factorisations of the same QK and OV circuits (off by
 *                                     default, as in TransformerLens)
 */
public record ProcessingOptions(boolean foldLn, boolean centerWritingWeights, boolean centerUnembed,
                                boolean foldValueBiases, boolean refactorFactoredAttnMatrices) {

    /**
     * TransformerLens's {@code from_pretrained} defaults.
     *
     * @return every step but the refactoring
     */
    public static ProcessingOptions defaults() {
        return new ProcessingOptions(true, true, true, true, false);
    }

    /**
     * No processing, as {@code from_pretrained_no_processing}.
     *
     * @return every step off
     */
    public static ProcessingOptions none() {
        return new ProcessingOptions(false, false, false, false, false);
    }

    /**
     * A copy with the refactoring switched on or off.
     *
     * @param refactor whether to refactor the factored attention matrices
     * @return a copy with {@code refactorFactoredAttnMatrices} set
     */
    public ProcessingOptions withRefactorFactoredAttnMatrices(boolean refactor) {
        return new ProcessingOptions(foldLn, centerWritingWeights, centerUnembed, foldValueBiases, refactor);
    }

    /**
     * Whether every step is off.
     *
     * @return true when no step is enabled
     */
    public boolean isNone() {
        return !(foldLn || centerWritingWeights || centerUnembed || foldValueBiases || refactorFactoredAttnMatrices);
    }
}
