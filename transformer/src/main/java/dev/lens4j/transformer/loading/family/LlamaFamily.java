package dev.lens4j.transformer.loading.family;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.Activation;
import dev.lens4j.transformer.AttentionType;
import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.PositionalEmbedding;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.loading.CheckpointFormatException;
import dev.lens4j.transformer.loading.HfConfig;
import dev.lens4j.transformer.loading.ModelFamily;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Llama ({@code LlamaForCausalLM}: Llama 2, Llama 3, 3.1, 3.2) and the base of the families built
 * like it (Mistral, Qwen2, Qwen3, Gemma, Phi-3): RMSNorm, rotary positions (halves) with Llama 3's
 * frequency scaling when {@code rope_scaling} says {@code llama3}, a gated MLP (SwiGLU),
 * grouped-query attention ({@code num_key_value_heads}), biases only where the config says
 * ({@code attention_bias}, {@code mlp_bias}), separate {@code q_proj}, {@code k_proj}, {@code v_proj}
 * Linear weights (views, no copy). As TransformerLens's {@code convert_llama_weights}. Subclasses
 * override the hooks below for what their family does differently.
 */
public class LlamaFamily extends ModelFamily {

    /** Creates the Llama adapter (the registry in {@link Families} holds the one in use). */
    public LlamaFamily() {
    }


    @Override
    public String name() {
        return "llama";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("llama");
    }

    @Override
    public String example() {
        return "meta-llama/Llama-3.2-1B";
    }

    @Override
    protected String basePrefix() {
        return "model.";
    }

    @Override
    protected String embeddingName() {
        return "embed_tokens.weight";
    }

    @Override
    protected boolean tiedByDefault() {
        return false;
    }

    /**
     * Returns the Hugging Face architecture this family's checkpoints are saved from.
     *
     * @return e.g. {@code "LlamaForCausalLM"}, recorded as the config's {@code original_architecture}
     */
    protected String architecture() {
        return "LlamaForCausalLM";
    }

    /**
     * Whether q_proj, k_proj, v_proj have biases.
     *
     * @param hf the config file
     * @return true when the checkpoint holds their biases
     * @throws CheckpointFormatException if a flag the answer reads is malformed
     */
    protected boolean qkvBias(HfConfig hf) throws CheckpointFormatException {
        return hf.bool("attention_bias", false);
    }

    /**
     * Whether o_proj has a bias.
     *
     * @param hf the config file
     * @return true when the checkpoint holds it
     * @throws CheckpointFormatException if a flag the answer reads is malformed
     */
    protected boolean oBias(HfConfig hf) throws CheckpointFormatException {
        return hf.bool("attention_bias", false);
    }

    /**
     * The activation of the gate.
     *
     * @param hf the config file
     * @return the activation
     * @throws CheckpointFormatException naming an activation lens4j does not implement
     */
    protected Activation activation(HfConfig hf) throws CheckpointFormatException {
        return activation(hf, "hidden_act", "silu");
    }

    /**
     * Each layer's attention type, or null when every layer is global. Llama has no local layers;
     * Mistral's {@code sliding_window} makes every layer local; Qwen2 and Qwen3 read
     * {@code layer_types}.
     *
     * @param hf the config file
     * @param nLayers the number of layers
     * @return each layer's type, or null when all are global
     * @throws CheckpointFormatException for a malformed or unsupported value (named)
     */
    protected List<AttentionType> attentionTypes(HfConfig hf, int nLayers) throws CheckpointFormatException {
        return null;
    }

    /**
     * The config's {@code layer_types}, or, without it, {@code use_sliding_window} with
     * {@code max_window_layers} (Qwen2's older form: layers from {@code max_window_layers} on slide).
     *
     * @param hf the config file
     * @param nLayers the number of layers
     * @return each layer's type, or null when all are global
     * @throws CheckpointFormatException for a malformed or unsupported value (named)
     */
    protected static List<AttentionType> qwenLayerTypes(HfConfig hf, int nLayers) throws CheckpointFormatException {
        List<AttentionType> types = hf.layerTypes(nLayers);
        if (types != null) {
            return types;
        }
        if (!hf.bool("use_sliding_window", false) || !hf.has("sliding_window")) {
            return null;
        }
        int from = hf.has("max_window_layers") ? hf.positiveInt("max_window_layers") : 0;
        List<AttentionType> out = new java.util.ArrayList<>();
        for (int l = 0; l < nLayers; l++) {
            out.add(l >= from ? AttentionType.LOCAL : AttentionType.GLOBAL);
        }
        return out;
    }

    /**
     * Further settings of a subclass (Gemma's scale and soft caps, Qwen3's q/k norms).
     *
     * @param hf the config file
     * @param b the builder to set them on
     * @throws CheckpointFormatException for a malformed value (named)
     */
    protected void configure(HfConfig hf, TransformerConfig.Builder b) throws CheckpointFormatException {
    }

    /**
     * Whether the family's Hugging Face attention rotates only {@code partial_rotary_factor} of each head
     * (Phi-3); Llama, Mistral, Qwen and Gemma rotate whole heads and ignore the factor, so a config that
     * sets it below 1 is refused.
     *
     * @return false here
     */
    protected boolean rotatesPartOfEachHead() {
        return false;
    }

    @Override
    public TransformerConfig config(HfConfig hf, String modelName) throws CheckpointFormatException {
        hf.refuse("mlp_bias", Boolean.TRUE, "MLP projections with biases: TransformerLens's gated MLP adds b_in after the gate");
        Object tp = hf.json().get("pretraining_tp");
        if (tp != null && !Long.valueOf(1).equals(tp)) {
            throw hf.error("\"pretraining_tp\": " + tp + " (tensor-parallel slicing of the projections) is not supported by lens4j");
        }
        int d = hf.positiveInt("hidden_size");
        int h = hf.positiveInt("num_attention_heads");
        Integer kv = hf.optPositiveInt("num_key_value_heads");
        Integer dh = hf.optPositiveInt("head_dim");
        if (dh == null) {
            if (d % h != 0) {
                throw hf.error("hidden_size " + d + " is not divisible by num_attention_heads " + h + " and there is no head_dim");
            }
            dh = d / h;
        }
        if (kv != null && h % kv != 0) {
            throw hf.error("num_attention_heads " + h + " is not divisible by num_key_value_heads " + kv);
        }
        int nLayers = hf.positiveInt("num_hidden_layers");
        HfConfig.Rope rope = hf.rope(10000);
        if (rope.partialRotaryFactor() != 1 && !rotatesPartOfEachHead()) {
            // transformers 5 reads the factor for Phi-3 only; the others rotate whole heads whatever it says
            throw hf.error("partial_rotary_factor " + rope.partialRotaryFactor() + " is not supported for "
                    + architecture() + ": Hugging Face's implementation rotates whole heads whatever the factor says, "
                    + "so lens4j refuses the config rather than compute something else");
        }
        int rotaryDim = (int) (dh * rope.partialRotaryFactor());
        List<AttentionType> types = attentionTypes(hf, nLayers);
        TransformerConfig.Builder b = TransformerConfig.builder().modelName(modelName)
                .nLayers(nLayers).dModel(d).nHeads(h).dHead(dh).nKeyValueHeads(kv)
                .dMlp(hf.positiveInt("intermediate_size")).nCtx(hf.positiveInt("max_position_embeddings"))
                .dVocab(hf.positiveInt("vocab_size")).actFn(activation(hf)).gatedMlp(true)
                .normalization(Normalization.RMS).finalRms(true).eps(hf.float32("rms_norm_eps", 1e-6f))
                .positionalEmbedding(PositionalEmbedding.ROTARY).rotaryDim(rotaryDim).rotaryBase(rope.theta())
                .originalArchitecture(architecture());
        if (rope.type().equals("llama3")) {
            b.useNtkByPartsRope(true).ntkByPartsFactor(rope.factor()).ntkByPartsLowFreqFactor(rope.lowFreqFactor())
                    .ntkByPartsHighFreqFactor(rope.highFreqFactor()).ntkOriginalCtxLen(rope.originalMaxPositions());
        }
        if (types != null && types.contains(AttentionType.LOCAL)) {
            b.useLocalAttn(true).attnTypes(types).windowSize(hf.positiveInt("sliding_window"));
        }
        configure(hf, b);
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw hf.error(inFileKeys(e.getMessage()));
        }
    }

    @Override
    protected Map<String, int[]> tensors(TransformerConfig cfg, HfConfig hf, boolean tied) throws CheckpointFormatException {
        int d = cfg.dModel(), dh = cfg.dHead();
        int q = cfg.nHeads() * dh, kv = cfg.nKvHeads() * dh;
        boolean qkvBias = qkvBias(hf), oBias = oBias(hf);
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put("embed_tokens.weight", new int[] {cfg.dVocab(), d});
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "layers." + l + ".";
            normTensors(cfg, p, m);
            attentionTensors(cfg, p, q, kv, m);
            if (qkvBias) {
                m.put(p + "self_attn.q_proj.bias", new int[] {q});
                m.put(p + "self_attn.k_proj.bias", new int[] {kv});
                m.put(p + "self_attn.v_proj.bias", new int[] {kv});
            }
            m.put(p + "self_attn.o_proj.weight", new int[] {d, q});
            if (oBias) {
                m.put(p + "self_attn.o_proj.bias", new int[] {d});
            }
            if (cfg.useQkNorm()) {
                m.put(p + "self_attn.q_norm.weight", new int[] {dh});
                m.put(p + "self_attn.k_norm.weight", new int[] {dh});
            }
            mlpTensors(cfg, p, m);
        }
        m.put("norm.weight", new int[] {d});
        if (!tied) {
            m.put("/lm_head.weight", new int[] {cfg.dVocabOut(), d});
        }
        return m;
    }

    /**
     * The norms of one block: input_layernorm and post_attention_layernorm.
     *
     * @param cfg the config
     * @param p the block's tensor-name prefix, e.g. {@code layers.0.}
     * @param m where to put tensor names and shapes
     */
    protected void normTensors(TransformerConfig cfg, String p, Map<String, int[]> m) {
        m.put(p + "input_layernorm.weight", new int[] {cfg.dModel()});
        m.put(p + "post_attention_layernorm.weight", new int[] {cfg.dModel()});
    }

    /**
     * The query, key and value projections of one block.
     *
     * @param cfg the config
     * @param p the block's tensor-name prefix, e.g. {@code layers.0.}
     * @param q rows of the query projection (n_heads d_head)
     * @param kv rows of the key and of the value projection (n_kv_heads d_head)
     * @param m where to put tensor names and shapes
     */
    protected void attentionTensors(TransformerConfig cfg, String p, int q, int kv, Map<String, int[]> m) {
        m.put(p + "self_attn.q_proj.weight", new int[] {q, cfg.dModel()});
        m.put(p + "self_attn.k_proj.weight", new int[] {kv, cfg.dModel()});
        m.put(p + "self_attn.v_proj.weight", new int[] {kv, cfg.dModel()});
    }

    /**
     * The MLP projections of one block.
     *
     * @param cfg the config
     * @param p the block's tensor-name prefix, e.g. {@code layers.0.}
     * @param m where to put tensor names and shapes
     */
    protected void mlpTensors(TransformerConfig cfg, String p, Map<String, int[]> m) {
        m.put(p + "mlp.gate_proj.weight", new int[] {cfg.dMlp(), cfg.dModel()});
        m.put(p + "mlp.up_proj.weight", new int[] {cfg.dMlp(), cfg.dModel()});
        m.put(p + "mlp.down_proj.weight", new int[] {cfg.dModel(), cfg.dMlp()});
    }

    /**
     * A norm weight as TransformerLens holds it (Gemma adds one).
     *
     * @param w the weight as stored
     * @return the weight to use
     */
    protected Tensor norm(Tensor w) {
        return w;
    }

    /**
     * The token embedding as TransformerLens holds it (Gemma scales it by sqrt(d_model)).
     *
     * @param cfg the config
     * @param e the token embedding as stored
     * @return the embedding to use as W_E
     */
    protected Tensor embedding(TransformerConfig cfg, Tensor e) {
        return e;
    }

    @Override
    protected void ends(TransformerConfig cfg, Source src, boolean tied, Map<String, Tensor> out) throws IOException {
        Tensor e = src.get("embed_tokens.weight");
        out.put("embed.W_E", embedding(cfg, e));
        out.put("ln_final.w", norm(src.get("norm.weight")));
        out.put("unembed.W_U", linear(tied ? e : src.get("/lm_head.weight")));
    }

    @Override
    protected void block(TransformerConfig cfg, int l, Source src, Map<String, Tensor> out) throws IOException {
        int h = cfg.nHeads(), kv = cfg.nKvHeads(), dh = cfg.dHead();
        String p = "layers." + l + ".self_attn.";
        String b = "blocks." + l + ".";
        String g = cfg.groupedQueryAttention() ? "_" : "";
        blockNorms(cfg, l, src, out);
        Tensor[] qkv = qkvWeights(cfg, l, src);
        out.put(b + "attn.W_Q", headsIn(qkv[0], h, dh));
        out.put(b + "attn." + g + "W_K", headsIn(qkv[1], kv, dh));
        out.put(b + "attn." + g + "W_V", headsIn(qkv[2], kv, dh));
        if (src.has(p + "q_proj.bias")) {
            out.put(b + "attn.b_Q", headsBias(src.get(p + "q_proj.bias"), h, dh));
            out.put(b + "attn." + g + "b_K", headsBias(src.get(p + "k_proj.bias"), kv, dh));
            out.put(b + "attn." + g + "b_V", headsBias(src.get(p + "v_proj.bias"), kv, dh));
        }
        out.put(b + "attn.W_O", headsOut(src.get(p + "o_proj.weight"), h, dh));
        if (src.has(p + "o_proj.bias")) {
            out.put(b + "attn.b_O", src.get(p + "o_proj.bias"));
        }
        if (cfg.useQkNorm()) {
            out.put(b + "attn.q_norm.w", norm(src.get(p + "q_norm.weight")));
            out.put(b + "attn.k_norm.w", norm(src.get(p + "k_norm.weight")));
        }
        Tensor[] gateUp = gateUpWeights(cfg, l, src);
        String m = "layers." + l + ".mlp.";
        out.put(b + "mlp.W_gate", linear(gateUp[0]));
        out.put(b + "mlp.W_in", linear(gateUp[1]));
        out.put(b + "mlp.W_out", linear(src.get(m + "down_proj.weight")));
    }

    /**
     * Converts one block's norms: ln1 and ln2.
     *
     * @param cfg the config
     * @param l the block index
     * @param src the checkpoint's tensors
     * @param out where to put TransformerLens-named tensors
     * @throws IOException if a tensor cannot be read
     */
    protected void blockNorms(TransformerConfig cfg, int l, Source src, Map<String, Tensor> out) throws IOException {
        String p = "layers." + l + ".";
        out.put("blocks." + l + ".ln1.w", norm(src.get(p + "input_layernorm.weight")));
        out.put("blocks." + l + ".ln2.w", norm(src.get(p + "post_attention_layernorm.weight")));
    }

    /**
     * One block's q, k, v projection weights.
     *
     * @param cfg the config
     * @param l the block index
     * @param src the checkpoint's tensors
     * @return {@code [heads * d_head, d_model]} each, in the order q, k, v
     * @throws IOException if a tensor cannot be read
     */
    protected Tensor[] qkvWeights(TransformerConfig cfg, int l, Source src) throws IOException {
        String p = "layers." + l + ".self_attn.";
        return new Tensor[] {src.get(p + "q_proj.weight"), src.get(p + "k_proj.weight"), src.get(p + "v_proj.weight")};
    }

    /**
     * One block's gate and up projection weights.
     *
     * @param cfg the config
     * @param l the block index
     * @param src the checkpoint's tensors
     * @return {@code [d_mlp, d_model]} each, gate first
     * @throws IOException if a tensor cannot be read
     */
    protected Tensor[] gateUpWeights(TransformerConfig cfg, int l, Source src) throws IOException {
        String p = "layers." + l + ".mlp.";
        return new Tensor[] {src.get(p + "gate_proj.weight"), src.get(p + "up_proj.weight")};
    }
}
