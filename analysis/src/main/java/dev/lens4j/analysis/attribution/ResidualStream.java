package dev.lens4j.analysis.attribution;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.util.ArrayList;
import java.util.List;

/**
 * The residual stream of one cached forward pass, stacked and decomposed as TransformerLens's
 * {@code ActivationCache} does ({@code accumulated_resid}, {@code decompose_resid},
 * {@code stack_head_results}, {@code stack_neuron_results}, {@code get_full_resid_decomposition},
 * {@code apply_ln_to_stack}), with the same labels.
 *
 * <pre>{@code
 * ForwardResult run = model.runWithCache(tokens);
 * ResidualStream stream = ResidualStream.of(model, run.cache());
 * ComponentStack parts = stream.fullResidDecomposition(-1, false, true, false);
 * // parts.sum() equals the final residual stream, blocks.{L-1}.hook_resid_post, up to rounding
 * ComponentStack lens = stream.accumulatedResid(-1, false, false, true);   // the logit lens: ln_final on each stream
 * }</pre>
 *
 * <p>Every stack is {@code [component, batch, pos, d_model]}. A {@code layer} argument names the
 * residual stream being decomposed: the input of block {@code layer}, so {@code 0} is just the
 * embeddings and {@code n_layers} (or {@code -1}) the final residual stream that enters the
 * unembedding. With {@code mlpInput} it is the input of that block's MLP ({@code resid_mid})
 * instead of its attention.
 *
 * <p>LayerNorm scaling ({@code applyLn}) is TransformerLens's {@code apply_ln_to_stack}: each
 * component is centred (LayerNorm models only: an RMSNorm scales without centring) and divided by
 * the <em>cached</em> scale of the norm that reads that residual stream
 * ({@code blocks.L.ln1.hook_scale}, {@code ln2} with {@code mlpInput}, or
 * {@code ln_final.hook_scale}), so the scaled components still add up to the norm's input as it was
 * normalised; the norm's weight and bias are not applied (processing folds them into the next
 * weights; Gemma's {@code 1 + w} is such a weight). Models without normalisation are left unchanged.
 * The one exception is the logit lens, as in TransformerLens 2.18 (its fix of TransformerLens issue
 * 1076): {@link #accumulatedResid} of the final stream ({@code layer} {@code n_layers} or -1) with
 * {@code applyLn} runs {@code ln_final} (LayerNorm or RMSNorm, as the model) on each accumulated
 * stream with that stream's own statistics, and with {@code ln_final}'s weight and bias when the
 * model has them, so each entry is what the unembedding would read if the model stopped there. {@link #applyLnToStack(ComponentStack, int, boolean, boolean)} offers the same
 * recomputation ({@code recompute_ln}) for the final LayerNorm; decompositions keep the cached
 * scale, which is what makes attributions add up.
 *
 * <p>In a parallel block (GPT-NeoX, {@code parallel_attn_mlp}) attention and MLP both read the
 * block's input, so there is no {@code resid_mid}: {@code inclMid} and {@code mlpInput} are refused
 * there, by name. In a model with norms after attention and MLP (Gemma 2) {@code hook_attn_out} and
 * {@code hook_mlp_out} are taken after those norms, as TransformerLens takes them;
 * {@link #stackHeadResults} (TransformerLens's {@code stack_head_results}) is before them and
 * {@link #stackHeadContributions} through them.
 *
 * <p>Components are read from the cache: {@code hook_embed}, {@code hook_pos_embed},
 * {@code hook_attn_out}, {@code hook_mlp_out}, {@code hook_resid_*}, {@code hook_z} (or
 * {@code hook_result}), {@code mlp.hook_post} and the LayerNorm scales, as needed. As in
 * TransformerLens, the embeddings are left out of a decomposition when the cache does not hold them.
 */
public final class ResidualStream {

    /** Which layer outputs {@link #decomposeResid} includes (TransformerLens's {@code mode}). */
    public enum Mode {
        /** attention and MLP outputs ({@code "all"}) */
        ALL,
        /** attention outputs only ({@code "attn"}) */
        ATTN,
        /** MLP outputs only ({@code "mlp"}) */
        MLP
    }

    private final TransformerConfig cfg;
    private final TransformerWeights w;
    private final ActivationCache cache;

    /**
     * The residual stream of a cached run of a model with these weights.
     *
     * @param cfg the model's config
     * @param weights the weights of the run that filled the cache (for {@code W_O}, {@code W_out} and the biases)
     * @param cache the activations of one run, with their batch dimension
     */
    public ResidualStream(TransformerConfig cfg, TransformerWeights weights, ActivationCache cache) {
        if (cfg == null || weights == null || cache == null) {
            throw new IllegalArgumentException("a residual stream needs a config, weights and a cache");
        }
        if (!cache.hasBatchDim()) {
            throw new IllegalArgumentException("the cache's batch dimension was removed; pass a cache with its [batch, ...] dimension");
        }
        this.cfg = cfg;
        this.w = weights;
        this.cache = cache;
    }

    /**
     * The residual stream of a cached run of a model.
     *
     * @param model the model that produced the cache
     * @param cache the activations of one of its runs
     * @return the residual stream of that run
     */
    public static ResidualStream of(HookedTransformer model, ActivationCache cache) {
        return new ResidualStream(model.config(), model.weights(), cache);
    }

    /**
     * The config of the model that made the cache.
     *
     * @return the model's config
     */
    public TransformerConfig config() {
        return cfg;
    }

    /**
     * The weights the head, neuron and bias terms are computed with.
     *
     * @return the weights
     */
    public TransformerWeights weights() {
        return w;
    }

    /**
     * The activations the stacks are read from.
     *
     * @return the cache
     */
    public ActivationCache cache() {
        return cache;
    }

    // ------------------------------------------------------------------ stacks

    /**
     * The residual stream as it accumulates, layer by layer (TransformerLens's
     * {@code accumulated_resid}): labels {@code "0_pre"}, ({@code "0_mid"}), {@code "1_pre"}, ...,
     * and {@code "final_post"} when {@code layer} is {@code n_layers}.
     *
     * @param layer take the streams up to the input of this block, in {@code [0, n_layers]}, or -1 for all
     * @param inclMid also take {@code resid_mid} of each earlier block (ignored for attention-only
     *                models, which have none)
     * @param mlpInput also take {@code resid_mid} of block {@code layer} (the input of its MLP)
     * @param applyLn for the final stream ({@code layer} {@code n_layers} or -1), apply {@code ln_final}
     *                to each stream with its own statistics and {@code ln_final}'s weight and bias
     *                (TransformerLens 2.18's logit lens); for an earlier {@code layer}, scale each
     *                stream with the cached scale of the LayerNorm reading that layer's input
     * @return {@code [component, batch, pos, d_model]}
     */
    public ComponentStack accumulatedResid(int layer, boolean inclMid, boolean mlpInput, boolean applyLn) {
        requireSeparateMlpInput(mlpInput, "accumulatedResid");
        if (inclMid && !cfg.attnOnly() && !cfg.hasResidMid()) {
            throw new IllegalArgumentException("accumulatedResid: inclMid takes resid_mid, which model " + cfg.modelName()
                    + " does not have: its attention and MLP run in parallel (parallel_attn_mlp), both reading resid_pre");
        }
        int upTo = layer(layer, mlpInput);
        List<Tensor> parts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int l = 0; l <= upTo; l++) {
            if (l == cfg.nLayers()) {
                parts.add(cache.get("resid_post", cfg.nLayers() - 1));
                labels.add("final_post");
                continue;
            }
            parts.add(cache.get("resid_pre", l));
            labels.add(l + "_pre");
            if ((inclMid && l < upTo && !cfg.attnOnly()) || (mlpInput && l == upTo)) {
                parts.add(cache.get("resid_mid", l));
                labels.add(l + "_mid");
            }
        }
        ComponentStack s = new ComponentStack(Tensor.stack(0, parts.toArray(Tensor[]::new)), labels);
        // TransformerLens 2.18 recomputes the statistics exactly when the stack ends at the unembedding
        return applyLn ? applyLnToStack(s, upTo, mlpInput, upTo == cfg.nLayers()) : s;
    }

    /**
     * The residual stream as a sum of the outputs of everything before it (TransformerLens's
     * {@code decompose_resid}): {@code "embed"}, {@code "pos_embed"}, {@code "0_attn_out"},
     * {@code "0_mlp_out"}, ... Each {@code attn_out} and {@code mlp_out} includes its bias, so with
     * {@link Mode#ALL} and the embeddings the components add up to the residual stream exactly.
     *
     * @param layer decompose the input of this block, in {@code [0, n_layers]}, or -1 for the final stream
     * @param mlpInput decompose the input of block {@code layer}'s MLP instead (adds {@code "{layer}_attn_out"})
     * @param mode which layer outputs to include
     * @param applyLn scale with the cached scale of the LayerNorm reading this stream
     * @param inclEmbeds include {@code "embed"} and {@code "pos_embed"}
     * @return {@code [component, batch, pos, d_model]}
     */
    public ComponentStack decomposeResid(int layer, boolean mlpInput, Mode mode, boolean applyLn, boolean inclEmbeds) {
        requireSeparateMlpInput(mlpInput, "decomposeResid");
        int upTo = layer(layer, mlpInput);
        boolean attn = mode != Mode.MLP;
        boolean mlp = mode != Mode.ATTN && !cfg.attnOnly();
        List<Tensor> parts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        if (inclEmbeds) {
            addEmbeds(parts, labels);
        }
        for (int l = 0; l < upTo; l++) {
            if (attn) {
                parts.add(cache.get("attn_out", l));
                labels.add(l + "_attn_out");
            }
            if (mlp) {
                parts.add(cache.get("mlp_out", l));
                labels.add(l + "_mlp_out");
            }
        }
        if (mlpInput && attn) {
            parts.add(cache.get("attn_out", upTo));
            labels.add(upTo + "_attn_out");
        }
        ComponentStack s = stackOf(parts, labels);
        return applyLn ? applyLnToStack(s, upTo, mlpInput) : s;
    }

    /**
     * What each head of one layer wrote to the residual stream, without {@code b_O}: the cached
     * {@code hook_result} if there is one, otherwise {@code z[h] W_O[h]} from the cached
     * {@code hook_z} (TransformerLens's {@code compute_head_results}).
     *
     * @param layer the block
     * @return {@code [batch, pos, n_heads, d_model]}, summing over heads to {@code attn_out - b_O}
     */
    public Tensor headResults(int layer) {
        return headStack(checkBlock(layer)).permute(1, 2, 0, 3).contiguous();
    }

    /** {@code [n_heads, batch, pos, d_model]}: the head results of one layer as a stack. */
    private Tensor headStack(int layer) {
        String name = "blocks." + layer + ".attn.hook_result";
        if (cache.contains(name)) {
            return cache.get(name).permute(2, 0, 1, 3).contiguous();
        }
        Tensor z = cache.get("z", layer);                 // [batch, pos, n_heads, d_head]
        Tensor wO = w.layers().get(layer).wO();           // [n_heads, d_head, d_model]
        return z.permute(2, 0, 1, 3).matmul(wO.unsqueeze(1)); // [n_heads, batch, pos, d_model]
    }

    /**
     * Every head's output, layer by layer (TransformerLens's {@code stack_head_results}): labels
     * {@code "L0H0"}, {@code "L0H1"}, ... The head results exclude {@code b_O}.
     *
     * @param layer take the heads of blocks before this one, in {@code [0, n_layers]}, or -1 for all
     * @param inclRemainder add {@code "remainder"}: the residual stream entering {@code layer} minus
     *                      the heads' sum (embeddings, biases, MLPs)
     * @param applyLn scale with the cached scale of the LayerNorm reading that stream
     * @return {@code [component, batch, pos, d_model]}
     */
    public ComponentStack stackHeadResults(int layer, boolean inclRemainder, boolean applyLn) {
        int upTo = layer(layer, false);
        List<Tensor> parts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int l = 0; l < upTo; l++) {
            parts.add(headStack(l));
            for (int h = 0; h < cfg.nHeads(); h++) {
                labels.add("L" + l + "H" + h);
            }
        }
        ComponentStack s = withRemainder(concatOrEmpty(parts), labels, inclRemainder, residInput(upTo, false));
        return applyLn ? applyLnToStack(s, upTo, false) : s;
    }

    /**
     * What every head adds to the residual stream, layer by layer: {@link #stackHeadResults} for most
     * models; in a model with a norm after attention ({@code use_normalization_before_and_after}: Gemma 2's
     * {@code ln1_post}) each head's result goes through that norm as the model applies it to the sum of
     * the heads, linearised at the cached {@code blocks.L.ln1_post.hook_scale}: divided by that scale
     * (centred first for a LayerNorm) and multiplied by the norm's weight. The heads then add up to
     * {@code hook_attn_out} less the normalised {@code b_O} (and, for a LayerNorm, its bias), as they
     * add up to {@code attn_out - b_O} without a post norm. TransformerLens's {@code stack_head_results}
     * (this class's {@link #stackHeadResults}) leaves the post norm out, so there a head's direct logit
     * attribution misses the norm's per-dimension weight and its scale.
     *
     * @param layer take the heads of blocks before this one, in {@code [0, n_layers]}, or -1 for all
     * @param inclRemainder add {@code "remainder"}: the residual stream entering {@code layer} minus the heads' sum
     * @param applyLn scale with the cached scale of the LayerNorm reading that stream
     * @return {@code [component, batch, pos, d_model]}, labels {@code "L0H0"}, {@code "L0H1"}, ...
     * @throws IllegalArgumentException if the model has post norms and their scale was not cached
     */
    public ComponentStack stackHeadContributions(int layer, boolean inclRemainder, boolean applyLn) {
        if (!cfg.useNormalizationBeforeAndAfter()) {
            return stackHeadResults(layer, inclRemainder, applyLn);
        }
        int upTo = layer(layer, false);
        Normalization post = TransformerWeights.postNorm(cfg.normalization());
        List<Tensor> parts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int l = 0; l < upTo; l++) {
            String scaleName = "blocks." + l + ".ln1_post.hook_scale";
            if (!cache.contains(scaleName)) {
                throw new IllegalArgumentException("stackHeadContributions: model " + cfg.modelName() + " normalises attention's "
                        + "output (ln1_post), so the heads' contributions need " + scaleName + " in the cache");
            }
            Tensor heads = headStack(l);                                        // [n_heads, batch, pos, d_model]
            if (post.centers()) {
                heads = heads.sub(heads.mean(-1, true));
            }
            heads = heads.div(cache.get(scaleName).unsqueeze(0));              // [1, batch, pos, 1]
            Tensor weight = w.layers().get(l).ln1PostW();                      // [d_model]
            parts.add(weight == null ? heads : heads.mul(weight));
            for (int h = 0; h < cfg.nHeads(); h++) {
                labels.add("L" + l + "H" + h);
            }
        }
        ComponentStack s = withRemainder(concatOrEmpty(parts), labels, inclRemainder, residInput(upTo, false));
        return applyLn ? applyLnToStack(s, upTo, false) : s;
    }

    /**
     * Every MLP neuron's output, layer by layer (TransformerLens's {@code stack_neuron_results}):
     * {@code post[n] * W_out[n]}, labels {@code "L0N0"}, {@code "L0N1"}, ..., excluding
     * {@code b_out}. This is {@code n_layers * d_mlp} residual-stream-sized tensors: large.
     *
     * @param layer take the neurons of blocks before this one, in {@code [0, n_layers]}, or -1 for all
     * @param inclRemainder add {@code "remainder"}: the stream entering {@code layer} minus the neurons' sum
     * @param applyLn scale with the cached scale of the LayerNorm reading that stream
     * @return {@code [component, batch, pos, d_model]}
     * @throws IllegalArgumentException for an attention-only model
     */
    public ComponentStack stackNeuronResults(int layer, boolean inclRemainder, boolean applyLn) {
        requireMlp("stackNeuronResults");
        int upTo = layer(layer, false);
        List<Tensor> parts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int l = 0; l < upTo; l++) {
            parts.add(neuronStack(l));
            for (int n = 0; n < cfg.dMlp(); n++) {
                labels.add("L" + l + "N" + n);
            }
        }
        ComponentStack s = withRemainder(concatOrEmpty(parts), labels, inclRemainder, residInput(upTo, false));
        return applyLn ? applyLnToStack(s, upTo, false) : s;
    }

    /** {@code [d_mlp, batch, pos, d_model]}: {@code post[..., n] * W_out[n]}. */
    private Tensor neuronStack(int layer) {
        Tensor post = cache.get("post", layer);                  // [batch, pos, d_mlp]
        Tensor wOut = w.layers().get(layer).wOut();              // [d_mlp, d_model]
        return post.permute(2, 0, 1).unsqueeze(3).mul(wOut.unsqueeze(1).unsqueeze(1));
    }

    /**
     * The residual stream split into every head, every neuron (or every MLP), the embeddings and
     * the biases (TransformerLens's {@code get_full_resid_decomposition}): labels {@code "L0H0"}, ...,
     * {@code "L0N0"}, ... (or {@code "0_mlp_out"}, ...), {@code "embed"}, {@code "pos_embed"},
     * {@code "bias"}. The components add up to the residual stream exactly (up to rounding):
     * {@code "bias"} is {@link #accumulatedBias} ({@code b_O} of every earlier block, and
     * {@code b_out} when the neurons are expanded, since {@code mlp_out} already holds it). Not on a model
     * with norms after attention and MLP (Gemma 2's {@code use_normalization_before_and_after}): heads and
     * neurons are taken before {@code ln1_post} / {@code ln2_post}, as TransformerLens takes them, so they do
     * not add up to what the post norms wrote into the stream (on the Gemma 2 test model they miss it by up to
     * a fifth of its largest entry); {@link #stackHeadContributions} puts heads through {@code ln1_post}.
     *
     * @param layer decompose the input of this block, in {@code [0, n_layers]}, or -1 for the final stream
     * @param mlpInput decompose the input of block {@code layer}'s MLP instead (adds its heads)
     * @param expandNeurons one component per neuron rather than per MLP
     * @param applyLn scale with the cached scale of the LayerNorm reading this stream
     * @return {@code [component, batch, pos, d_model]}
     */
    public ComponentStack fullResidDecomposition(int layer, boolean mlpInput, boolean expandNeurons, boolean applyLn) {
        requireSeparateMlpInput(mlpInput, "fullResidDecomposition");
        int upTo = layer(layer, mlpInput);
        ComponentStack s = stackHeadResults(upTo + (mlpInput ? 1 : 0), false, false);
        if (!cfg.attnOnly() && upTo > 0) {
            s = s.concat(expandNeurons ? stackNeuronResults(upTo, false, false)
                    : decomposeResid(upTo, false, Mode.MLP, false, false));
        }
        List<Tensor> parts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        addEmbeds(parts, labels);
        int[] one = residInput(upTo, mlpInput).shape();
        parts.add(accumulatedBias(upTo, mlpInput, expandNeurons).broadcastTo(one).copy());
        labels.add("bias");
        s = s.concat(stackOf(parts, labels));
        return applyLn ? applyLnToStack(s, upTo, mlpInput) : s;
    }

    /**
     * The sum of the biases written to the residual stream before a point (TransformerLens's
     * {@code accumulated_bias}): {@code b_O} of every block before {@code layer}, their {@code b_out}
     * when {@code includeMlpBiases}, and {@code b_O} of block {@code layer} with {@code mlpInput}.
     *
     * @param layer in {@code [0, n_layers]}, or -1 for {@code n_layers}
     * @param mlpInput include block {@code layer}'s {@code b_O}
     * @param includeMlpBiases include {@code b_out}
     * @return {@code [d_model]}
     */
    public Tensor accumulatedBias(int layer, boolean mlpInput, boolean includeMlpBiases) {
        requireSeparateMlpInput(mlpInput, "accumulatedBias");
        int upTo = layer(layer, mlpInput);
        Tensor sum = Tensor.zeros(cfg.dModel());
        for (int l = 0; l < upTo; l++) {
            TransformerWeights.Layer x = w.layers().get(l);
            sum = sum.add(x.bO());
            if (includeMlpBiases && !cfg.attnOnly()) {
                sum = sum.add(x.bOut());
            }
        }
        if (mlpInput) {
            sum = sum.add(w.layers().get(upTo).bO());
        }
        return sum;
    }

    // ------------------------------------------------------------------ LayerNorm

    /**
     * Applies the cached LayerNorm scaling of one residual stream to a stack of its components
     * (TransformerLens's {@code apply_ln_to_stack}): {@code (x - mean(x)) / scale} for LayerNorm
     * models, {@code x / scale} for RMSNorm ones, with {@code scale} the cached {@code hook_scale} of
     * the norm that reads the stream. No-op for a model without normalisation.
     *
     * @param stack {@code [component, batch, pos, d_model]}, over the same batch and positions as the cache
     * @param layer the LayerNorm of block {@code layer} ({@code ln1}, or {@code ln2} with
     *              {@code mlpInput}), or {@code ln_final} for {@code n_layers} or -1
     * @param mlpInput use {@code ln2}
     * @return the scaled stack, same labels
     */
    public ComponentStack applyLnToStack(ComponentStack stack, int layer, boolean mlpInput) {
        return applyLnToStack(stack, layer, mlpInput, false);
    }

    /**
     * TransformerLens's {@code apply_ln_to_stack} with its {@code recompute_ln} option: with
     * {@code recomputeLn}, the final LayerNorm is applied to each component on its own, as the model
     * applies it, with the component's own mean and scale and {@code ln_final}'s weight and bias when
     * the model has them (a processed model's folded {@code ln_final} has neither); the result no
     * longer sums to anything, but each entry is what the unembedding would read from that component
     * alone (the logit lens). Without it, this is {@link #applyLnToStack(ComponentStack, int, boolean)}.
     *
     * @param stack {@code [component, batch, pos, d_model]} (with {@code recomputeLn}, any shape ending in {@code d_model})
     * @param layer the LayerNorm of block {@code layer}, or {@code ln_final} for {@code n_layers} or -1
     * @param mlpInput use {@code ln2}
     * @param recomputeLn recompute the statistics per component; only for {@code ln_final}
     * @return the normalised stack, same labels
     * @throws IllegalArgumentException for {@code recomputeLn} with a layer other than the final one
     *         (TransformerLens ignores the option there; lens4j says so instead)
     */
    public ComponentStack applyLnToStack(ComponentStack stack, int layer, boolean mlpInput, boolean recomputeLn) {
        return new ComponentStack(applyLnToStack(stack.values(), layer, mlpInput, recomputeLn), stack.labels());
    }

    /**
     * Like {@link #applyLnToStack(ComponentStack, int, boolean, boolean)} for an unlabelled tensor.
     *
     * @param stack {@code [..., batch, pos, d_model]}
     * @param layer the LayerNorm's block, or {@code n_layers}/-1 for {@code ln_final}
     * @param mlpInput use {@code ln2}
     * @param recomputeLn recompute the final LayerNorm's statistics per component
     * @return the normalised tensor
     */
    public Tensor applyLnToStack(Tensor stack, int layer, boolean mlpInput, boolean recomputeLn) {
        if (!recomputeLn) {
            return applyLnToStack(stack, layer, mlpInput);
        }
        int l = layer(layer, mlpInput);
        if (l != cfg.nLayers()) {
            throw new IllegalArgumentException("recomputeLn applies the final LayerNorm (layer " + cfg.nLayers()
                    + " or -1), but layer " + layer + " was given; use the cached scale there (recomputeLn false)");
        }
        if (!cfg.hasNorm()) {
            return stack;
        }
        if (stack.rank() < 1 || stack.dim(-1) != cfg.dModel()) {
            throw new IllegalArgumentException("applyLnToStack: stack " + Shapes.str(stack.shape()) + " does not end in d_model "
                    + cfg.dModel());
        }
        // the model's own final norm (LayerNorm or RMSNorm, with its weight and bias when it has them):
        // each row is normalised with its own statistics
        return cfg.normalization().apply(stack, w.lnFinalW(), w.lnFinalB(), cfg.eps());
    }

    /**
     * Like {@link #applyLnToStack(ComponentStack, int, boolean)} for an unlabelled tensor.
     *
     * @param stack {@code [..., batch, pos, d_model]}
     * @param layer the LayerNorm's block, or {@code n_layers}/-1 for {@code ln_final}
     * @param mlpInput use {@code ln2}
     * @return the scaled tensor
     */
    public Tensor applyLnToStack(Tensor stack, int layer, boolean mlpInput) {
        if (!cfg.hasNorm()) {
            return stack;
        }
        Tensor scale = lnScale(layer, mlpInput);        // [batch, pos, 1]
        int r = stack.rank();
        if (r < 3 || stack.dim(-1) != cfg.dModel() || stack.dim(-2) != scale.dim(1) || stack.dim(-3) != scale.dim(0)) {
            throw new IllegalArgumentException("applyLnToStack: stack " + Shapes.str(stack.shape()) + " does not end in the cache's [batch, pos, d_model] = "
                    + Shapes.str(scale.dim(0), scale.dim(1), cfg.dModel()));
        }
        // TransformerLens 2.18 centres only for LayerNorm; an RMSNorm scales without centring
        Tensor centred = cfg.normalization().centers() ? stack.sub(stack.mean(-1, true)) : stack;
        return centred.div(scale);
    }

    /**
     * The cached scale of the LayerNorm reading a residual stream.
     *
     * @param layer block index, or {@code n_layers}/-1 for the final LayerNorm
     * @param mlpInput {@code ln2} rather than {@code ln1}
     * @return {@code [batch, pos, 1]}
     */
    public Tensor lnScale(int layer, boolean mlpInput) {
        if (!cfg.hasNorm()) {
            throw new IllegalArgumentException("model " + cfg.modelName() + " has no LayerNorm, so there is no scale");
        }
        int l = layer(layer, mlpInput);
        Tensor scale = l == cfg.nLayers() ? cache.get("ln_final.hook_scale")
                : cache.get("blocks." + l + (mlpInput ? ".ln2" : ".ln1") + ".hook_scale");
        if (scale.rank() != 3) {
            throw new IllegalArgumentException("LayerNorm scale " + Shapes.str(scale.shape()) + " of layer " + l
                    + " is per head (use_split_qkv_input or use_attn_in); it cannot scale a residual stack");
        }
        return scale;
    }

    // ------------------------------------------------------------------ helpers

    /**
     * The residual stream a decomposition up to {@code layer} adds up to.
     *
     * @param layer in {@code [0, n_layers]}, or -1 for {@code n_layers}
     * @param mlpInput the input of block {@code layer}'s MLP
     * @return {@code [batch, pos, d_model]}: {@code resid_pre}, {@code resid_mid}, or the final {@code resid_post}
     */
    public Tensor residInput(int layer, boolean mlpInput) {
        int l = layer(layer, mlpInput);
        if (mlpInput) {
            return cache.get("resid_mid", l);
        }
        return l == cfg.nLayers() ? cache.get("resid_post", cfg.nLayers() - 1) : cache.get("resid_pre", l);
    }

    private int layer(int layer, boolean mlpInput) {
        int l = layer == -1 ? cfg.nLayers() : layer;
        if (l < 0 || l > cfg.nLayers()) {
            throw new IllegalArgumentException("layer " + layer + " is outside [0, " + cfg.nLayers() + "] (or -1 for the final residual stream)");
        }
        if (mlpInput) {
            requireMlp("mlpInput");
            if (l == cfg.nLayers()) {
                throw new IllegalArgumentException("mlpInput needs a block below n_layers " + cfg.nLayers() + ", got layer " + layer);
            }
        }
        return l;
    }

    /**
     * In a parallel block the MLP reads the block's input (resid_pre, through ln2), not the stream after
     * attention: a decomposition of "the MLP's input" that adds the block's own attention output, as
     * TransformerLens 2.18 builds it, would not add up to what the MLP reads, so it is refused.
     */
    private void requireSeparateMlpInput(boolean mlpInput, String what) {
        if (mlpInput && cfg.parallelAttnMlp()) {
            throw new IllegalArgumentException(what + ": mlpInput decomposes resid_mid, the input of the MLP after attention, but model "
                    + cfg.modelName() + " runs attention and MLP in parallel (parallel_attn_mlp): its MLP reads resid_pre; "
                    + "decompose block L's input with mlpInput false and scale it with applyLnToStack(stack, L, true), ln2's scale");
        }
    }

    private int checkBlock(int layer) {
        if (layer < 0 || layer >= cfg.nLayers()) {
            throw new IllegalArgumentException("block " + layer + " is outside [0, " + cfg.nLayers() + ")");
        }
        return layer;
    }

    private void requireMlp(String what) {
        if (cfg.attnOnly()) {
            throw new IllegalArgumentException(what + " needs MLPs, but model " + cfg.modelName() + " is attention-only");
        }
    }

    private void addEmbeds(List<Tensor> parts, List<String> labels) {
        if (cache.contains("hook_embed")) {
            parts.add(cache.get("hook_embed"));
            labels.add("embed");
        }
        if (cache.contains("hook_pos_embed")) {
            parts.add(cache.get("hook_pos_embed"));
            labels.add("pos_embed");
        }
    }

    private ComponentStack stackOf(List<Tensor> parts, List<String> labels) {
        if (parts.isEmpty()) {
            return new ComponentStack(emptyStack(), labels);
        }
        return new ComponentStack(Tensor.stack(0, parts.toArray(Tensor[]::new)), labels);
    }

    /** Stacks along dimension 0 that already have it, or an empty stack. */
    private Tensor concatOrEmpty(List<Tensor> parts) {
        return parts.isEmpty() ? emptyStack() : Tensor.concat(0, parts.toArray(Tensor[]::new));
    }

    private Tensor emptyStack() {
        int[] s = anyResidual().shape();
        return Tensor.zeros(0, s[0], s[1], s[2]);
    }

    private Tensor anyResidual() {
        if (cache.contains("hook_embed")) {
            return cache.get("hook_embed");
        }
        return cache.get("resid_pre", 0);
    }

    private static ComponentStack withRemainder(Tensor stack, List<String> labels, boolean inclRemainder, Tensor target) {
        if (!inclRemainder) {
            return new ComponentStack(stack, labels);
        }
        Tensor remainder = stack.dim(0) == 0 ? target.copy() : target.sub(stack.sum(0, false));
        List<String> all = new ArrayList<>(labels);
        all.add("remainder");
        return new ComponentStack(Tensor.concat(0, stack, remainder.unsqueeze(0)), all);
    }
}
