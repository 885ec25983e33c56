package dev.lens4j.transformer;

import dev.lens4j.hooks.HookSpec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * How to run one forward pass: which layers, which hooks, what to cache, the attention mask of a
 * padded batch and the KV cache of a generation. Immutable; build with {@link #builder()}.
 *
 * <pre>{@code
 * ForwardOptions o = ForwardOptions.builder()
 *         .stopAtLayer(4)                                  // return blocks.4's input residual stream
 *         .hooks(HookSpec.of("blocks.1.attn.hook_z", ablate))
 *         .cache(name -> name.endsWith("hook_pattern"))
 *         .build();
 * ForwardResult r = model.run(tokens, o);                  // r.output(): [batch, pos, d_model]
 * }</pre>
 *
 * @param startAtLayer the first block to run; above 0 the input is a residual stream
 *                     ({@link HookedTransformer#runFromResidual}); negative counts from the end
 * @param stopAtLayer run blocks before this one and return the residual stream (TransformerLens's
 *                    {@code stop_at_layer}), or null to run every block and return logits; negative
 *                    counts from the end
 * @param attentionMask {@code [batch][key_pos]}, 1 for a real token and 0 for padding, or null; with a
 *                      KV cache it covers the cached positions too
 * @param hooks hooks of this pass only, fired after the model's own hooks
 * @param cacheFilter the hook point names to record in the result's cache, or null for no cache
 * @param kvCache keys and values of earlier positions, extended by this pass, or null
 * @param backward a metric of the logits to differentiate after the forward pass (then the backward
 *                 hooks run, and the cache records {@code <name>_grad} beside each activation), or null
 * @param weightGradients whether the backward pass also computes the weights' gradients
 * @param reproducible whether to compute with {@link dev.lens4j.tensor.kernel.KernelProvider#reproducible()}'s
 *                     kernels and functions: the same bits on every CPU, JVM and thread count
 *                     (every product is a fixed-order chain in either mode; what changes is the order of
 *                     the other sums and the transcendental functions), at the cost of the SIMD kernels
 * @param packedWeights which of the model's weight matrices may be multiplied from copies packed once into
 *                      the GEMM's panel layout ({@link Builder#packedWeights}; the same bits either way)
 * @param logitPositions {@code [batch][k]}: the only positions of each sequence whose logits are computed
 *                       ({@link Builder#logitPositions}; the others are NaN), or null for every position
 */
public record ForwardOptions(int startAtLayer, Integer stopAtLayer, int[][] attentionMask, List<HookSpec> hooks,
                             Predicate<String> cacheFilter, KvCache kvCache, LogitMetric backward, boolean weightGradients,
                             boolean reproducible, WeightPacking packedWeights, int[][] logitPositions) {

    private static final ForwardOptions DEFAULTS = new ForwardOptions(0, null, null, List.of(), null, null, null, false, false,
            WeightPacking.AUTO, null);

    /**
     * Copies the hook list and checks that weight gradients and backward hooks come with a metric and packing is
     * named.
     */
    public ForwardOptions {
        hooks = List.copyOf(hooks);
        if (packedWeights == null) {
            throw new IllegalArgumentException("packedWeights is null; use WeightPacking.NONE to multiply the weights as they are");
        }
        if (weightGradients && backward == null) {
            throw new IllegalArgumentException("weightGradients needs a metric to differentiate: set backward(metric)");
        }
        if (backward == null) {
            for (HookSpec h : hooks) {
                if (h.isBackward()) {
                    String on = h.name() != null ? "on " + h.name() : "on a name filter";
                    throw new IllegalArgumentException("the backward hook " + on + " would never run: this pass has no metric to "
                            + "differentiate; set backward(metric), or add the hook to the model (hooks().addBackward) for "
                            + "later backward passes");
                }
            }
        }
        if (logitPositions != null) {
            int[][] copy = new int[logitPositions.length][];
            for (int b = 0; b < copy.length; b++) {
                if (logitPositions[b] == null) {
                    throw new IllegalArgumentException("logitPositions[" + b + "] is null; give each sequence its positions (may be empty)");
                }
                copy[b] = logitPositions[b].clone();
            }
            logitPositions = copy;
        }
    }

    /**
     * Options that compute the logits at every position.
     *
     * @param startAtLayer see the record
     * @param stopAtLayer see the record
     * @param attentionMask see the record
     * @param hooks see the record
     * @param cacheFilter see the record
     * @param kvCache see the record
     * @param backward see the record
     * @param weightGradients see the record
     * @param reproducible see the record
     * @param packedWeights see the record
     */
    public ForwardOptions(int startAtLayer, Integer stopAtLayer, int[][] attentionMask, List<HookSpec> hooks,
                          Predicate<String> cacheFilter, KvCache kvCache, LogitMetric backward, boolean weightGradients,
                          boolean reproducible, WeightPacking packedWeights) {
        this(startAtLayer, stopAtLayer, attentionMask, hooks, cacheFilter, kvCache, backward, weightGradients, reproducible,
                packedWeights, null);
    }

    /**
     * Options with the default weight packing ({@link WeightPacking#AUTO}).
     *
     * @param startAtLayer see the record
     * @param stopAtLayer see the record
     * @param attentionMask see the record
     * @param hooks see the record
     * @param cacheFilter see the record
     * @param kvCache see the record
     * @param backward see the record
     * @param weightGradients see the record
     * @param reproducible see the record
     */
    public ForwardOptions(int startAtLayer, Integer stopAtLayer, int[][] attentionMask, List<HookSpec> hooks,
                          Predicate<String> cacheFilter, KvCache kvCache, LogitMetric backward, boolean weightGradients,
                          boolean reproducible) {
        this(startAtLayer, stopAtLayer, attentionMask, hooks, cacheFilter, kvCache, backward, weightGradients, reproducible, WeightPacking.AUTO,
                null);
    }

    /**
     * Options without a backward pass.
     *
     * @param startAtLayer see the record
     * @param stopAtLayer see the record
     * @param attentionMask see the record
     * @param hooks see the record
     * @param cacheFilter see the record
     * @param kvCache see the record
     */
    public ForwardOptions(int startAtLayer, Integer stopAtLayer, int[][] attentionMask, List<HookSpec> hooks,
                          Predicate<String> cacheFilter, KvCache kvCache) {
        this(startAtLayer, stopAtLayer, attentionMask, hooks, cacheFilter, kvCache, null, false, false, WeightPacking.AUTO, null);
    }

    /**
     * Returns options for a plain forward pass: all layers, no hooks, no cache, no mask.
     *
     * @return options for a plain forward pass: all layers, no hooks, no cache, no mask
     */
    public static ForwardOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Returns a builder starting from the defaults.
     *
     * @return a builder starting from the defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a builder starting from these options.
     *
     * @return a builder starting from these options
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.startAtLayer = startAtLayer;
        b.stopAtLayer = stopAtLayer;
        b.attentionMask = attentionMask;
        b.hooks.addAll(hooks);
        b.cacheFilter = cacheFilter;
        b.kvCache = kvCache;
        b.backward = backward;
        b.weightGradients = weightGradients;
        b.reproducible = reproducible;
        b.packedWeights = packedWeights;
        b.logitPositions = logitPositions;
        return b;
    }

    @Override
    public String toString() {
        return "ForwardOptions[start=" + startAtLayer + ", stop=" + stopAtLayer + ", mask=" + (attentionMask != null)
                + ", hooks=" + hooks.size() + ", cache=" + (cacheFilter != null) + ", kvCache=" + (kvCache != null)
                + (backward != null ? ", backward=" + backward + (weightGradients ? " with weight gradients" : "") : "")
                + (reproducible ? ", reproducible" : "") + (packedWeights == WeightPacking.AUTO ? "" : ", packed weights " + packedWeights)
                + (logitPositions != null ? ", logits at chosen positions" : "") + "]";
    }

    /** Builds {@link ForwardOptions}. */
    public static final class Builder {
        private int startAtLayer;
        private Integer stopAtLayer;
        private int[][] attentionMask;
        private final List<HookSpec> hooks = new ArrayList<>();
        private Predicate<String> cacheFilter;
        private KvCache kvCache;
        private LogitMetric backward;
        private boolean weightGradients;
        private boolean reproducible;
        private WeightPacking packedWeights = WeightPacking.AUTO;
        private int[][] logitPositions;

        private Builder() {}

        /**
         * Returns this builder.
         *
         * @param layer the first block to run (the input is then the residual stream before it, so the
         *              embedding hooks and {@code hook_tokens} do not fire)
         * @return this builder
         */
        public Builder startAtLayer(int layer) {
            this.startAtLayer = layer;
            return this;
        }

        /**
         * Returns this builder.
         *
         * @param layer run only the blocks before this one and return the residual stream
         *              {@code [batch, pos, d_model]} that would enter it
         * @return this builder
         */
        public Builder stopAtLayer(int layer) {
            this.stopAtLayer = layer;
            return this;
        }

        /**
         * Returns this builder.
         *
         * @param mask {@code [batch][key_pos]}, 1 for a real token, 0 for padding (left or right)
         * @return this builder
         */
        public Builder attentionMask(int[][] mask) {
            this.attentionMask = mask;
            return this;
        }

        /**
         * Returns this builder.
         *
         * @param specs hooks for this pass, added after any given before
         * @return this builder
         * @throws IllegalArgumentException if {@code specs} or one of them is null (naming which)
         */
        public Builder hooks(HookSpec... specs) {
            if (specs == null) {
                throw new IllegalArgumentException("the hook specs are null; pass none, or HookSpec.of(name, hook)");
            }
            return hooks(Arrays.asList(specs));
        }

        /**
         * Returns this builder.
         *
         * @param specs hooks for this pass, added after any given before
         * @return this builder
         * @throws IllegalArgumentException if {@code specs} or one of them is null (naming which)
         */
        public Builder hooks(List<HookSpec> specs) {
            if (specs == null) {
                throw new IllegalArgumentException("the list of hook specs is null; pass an empty list for none");
            }
            for (int i = 0; i < specs.size(); i++) {
                if (specs.get(i) == null) {
                    throw new IllegalArgumentException("hook spec " + i + " of " + specs.size() + " is null; "
                            + "make one with HookSpec.of(name, hook) or HookSpec.matching(filter, hook)");
                }
            }
            hooks.addAll(specs);
            return this;
        }

        /**
         * Returns this builder.
         *
         * @param namesFilter accepts the hook point names to cache ({@code n -> true} for all)
         * @return this builder
         */
        public Builder cache(Predicate<String> namesFilter) {
            this.cacheFilter = namesFilter;
            return this;
        }

        /**
         * Returns this builder.
         *
         * @param cache the KV cache to read earlier positions from and append this pass's keys and values to
         * @return this builder
         */
        public Builder kvCache(KvCache cache) {
            this.kvCache = cache;
            return this;
        }

        /**
         * Differentiates a metric of the logits after the forward pass (TransformerLens's
         * {@code run_with_cache(incl_bwd=True)}, and {@code loss.backward()} with backward hooks):
         * backward hooks run on each gradient, the cache (when asked for) records
         * {@code <name>_grad} for its names, and {@link ForwardResult#metric()} holds the value.
         *
         * @param metric the scalar to differentiate, e.g. {@link LogitMetric#meanLoss}
         * @return this builder
         */
        public Builder backward(LogitMetric metric) {
            this.backward = metric;
            return this;
        }

        /**
         * Also computes the gradients of the metric with respect to every weight
         * ({@link ForwardResult#weightGradients()}); the weights must be on the heap.
         *
         * @param on whether to
         * @return this builder
         */
        public Builder weightGradients(boolean on) {
            this.weightGradients = on;
            return this;
        }

        /**
         * Computes so that the results are the same bits on every CPU, JVM and thread count: kernels
         * that sum in a fixed order and compute exp and tanh from IEEE float arithmetic
         * ({@link dev.lens4j.tensor.kernel.ReproducibleKernels}), {@link StrictMath}'s log, sin and cos. Off by default: the SIMD
         * kernels are faster and agree to float32 round-off. The trainer turns it on, so that a model
         * trained from a seed is the same file everywhere.
         *
         * @param on whether to
         * @return this builder
         */
        public Builder reproducible(boolean on) {
            this.reproducible = on;
            return this;
        }

        /**
         * Which of the model's weight matrices the pass may multiply from copies packed once into the
         * GEMM's panel layout ({@link WeightPacking#AUTO} by default). A model packs a matrix the first
         * time a pass of more than 4 positions needs it (a mapped 16-bit matrix: any pass) and keeps the copy
         * ({@link HookedTransformer#packedWeightBytes()}); it packs again a matrix written through
         * {@link HookedTransformer#weights()} since ({@code set}, {@code copyFrom}), and never again one whose
         * raw array was handed out ({@code heapArray()}, {@code heapStorage()}, {@code asMatrix()}: the
         * trainer's weights, for example). Memory in writable segments is never packed. The results are the
         * same bits whichever is chosen: the packed panels hold what per-call packing gives.
         *
         * @param packing which matrices; {@link WeightPacking#NONE} packs per product, as before (for
         *                measurements, or to keep memory down)
         * @return this builder
         */
        public Builder packedWeights(WeightPacking packing) {
            this.packedWeights = packing;
            return this;
        }

        /**
         * Computes the logits only at these positions of each sequence; the other positions' logits are
         * NaN. For passes whose logits feed only a metric that reads a few positions (a logit difference
         * at the last position: {@link LogitMetric#positionsRead} says which): the final norm and its
         * hooks still run at every position, the unembedding, about a fifth of a GPT-2-small pass at 128
         * positions, only for these rows, and a backward pass skips the rows whose gradient is zero. The
         * logits computed are the same bits as in a pass without this option, and so are the metric and
         * every gradient when the metric reads only these positions.
         *
         * <pre>{@code
         * LogitMetric diff = LogitMetric.logitDifference(new int[] {pos - 1}, new int[] {right}, new int[] {wrong});
         * ForwardResult r = model.run(tokens, ForwardOptions.builder().backward(diff)
         *         .logitPositions(diff.positionsRead(1, pos)).build());
         * }</pre>
         *
         * @param positions {@code [batch][k]} positions in {@code [0, pos)} of the pass, any order, repeats
         *                  allowed; null (the default) for every position
         * @return this builder
         */
        public Builder logitPositions(int[][] positions) {
            this.logitPositions = positions;
            return this;
        }

        /**
         * Returns the options.
         *
         * @return the options
         */
        public ForwardOptions build() {
            return new ForwardOptions(startAtLayer, stopAtLayer, attentionMask, hooks, cacheFilter, kvCache, backward,
                    weightGradients, reproducible, packedWeights, logitPositions);
        }
    }
}
