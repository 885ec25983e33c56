package dev.lens4j.transformer;

import dev.lens4j.tensor.io.Json;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape and switches of a GPT-2-style transformer, with TransformerLens's
 * {@code HookedTransformerConfig} field names (in camelCase here, snake_case in {@code config.json}).
 *
 * @param nLayers number of transformer blocks
 * @param dModel width of the residual stream
 * @param nHeads attention heads per layer
 * @param dHead width of each head
 * @param dMlp hidden width of the MLP (0 when {@code attnOnly})
 * @param nCtx maximum sequence length
 * @param dVocab vocabulary size (rows of W_E)
 * @param actFn MLP activation; {@code "gelu_new"} (GPT-2), {@code "gelu"} or {@code "relu"}
 * @param normalization {@code "LN"} (LayerNorm with weight and bias), {@code "LNPre"} (LayerNorm whose
 *                      weight and bias were folded into the next layer), or {@code "none"}
 * @param attnOnly true for attention-only models (no MLPs)
 * @param eps LayerNorm epsilon
 * @param useAttnResult record {@code blocks.L.attn.hook_result} (per-head outputs)
 * @param useSplitQkvInput give each head its own copy of the residual stream for Q, K and V
 *                         ({@code hook_q_input}, {@code hook_k_input}, {@code hook_v_input})
 * @param useHookMlpIn record {@code blocks.L.hook_mlp_in}
 * @param useAttnIn give each head its own copy of the residual stream ({@code hook_attn_in})
 * @param useHookTokens record {@code hook_tokens}, the token ids {@code [batch, pos]} before the embedding
 * @param positionalEmbeddingType {@code "standard"} (learned W_pos)
 * @param modelName a name for reports, e.g. {@code "gpt2"}
 */
public record TransformerConfig(
        int nLayers,
        int dModel,
        int nHeads,
        int dHead,
        int dMlp,
        int nCtx,
        int dVocab,
        String actFn,
        String normalization,
        boolean attnOnly,
        float eps,
        boolean useAttnResult,
        boolean useSplitQkvInput,
        boolean useHookMlpIn,
        boolean useAttnIn,
        boolean useHookTokens,
        String positionalEmbeddingType,
        String modelName) {

    /** Validates the dimensions; a bad value throws an exception naming the field. */
    public TransformerConfig {
        positive("n_layers", nLayers);
        positive("d_model", dModel);
        positive("n_heads", nHeads);
        positive("d_head", dHead);
        positive("n_ctx", nCtx);
        positive("d_vocab", dVocab);
        if (!attnOnly) {
            positive("d_mlp", dMlp);
        }
        if (!(normalization.equals("LN") || normalization.equals("LNPre") || normalization.equals("none"))) {
            throw new IllegalArgumentException("normalization_type must be LN, LNPre or none, got '" + normalization + "'");
        }
        if (!attnOnly && !(actFn.equals("gelu_new") || actFn.equals("gelu") || actFn.equals("relu"))) {
            throw new IllegalArgumentException("act_fn must be gelu_new, gelu or relu, got '" + actFn + "'");
        }
        if (!(eps > 0) || !Float.isFinite(eps)) {
            throw new IllegalArgumentException("eps must be a positive finite number, got " + eps);
        }
        // Derived sizes: every weight is one tensor, of at most 2^31-1 elements.
        fitsATensor("W_E", "d_vocab", dVocab, "d_model", dModel);
        fitsATensor("W_pos", "n_ctx", nCtx, "d_model", dModel);
        fitsATensor("W_Q, W_K, W_V and W_O (each)", "n_heads", nHeads, "d_model", dModel, "d_head", dHead);
        fitsATensor("W_Q, W_K and W_V side by side (the forward pass's fused QKV matrix)", "", 3, "n_heads", nHeads,
                "d_model", dModel, "d_head", dHead);
        if (!attnOnly) {
            fitsATensor("W_in and W_out (each)", "d_model", dModel, "d_mlp", dMlp);
        }
        if (useSplitQkvInput && useAttnIn) {
            throw new IllegalArgumentException("use_split_qkv_input and use_attn_in cannot both be set");
        }
        if (useHookTokens && dVocab > 1 << 24) {
            // hook_tokens holds the ids as float32, which is exact only up to 2^24
            throw new IllegalArgumentException("use_hook_tokens needs d_vocab at most 2^24 = " + (1 << 24) + ", got " + dVocab);
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }

    /**
     * Refuses sizes whose product, the element count of a weight, a tensor cannot hold.
     *
     * @param factors pairs of a key ({@code ""} for a constant) and its value
     */
    private static void fitsATensor(String weight, Object... factors) {
        double product = 1;
        StringBuilder text = new StringBuilder();
        for (int k = 0; k < factors.length; k += 2) {
            String key = (String) factors[k];
            product *= (Integer) factors[k + 1];
            text.append(k == 0 ? "" : " x ").append(key).append(key.isEmpty() ? "" : " ").append(factors[k + 1]);
        }
        if (product > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "%s = %.3g elements in %s, more than a tensor holds (2^31-1)", text, product, weight));
        }
    }

    /**
     * A GPT-2 style configuration (LayerNorm, gelu_new, MLP width 4 d_model, eps 1e-5).
     *
     * @param nLayers layers
     * @param dModel residual width
     * @param nHeads heads; d_head = d_model / n_heads
     * @param nCtx context length
     * @param dVocab vocabulary size
     * @return the config
     */
    public static TransformerConfig gpt2(int nLayers, int dModel, int nHeads, int nCtx, int dVocab) {
        if (dModel % nHeads != 0) {
            throw new IllegalArgumentException("d_model " + dModel + " is not divisible by n_heads " + nHeads);
        }
        return new TransformerConfig(nLayers, dModel, nHeads, dModel / nHeads, 4 * dModel, nCtx, dVocab,
                "gelu_new", "LN", false, 1e-5f, false, false, false, false, false, "standard", "gpt2-like");
    }

    /**
     * GPT-2 small's shape, named {@code "gpt2"}.
     *
     * @return GPT-2 small's shape: 12 layers, d_model 768, 12 heads, n_ctx 1024, vocab 50257
     */
    public static TransformerConfig gpt2Small() {
        return gpt2(12, 768, 12, 1024, 50257).withModelName("gpt2");
    }

    /**
     * A copy with another model name.
     *
     * @param name the model name
     * @return a copy with another name
     */
    public TransformerConfig withModelName(String name) {
        return new TransformerConfig(nLayers, dModel, nHeads, dHead, dMlp, nCtx, dVocab, actFn, normalization, attnOnly, eps,
                useAttnResult, useSplitQkvInput, useHookMlpIn, useAttnIn, useHookTokens, positionalEmbeddingType, name);
    }

    /**
     * A copy with another normalization type.
     *
     * @param norm the normalization type ({@code "LN"}, {@code "LNPre"}, {@code "none"})
     * @return a copy with another normalization type
     */
    public TransformerConfig withNormalization(String norm) {
        return new TransformerConfig(nLayers, dModel, nHeads, dHead, dMlp, nCtx, dVocab, actFn, norm, attnOnly, eps,
                useAttnResult, useSplitQkvInput, useHookMlpIn, useAttnIn, useHookTokens, positionalEmbeddingType, modelName);
    }

    /**
     * A copy with TransformerLens's optional hook switches of the blocks set ({@code use_hook_tokens}
     * is set by {@link #withHookTokens}).
     *
     * @param attnResult record per-head results ({@code hook_result})
     * @param splitQkvInput per-head Q/K/V inputs
     * @param hookMlpIn record {@code hook_mlp_in}
     * @param attnIn per-head attention input
     * @return a copy with TransformerLens's optional hook switches set
     */
    public TransformerConfig withHookSwitches(boolean attnResult, boolean splitQkvInput, boolean hookMlpIn, boolean attnIn) {
        return new TransformerConfig(nLayers, dModel, nHeads, dHead, dMlp, nCtx, dVocab, actFn, normalization, attnOnly, eps,
                attnResult, splitQkvInput, hookMlpIn, attnIn, useHookTokens, positionalEmbeddingType, modelName);
    }

    /**
     * A copy with TransformerLens's {@code use_hook_tokens} set: the model then has a
     * {@code hook_tokens} point {@code [batch, pos]}, the first to fire, on the token ids before the
     * embedding.
     *
     * @param hookTokens record {@code hook_tokens}
     * @return a copy with {@code use_hook_tokens} set
     */
    public TransformerConfig withHookTokens(boolean hookTokens) {
        return new TransformerConfig(nLayers, dModel, nHeads, dHead, dMlp, nCtx, dVocab, actFn, normalization, attnOnly, eps,
                useAttnResult, useSplitQkvInput, useHookMlpIn, useAttnIn, hookTokens, positionalEmbeddingType, modelName);
    }

    /**
     * Whether the model normalises the residual stream before reading it.
     *
     * @return true when the model has LayerNorms ({@code "LN"} or {@code "LNPre"})
     */
    public boolean hasNorm() {
        return !normalization.equals("none");
    }

    /**
     * The number of parameters as Hugging Face counts GPT-2's: embeddings, attention, MLPs and
     * LayerNorms, with the unembedding tied to the token embedding (so {@code W_U} and
     * {@code b_U} are not counted). GPT-2 small gives 124,439,808. For a model with its own
     * unembedding, see {@link TransformerWeights#parameterCount()}.
     *
     * @return the parameter count with tied embeddings
     */
    public long parameterCount() {
        long d = dModel;
        long perLayer = 4L * nHeads * d * dHead + 3L * nHeads * dHead + d; // W_Q,K,V,O + b_Q,K,V + b_O
        if (!attnOnly) {
            perLayer += 2L * d * dMlp + dMlp + d;
        }
        if (normalization.equals("LN")) {
            perLayer += (attnOnly ? 2 : 4) * d;
        }
        long total = (long) dVocab * d + (long) nCtx * d + nLayers * perLayer;
        if (normalization.equals("LN")) {
            total += 2 * d;
        }
        return total;
    }

    /**
     * The config under TransformerLens's {@code HookedTransformerConfig} keys. {@code use_hook_tokens}
     * is written only when set, so that configs written before it existed (such as the shipped
     * models', which their recipe must regenerate byte for byte) stay as they were; it reads as false
     * when absent.
     *
     * @return the config as TransformerLens's {@code HookedTransformerConfig} JSON keys
     */
    public Map<String, Object> toJsonMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_name", modelName);
        m.put("n_layers", nLayers);
        m.put("d_model", dModel);
        m.put("n_heads", nHeads);
        m.put("d_head", dHead);
        m.put("d_mlp", attnOnly ? null : dMlp);
        m.put("n_ctx", nCtx);
        m.put("d_vocab", dVocab);
        m.put("act_fn", attnOnly ? null : actFn);
        m.put("normalization_type", normalization.equals("none") ? null : normalization);
        m.put("attn_only", attnOnly);
        m.put("eps", (double) eps);
        m.put("use_attn_result", useAttnResult);
        m.put("use_split_qkv_input", useSplitQkvInput);
        m.put("use_hook_mlp_in", useHookMlpIn);
        m.put("use_attn_in", useAttnIn);
        if (useHookTokens) {
            m.put("use_hook_tokens", true);
        }
        m.put("positional_embedding_type", positionalEmbeddingType);
        return m;
    }

    /**
     * The config as JSON text.
     *
     * @return {@link #toJsonMap()} as JSON text
     */
    public String toJson() {
        return Json.write(toJsonMap());
    }

    /**
     * Reads TransformerLens {@code HookedTransformerConfig} keys (as written by {@link #toJsonMap()}).
     *
     * @param m the parsed JSON object
     * @param source where it came from, for error messages (a file path)
     * @return the config
     * @throws IllegalArgumentException naming the source and the key at fault
     */
    public static TransformerConfig fromJsonMap(Map<String, Object> m, String source) {
        try {
            boolean attnOnly = bool(m, "attn_only", false);
            int dModel = integer(m, "d_model", null);
            int nHeads = integer(m, "n_heads", null);
            Integer dHeadDefault = nHeads > 0 && dModel % nHeads == 0 ? dModel / nHeads : null;
            Object norm = m.get("normalization_type");
            return new TransformerConfig(
                    integer(m, "n_layers", null), dModel, nHeads, integer(m, "d_head", dHeadDefault),
                    attnOnly && m.get("d_mlp") == null ? 0 : integer(m, "d_mlp", defaultDMlp(m, dModel)),
                    integer(m, "n_ctx", null), integer(m, "d_vocab", null),
                    m.get("act_fn") == null ? "gelu_new" : String.valueOf(m.get("act_fn")),
                    norm == null ? "none" : String.valueOf(norm),
                    attnOnly,
                    eps(m),
                    bool(m, "use_attn_result", false), bool(m, "use_split_qkv_input", false),
                    bool(m, "use_hook_mlp_in", false), bool(m, "use_attn_in", false), bool(m, "use_hook_tokens", false),
                    m.get("positional_embedding_type") == null ? "standard" : String.valueOf(m.get("positional_embedding_type")),
                    m.get("model_name") == null ? "unnamed" : String.valueOf(m.get("model_name")));
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new IllegalArgumentException(source + ": bad model config: " + e.getMessage(), e);
        }
    }

    /** TransformerLens's default d_mlp, 4 d_model, when the key is absent; refused by name when it overflows. */
    private static Integer defaultDMlp(Map<String, Object> m, int dModel) {
        if (m.get("d_mlp") == null && 4L * dModel > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("\"d_mlp\" is absent, so it is 4 d_model = " + 4L * dModel
                    + ", more than 2^31-1: d_model " + dModel + " is too large");
        }
        return 4 * dModel;
    }

    private static float eps(Map<String, Object> m) {
        Object v = m.get("eps");
        if (v == null) {
            return 1e-5f;
        }
        if (!(v instanceof Number n) || !(n.floatValue() > 0) || !Float.isFinite(n.floatValue())) {
            throw new IllegalArgumentException("\"eps\" must be a positive number that float32 holds, got " + v);
        }
        return n.floatValue();
    }

    private static int integer(Map<String, Object> m, String key, Integer dflt) {
        Object v = m.get(key);
        if (v == null) {
            if (dflt == null) {
                throw new IllegalArgumentException("missing key \"" + key + "\"");
            }
            return dflt;
        }
        if (!(v instanceof Long l) || l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("\"" + key + "\" must be an integer, got " + v);
        }
        return (int) (long) l;
    }

    private static boolean bool(Map<String, Object> m, String key, boolean dflt) {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException("\"" + key + "\" must be true or false, got " + v);
        }
        return b;
    }
}
