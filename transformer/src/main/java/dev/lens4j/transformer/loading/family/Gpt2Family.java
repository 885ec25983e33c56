package dev.lens4j.transformer.loading.family;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.Activation;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.loading.CheckpointFormatException;
import dev.lens4j.transformer.loading.HfConfig;
import dev.lens4j.transformer.loading.ModelFamily;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GPT-2 ({@code GPT2LMHeadModel}): LayerNorm, gelu_new, learned positions, tied embeddings. Conv1D
 * weights are stored {@code [in, out]}; {@code attn.c_attn.weight [d, 3d]} holds Q | K | V side by
 * side, heads contiguous inside each, so {@code W_Q = c_attn[:, 0:d].view(d, h, dh).permute(1, 0, 2)}
 * is a strided view and one GEMM computes all three. As TransformerLens's {@code convert_gpt2_weights}.
 *
 * <table>
 *   <caption>config.json to TransformerConfig</caption>
 *   <tr><th>config.json</th><th>TransformerConfig</th></tr>
 *   <tr><td>{@code n_embd}, {@code n_layer}, {@code n_head}</td><td>d_model (d_head = n_embd / n_head), n_layers, n_heads</td></tr>
 *   <tr><td>{@code n_positions} (else {@code n_ctx})</td><td>n_ctx</td></tr>
 *   <tr><td>{@code vocab_size}</td><td>d_vocab</td></tr>
 *   <tr><td>{@code n_inner} (null: 4 n_embd)</td><td>d_mlp</td></tr>
 *   <tr><td>{@code activation_function} (default gelu_new)</td><td>act_fn</td></tr>
 *   <tr><td>{@code layer_norm_epsilon} (default 1e-5)</td><td>eps</td></tr>
 * </table>
 * Options that change the computation in ways lens4j does not implement ({@code scale_attn_weights:
 * false}, {@code scale_attn_by_inverse_layer_idx: true}, {@code reorder_and_upcast_attn: true},
 * {@code add_cross_attention: true}) are refused by name rather than ignored.
 */
public final class Gpt2Family extends ModelFamily {

    /** Creates the Gpt2 adapter (the registry in {@link Families} holds the one in use). */
    public Gpt2Family() {
    }


    @Override
    public String name() {
        return "gpt2";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("gpt2");
    }

    @Override
    public String example() {
        return "openai-community/gpt2";
    }

    @Override
    protected String basePrefix() {
        return "transformer.";
    }

    @Override
    protected String embeddingName() {
        return "wte.weight";
    }

    @Override
    protected boolean tiedByDefault() {
        return true;
    }

    @Override
    protected String layersKey() {
        return "n_layer";
    }

    @Override
    protected boolean isBuffer(String name) {
        return name.matches("h\\.\\d+\\.attn\\.(bias|masked_bias)");
    }

    @Override
    public TransformerConfig config(HfConfig hf, String modelName) throws CheckpointFormatException {
        hf.refuse("scale_attn_weights", Boolean.FALSE, "unscaled attention scores");
        hf.refuse("scale_attn_by_inverse_layer_idx", Boolean.TRUE, "scores scaled by the inverse layer index");
        hf.refuse("reorder_and_upcast_attn", Boolean.TRUE, "attention reordered and upcast");
        hf.refuse("add_cross_attention", Boolean.TRUE, "cross-attention");
        int dModel = hf.positiveInt("n_embd");
        int nHeads = hf.positiveInt("n_head");
        if (dModel % nHeads != 0) {
            throw hf.error("n_embd " + dModel + " is not divisible by n_head " + nHeads);
        }
        Integer nCtx = hf.optPositiveInt("n_positions");
        Integer dMlp = hf.optPositiveInt("n_inner");
        if (dMlp == null && 4L * dModel > Integer.MAX_VALUE) {
            throw hf.error("\"n_inner\" is null, so the MLP width is 4 n_embd = " + 4L * dModel + ", more than 2^31-1: \"n_embd\" "
                    + dModel + " is too large");
        }
        String act = hf.string("activation_function", "gelu_new");
        Activation a = switch (act) {
            case "gelu_new" -> Activation.GELU_NEW;
            case "gelu_pytorch_tanh" -> Activation.GELU_PYTORCH_TANH;
            case "gelu" -> Activation.GELU;
            case "relu" -> Activation.RELU;
            default -> throw hf.error("activation_function \"" + act + "\" is not supported (gelu_new, gelu_pytorch_tanh, gelu or relu)");
        };
        try {
            return TransformerConfig.builder().modelName(modelName)
                    .nLayers(hf.positiveInt("n_layer")).dModel(dModel).nHeads(nHeads)
                    .nCtx(nCtx != null ? nCtx : hf.positiveInt("n_ctx")).dVocab(hf.positiveInt("vocab_size"))
                    .dMlp(dMlp).actFn(a).eps(hf.float32("layer_norm_epsilon", 1e-5f))
                    .originalArchitecture("GPT2LMHeadModel").build();
        } catch (IllegalArgumentException e) {
            throw hf.error(inFileKeys(e.getMessage()));
        }
    }

    @Override
    protected Map<String, String> hfKeys() {
        return Map.of("d_model", "n_embd", "n_layers", "n_layer", "n_heads", "n_head", "n_ctx", "n_positions",
                "d_vocab", "vocab_size", "d_mlp", "n_inner", "d_head", "d_head (n_embd / n_head)");
    }

    @Override
    protected Map<String, int[]> tensors(TransformerConfig cfg, HfConfig hf, boolean tied) {
        int d = cfg.dModel();
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put("wte.weight", new int[] {cfg.dVocab(), d});
        m.put("wpe.weight", new int[] {cfg.nCtx(), d});
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "h." + l + ".";
            m.put(p + "ln_1.weight", new int[] {d});
            m.put(p + "ln_1.bias", new int[] {d});
            m.put(p + "attn.c_attn.weight", new int[] {d, 3 * d});
            m.put(p + "attn.c_attn.bias", new int[] {3 * d});
            m.put(p + "attn.c_proj.weight", new int[] {d, d});
            m.put(p + "attn.c_proj.bias", new int[] {d});
            m.put(p + "ln_2.weight", new int[] {d});
            m.put(p + "ln_2.bias", new int[] {d});
            m.put(p + "mlp.c_fc.weight", new int[] {d, cfg.dMlp()});
            m.put(p + "mlp.c_fc.bias", new int[] {cfg.dMlp()});
            m.put(p + "mlp.c_proj.weight", new int[] {cfg.dMlp(), d});
            m.put(p + "mlp.c_proj.bias", new int[] {d});
        }
        m.put("ln_f.weight", new int[] {d});
        m.put("ln_f.bias", new int[] {d});
        if (!tied) {
            m.put("/lm_head.weight", new int[] {cfg.dVocab(), d});
        }
        return m;
    }

    @Override
    protected void ends(TransformerConfig cfg, Source src, boolean tied, Map<String, Tensor> out) throws IOException {
        Tensor wte = src.get("wte.weight");                                             // [d_vocab, d_model]
        out.put("embed.W_E", wte);
        out.put("pos_embed.W_pos", src.get("wpe.weight"));
        out.put("ln_final.w", src.get("ln_f.weight"));
        out.put("ln_final.b", src.get("ln_f.bias"));
        out.put("unembed.W_U", (tied ? wte : src.get("/lm_head.weight")).mT());         // [d_model, d_vocab]
    }

    @Override
    protected void block(TransformerConfig cfg, int l, Source src, Map<String, Tensor> out) throws IOException {
        int d = cfg.dModel(), h = cfg.nHeads(), dh = cfg.dHead();
        String p = "h." + l + ".";
        String b = "blocks." + l + ".";
        Tensor cAttn = src.get(p + "attn.c_attn.weight");        // [d_model, 3 d_model]: Q | K | V
        Tensor cAttnB = src.get(p + "attn.c_attn.bias");         // [3 d_model]
        out.put(b + "ln1.w", src.get(p + "ln_1.weight"));
        out.put(b + "ln1.b", src.get(p + "ln_1.bias"));
        String[] names = {"W_Q", "W_K", "W_V"};
        String[] biases = {"b_Q", "b_K", "b_V"};
        for (int i = 0; i < 3; i++) {
            // columns i*d + j*dh + e of c_attn are head j, dimension e
            out.put(b + "attn." + names[i], cAttn.slice(1, i * d, (i + 1) * d).view(d, h, dh).permute(1, 0, 2));
            out.put(b + "attn." + biases[i], cAttnB.slice(0, i * d, (i + 1) * d).view(h, dh));
        }
        out.put(b + "attn.W_O", src.get(p + "attn.c_proj.weight").view(h, dh, d));   // rows of c_proj are (head, d_head)
        out.put(b + "attn.b_O", src.get(p + "attn.c_proj.bias"));
        out.put(b + "ln2.w", src.get(p + "ln_2.weight"));
        out.put(b + "ln2.b", src.get(p + "ln_2.bias"));
        out.put(b + "mlp.W_in", src.get(p + "mlp.c_fc.weight"));
        out.put(b + "mlp.b_in", src.get(p + "mlp.c_fc.bias"));
        out.put(b + "mlp.W_out", src.get(p + "mlp.c_proj.weight"));
        out.put(b + "mlp.b_out", src.get(p + "mlp.c_proj.bias"));
    }
}
