package dev.lens4j.transformer;

import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * All parameters of a transformer in TransformerLens layout (right-multiplying: {@code x @ W}),
 * under TransformerLens state-dict names. Tensors may be heap arrays or zero-copy views of a
 * memory-mapped checkpoint. Immutable: {@link #with} and {@link #builder} make new weights that share
 * the tensors they do not replace.
 *
 * <p>Which parameters a config has, and their shapes, is decided in one place, {@link #shapes}:
 * <pre>
 *   embed.W_E            [d_vocab, d_model]
 *   pos_embed.W_pos      [n_ctx, d_model]                       learned positions only
 *   blocks.L.ln1.w, .b   [d_model]                              w: LN and RMS; b: LN only
 *   blocks.L.ln1_post.w  [d_model]                              use_normalization_before_and_after
 *   blocks.L.attn.W_Q    [n_heads, d_model, d_head]
 *   blocks.L.attn.W_K    [n_heads, d_model, d_head]             _W_K [n_key_value_heads, ...] when grouped
 *   blocks.L.attn.W_V    [n_heads, d_model, d_head]             _W_V likewise
 *   blocks.L.attn.W_O    [n_heads, d_head, d_model]
 *   blocks.L.attn.b_Q    [n_heads, d_head]                      b_K, b_V (_b_K, _b_V when grouped)
 *   blocks.L.attn.b_O    [d_model]
 *   blocks.L.attn.q_norm.w, k_norm.w [d_head]                   use_qk_norm
 *   blocks.L.ln2.w, .b, ln2_post.w                              as ln1, for models with MLPs
 *   blocks.L.mlp.W_in    [d_model, d_mlp]                       W_gate likewise for gated MLPs
 *   blocks.L.mlp.b_in    [d_mlp]
 *   blocks.L.mlp.W_out   [d_mlp, d_model]
 *   blocks.L.mlp.b_out   [d_model]
 *   ln_final.w, .b       [d_model]
 *   unembed.W_U          [d_model, d_vocab_out]
 *   unembed.b_U          [d_vocab_out]
 * </pre>
 */
public final class TransformerWeights {

    private final TransformerConfig cfg;
    private final Map<String, Tensor> params;     // name -> tensor, in shapes(cfg) order
    private final List<Layer> layers;

    private TransformerWeights(TransformerConfig cfg, Map<String, Tensor> params) {
        this.cfg = cfg;
        this.params = Collections.unmodifiableMap(params);
        List<Layer> ls = new ArrayList<>(cfg.nLayers());
        for (int l = 0; l < cfg.nLayers(); l++) {
            ls.add(new Layer(l));
        }
        this.layers = List.copyOf(ls);
    }

    // ------------------------------------------------------------------ the one place names and shapes are decided

    /**
     * The parameters a config needs, with their shapes, in model order.
     *
     * @param cfg the config
     * @return TransformerLens state-dict name to shape
     */
    public static Map<String, int[]> shapes(TransformerConfig cfg) {
        int d = cfg.dModel(), h = cfg.nHeads(), kv = cfg.nKvHeads(), dh = cfg.dHead();
        Normalization norm = cfg.normalization();
        String g = cfg.groupedQueryAttention() ? "_" : "";
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put("embed.W_E", new int[] {cfg.dVocab(), d});
        if (cfg.positionalEmbedding() == PositionalEmbedding.STANDARD) {
            m.put("pos_embed.W_pos", new int[] {cfg.nCtx(), d});
        }
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "blocks." + l + ".";
            normShapes(m, p + "ln1", norm, d);
            if (cfg.useNormalizationBeforeAndAfter()) {
                normShapes(m, p + "ln1_post", postNorm(norm), d);
            }
            m.put(p + "attn.W_Q", new int[] {h, d, dh});
            m.put(p + "attn." + g + "W_K", new int[] {kv, d, dh});
            m.put(p + "attn." + g + "W_V", new int[] {kv, d, dh});
            m.put(p + "attn.W_O", new int[] {h, dh, d});
            m.put(p + "attn.b_Q", new int[] {h, dh});
            m.put(p + "attn." + g + "b_K", new int[] {kv, dh});
            m.put(p + "attn." + g + "b_V", new int[] {kv, dh});
            m.put(p + "attn.b_O", new int[] {d});
            if (cfg.useQkNorm()) {
                m.put(p + "attn.q_norm.w", new int[] {dh});
                m.put(p + "attn.k_norm.w", new int[] {dh});
            }
            if (!cfg.attnOnly()) {
                normShapes(m, p + "ln2", norm, d);
                if (cfg.useNormalizationBeforeAndAfter()) {
                    normShapes(m, p + "ln2_post", postNorm(norm), d);
                }
                m.put(p + "mlp.W_in", new int[] {d, cfg.dMlp()});
                if (cfg.gatedMlp()) {
                    m.put(p + "mlp.W_gate", new int[] {d, cfg.dMlp()});
                }
                m.put(p + "mlp.b_in", new int[] {cfg.dMlp()});
                m.put(p + "mlp.W_out", new int[] {cfg.dMlp(), d});
                m.put(p + "mlp.b_out", new int[] {d});
            }
        }
        normShapes(m, "ln_final", norm, d);
        m.put("unembed.W_U", new int[] {d, cfg.dVocabOut()});
        m.put("unembed.b_U", new int[] {cfg.dVocabOut()});
        return m;
    }

    /**
     * The norm after attention and after the MLP (Gemma 2's {@code ln1_post}, {@code ln2_post}): never
     * folded, so a weighted norm even in a processed model, as in TransformerLens.
     *
     * @param norm the model's normalisation
     * @return the normalisation of the post norms
     */
    public static Normalization postNorm(Normalization norm) {
        return switch (norm) {
            case LN, LN_PRE -> Normalization.LN;
            case RMS, RMS_PRE -> Normalization.RMS;
            case NONE -> Normalization.NONE;
        };
    }

    private static void normShapes(Map<String, int[]> m, String prefix, Normalization norm, int d) {
        if (norm.hasWeight()) {
            m.put(prefix + ".w", new int[] {d});
        }
        if (norm == Normalization.LN) {
            m.put(prefix + ".b", new int[] {d});
        }
    }

    // ------------------------------------------------------------------ construction

    /**
     * Weights from TransformerLens state-dict names, checking every name and shape against the
     * config. {@code unembed.b_U} and attention/MLP biases may be absent (zeros, as in models without
     * biases); every other parameter must be there, and no other name may be.
     *
     * @param cfg the config
     * @param sd name to tensor
     * @param source where the tensors came from (a file), for error messages
     * @return the weights
     * @throws IllegalArgumentException naming the source and the missing, mis-shaped or unexpected tensors
     */
    public static TransformerWeights fromStateDict(TransformerConfig cfg, Map<String, Tensor> sd, String source) {
        Map<String, int[]> shapes = shapes(cfg);
        List<String> extra = new ArrayList<>();
        for (String name : sd.keySet()) {
            if (!shapes.containsKey(name)) {
                extra.add(name);
            }
        }
        if (!extra.isEmpty()) {
            throw new IllegalArgumentException(source + ": " + abbreviate(extra) + (extra.size() == 1 ? " is not a parameter" : " are not parameters")
                    + " of this config (" + describe(cfg) + ")");
        }
        List<String> missing = new ArrayList<>();
        Map<String, Tensor> params = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            String name = e.getKey();
            Tensor t = sd.get(name);
            if (t == null) {
                if (isOptionalBias(name)) {
                    t = Tensor.zeros(e.getValue());
                } else {
                    missing.add(name);
                    continue;
                }
            }
            params.put(name, t.requireShape(source + ": tensor '" + name + "'", e.getValue()));
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(source + ": missing tensor" + (missing.size() == 1 ? " '" + missing.get(0) + "'"
                    : "s " + abbreviate(missing)) + " (" + describe(cfg) + ")");
        }
        return new TransformerWeights(cfg, params);
    }

    /**
     * Whether a parameter is a bias that models without biases leave out (zeros then).
     *
     * @param name a TransformerLens parameter name
     * @return true for {@code b_Q}, {@code b_K}, {@code b_V}, {@code b_O}, {@code b_in}, {@code b_out}, {@code b_U}
     */
    public static boolean isOptionalBias(String name) {
        return name.endsWith(".b_Q") || name.endsWith("b_K") || name.endsWith("b_V") || name.endsWith(".b_O")
                || name.endsWith(".b_in") || name.endsWith(".b_out") || name.equals("unembed.b_U");
    }

    private static String describe(TransformerConfig c) {
        return "normalization_type " + c.normalization().tlName() + ", attn_only " + c.attnOnly() + ", positional_embedding_type "
                + c.positionalEmbedding().tlName() + (c.groupedQueryAttention() ? ", n_key_value_heads " + c.nKeyValueHeads() : "")
                + (c.gatedMlp() ? ", gated_mlp" : "") + (c.useNormalizationBeforeAndAfter() ? ", use_normalization_before_and_after" : "")
                + (c.useQkNorm() ? ", use_qk_norm" : "");
    }

    static String abbreviate(List<String> names) {
        return names.size() <= 8 ? names.toString() : names.subList(0, 8) + " and " + (names.size() - 8) + " more";
    }

    /**
     * Random weights, as TransformerLens's {@code HookedTransformer(cfg)} initialises a new model:
     * matrices normal with standard deviation {@code std}, biases zero, norm weights one.
     *
     * @param cfg the config
     * @param seed the random seed
     * @param std the standard deviation of the matrices (TransformerLens's gpt2 init uses 0.8 / sqrt(d_model))
     * @return the weights
     */
    public static TransformerWeights random(TransformerConfig cfg, long seed, double std) {
        SplittableRandom seeds = new SplittableRandom(seed);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : shapes(cfg).entrySet()) {
            String name = e.getKey();
            int[] shape = e.getValue();
            Tensor t;
            if (name.endsWith(".w")) {
                t = Tensor.ones(shape);
            } else if (name.endsWith(".b") || isOptionalBias(name)) {
                t = Tensor.zeros(shape);
            } else {
                t = Tensor.randn(seeds.nextLong(), shape).mul((float) std);
            }
            sd.put(name, t);
        }
        return new TransformerWeights(cfg, sd);
    }

    /**
     * A builder for weights of a config, starting from nothing.
     *
     * @param cfg the config
     * @return a builder
     */
    public static Builder builder(TransformerConfig cfg) {
        return new Builder(cfg, new LinkedHashMap<>());
    }

    /**
     * A builder starting from these weights (for the same or another config: names the other config
     * does not have must be removed before {@link Builder#build}).
     *
     * @param newConfig the config the built weights are for
     * @return a builder holding these weights' tensors
     */
    public Builder toBuilder(TransformerConfig newConfig) {
        return new Builder(newConfig, new LinkedHashMap<>(params));
    }

    /**
     * These weights with one parameter replaced.
     *
     * @param name a parameter name of the config
     * @param t the new tensor, of the parameter's shape
     * @return new weights sharing every other tensor
     * @throws IllegalArgumentException for an unknown name or a wrong shape
     */
    public TransformerWeights with(String name, Tensor t) {
        return toBuilder(cfg).put(name, t).build();
    }

    /** Collects parameters by name and checks them against the config when built. */
    public static final class Builder {
        private final TransformerConfig cfg;
        private final Map<String, Tensor> sd;

        private Builder(TransformerConfig cfg, Map<String, Tensor> sd) {
            this.cfg = cfg;
            this.sd = sd;
        }

        /**
         * Sets a parameter.
         *
         * @param name TransformerLens name, e.g. {@code "blocks.0.attn.W_Q"}
         * @param t the tensor
         * @return this builder
         */
        public Builder put(String name, Tensor t) {
            sd.put(name, t);
            return this;
        }

        /**
         * Removes a parameter (for example a LayerNorm weight that processing folded away).
         *
         * @param name TransformerLens name
         * @return this builder
         */
        public Builder remove(String name) {
            sd.remove(name);
            return this;
        }

        /**
         * Returns a parameter set so far.
         *
         * @param name TransformerLens name
         * @return the tensor, or null
         */
        public Tensor get(String name) {
            return sd.get(name);
        }

        /**
         * Checks every name and shape against the config.
         *
         * @return the weights
         * @throws IllegalArgumentException naming missing, mis-shaped or unexpected parameters
         */
        public TransformerWeights build() {
            return fromStateDict(cfg, sd, "weights of " + cfg.modelName());
        }
    }

    // ------------------------------------------------------------------ access

    /**
     * Returns the config these weights were checked against.
     *
     * @return the config
     */
    public TransformerConfig config() {
        return cfg;
    }

    /**
     * The weights under TransformerLens state-dict names, in model order.
     *
     * @return name to tensor (unmodifiable)
     */
    public Map<String, Tensor> stateDict() {
        return params;
    }

    /**
     * A parameter by TransformerLens name.
     *
     * @param name e.g. {@code "blocks.0.attn.W_Q"}
     * @return the tensor
     * @throws IllegalArgumentException if the config has no such parameter
     */
    public Tensor get(String name) {
        Tensor t = params.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no parameter named '" + name + "' (" + describe(cfg) + ")");
        }
        return t;
    }

    private Tensor getOrNull(String name) {
        return params.get(name);
    }

    /**
     * Returns {@code [d_vocab, d_model]} token embedding.
     *
     * @return {@code [d_vocab, d_model]} token embedding
     */
    public Tensor wE() {
        return get("embed.W_E");
    }

    /**
     * Returns {@code [n_ctx, d_model]} learned positional embedding, or null for rotary or no positions.
     *
     * @return {@code [n_ctx, d_model]} learned positional embedding, or null for rotary or no positions
     */
    public Tensor wPos() {
        return getOrNull("pos_embed.W_pos");
    }

    /**
     * Returns one entry per block.
     *
     * @return one entry per block
     */
    public List<Layer> layers() {
        return layers;
    }

    /**
     * Returns {@code [d_model]} final norm weight, or null (no norm, or folded).
     *
     * @return {@code [d_model]} final norm weight, or null (no norm, or folded)
     */
    public Tensor lnFinalW() {
        return getOrNull("ln_final.w");
    }

    /**
     * Returns {@code [d_model]} final LayerNorm bias, or null.
     *
     * @return {@code [d_model]} final LayerNorm bias, or null
     */
    public Tensor lnFinalB() {
        return getOrNull("ln_final.b");
    }

    /**
     * Returns {@code [d_model, d_vocab_out]} unembedding.
     *
     * @return {@code [d_model, d_vocab_out]} unembedding
     */
    public Tensor wU() {
        return get("unembed.W_U");
    }

    /**
     * Returns {@code [d_vocab_out]} unembedding bias.
     *
     * @return {@code [d_vocab_out]} unembedding bias
     */
    public Tensor bU() {
        return get("unembed.b_U");
    }

    /**
     * The parameters of one block, read from the state dict. With grouped-query attention,
     * {@link #wK()}, {@link #wV()}, {@link #bK()} and {@link #bV()} give one key/value head per query
     * head, as TransformerLens's {@code W_K} does (a copy, heads repeated in groups); the stored
     * {@code _W_K} etc. are {@link #groupedWK()} and friends.
     */
    public final class Layer {
        private final String p;
        private final int index;

        private Layer(int index) {
            this.index = index;
            this.p = "blocks." + index + ".";
        }

        /**
         * Returns the block index.
         *
         * @return the block index
         */
        public int index() {
            return index;
        }

        /**
         * Returns {@code [d_model]} ln1 weight, or null.
         *
         * @return {@code [d_model]} ln1 weight, or null
         */
        public Tensor ln1W() {
            return getOrNull(p + "ln1.w");
        }

        /**
         * Returns {@code [d_model]} ln1 bias, or null.
         *
         * @return {@code [d_model]} ln1 bias, or null
         */
        public Tensor ln1B() {
            return getOrNull(p + "ln1.b");
        }

        /**
         * Returns {@code [d_model]} the norm after attention ({@code ln1_post.w}), or null.
         *
         * @return {@code [d_model]} the norm after attention ({@code ln1_post.w}), or null
         */
        public Tensor ln1PostW() {
            return getOrNull(p + "ln1_post.w");
        }

        /**
         * Returns {@code [d_model]} ln1_post bias (LayerNorm post norms only), or null.
         *
         * @return {@code [d_model]} ln1_post bias (LayerNorm post norms only), or null
         */
        public Tensor ln1PostB() {
            return getOrNull(p + "ln1_post.b");
        }

        /**
         * Returns {@code [n_heads, d_model, d_head]}.
         *
         * @return {@code [n_heads, d_model, d_head]}
         */
        public Tensor wQ() {
            return get(p + "attn.W_Q");
        }

        /**
         * Returns {@code [n_heads, d_model, d_head]}: one key head per query head (repeated in groups when grouped).
         *
         * @return {@code [n_heads, d_model, d_head]}: one key head per query head (repeated in groups when grouped)
         */
        public Tensor wK() {
            return perQueryHead(groupedWK());
        }

        /**
         * Returns {@code [n_heads, d_model, d_head]}: one value head per query head (repeated in groups when grouped).
         *
         * @return {@code [n_heads, d_model, d_head]}: one value head per query head (repeated in groups when grouped)
         */
        public Tensor wV() {
            return perQueryHead(groupedWV());
        }

        /**
         * Returns {@code [n_key_value_heads, d_model, d_head]}: the key weights as stored.
         *
         * @return {@code [n_key_value_heads, d_model, d_head]}: the key weights as stored
         */
        public Tensor groupedWK() {
            return get(p + "attn." + grouped() + "W_K");
        }

        /**
         * Returns {@code [n_key_value_heads, d_model, d_head]}: the value weights as stored.
         *
         * @return {@code [n_key_value_heads, d_model, d_head]}: the value weights as stored
         */
        public Tensor groupedWV() {
            return get(p + "attn." + grouped() + "W_V");
        }

        /**
         * Returns {@code [n_heads, d_head, d_model]}.
         *
         * @return {@code [n_heads, d_head, d_model]}
         */
        public Tensor wO() {
            return get(p + "attn.W_O");
        }

        /**
         * Returns {@code [n_heads, d_head]}.
         *
         * @return {@code [n_heads, d_head]}
         */
        public Tensor bQ() {
            return get(p + "attn.b_Q");
        }

        /**
         * Returns {@code [n_heads, d_head]} (repeated in groups when grouped).
         *
         * @return {@code [n_heads, d_head]} (repeated in groups when grouped)
         */
        public Tensor bK() {
            return perQueryHead(groupedBK());
        }

        /**
         * Returns {@code [n_heads, d_head]} (repeated in groups when grouped).
         *
         * @return {@code [n_heads, d_head]} (repeated in groups when grouped)
         */
        public Tensor bV() {
            return perQueryHead(groupedBV());
        }

        /**
         * Returns {@code [n_key_value_heads, d_head]} as stored.
         *
         * @return {@code [n_key_value_heads, d_head]} as stored
         */
        public Tensor groupedBK() {
            return get(p + "attn." + grouped() + "b_K");
        }

        /**
         * Returns {@code [n_key_value_heads, d_head]} as stored.
         *
         * @return {@code [n_key_value_heads, d_head]} as stored
         */
        public Tensor groupedBV() {
            return get(p + "attn." + grouped() + "b_V");
        }

        /**
         * Returns {@code [d_model]}.
         *
         * @return {@code [d_model]}
         */
        public Tensor bO() {
            return get(p + "attn.b_O");
        }

        /**
         * Returns {@code [d_head]} the per-head query RMS norm weight, or null.
         *
         * @return {@code [d_head]} the per-head query RMS norm weight, or null
         */
        public Tensor qNormW() {
            return getOrNull(p + "attn.q_norm.w");
        }

        /**
         * Returns {@code [d_head]} the per-head key RMS norm weight, or null.
         *
         * @return {@code [d_head]} the per-head key RMS norm weight, or null
         */
        public Tensor kNormW() {
            return getOrNull(p + "attn.k_norm.w");
        }

        /**
         * Returns {@code [d_model]} ln2 weight, or null.
         *
         * @return {@code [d_model]} ln2 weight, or null
         */
        public Tensor ln2W() {
            return getOrNull(p + "ln2.w");
        }

        /**
         * Returns {@code [d_model]} ln2 bias, or null.
         *
         * @return {@code [d_model]} ln2 bias, or null
         */
        public Tensor ln2B() {
            return getOrNull(p + "ln2.b");
        }

        /**
         * Returns {@code [d_model]} the norm after the MLP ({@code ln2_post.w}), or null.
         *
         * @return {@code [d_model]} the norm after the MLP ({@code ln2_post.w}), or null
         */
        public Tensor ln2PostW() {
            return getOrNull(p + "ln2_post.w");
        }

        /**
         * Returns {@code [d_model]} ln2_post bias, or null.
         *
         * @return {@code [d_model]} ln2_post bias, or null
         */
        public Tensor ln2PostB() {
            return getOrNull(p + "ln2_post.b");
        }

        /**
         * Returns {@code [d_model, d_mlp]} or null (attention-only).
         *
         * @return {@code [d_model, d_mlp]} or null (attention-only)
         */
        public Tensor wIn() {
            return getOrNull(p + "mlp.W_in");
        }

        /**
         * Returns {@code [d_model, d_mlp]} the gate of a gated MLP, or null.
         *
         * @return {@code [d_model, d_mlp]} the gate of a gated MLP, or null
         */
        public Tensor wGate() {
            return getOrNull(p + "mlp.W_gate");
        }

        /**
         * Returns {@code [d_mlp]} or null.
         *
         * @return {@code [d_mlp]} or null
         */
        public Tensor bIn() {
            return getOrNull(p + "mlp.b_in");
        }

        /**
         * Returns {@code [d_mlp, d_model]} or null.
         *
         * @return {@code [d_mlp, d_model]} or null
         */
        public Tensor wOut() {
            return getOrNull(p + "mlp.W_out");
        }

        /**
         * Returns {@code [d_model]} or null.
         *
         * @return {@code [d_model]} or null
         */
        public Tensor bOut() {
            return getOrNull(p + "mlp.b_out");
        }

        private String grouped() {
            return cfg.groupedQueryAttention() ? "_" : "";
        }

        /** Repeats key/value heads so that query head h sees key/value head h / (n_heads / n_key_value_heads). */
        private Tensor perQueryHead(Tensor t) {
            if (!cfg.groupedQueryAttention()) {
                return t;
            }
            int group = cfg.nHeads() / cfg.nKvHeads();
            int[] idx = new int[cfg.nHeads()];
            for (int h = 0; h < idx.length; h++) {
                idx[h] = h / group;
            }
            return t.indexSelect(0, idx);
        }

        @Override
        public String toString() {
            return "TransformerWeights.Layer[" + index + "]";
        }
    }

    @Override
    public String toString() {
        return "TransformerWeights[" + cfg.modelName() + ", " + params.size() + " tensors, " + ParameterCount.of(this) + "]";
    }

    /**
     * A readable list of names and shapes (for messages and {@code inspect}).
     *
     * @return one {@code name [shape]} per line
     */
    public String describeShapes() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            sb.append(e.getKey()).append(' ').append(Shapes.str(e.getValue().shape())).append('\n');
        }
        return sb.toString();
    }

    /**
     * Copies block {@code l}'s {@code W_Q}, {@code W_K} and {@code W_V} (grouped: {@code _W_K},
     * {@code _W_V}) into one {@code [d_model, (n_heads + 2 n_kv_heads) d_head]} heap matrix (Q | K | V
     * blocks, heads contiguous inside each: the layout of GPT-2's {@code c_attn}) and replaces them in
     * {@code sd} by views of it, so that the forward pass computes all three with one GEMM on these
     * weights as they are. Loaders that read one block at a time call this per block.
     *
     * @param cfg the config
     * @param l the block
     * @param sd a state dict holding block {@code l}'s attention weights; they are replaced
     */
    public static void fuseQkv(TransformerConfig cfg, int l, Map<String, Tensor> sd) {
        int d = cfg.dModel(), dh = cfg.dHead();
        String g = cfg.groupedQueryAttention() ? "_" : "";
        String p = "blocks." + l + ".attn.";
        String[] names = {p + "W_Q", p + g + "W_K", p + g + "W_V"};
        int[] heads = {cfg.nHeads(), cfg.nKvHeads(), cfg.nKvHeads()};
        Tensor f = Tensor.zeros(d, (heads[0] + 2 * heads[1]) * dh);
        int o = 0;
        for (int i = 0; i < 3; i++) {
            Tensor part = sd.get(names[i]);
            if (part == null) {
                throw new IllegalArgumentException("fuseQkv: block " + l + " has no " + names[i]);
            }
            Tensor view = f.slice(1, o, o + heads[i] * dh).view(d, heads[i], dh);
            view.copyFrom(part.permute(1, 0, 2));
            sd.put(names[i], view.permute(1, 0, 2));
            o += heads[i] * dh;
        }
    }
}
