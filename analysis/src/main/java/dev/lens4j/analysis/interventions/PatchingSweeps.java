package dev.lens4j.analysis.interventions;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.TransformerConfig;

/**
 * TransformerLens's patching sweeps ({@code patching.get_act_patch_*}): which activation is patched,
 * at which index, and the shape of the result. Two kinds of patching share them, so that code written
 * against this class runs either and the two can be compared sweep by sweep:
 * {@link ActivationPatching} runs every patch and records the metric of the patched run;
 * {@code dev.lens4j.analysis.gradients.AttributionPatching} estimates the metric's change from a
 * gradient, for every patch of a sweep at once.
 *
 * <pre>{@code
 * PatchingSweeps sweeps = real ? ActivationPatching.of(model, clean, corrupted, metric)
 *                              : AttributionPatching.of(model, clean, corrupted, logitMetric);
 * Tensor byHead = sweeps.headOutAllPos();   // [n_layers, n_heads] either way
 * }</pre>
 *
 * <p>With grouped-query attention the key and value sweeps have one entry per key/value head
 * ({@code n_key_value_heads}; patching one patches it for every query head that shares it), as
 * TransformerLens's.
 */
public abstract class PatchingSweeps {

    /** Subclasses are the two kinds of patching. */
    protected PatchingSweeps() {}

    /**
     * The patched model's configuration.
     *
     * @return its config
     */
    protected abstract TransformerConfig sweepConfig();

    /**
     * Patches one residual-stream-like activation at each layer and position (validated by the caller).
     *
     * @param shortName {@code resid_pre}, {@code resid_mid}, {@code attn_out} or {@code mlp_out}
     * @return {@code [n_layers, pos]}
     */
    protected abstract Tensor layerPositionSweep(String shortName);

    /**
     * Patches one head's vectors (validated by the caller) at every position, or one position at a time.
     *
     * @param which {@code q}, {@code k}, {@code v} or {@code z}
     * @param byPosition one position at a time
     * @return {@code [n_layers, heads]} or {@code [n_layers, pos, heads]}
     */
    protected abstract Tensor headVectorSweep(String which, boolean byPosition);

    /**
     * Patches one head's whole pattern, or its row for one destination position at a time.
     *
     * @param byPosition one destination position at a time
     * @return {@code [n_layers, n_heads]} or {@code [n_layers, n_heads, dest_pos]}
     */
    protected abstract Tensor patternSweep(boolean byPosition);

    /**
     * The residual stream entering each block, one position at a time.
     *
     * @return TransformerLens's {@code get_act_patch_resid_pre}: {@code [n_layers, pos]}
     */
    public final Tensor residPre() {
        return layerPositionSweep("resid_pre");
    }

    /**
     * The residual stream entering each MLP, one position at a time.
     *
     * @return TransformerLens's {@code get_act_patch_resid_mid}: {@code [n_layers, pos]}
     * @throws IllegalArgumentException if the model is attention-only
     */
    public final Tensor residMid() {
        requireMlp("residMid");
        return layerPositionSweep("resid_mid");
    }

    /**
     * Each attention layer's output, one position at a time.
     *
     * @return TransformerLens's {@code get_act_patch_attn_out}: {@code [n_layers, pos]}
     */
    public final Tensor attnOut() {
        return layerPositionSweep("attn_out");
    }

    /**
     * Each MLP's output, one position at a time.
     *
     * @return TransformerLens's {@code get_act_patch_mlp_out}: {@code [n_layers, pos]}
     * @throws IllegalArgumentException if the model is attention-only
     */
    public final Tensor mlpOut() {
        requireMlp("mlpOut");
        return layerPositionSweep("mlp_out");
    }

    /**
     * Each head's output at every position at once.
     *
     * @return TransformerLens's {@code get_act_patch_attn_head_out_all_pos}: each head's {@code hook_z},
     *     {@code [n_layers, n_heads]}
     */
    public final Tensor headOutAllPos() {
        return headVectorSweep("z", false);
    }

    /**
     * Each head's output at one position at a time.
     *
     * @return TransformerLens's {@code get_act_patch_attn_head_out_by_pos}: {@code [n_layers, pos, n_heads]}
     */
    public final Tensor headOutByPos() {
        return headVectorSweep("z", true);
    }

    /**
     * Each head's query, key, value or output vectors at every position at once
     * (TransformerLens's {@code get_act_patch_attn_head_q_all_pos} and its relatives).
     *
     * @param which {@code "q"}, {@code "k"}, {@code "v"} or {@code "z"}
     * @return {@code [n_layers, n_heads]} ({@code n_key_value_heads} for {@code "k"} and {@code "v"})
     * @throws IllegalArgumentException if {@code which} is another name
     */
    public final Tensor headVectorAllPos(String which) {
        checkVector(which);
        return headVectorSweep(which, false);
    }

    /**
     * Each head's query, key, value or output vector at one position at a time
     * (TransformerLens's {@code get_act_patch_attn_head_q_by_pos} and its relatives).
     *
     * @param which {@code "q"}, {@code "k"}, {@code "v"} or {@code "z"}
     * @return {@code [n_layers, pos, n_heads]} ({@code n_key_value_heads} for {@code "k"} and {@code "v"})
     * @throws IllegalArgumentException if {@code which} is another name
     */
    public final Tensor headVectorByPos(String which) {
        checkVector(which);
        return headVectorSweep(which, true);
    }

    /**
     * Each head's whole attention pattern.
     *
     * @return TransformerLens's {@code get_act_patch_attn_head_pattern_all_pos}: {@code [n_layers, n_heads]}
     */
    public final Tensor headPatternAllPos() {
        return patternSweep(false);
    }

    /**
     * Each head's attention from one destination position at a time.
     *
     * @return TransformerLens's {@code get_act_patch_attn_head_pattern_by_pos}: one head's attention
     *     row for one destination position, {@code [n_layers, n_heads, dest_pos]}
     */
    public final Tensor headPatternByPos() {
        return patternSweep(true);
    }

    /**
     * Every block's input, attention output and MLP output, by position.
     *
     * @return TransformerLens's {@code get_act_patch_block_every}: {@code resid_pre}, {@code attn_out}
     *     and {@code mlp_out} by layer and position, {@code [3, n_layers, pos]}
     * @throws IllegalArgumentException if the model is attention-only
     */
    public final Tensor blockEvery() {
        requireMlp("blockEvery");
        return Tensor.stack(0, residPre(), attnOut(), mlpOut());
    }

    /**
     * Every head's output, query, key, value and pattern, at all positions.
     *
     * @return TransformerLens's {@code get_act_patch_attn_head_all_pos_every}: output, query, key,
     *     value and pattern of each head, {@code [5, n_layers, n_heads]}; with grouped-query attention
     *     the key and value rows hold one entry per key/value head, padded with zeros to n_heads, as
     *     TransformerLens pads them
     */
    public final Tensor headAllPosEvery() {
        return Tensor.stack(0, headOutAllPos(), headVectorAllPos("q"), paddedToHeads(headVectorAllPos("k")),
                paddedToHeads(headVectorAllPos("v")), headPatternAllPos());
    }

    /**
     * How many heads a per-head hook has: key and value hooks {@code n_key_value_heads}, the others {@code n_heads}.
     *
     * @param which {@code q}, {@code k}, {@code v}, {@code z} or {@code pattern}
     * @return the head count of its sweeps
     */
    protected final int headsOf(String which) {
        return which.equals("k") || which.equals("v") ? sweepConfig().nKvHeads() : sweepConfig().nHeads();
    }

    /** {@code [n_layers, n]} padded with zero columns to {@code [n_layers, n_heads]}. */
    private Tensor paddedToHeads(Tensor t) {
        int missing = sweepConfig().nHeads() - t.dim(1);
        return missing == 0 ? t : Tensor.concat(1, t, Tensor.zeros(t.dim(0), missing));
    }

    private static void checkVector(String which) {
        if (!(which.equals("q") || which.equals("k") || which.equals("v") || which.equals("z"))) {
            throw new IllegalArgumentException("head vector must be q, k, v or z, got '" + which + "'");
        }
    }

    /**
     * Refuses a sweep of MLP activations on an attention-only model.
     *
     * @param what the sweep, for the message
     * @throws IllegalArgumentException if the model is attention-only
     */
    protected final void requireMlp(String what) {
        TransformerConfig cfg = sweepConfig();
        if (cfg.attnOnly()) {
            throw new IllegalArgumentException(what + " needs MLPs, but model " + cfg.modelName() + " is attention-only");
        }
    }
}
