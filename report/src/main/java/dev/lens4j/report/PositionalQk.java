package dev.lens4j.report;

import dev.lens4j.analysis.circuits.Circuits;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.transformer.TransformerConfig;

/**
 * The investigation's positional QK step: how strongly each head's QK circuit on positional
 * embeddings alone prefers the previous position, or why the model has no such circuit.
 *
 * <p>The step is defined for learned absolute positions ({@code W_pos}): each head's pattern of
 * {@code (W_pos / ln1 scale) QK (W_pos / ln1 scale)^T} over the probe's positions, with the mean
 * {@code ln1.hook_scale} of the head's layer on the probe ({@link Circuits#positionalPreviousTokenScores(int, float[])}).
 * A model with rotary positions (Llama, GPT-NeoX, Gemma, ...) has no {@code W_pos}: its positions
 * rotate queries and keys inside attention, so no circuit of its weights alone says where a head
 * looks ({@link Circuits#positionalQkNotApplicable}). For such a model the step is not applicable and
 * says why; the evidence that a head attends to the previous token is then its attention pattern (the
 * previous-token score, a clue) and what ablating it does (activation-level), which the investigation
 * shows for every model.
 *
 * @param scores {@code [n_layers, n_heads]} positional previous-token scores in {@code [0, 1]}, or null
 *               when not applicable
 * @param notApplicable why there are no scores, or null when there are
 */
record PositionalQk(double[][] scores, String notApplicable) {

    /**
     * The step on a model.
     *
     * @param cfg the model's config
     * @param circuits the model's circuits
     * @param cache a cached run on the probe, holding {@code blocks.L.ln1.hook_scale} when the model has norms
     * @param positions how many positions (the probe's length)
     * @return the scores, or the reason there are none
     */
    static PositionalQk of(TransformerConfig cfg, Circuits circuits, ActivationCache cache, int positions) {
        var why = Circuits.positionalQkNotApplicable(cfg);
        if (why.isPresent()) {
            return new PositionalQk(null, why.get());
        }
        float[] lnScale = new float[cfg.nLayers()];
        for (int l = 0; l < cfg.nLayers(); l++) {
            String scaleName = "blocks." + l + ".ln1.hook_scale";
            lnScale[l] = cache.contains(scaleName) ? cache.get(scaleName).mean() : 1f;
        }
        return new PositionalQk(InductionInvestigation.grid(circuits.positionalPreviousTokenScores(positions, lnScale)), null);
    }

    /**
     * Whether the model has a positional QK circuit.
     *
     * @return true when there are scores
     */
    boolean applicable() {
        return scores != null;
    }
}
