package dev.lens4j.transformer;

import dev.lens4j.tensor.internal.Json;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The shape and switches of a decoder-only transformer, with TransformerLens's
 * {@code HookedTransformerConfig} field names (camelCase here, snake_case in {@code config.json}).
 * One config describes every family lens4j runs (GPT-2, GPT-NeoX/Pythia, Llama, Mistral, Qwen2,
 * Gemma, Gemma 2, ...): the family adapters in {@code dev.lens4j.transformer.loading} translate a
 * Hugging Face {@code config.json} into one.
 *
 * <pre>{@code
 * TransformerConfig llamaLike = TransformerConfig.builder()
 *         .nLayers(2).dModel(64).nHeads(4).nKeyValueHeads(2).dHead(16).dMlp(128).nCtx(128).dVocab(512)
 *         .normalization(Normalization.RMS).actFn(Activation.SILU).gatedMlp(true)
 *         .positionalEmbedding(PositionalEmbedding.ROTARY).rotaryDim(16).rotaryBase(500000)
 *         .eps(1e-5f).modelName("tiny-llama")
 *         .build();
 * }</pre>
 *
 * <p>Every value is checked when the config is built; a value lens4j does not implement is refused by
 * name, never ignored. {@link #fromJsonMap} refuses keys it does not know.
 */
public final class TransformerConfig {

    /** TransformerLens's default {@code rotary_base}. */
    public static final double DEFAULT_ROTARY_BASE = 10000;

    private final String modelName;
    private final int nLayers;
    private final int dModel;
    private final int nHeads;
    private final int dHead;
    private final Integer nKeyValueHeads;
    private final int dMlp;
    private final int nCtx;
    private final int dVocab;
    private final int dVocabOut;
    private final Activation actFn;
    private final Normalization normalization;
    private final boolean finalRms;
    private final boolean attnOnly;
    private final float eps;
    private final PositionalEmbedding positionalEmbedding;
    private final int rotaryDim;
    private final double rotaryBase;
    private final boolean rotaryAdjacentPairs;
    private final boolean useNtkByPartsRope;
    private final double ntkByPartsFactor;
    private final double ntkByPartsLowFreqFactor;
    private final double ntkByPartsHighFreqFactor;
    private final int ntkOriginalCtxLen;
    private final boolean gatedMlp;
    private final boolean parallelAttnMlp;
    private final boolean useNormalizationBeforeAndAfter;
    private final boolean useQkNorm;
    private final float attnScoresSoftCap;
    private final float outputLogitsSoftCap;
    private final boolean useAttnScale;
    private final float attnScale;
    private final boolean useLocalAttn;
    private final List<AttentionType> attnTypes;
    private final int windowSize;
    private final boolean useAttnResult;
    private final boolean useSplitQkvInput;
    private final boolean useHookMlpIn;
    private final boolean useAttnIn;
    private final boolean useHookTokens;
    private final boolean defaultPrependBos;
    private final String originalArchitecture;

    private TransformerConfig(Builder b) {
        modelName = b.modelName == null ? "unnamed" : b.modelName;
        nLayers = positive("n_layers", b.nLayers);
        dModel = positive("d_model", b.dModel);
        nHeads = positive("n_heads", b.nHeads);
        if (b.dHead == null) {
            if (dModel % nHeads != 0) {
                throw new IllegalArgumentException("d_head is not given and d_model " + dModel + " is not divisible by n_heads " + nHeads);
            }
            dHead = dModel / nHeads;
        } else {
            dHead = positive("d_head", b.dHead);
        }
        if (b.nKeyValueHeads != null) {
            positive("n_key_value_heads", b.nKeyValueHeads);
            if (nHeads % b.nKeyValueHeads != 0) {
                throw new IllegalArgumentException("n_heads " + nHeads + " is not divisible by n_key_value_heads " + b.nKeyValueHeads);
            }
        }
        // TransformerLens's convention: None when every query head has its own key and value head
        nKeyValueHeads = b.nKeyValueHeads == null || b.nKeyValueHeads == nHeads ? null : b.nKeyValueHeads;
        attnOnly = b.attnOnly;
        dMlp = attnOnly ? 0 : positive("d_mlp", b.dMlp == null ? 4 * (long) dModel : b.dMlp);
        nCtx = positive("n_ctx", b.nCtx);
        dVocab = positive("d_vocab", b.dVocab);
        dVocabOut = b.dVocabOut == null ? dVocab : positive("d_vocab_out", b.dVocabOut);
        actFn = attnOnly ? null : Objects.requireNonNullElse(b.actFn, Activation.GELU_NEW);
        normalization = Objects.requireNonNull(b.normalization, "normalization");
        finalRms = b.finalRms;
        if (finalRms && !normalization.isRms()) {
            throw new IllegalArgumentException("final_rms with normalization_type " + normalization.tlName()
                    + " is not supported (an RMS final norm after LayerNorm blocks)");
        }
        if (!(b.eps > 0) || !Float.isFinite(b.eps)) {
            throw new IllegalArgumentException("eps must be a positive finite number, got " + b.eps);
        }
        eps = b.eps;
        positionalEmbedding = Objects.requireNonNull(b.positionalEmbedding, "positionalEmbedding");
        rotaryBase = b.rotaryBase;
        rotaryAdjacentPairs = b.rotaryAdjacentPairs;
        if (positionalEmbedding == PositionalEmbedding.ROTARY) {
            int rd = b.rotaryDim == null ? dHead : b.rotaryDim;
            if (rd <= 0 || rd % 2 != 0 || rd > dHead) {
                throw new IllegalArgumentException("rotary_dim must be even, positive and at most d_head " + dHead + ", got " + rd);
            }
            rotaryDim = rd;
            if (!(rotaryBase > 0) || !Double.isFinite(rotaryBase)) {
                throw new IllegalArgumentException("rotary_base must be a finite positive number, got " + rotaryBase);
            }
        } else {
            if (b.rotaryDim != null) {
                throw new IllegalArgumentException("rotary_dim " + b.rotaryDim + " is set but positional_embedding_type is "
                        + positionalEmbedding.tlName() + ", not rotary");
            }
            rotaryDim = 0;
        }
        useNtkByPartsRope = b.useNtkByPartsRope;
        ntkByPartsFactor = b.ntkByPartsFactor;
        ntkByPartsLowFreqFactor = b.ntkByPartsLowFreqFactor;
        ntkByPartsHighFreqFactor = b.ntkByPartsHighFreqFactor;
        ntkOriginalCtxLen = b.ntkOriginalCtxLen;
        if (useNtkByPartsRope) {
            if (positionalEmbedding != PositionalEmbedding.ROTARY) {
                throw new IllegalArgumentException("use_NTK_by_parts_rope needs positional_embedding_type rotary");
            }
            finitePositive("NTK_by_parts_factor", ntkByPartsFactor);
            finitePositive("NTK_by_parts_low_freq_factor", ntkByPartsLowFreqFactor);
            finitePositive("NTK_by_parts_high_freq_factor", ntkByPartsHighFreqFactor);
            if (!(ntkByPartsHighFreqFactor > ntkByPartsLowFreqFactor)) {
                throw new IllegalArgumentException("NTK_by_parts_high_freq_factor " + ntkByPartsHighFreqFactor
                        + " must be above NTK_by_parts_low_freq_factor " + ntkByPartsLowFreqFactor);
            }
            positive("NTK_original_ctx_len", ntkOriginalCtxLen);
        }
        gatedMlp = b.gatedMlp;
        if (gatedMlp && attnOnly) {
            throw new IllegalArgumentException("gated_mlp is set on an attention-only model");
        }
        if (!attnOnly && actFn == null) {
            throw new IllegalArgumentException("act_fn is required for a model with MLPs");
        }
        parallelAttnMlp = b.parallelAttnMlp;
        if (parallelAttnMlp && attnOnly) {
            throw new IllegalArgumentException("parallel_attn_mlp is set on an attention-only model");
        }
        useNormalizationBeforeAndAfter = b.useNormalizationBeforeAndAfter;
        if (useNormalizationBeforeAndAfter && normalization == Normalization.NONE) {
            throw new IllegalArgumentException("use_normalization_before_and_after needs a normalization_type");
        }
        useQkNorm = b.useQkNorm;
        attnScoresSoftCap = softCap("attn_scores_soft_cap", b.attnScoresSoftCap);
        outputLogitsSoftCap = softCap("output_logits_soft_cap", b.outputLogitsSoftCap);
        useAttnScale = b.useAttnScale;
        if (b.attnScale == null || b.attnScale == -1f) {
            attnScale = (float) Math.sqrt(dHead);
        } else {
            if (!(b.attnScale > 0) || !Float.isFinite(b.attnScale)) {
                throw new IllegalArgumentException("attn_scale must be a finite positive number, got " + b.attnScale);
            }
            attnScale = b.attnScale;
        }
        useLocalAttn = b.useLocalAttn;
        if (useLocalAttn) {
            if (b.attnTypes == null) {
                throw new IllegalArgumentException("use_local_attn needs attn_types (one of global/local per layer)");
            }
            if (b.attnTypes.size() != nLayers) {
                throw new IllegalArgumentException("attn_types has " + b.attnTypes.size() + " entries but n_layers is " + nLayers);
            }
            for (int l = 0; l < nLayers; l++) {
                if (b.attnTypes.get(l) == null) {
                    throw new IllegalArgumentException("attn_types[" + l + "] is null");
                }
            }
            attnTypes = List.copyOf(b.attnTypes);
            if (attnTypes.contains(AttentionType.LOCAL)) {
                windowSize = positive("window_size", b.windowSize == null ? 0 : b.windowSize);
            } else {
                windowSize = b.windowSize == null ? 0 : positive("window_size", b.windowSize);
            }
        } else {
            if (b.attnTypes != null && b.attnTypes.contains(AttentionType.LOCAL)) {
                throw new IllegalArgumentException("attn_types has local layers but use_local_attn is false");
            }
            if (b.windowSize != null) {
                throw new IllegalArgumentException("window_size " + b.windowSize + " is set but use_local_attn is false");
            }
            attnTypes = Collections.nCopies(nLayers, AttentionType.GLOBAL);
            windowSize = 0;
        }
        useAttnResult = b.useAttnResult;
        useSplitQkvInput = b.useSplitQkvInput;
        useHookMlpIn = b.useHookMlpIn;
        useAttnIn = b.useAttnIn;
        if (useSplitQkvInput && useAttnIn) {
            throw new IllegalArgumentException("use_split_qkv_input and use_attn_in cannot both be set");
        }
        useHookTokens = b.useHookTokens;
        if (useHookTokens && dVocab > 1 << 24) {
            // hook_tokens holds the ids as float32, which is exact only up to 2^24
            throw new IllegalArgumentException("use_hook_tokens needs d_vocab at most 2^24 = " + (1 << 24) + ", got " + dVocab);
        }
        defaultPrependBos = b.defaultPrependBos;
        originalArchitecture = b.originalArchitecture;
        checkSizes();
    }

    /** Sizes whose products index float arrays must fit them: a config the JVM cannot hold is refused up front. */
    private void checkSizes() {
        // every weight is one tensor, of at most 2^31-1 elements
        fitsATensor("W_E", "d_vocab", dVocab, "d_model", dModel);
        if (dVocabOut != dVocab) {
            fitsATensor("W_U", "d_model", dModel, "d_vocab_out", dVocabOut);
        }
        if (positionalEmbedding == PositionalEmbedding.STANDARD) {
            fitsATensor("W_pos", "n_ctx", nCtx, "d_model", dModel);
        }
        fitsATensor("W_Q, W_K, W_V and W_O (each)", "n_heads", nHeads, "d_model", dModel, "d_head", dHead);
        fitsATensor("W_Q, W_K and W_V side by side (the forward pass's fused QKV matrix)", "n_heads + 2 n_kv_heads",
                nHeads + 2 * nKvHeads(), "d_model", dModel, "d_head", dHead);
        if (!attnOnly) {
            fitsATensor("W_in and W_out (each)", "d_model", dModel, "d_mlp", dMlp);
        }
    }

    /**
     * Refuses sizes whose product, the element count of a weight, a tensor cannot hold.
     *
     * @param factors pairs of a key and its value
     */
    private static void fitsATensor(String weight, Object... factors) {
        double product = 1;
        StringBuilder text = new StringBuilder();
        for (int k = 0; k < factors.length; k += 2) {
            product *= (Integer) factors[k + 1];
            text.append(k == 0 ? "" : " x ").append(factors[k]).append(' ').append(factors[k + 1]);
        }
        if (product > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "%s = %.3g elements in %s, more than a tensor holds (2^31-1)", text, product, weight));
        }
    }

    private static int positive(String name, long v) {
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be a positive integer below 2^31, got " + v);
        }
        return (int) v;
    }

    private static void finitePositive(String name, double v) {
        if (!(v > 0) || !Double.isFinite(v)) {
            throw new IllegalArgumentException(name + " must be a finite positive number, got " + v);
        }
    }

    private static float softCap(String name, float v) {
        if (v == -1f || v == 0f) {
            return -1f;
        }
        if (!(v > 0) || !Float.isFinite(v)) {
            throw new IllegalArgumentException(name + " must be a finite positive number (or -1 for none), got " + v);
        }
        return v;
    }

    // ------------------------------------------------------------------ construction

    /**
     * A builder with TransformerLens's defaults: LayerNorm, gelu_new, learned positions, eps 1e-5,
     * d_head = d_model / n_heads, d_mlp = 4 d_model.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding this config's values.
     *
     * @return a builder initialised from this config
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.modelName = modelName;
        b.nLayers = nLayers;
        b.dModel = dModel;
        b.nHeads = nHeads;
        b.dHead = dHead;
        b.nKeyValueHeads = nKeyValueHeads;
        b.dMlp = attnOnly ? null : dMlp;
        b.nCtx = nCtx;
        b.dVocab = dVocab;
        b.dVocabOut = dVocabOut;
        b.actFn = actFn;
        b.normalization = normalization;
        b.finalRms = finalRms;
        b.attnOnly = attnOnly;
        b.eps = eps;
        b.positionalEmbedding = positionalEmbedding;
        b.rotaryDim = positionalEmbedding == PositionalEmbedding.ROTARY ? rotaryDim : null;
        b.rotaryBase = rotaryBase;
        b.rotaryAdjacentPairs = rotaryAdjacentPairs;
        b.useNtkByPartsRope = useNtkByPartsRope;
        b.ntkByPartsFactor = ntkByPartsFactor;
        b.ntkByPartsLowFreqFactor = ntkByPartsLowFreqFactor;
        b.ntkByPartsHighFreqFactor = ntkByPartsHighFreqFactor;
        b.ntkOriginalCtxLen = ntkOriginalCtxLen;
        b.gatedMlp = gatedMlp;
        b.parallelAttnMlp = parallelAttnMlp;
        b.useNormalizationBeforeAndAfter = useNormalizationBeforeAndAfter;
        b.useQkNorm = useQkNorm;
        b.attnScoresSoftCap = attnScoresSoftCap;
        b.outputLogitsSoftCap = outputLogitsSoftCap;
        b.useAttnScale = useAttnScale;
        b.attnScale = attnScale;
        b.useLocalAttn = useLocalAttn;
        b.attnTypes = useLocalAttn ? attnTypes : null;
        b.windowSize = useLocalAttn && windowSize > 0 ? windowSize : null;
        b.useAttnResult = useAttnResult;
        b.useSplitQkvInput = useSplitQkvInput;
        b.useHookMlpIn = useHookMlpIn;
        b.useAttnIn = useAttnIn;
        b.useHookTokens = useHookTokens;
        b.defaultPrependBos = defaultPrependBos;
        b.originalArchitecture = originalArchitecture;
        return b;
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
        if (nHeads > 0 && dModel % nHeads != 0) {
            throw new IllegalArgumentException("d_model " + dModel + " is not divisible by n_heads " + nHeads);
        }
        return builder().nLayers(nLayers).dModel(dModel).nHeads(nHeads).nCtx(nCtx).dVocab(dVocab)
                .modelName("gpt2-like").originalArchitecture("GPT2LMHeadModel").build();
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
        return toBuilder().modelName(name).build();
    }

    /**
     * A copy with another normalisation.
     *
     * @param norm the normalisation
     * @return a copy with another normalisation
     */
    public TransformerConfig withNormalization(Normalization norm) {
        return toBuilder().normalization(norm).finalRms(finalRms && norm.isRms()).build();
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
        return toBuilder().useAttnResult(attnResult).useSplitQkvInput(splitQkvInput).useHookMlpIn(hookMlpIn).useAttnIn(attnIn).build();
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
        return toBuilder().useHookTokens(hookTokens).build();
    }

    // ------------------------------------------------------------------ accessors

    /**
     * Returns a name for reports, e.g. {@code "gpt2"}.
     *
     * @return a name for reports, e.g. {@code "gpt2"}
     */
    public String modelName() {
        return modelName;
    }

    /**
     * Returns number of transformer blocks.
     *
     * @return number of transformer blocks
     */
    public int nLayers() {
        return nLayers;
    }

    /**
     * Returns width of the residual stream.
     *
     * @return width of the residual stream
     */
    public int dModel() {
        return dModel;
    }

    /**
     * Returns query heads per layer.
     *
     * @return query heads per layer
     */
    public int nHeads() {
        return nHeads;
    }

    /**
     * Returns width of each head.
     *
     * @return width of each head
     */
    public int dHead() {
        return dHead;
    }

    /**
     * TransformerLens's {@code n_key_value_heads}: null when every query head has its own key and value
     * head (multi-head attention); otherwise the number of key/value heads, shared by groups of
     * {@code n_heads / n_key_value_heads} query heads (grouped-query attention; 1 is multi-query).
     *
     * @return the number of key/value heads, or null for multi-head attention
     */
    public Integer nKeyValueHeads() {
        return nKeyValueHeads;
    }

    /**
     * Returns key/value heads per layer: {@link #nKeyValueHeads()}, or n_heads without grouping.
     *
     * @return key/value heads per layer: {@link #nKeyValueHeads()}, or n_heads without grouping
     */
    public int nKvHeads() {
        return nKeyValueHeads == null ? nHeads : nKeyValueHeads;
    }

    /**
     * Returns whether query heads share key/value heads (TransformerLens keeps them as {@code _W_K}, {@code _W_V}).
     *
     * @return whether query heads share key/value heads (TransformerLens keeps them as {@code _W_K}, {@code _W_V})
     */
    public boolean groupedQueryAttention() {
        return nKeyValueHeads != null;
    }

    /**
     * Returns hidden width of the MLP (0 when {@link #attnOnly()}).
     *
     * @return hidden width of the MLP (0 when {@link #attnOnly()})
     */
    public int dMlp() {
        return dMlp;
    }

    /**
     * Returns maximum sequence length.
     *
     * @return maximum sequence length
     */
    public int nCtx() {
        return nCtx;
    }

    /**
     * Returns vocabulary size of the input (rows of W_E).
     *
     * @return vocabulary size of the input (rows of W_E)
     */
    public int dVocab() {
        return dVocab;
    }

    /**
     * Returns vocabulary size of the output (columns of W_U); d_vocab unless the config says otherwise.
     *
     * @return vocabulary size of the output (columns of W_U); d_vocab unless the config says otherwise
     */
    public int dVocabOut() {
        return dVocabOut;
    }

    /**
     * Returns the MLP activation, or null for an attention-only model.
     *
     * @return the MLP activation, or null for an attention-only model
     */
    public Activation actFn() {
        return actFn;
    }

    /**
     * Returns how the residual stream is normalised before each block and before the unembedding.
     *
     * @return how the residual stream is normalised before each block and before the unembedding
     */
    public Normalization normalization() {
        return normalization;
    }

    /**
     * Returns transformerLens's {@code final_rms} (an RMS final norm; set by RMS models).
     *
     * @return TransformerLens's {@code final_rms} (an RMS final norm; set by RMS models)
     */
    public boolean finalRms() {
        return finalRms;
    }

    /**
     * Returns true for attention-only models (no MLPs).
     *
     * @return true for attention-only models (no MLPs)
     */
    public boolean attnOnly() {
        return attnOnly;
    }

    /**
     * Returns the norm epsilon.
     *
     * @return the norm epsilon
     */
    public float eps() {
        return eps;
    }

    /**
     * Returns how positions enter the model.
     *
     * @return how positions enter the model
     */
    public PositionalEmbedding positionalEmbedding() {
        return positionalEmbedding;
    }

    /**
     * Returns the leading dimensions of each head that rotary embeddings rotate (0 without rotary).
     *
     * @return the leading dimensions of each head that rotary embeddings rotate (0 without rotary)
     */
    public int rotaryDim() {
        return rotaryDim;
    }

    /**
     * Returns the rotary base (theta).
     *
     * @return the rotary base (theta)
     */
    public double rotaryBase() {
        return rotaryBase;
    }

    /**
     * Returns true when rotary embeddings rotate adjacent pairs (GPT-J), false for halves (GPT-NeoX, Llama).
     *
     * @return true when rotary embeddings rotate adjacent pairs (GPT-J), false for halves (GPT-NeoX, Llama)
     */
    public boolean rotaryAdjacentPairs() {
        return rotaryAdjacentPairs;
    }

    /**
     * Returns whether Llama 3's "NTK by parts" frequency scaling applies (TransformerLens's {@code use_NTK_by_parts_rope}).
     *
     * @return whether Llama 3's "NTK by parts" frequency scaling applies (TransformerLens's {@code use_NTK_by_parts_rope})
     */
    public boolean useNtkByPartsRope() {
        return useNtkByPartsRope;
    }

    /**
     * Returns llama 3 rope scaling {@code factor}.
     *
     * @return Llama 3 rope scaling {@code factor}
     */
    public double ntkByPartsFactor() {
        return ntkByPartsFactor;
    }

    /**
     * Returns llama 3 rope scaling {@code low_freq_factor}.
     *
     * @return Llama 3 rope scaling {@code low_freq_factor}
     */
    public double ntkByPartsLowFreqFactor() {
        return ntkByPartsLowFreqFactor;
    }

    /**
     * Returns llama 3 rope scaling {@code high_freq_factor}.
     *
     * @return Llama 3 rope scaling {@code high_freq_factor}
     */
    public double ntkByPartsHighFreqFactor() {
        return ntkByPartsHighFreqFactor;
    }

    /**
     * Returns llama 3 rope scaling {@code original_max_position_embeddings}.
     *
     * @return Llama 3 rope scaling {@code original_max_position_embeddings}
     */
    public int ntkOriginalCtxLen() {
        return ntkOriginalCtxLen;
    }

    /**
     * Returns whether the MLP is gated ({@code act(x W_gate) * (x W_in)}: SwiGLU, GeGLU).
     *
     * @return whether the MLP is gated ({@code act(x W_gate) * (x W_in)}: SwiGLU, GeGLU)
     */
    public boolean gatedMlp() {
        return gatedMlp;
    }

    /**
     * Returns whether attention and MLP both read resid_pre and add to resid_post (GPT-NeoX, GPT-J).
     *
     * @return whether attention and MLP both read resid_pre and add to resid_post (GPT-NeoX, GPT-J)
     */
    public boolean parallelAttnMlp() {
        return parallelAttnMlp;
    }

    /**
     * Returns whether attention and MLP outputs pass through their own norms ({@code ln1_post}, {@code ln2_post}: Gemma 2).
     *
     * @return whether attention and MLP outputs pass through their own norms ({@code ln1_post}, {@code ln2_post}: Gemma 2)
     */
    public boolean useNormalizationBeforeAndAfter() {
        return useNormalizationBeforeAndAfter;
    }

    /**
     * Returns whether queries and keys are RMS-normalised per head before rotary ({@code q_norm}, {@code k_norm}: Qwen3).
     *
     * @return whether queries and keys are RMS-normalised per head before rotary ({@code q_norm}, {@code k_norm}: Qwen3)
     */
    public boolean useQkNorm() {
        return useQkNorm;
    }

    /**
     * Returns the attention score soft cap {@code c} ({@code c tanh(s / c)}), or -1 for none.
     *
     * @return the attention score soft cap {@code c} ({@code c tanh(s / c)}), or -1 for none
     */
    public float attnScoresSoftCap() {
        return attnScoresSoftCap;
    }

    /**
     * Returns the output logit soft cap, or -1 for none.
     *
     * @return the output logit soft cap, or -1 for none
     */
    public float outputLogitsSoftCap() {
        return outputLogitsSoftCap;
    }

    /**
     * Returns whether scores are divided by {@link #attnScale()}.
     *
     * @return whether scores are divided by {@link #attnScale()}
     */
    public boolean useAttnScale() {
        return useAttnScale;
    }

    /**
     * Returns what scores are divided by: sqrt(d_head) unless a family says otherwise (Gemma 2: sqrt(query_pre_attn_scalar)).
     *
     * @return what scores are divided by: sqrt(d_head) unless a family says otherwise (Gemma 2: sqrt(query_pre_attn_scalar))
     */
    public float attnScale() {
        return attnScale;
    }

    /**
     * Returns whether some layers attend within a window ({@link #attnTypes()}).
     *
     * @return whether some layers attend within a window ({@link #attnTypes()})
     */
    public boolean useLocalAttn() {
        return useLocalAttn;
    }

    /**
     * Returns each layer's attention type (all global unless {@link #useLocalAttn()}).
     *
     * @return each layer's attention type (all global unless {@link #useLocalAttn()})
     */
    public List<AttentionType> attnTypes() {
        return attnTypes;
    }

    /**
     * Layer {@code l}'s attention type.
     *
     * @param l the layer
     * @return its attention type
     */
    public AttentionType attnType(int l) {
        return attnTypes.get(l);
    }

    /**
     * Returns the window of local layers: a query sees itself and the window - 1 positions before it (0 without local layers).
     *
     * @return the window of local layers: a query sees itself and the window - 1 positions before it (0 without local layers)
     */
    public int windowSize() {
        return windowSize;
    }

    /**
     * Returns record {@code blocks.L.attn.hook_result} (per-head outputs).
     *
     * @return record {@code blocks.L.attn.hook_result} (per-head outputs)
     */
    public boolean useAttnResult() {
        return useAttnResult;
    }

    /**
     * Returns give each head its own copy of the residual stream for Q, K and V.
     *
     * @return give each head its own copy of the residual stream for Q, K and V
     */
    public boolean useSplitQkvInput() {
        return useSplitQkvInput;
    }

    /**
     * Returns record {@code blocks.L.hook_mlp_in}.
     *
     * @return record {@code blocks.L.hook_mlp_in}
     */
    public boolean useHookMlpIn() {
        return useHookMlpIn;
    }

    /**
     * Returns give each head its own copy of the residual stream ({@code hook_attn_in}).
     *
     * @return give each head its own copy of the residual stream ({@code hook_attn_in})
     */
    public boolean useAttnIn() {
        return useAttnIn;
    }

    /**
     * Returns record {@code hook_tokens}, the token ids {@code [batch, pos]} before the embedding.
     *
     * @return record {@code hook_tokens}, the token ids {@code [batch, pos]} before the embedding
     */
    public boolean useHookTokens() {
        return useHookTokens;
    }

    /**
     * Returns whether a tokenized prompt starts with BOS by default (TransformerLens's {@code default_prepend_bos}).
     *
     * @return whether a tokenized prompt starts with BOS by default (TransformerLens's {@code default_prepend_bos})
     */
    public boolean defaultPrependBos() {
        return defaultPrependBos;
    }

    /**
     * Returns the Hugging Face architecture the model came from (e.g. {@code "LlamaForCausalLM"}), or null.
     *
     * @return the Hugging Face architecture the model came from (e.g. {@code "LlamaForCausalLM"}), or null
     */
    public String originalArchitecture() {
        return originalArchitecture;
    }

    /**
     * Whether the model normalises the residual stream before reading it.
     *
     * @return true unless the normalisation is {@link Normalization#NONE}
     */
    public boolean hasNorm() {
        return normalization != Normalization.NONE;
    }

    /**
     * Whether a block has a {@code hook_resid_mid} (an MLP after attention, not beside it).
     *
     * @return true for sequential blocks with MLPs
     */
    public boolean hasResidMid() {
        return !attnOnly && !parallelAttnMlp;
    }

    // ------------------------------------------------------------------ JSON

    /**
     * The config under TransformerLens's {@code HookedTransformerConfig} keys. Keys whose value is
     * TransformerLens's default and that configs written before lens4j knew them lack (rotary, grouped
     * attention, soft caps, local attention, post norms, ...) are written only when set, so that the
     * configs of the shipped models, which their recipe regenerates byte for byte, stay as they were.
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
        m.put("act_fn", actFn == null ? null : actFn.tlName());
        m.put("normalization_type", normalization.tlName());
        m.put("attn_only", attnOnly);
        m.put("eps", (double) eps);
        m.put("use_attn_result", useAttnResult);
        m.put("use_split_qkv_input", useSplitQkvInput);
        m.put("use_hook_mlp_in", useHookMlpIn);
        m.put("use_attn_in", useAttnIn);
        if (useHookTokens) {
            m.put("use_hook_tokens", true);
        }
        m.put("positional_embedding_type", positionalEmbedding.tlName());
        if (dVocabOut != dVocab) {
            m.put("d_vocab_out", dVocabOut);
        }
        if (nKeyValueHeads != null) {
            m.put("n_key_value_heads", nKeyValueHeads);
        }
        if (finalRms) {
            m.put("final_rms", true);
        }
        if (positionalEmbedding == PositionalEmbedding.ROTARY) {
            m.put("rotary_dim", rotaryDim);
            m.put("rotary_base", rotaryBase);
            m.put("rotary_adjacent_pairs", rotaryAdjacentPairs);
            if (useNtkByPartsRope) {
                m.put("use_NTK_by_parts_rope", true);
                m.put("NTK_by_parts_factor", ntkByPartsFactor);
                m.put("NTK_by_parts_low_freq_factor", ntkByPartsLowFreqFactor);
                m.put("NTK_by_parts_high_freq_factor", ntkByPartsHighFreqFactor);
                m.put("NTK_original_ctx_len", ntkOriginalCtxLen);
            }
        }
        if (gatedMlp) {
            m.put("gated_mlp", true);
        }
        if (parallelAttnMlp) {
            m.put("parallel_attn_mlp", true);
        }
        if (useNormalizationBeforeAndAfter) {
            m.put("use_normalization_before_and_after", true);
        }
        if (useQkNorm) {
            m.put("use_qk_norm", true);
        }
        if (attnScoresSoftCap > 0) {
            m.put("attn_scores_soft_cap", (double) attnScoresSoftCap);
        }
        if (outputLogitsSoftCap > 0) {
            m.put("output_logits_soft_cap", (double) outputLogitsSoftCap);
        }
        if (!useAttnScale) {
            m.put("use_attn_scale", false);
        }
        if (attnScale != (float) Math.sqrt(dHead)) {
            m.put("attn_scale", (double) attnScale);
        }
        if (useLocalAttn) {
            m.put("use_local_attn", true);
            List<Object> types = new ArrayList<>();
            for (AttentionType t : attnTypes) {
                types.add(t.tlName());
            }
            m.put("attn_types", types);
            if (windowSize > 0) {
                m.put("window_size", windowSize);
            }
        }
        if (!defaultPrependBos) {
            m.put("default_prepend_bos", false);
        }
        if (originalArchitecture != null && !"GPT2LMHeadModel".equals(originalArchitecture)) {
            m.put("original_architecture", originalArchitecture);
        }
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
     * Keys of TransformerLens's {@code HookedTransformerConfig} that describe how a model was made or
     * where it runs, not what it computes; {@link #fromJsonMap} accepts and ignores them.
     */
    private static final Set<String> IGNORED_KEYS = Set.of(
            "n_params", "device", "n_devices", "seed", "initializer_range", "init_mode", "init_weights", "dtype",
            "from_checkpoint", "checkpoint_index", "checkpoint_label_type", "checkpoint_value", "tokenizer_name",
            "tokenizer_prepends_bos", "trust_remote_code", "tie_word_embeddings", "load_in_4bit", "model_type",
            "architectures", "use_hook_mlp_in_", "default_padding_side");

    /**
     * Keys whose only implemented value is TransformerLens's default: any other value is refused by name.
     */
    private static final Map<String, Object> DEFAULT_ONLY = defaultOnly();

    private static Map<String, Object> defaultOnly() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scale_attn_by_inverse_layer_idx", false);
        m.put("attention_dir", "causal");
        m.put("post_embedding_ln", false);
        m.put("ungroup_grouped_query_attention", false);
        m.put("num_experts", null);
        m.put("experts_per_token", null);
        m.put("rotary_base_local", null);
        m.put("relative_attention_max_distance", null);
        m.put("relative_attention_num_buckets", null);
        m.put("decoder_start_token_id", null);
        m.put("use_hook_mlp_in_gelu", null);
        return m;
    }

    /**
     * Reads TransformerLens {@code HookedTransformerConfig} keys (as written by {@link #toJsonMap()} or
     * by TransformerLens's {@code cfg.to_dict()}). Missing keys take TransformerLens's defaults
     * (a config without {@code normalization_type} means LayerNorm, as in TransformerLens); a key it
     * does not know, or a value it does not implement, is refused by name.
     *
     * @param m the parsed JSON object
     * @param source where it came from, for error messages (a file path)
     * @return the config
     * @throws IllegalArgumentException naming the source and the key at fault
     */
    public static TransformerConfig fromJsonMap(Map<String, Object> m, String source) {
        try {
            Set<String> unknown = new TreeSet<>(m.keySet());
            Builder b = builder();
            JsonReader r = new JsonReader(m, unknown);
            b.modelName(r.string("model_name", "unnamed"));
            b.nLayers(r.integer("n_layers", null));
            b.dModel(r.integer("d_model", null));
            int nHeads = r.integer("n_heads", null);
            b.nHeads(nHeads);
            Integer dHead = r.integerOrNull("d_head");
            if (dHead == null && (nHeads <= 0 || !(m.get("d_model") instanceof Long dmod) || dmod % nHeads != 0)) {
                throw new IllegalArgumentException("missing key \"d_head\" (d_model is not a multiple of n_heads " + nHeads + ")");
            }
            b.dHead(dHead);
            b.nKeyValueHeads(r.integerOrNull("n_key_value_heads"));
            b.attnOnly(r.bool("attn_only", false));
            Integer dMlp = r.integerOrNull("d_mlp");
            Object dm = m.get("d_model");
            if (dMlp == null && !Boolean.TRUE.equals(m.get("attn_only")) && dm instanceof Long d && 4 * d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("\"d_mlp\" is absent, so it is 4 d_model = " + 4 * d
                        + ", more than 2^31-1: d_model " + d + " is too large");
            }
            b.dMlp(dMlp);
            b.nCtx(r.integer("n_ctx", null));
            b.dVocab(r.integer("d_vocab", null));
            Integer out = r.integerOrNull("d_vocab_out");
            b.dVocabOut(out == null || out == -1 ? null : out);
            String act = r.string("act_fn", null);
            b.actFn(act == null ? null : Activation.fromTlName(act));
            if (m.containsKey("normalization_type")) {
                unknown.remove("normalization_type");
                Object norm = m.get("normalization_type");
                if (norm != null && !(norm instanceof String)) {
                    throw new IllegalArgumentException("\"normalization_type\" must be a string or null, got " + Json.write(norm));
                }
                b.normalization(Normalization.fromTlName((String) norm));
            }
            b.finalRms(r.bool("final_rms", false));
            b.eps(r.float32("eps", 1e-5f));
            b.positionalEmbedding(PositionalEmbedding.fromTlName(r.string("positional_embedding_type", "standard")));
            b.rotaryDim(r.integerOrNull("rotary_dim"));
            b.rotaryBase(r.number("rotary_base", DEFAULT_ROTARY_BASE).doubleValue());
            b.rotaryAdjacentPairs(r.bool("rotary_adjacent_pairs", false));
            b.useNtkByPartsRope(r.bool("use_NTK_by_parts_rope", false));
            b.ntkByPartsFactor(r.number("NTK_by_parts_factor", 8.0).doubleValue());
            b.ntkByPartsLowFreqFactor(r.number("NTK_by_parts_low_freq_factor", 1.0).doubleValue());
            b.ntkByPartsHighFreqFactor(r.number("NTK_by_parts_high_freq_factor", 4.0).doubleValue());
            b.ntkOriginalCtxLen(r.integer("NTK_original_ctx_len", 8192));
            b.gatedMlp(r.bool("gated_mlp", false));
            b.parallelAttnMlp(r.bool("parallel_attn_mlp", false));
            b.useNormalizationBeforeAndAfter(r.bool("use_normalization_before_and_after", false));
            b.useQkNorm(r.bool("use_qk_norm", false));
            b.attnScoresSoftCap(r.number("attn_scores_soft_cap", -1.0).floatValue());
            b.outputLogitsSoftCap(r.number("output_logits_soft_cap", -1.0).floatValue());
            b.useAttnScale(r.bool("use_attn_scale", true));
            b.attnScale(r.number("attn_scale", -1.0).floatValue());
            b.useLocalAttn(r.bool("use_local_attn", false));
            List<Object> types = r.list("attn_types");
            if (types != null) {
                List<AttentionType> ts = new ArrayList<>();
                for (Object t : types) {
                    if (!(t instanceof String s)) {
                        throw new IllegalArgumentException("\"attn_types\" must hold strings, got " + Json.write(t));
                    }
                    ts.add(AttentionType.fromTlName(s));
                }
                b.attnTypes(ts);
            }
            b.windowSize(r.integerOrNull("window_size"));
            b.useAttnResult(r.bool("use_attn_result", false));
            b.useSplitQkvInput(r.bool("use_split_qkv_input", false));
            b.useHookMlpIn(r.bool("use_hook_mlp_in", false));
            b.useAttnIn(r.bool("use_attn_in", false));
            b.useHookTokens(r.bool("use_hook_tokens", false));
            b.defaultPrependBos(r.bool("default_prepend_bos", true));
            b.originalArchitecture(r.string("original_architecture", null));
            for (Map.Entry<String, Object> e : DEFAULT_ONLY.entrySet()) {
                if (m.containsKey(e.getKey())) {
                    unknown.remove(e.getKey());
                    Object v = m.get(e.getKey());
                    if (!Objects.equals(v, e.getValue())) {
                        throw new IllegalArgumentException("\"" + e.getKey() + "\": " + Json.write(v)
                                + " is not supported by lens4j (only " + Json.write(e.getValue()) + ")");
                    }
                }
            }
            unknown.removeAll(IGNORED_KEYS);
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("unknown key" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
                        + " (lens4j reads TransformerLens's HookedTransformerConfig keys)");
            }
            return b.build();
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new IllegalArgumentException(source + ": bad model config: " + e.getMessage(), e);
        }
    }

    /** Typed reads of config keys that remember which keys were read. */
    private record JsonReader(Map<String, Object> m, Set<String> unread) {

        private Object get(String key) {
            unread.remove(key);
            return m.get(key);
        }

        Integer integer(String key, Integer dflt) {
            Integer v = integerOrNull(key);
            if (v == null) {
                if (dflt == null) {
                    throw new IllegalArgumentException("missing key \"" + key + "\"");
                }
                return dflt;
            }
            return v;
        }

        Integer integerOrNull(String key) {
            Object v = get(key);
            if (v == null) {
                return null;
            }
            if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) {
                return (int) (double) d;
            }
            if (!(v instanceof Long l) || l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("\"" + key + "\" must be an integer below 2^31, got " + Json.write(v));
            }
            return (int) (long) l;
        }

        Number number(String key, double dflt) {
            Object v = get(key);
            if (v == null) {
                return dflt;
            }
            if (!(v instanceof Number n)) {
                throw new IllegalArgumentException("\"" + key + "\" must be a number, got " + Json.write(v));
            }
            if (!Double.isFinite(n.doubleValue())) {
                throw new IllegalArgumentException("\"" + key + "\" must be finite, got " + n);
            }
            return n;
        }

        /** A positive number that float32 holds (as a norm's epsilon must be). */
        float float32(String key, float dflt) {
            Object v = get(key);
            if (v == null) {
                return dflt;
            }
            if (!(v instanceof Number n) || !(n.floatValue() > 0) || !Float.isFinite(n.floatValue())) {
                throw new IllegalArgumentException("\"" + key + "\" must be a positive number that float32 holds, got " + Json.write(v));
            }
            return n.floatValue();
        }

        boolean bool(String key, boolean dflt) {
            Object v = get(key);
            if (v == null) {
                return dflt;
            }
            if (!(v instanceof Boolean b)) {
                throw new IllegalArgumentException("\"" + key + "\" must be true or false, got " + Json.write(v));
            }
            return b;
        }

        String string(String key, String dflt) {
            Object v = get(key);
            if (v == null) {
                return dflt;
            }
            if (!(v instanceof String s)) {
                throw new IllegalArgumentException("\"" + key + "\" must be a string, got " + Json.write(v));
            }
            return s;
        }

        @SuppressWarnings("unchecked")
        List<Object> list(String key) {
            Object v = get(key);
            if (v == null) {
                return null;
            }
            if (!(v instanceof List<?> l)) {
                throw new IllegalArgumentException("\"" + key + "\" must be a list, got " + Json.write(v));
            }
            return (List<Object>) l;
        }
    }

    // ------------------------------------------------------------------ value semantics

    @Override
    public boolean equals(Object o) {
        return o instanceof TransformerConfig c && c.toJsonMap().equals(toJsonMap());
    }

    @Override
    public int hashCode() {
        return toJsonMap().hashCode();
    }

    @Override
    public String toString() {
        return "TransformerConfig" + toJson();
    }

    // ------------------------------------------------------------------ builder

    /**
     * Builds a {@link TransformerConfig}; unset values take TransformerLens's defaults. Setters name
     * TransformerLens's fields in camelCase.
     */
    public static final class Builder {
        private String modelName;
        private int nLayers;
        private int dModel;
        private int nHeads;
        private Integer dHead;
        private Integer nKeyValueHeads;
        private Integer dMlp;
        private int nCtx;
        private int dVocab;
        private Integer dVocabOut;
        private Activation actFn = Activation.GELU_NEW;
        private Normalization normalization = Normalization.LN;
        private boolean finalRms;
        private boolean attnOnly;
        private float eps = 1e-5f;
        private PositionalEmbedding positionalEmbedding = PositionalEmbedding.STANDARD;
        private Integer rotaryDim;
        private double rotaryBase = DEFAULT_ROTARY_BASE;
        private boolean rotaryAdjacentPairs;
        private boolean useNtkByPartsRope;
        private double ntkByPartsFactor = 8.0;
        private double ntkByPartsLowFreqFactor = 1.0;
        private double ntkByPartsHighFreqFactor = 4.0;
        private int ntkOriginalCtxLen = 8192;
        private boolean gatedMlp;
        private boolean parallelAttnMlp;
        private boolean useNormalizationBeforeAndAfter;
        private boolean useQkNorm;
        private float attnScoresSoftCap = -1f;
        private float outputLogitsSoftCap = -1f;
        private boolean useAttnScale = true;
        private Float attnScale;
        private boolean useLocalAttn;
        private List<AttentionType> attnTypes;
        private Integer windowSize;
        private boolean useAttnResult;
        private boolean useSplitQkvInput;
        private boolean useHookMlpIn;
        private boolean useAttnIn;
        private boolean useHookTokens;
        private boolean defaultPrependBos = true;
        private String originalArchitecture;

        private Builder() {}

        /**
         * Sets a name for reports.
         *
         * @param v a name for reports
         * @return this builder
         */
        public Builder modelName(String v) { modelName = v; return this; }
        /**
         * Sets number of blocks.
         *
         * @param v number of blocks
         * @return this builder
         */
        public Builder nLayers(int v) { nLayers = v; return this; }
        /**
         * Sets residual width.
         *
         * @param v residual width
         * @return this builder
         */
        public Builder dModel(int v) { dModel = v; return this; }
        /**
         * Sets query heads per layer.
         *
         * @param v query heads per layer
         * @return this builder
         */
        public Builder nHeads(int v) { nHeads = v; return this; }
        /**
         * Sets head width, or null for d_model / n_heads.
         *
         * @param v head width, or null for d_model / n_heads
         * @return this builder
         */
        public Builder dHead(Integer v) { dHead = v; return this; }
        /**
         * Sets key/value heads (grouped-query attention), or null for one per query head.
         *
         * @param v key/value heads (grouped-query attention), or null for one per query head
         * @return this builder
         */
        public Builder nKeyValueHeads(Integer v) { nKeyValueHeads = v; return this; }
        /**
         * Sets MLP width, or null for 4 d_model.
         *
         * @param v MLP width, or null for 4 d_model
         * @return this builder
         */
        public Builder dMlp(Integer v) { dMlp = v; return this; }
        /**
         * Sets context length.
         *
         * @param v context length
         * @return this builder
         */
        public Builder nCtx(int v) { nCtx = v; return this; }
        /**
         * Sets input vocabulary size.
         *
         * @param v input vocabulary size
         * @return this builder
         */
        public Builder dVocab(int v) { dVocab = v; return this; }
        /**
         * Sets output vocabulary size, or null for d_vocab.
         *
         * @param v output vocabulary size, or null for d_vocab
         * @return this builder
         */
        public Builder dVocabOut(Integer v) { dVocabOut = v; return this; }
        /**
         * Sets MLP activation (null only for attention-only models).
         *
         * @param v MLP activation (null only for attention-only models)
         * @return this builder
         */
        public Builder actFn(Activation v) { actFn = v; return this; }
        /**
         * Sets normalisation.
         *
         * @param v normalisation
         * @return this builder
         */
        public Builder normalization(Normalization v) { normalization = v; return this; }
        /**
         * Sets TransformerLens's final_rms.
         *
         * @param v TransformerLens's final_rms
         * @return this builder
         */
        public Builder finalRms(boolean v) { finalRms = v; return this; }
        /**
         * Sets attention-only (no MLPs).
         *
         * @param v attention-only (no MLPs)
         * @return this builder
         */
        public Builder attnOnly(boolean v) { attnOnly = v; return this; }
        /**
         * Sets norm epsilon.
         *
         * @param v norm epsilon
         * @return this builder
         */
        public Builder eps(float v) { eps = v; return this; }
        /**
         * Sets positional embedding type.
         *
         * @param v positional embedding type
         * @return this builder
         */
        public Builder positionalEmbedding(PositionalEmbedding v) { positionalEmbedding = v; return this; }
        /**
         * Sets rotated dimensions per head (null: d_head).
         *
         * @param v rotated dimensions per head (null: d_head)
         * @return this builder
         */
        public Builder rotaryDim(Integer v) { rotaryDim = v; return this; }
        /**
         * Sets rotary base (theta).
         *
         * @param v rotary base (theta)
         * @return this builder
         */
        public Builder rotaryBase(double v) { rotaryBase = v; return this; }
        /**
         * Sets rotate adjacent pairs (GPT-J) instead of halves.
         *
         * @param v rotate adjacent pairs (GPT-J) instead of halves
         * @return this builder
         */
        public Builder rotaryAdjacentPairs(boolean v) { rotaryAdjacentPairs = v; return this; }
        /**
         * Sets Llama 3 "NTK by parts" rope scaling.
         *
         * @param v Llama 3 "NTK by parts" rope scaling
         * @return this builder
         */
        public Builder useNtkByPartsRope(boolean v) { useNtkByPartsRope = v; return this; }
        /**
         * Sets Llama 3 rope scaling factor.
         *
         * @param v Llama 3 rope scaling factor
         * @return this builder
         */
        public Builder ntkByPartsFactor(double v) { ntkByPartsFactor = v; return this; }
        /**
         * Sets Llama 3 rope scaling low_freq_factor.
         *
         * @param v Llama 3 rope scaling low_freq_factor
         * @return this builder
         */
        public Builder ntkByPartsLowFreqFactor(double v) { ntkByPartsLowFreqFactor = v; return this; }
        /**
         * Sets Llama 3 rope scaling high_freq_factor.
         *
         * @param v Llama 3 rope scaling high_freq_factor
         * @return this builder
         */
        public Builder ntkByPartsHighFreqFactor(double v) { ntkByPartsHighFreqFactor = v; return this; }
        /**
         * Sets Llama 3 rope scaling original_max_position_embeddings.
         *
         * @param v Llama 3 rope scaling original_max_position_embeddings
         * @return this builder
         */
        public Builder ntkOriginalCtxLen(int v) { ntkOriginalCtxLen = v; return this; }
        /**
         * Sets gated MLP.
         *
         * @param v gated MLP
         * @return this builder
         */
        public Builder gatedMlp(boolean v) { gatedMlp = v; return this; }
        /**
         * Sets parallel attention and MLP.
         *
         * @param v parallel attention and MLP
         * @return this builder
         */
        public Builder parallelAttnMlp(boolean v) { parallelAttnMlp = v; return this; }
        /**
         * Sets norms after attention and MLP too.
         *
         * @param v norms after attention and MLP too
         * @return this builder
         */
        public Builder useNormalizationBeforeAndAfter(boolean v) { useNormalizationBeforeAndAfter = v; return this; }
        /**
         * Sets per-head RMS norms of queries and keys.
         *
         * @param v per-head RMS norms of queries and keys
         * @return this builder
         */
        public Builder useQkNorm(boolean v) { useQkNorm = v; return this; }
        /**
         * Sets attention score soft cap, -1 for none.
         *
         * @param v attention score soft cap, -1 for none
         * @return this builder
         */
        public Builder attnScoresSoftCap(float v) { attnScoresSoftCap = v; return this; }
        /**
         * Sets output logit soft cap, -1 for none.
         *
         * @param v output logit soft cap, -1 for none
         * @return this builder
         */
        public Builder outputLogitsSoftCap(float v) { outputLogitsSoftCap = v; return this; }
        /**
         * Sets divide scores by attn_scale.
         *
         * @param v divide scores by attn_scale
         * @return this builder
         */
        public Builder useAttnScale(boolean v) { useAttnScale = v; return this; }
        /**
         * Sets what scores are divided by, or null/-1 for sqrt(d_head).
         *
         * @param v what scores are divided by, or null/-1 for sqrt(d_head)
         * @return this builder
         */
        public Builder attnScale(Float v) { attnScale = v; return this; }
        /**
         * Sets some layers attend within a window.
         *
         * @param v some layers attend within a window
         * @return this builder
         */
        public Builder useLocalAttn(boolean v) { useLocalAttn = v; return this; }
        /**
         * Sets each layer's attention type.
         *
         * @param v each layer's attention type
         * @return this builder
         */
        public Builder attnTypes(List<AttentionType> v) { attnTypes = v == null ? null : new ArrayList<>(v); return this; }
        /**
         * Sets window of local layers.
         *
         * @param v window of local layers
         * @return this builder
         */
        public Builder windowSize(Integer v) { windowSize = v; return this; }
        /**
         * Sets record hook_result.
         *
         * @param v record hook_result
         * @return this builder
         */
        public Builder useAttnResult(boolean v) { useAttnResult = v; return this; }
        /**
         * Sets per-head Q/K/V inputs.
         *
         * @param v per-head Q/K/V inputs
         * @return this builder
         */
        public Builder useSplitQkvInput(boolean v) { useSplitQkvInput = v; return this; }
        /**
         * Sets record hook_mlp_in.
         *
         * @param v record hook_mlp_in
         * @return this builder
         */
        public Builder useHookMlpIn(boolean v) { useHookMlpIn = v; return this; }
        /**
         * Sets per-head attention input.
         *
         * @param v per-head attention input
         * @return this builder
         */
        public Builder useAttnIn(boolean v) { useAttnIn = v; return this; }
        /**
         * Sets record hook_tokens.
         *
         * @param v record hook_tokens
         * @return this builder
         */
        public Builder useHookTokens(boolean v) { useHookTokens = v; return this; }
        /**
         * Sets prepend BOS by default.
         *
         * @param v prepend BOS by default
         * @return this builder
         */
        public Builder defaultPrependBos(boolean v) { defaultPrependBos = v; return this; }
        /**
         * Sets the Hugging Face architecture.
         *
         * @param v the Hugging Face architecture
         * @return this builder
         */
        public Builder originalArchitecture(String v) { originalArchitecture = v; return this; }

        /**
         * Checks every value and builds the config.
         *
         * @return the config
         * @throws IllegalArgumentException naming the field at fault
         */
        public TransformerConfig build() {
            return new TransformerConfig(this);
        }
    }
}
