package dev.lens4j.transformer.loading.family;

import dev.lens4j.tensor.Tensor;
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
 * GPT-NeoX and Pythia ({@code GPTNeoXForCausalLM}): LayerNorm, attention and MLP in parallel
 * ({@code use_parallel_residual}), partial rotary positions on the first {@code rotary_pct} of each
 * head (halves, not adjacent pairs), an untied {@code embed_out}. {@code query_key_value.weight
 * [3 h dh, d]} interleaves per head ({@code "(head qkv d_head) d_model"}), so Q, K and V are
 * strided views and one GEMM computes all three. As TransformerLens's {@code convert_neox_weights}.
 */
public final class GptNeoXFamily extends ModelFamily {

    /** Creates the GptNeoX adapter (the registry in {@link Families} holds the one in use). */
    public GptNeoXFamily() {
    }


    @Override
    public String name() {
        return "gpt_neox";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("gpt_neox");
    }

    @Override
    public String example() {
        return "EleutherAI/pythia-160m";
    }

    @Override
    protected String basePrefix() {
        return "gpt_neox.";
    }

    @Override
    protected String embeddingName() {
        return "embed_in.weight";
    }

    @Override
    protected boolean tiedByDefault() {
        return false;
    }

    @Override
    protected boolean isBuffer(String name) {
        return super.isBuffer(name) || name.matches("layers\\.\\d+\\.attention\\.(bias|masked_bias)");
    }

    @Override
    public TransformerConfig config(HfConfig hf, String modelName) throws CheckpointFormatException {
        hf.refuse("attention_bias", Boolean.FALSE, "GPT-NeoX attention without biases");
        int d = hf.positiveInt("hidden_size");
        int h = hf.positiveInt("num_attention_heads");
        if (d % h != 0) {
            throw hf.error("hidden_size " + d + " is not divisible by num_attention_heads " + h);
        }
        int dh = d / h;
        HfConfig.Rope rope = hf.rope(10000);
        if (!rope.type().equals("default")) {
            throw hf.error("rope type \"" + rope.type() + "\" is not supported for gpt_neox (default)");
        }
        int rotaryDim = (int) (dh * rope.partialRotaryFactor());   // as Hugging Face: int(head_size * rotary_pct)
        try {
            return TransformerConfig.builder().modelName(modelName)
                    .nLayers(hf.positiveInt("num_hidden_layers")).dModel(d).nHeads(h).dHead(dh)
                    .dMlp(hf.positiveInt("intermediate_size")).nCtx(hf.positiveInt("max_position_embeddings"))
                    .dVocab(hf.positiveInt("vocab_size")).actFn(activation(hf, "hidden_act", "gelu"))
                    .eps(hf.float32("layer_norm_eps", 1e-5f))
                    .positionalEmbedding(PositionalEmbedding.ROTARY).rotaryDim(rotaryDim).rotaryBase(rope.theta())
                    .parallelAttnMlp(hf.bool("use_parallel_residual", true))
                    .originalArchitecture("GPTNeoXForCausalLM").build();
        } catch (IllegalArgumentException e) {
            throw hf.error(inFileKeys(e.getMessage()));
        }
    }

    @Override
    protected Map<String, int[]> tensors(TransformerConfig cfg, HfConfig hf, boolean tied) {
        int d = cfg.dModel(), f = cfg.dMlp(), hd = cfg.nHeads() * cfg.dHead();
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put("embed_in.weight", new int[] {cfg.dVocab(), d});
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "layers." + l + ".";
            m.put(p + "input_layernorm.weight", new int[] {d});
            m.put(p + "input_layernorm.bias", new int[] {d});
            m.put(p + "post_attention_layernorm.weight", new int[] {d});
            m.put(p + "post_attention_layernorm.bias", new int[] {d});
            m.put(p + "attention.query_key_value.weight", new int[] {3 * hd, d});
            m.put(p + "attention.query_key_value.bias", new int[] {3 * hd});
            m.put(p + "attention.dense.weight", new int[] {d, hd});
            m.put(p + "attention.dense.bias", new int[] {d});
            m.put(p + "mlp.dense_h_to_4h.weight", new int[] {f, d});
            m.put(p + "mlp.dense_h_to_4h.bias", new int[] {f});
            m.put(p + "mlp.dense_4h_to_h.weight", new int[] {d, f});
            m.put(p + "mlp.dense_4h_to_h.bias", new int[] {d});
        }
        m.put("final_layer_norm.weight", new int[] {d});
        m.put("final_layer_norm.bias", new int[] {d});
        if (!tied) {
            m.put("/embed_out.weight", new int[] {cfg.dVocab(), d});
        }
        return m;
    }

    @Override
    protected void ends(TransformerConfig cfg, Source src, boolean tied, Map<String, Tensor> out) throws IOException {
        Tensor e = src.get("embed_in.weight");
        out.put("embed.W_E", e);
        out.put("ln_final.w", src.get("final_layer_norm.weight"));
        out.put("ln_final.b", src.get("final_layer_norm.bias"));
        out.put("unembed.W_U", linear(tied ? e : src.get("/embed_out.weight")));
    }

    @Override
    protected void block(TransformerConfig cfg, int l, Source src, Map<String, Tensor> out) throws IOException {
        int d = cfg.dModel(), h = cfg.nHeads(), dh = cfg.dHead();
        String p = "layers." + l + ".";
        String b = "blocks." + l + ".";
        out.put(b + "ln1.w", src.get(p + "input_layernorm.weight"));
        out.put(b + "ln1.b", src.get(p + "input_layernorm.bias"));
        // rows of query_key_value are (head, q/k/v, d_head)
        Tensor qkv = src.get(p + "attention.query_key_value.weight").view(h, 3, dh, d);
        Tensor qkvB = src.get(p + "attention.query_key_value.bias").view(h, 3, dh);
        String[] w = {"W_Q", "W_K", "W_V"}, bs = {"b_Q", "b_K", "b_V"};
        for (int i = 0; i < 3; i++) {
            out.put(b + "attn." + w[i], qkv.select(1, i).permute(0, 2, 1));   // [h, d_model, d_head]
            out.put(b + "attn." + bs[i], qkvB.select(1, i));
        }
        out.put(b + "attn.W_O", headsOut(src.get(p + "attention.dense.weight"), h, dh));
        out.put(b + "attn.b_O", src.get(p + "attention.dense.bias"));
        out.put(b + "ln2.w", src.get(p + "post_attention_layernorm.weight"));
        out.put(b + "ln2.b", src.get(p + "post_attention_layernorm.bias"));
        out.put(b + "mlp.W_in", linear(src.get(p + "mlp.dense_h_to_4h.weight")));
        out.put(b + "mlp.b_in", src.get(p + "mlp.dense_h_to_4h.bias"));
        out.put(b + "mlp.W_out", linear(src.get(p + "mlp.dense_4h_to_h.weight")));
        out.put(b + "mlp.b_out", src.get(p + "mlp.dense_4h_to_h.bias"));
    }
}
