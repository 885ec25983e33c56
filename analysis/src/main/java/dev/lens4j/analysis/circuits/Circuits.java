package dev.lens4j.analysis.circuits;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The weight-level circuits of a model's attention heads, as TransformerLens exposes them
 * ({@code model.QK}, {@code model.OV}): factored matrices with leading dimensions
 * {@code [n_layers, n_heads]}, and the full circuits through the embedding and unembedding.
 *
 * <p>Read the QK circuit as a bilinear form {@code x_query QK x_key^T} (attention scores before
 * scaling) and the OV circuit as the map {@code x_source OV} that a head writes to the residual
 * stream when it attends fully to that source. Analyses are only meaningful on processed weights
 * (LayerNorm folded, writing weights centred), as TransformerLens's {@code from_pretrained} gives.
 *
 * <p>With grouped-query attention (Llama, Mistral, Qwen2, Gemma: fewer key/value heads than query
 * heads) every circuit is per query head, as TransformerLens's {@code model.QK} and {@code model.OV}:
 * {@code W_K} and {@code W_V} are {@link TransformerWeights.Layer#wK()} and {@link TransformerWeights.Layer#wV()},
 * which repeat each key/value head for the query heads that share it (TransformerLens's {@code W_K}
 * and {@code W_V} properties, {@code repeat_interleave}). Query heads of one group thus have the same
 * K factor, and the same V factor: their OV circuits differ only through {@code W_O}, their QK
 * circuits only through {@code W_Q}. Rotary positions rotate queries and keys inside attention, which
 * no circuit here includes: QK is the content part of the scores at zero offset.
 *
 * <p>A model that normalises each head's queries and keys (Qwen 3's {@code use_qk_norm}) scores
 * {@code RMSNorm(x W_Q) . RMSNorm(y W_K)}: {@code QK} is {@code W_Q W_K^T}, as TransformerLens's
 * {@code model.QK}, and leaves out both the norms' weights and their division by each query's and key's
 * RMS ({@link #qkLeavesOutNorms}); the investigation's K-composition claim is not applicable there.
 */
public final class Circuits {

    private final TransformerConfig cfg;
    private final TransformerWeights w;
    private volatile FactoredMatrix qk;
    private volatile FactoredMatrix ov;

    /**
     * The circuits of a model, built lazily from its weights (nothing is multiplied out).
     *
     * @param cfg the model's config
     * @param w its weights
     */
    public Circuits(TransformerConfig cfg, TransformerWeights w) {
        this.cfg = cfg;
        this.w = w;
    }

    private Tensor stack(java.util.function.Function<TransformerWeights.Layer, Tensor> f) {
        List<Tensor> parts = new ArrayList<>();
        for (TransformerWeights.Layer l : w.layers()) {
            parts.add(f.apply(l));
        }
        return Tensor.stack(0, parts.toArray(Tensor[]::new));
    }

    /**
     * The QK circuit of every head, kept factored (built on first use).
     *
     * @return {@code QK = W_Q W_K^T}, {@code [n_layers, n_heads, d_model, d_model]}, rank d_head
     */
    public FactoredMatrix qk() {
        FactoredMatrix m = qk;
        if (m == null) {
            m = FactoredMatrix.of(stack(TransformerWeights.Layer::wQ), stack(TransformerWeights.Layer::wK).mT());
            qk = m;
        }
        return m;
    }

    /**
     * The OV circuit of every head, kept factored (built on first use).
     *
     * @return {@code OV = W_V W_O}, {@code [n_layers, n_heads, d_model, d_model]}, rank d_head
     */
    public FactoredMatrix ov() {
        FactoredMatrix m = ov;
        if (m == null) {
            m = FactoredMatrix.of(stack(TransformerWeights.Layer::wV), stack(TransformerWeights.Layer::wO));
            ov = m;
        }
        return m;
    }

    /**
     * The full QK circuit {@code W_E QK W_E^T}: entry {@code [q, k]} is how much a query token
     * {@code q} attends to a key token {@code k} through the direct path. Factored, but its factors
     * are {@code [n_layers, n_heads, d_vocab, d_head]}: for a large vocabulary use the per-head
     * methods ({@link #topQkKeys}) instead.
     *
     * @return {@code [n_layers, n_heads, d_vocab, d_vocab]}, factored
     */
    public FactoredMatrix fullQk() {
        return qk().leftMatmul(w.wE()).matmul(w.wE().mT());
    }

    /**
     * The full OV circuit {@code W_E OV W_U}: entry {@code [s, t]} is how much attending to source
     * token {@code s} raises the logit of token {@code t}. Factored, but its factors are
     * {@code [n_layers, n_heads, d_vocab, d_head]}: for a large vocabulary use the per-head methods
     * ({@link #ovRow}, {@link #copyingScores}) instead.
     *
     * @return {@code [n_layers, n_heads, d_vocab, d_vocab]}, factored
     */
    public FactoredMatrix fullOv() {
        return ov().leftMatmul(w.wE()).matmul(w.wU());
    }

    /**
     * The positional QK circuit {@code W_pos QK W_pos^T} of one head over the first {@code n}
     * positions, with the causal mask applied (-inf above the diagonal) and softmax along keys:
     * a previous-token head shows a bright sub-diagonal.
     *
     * @param layer the layer
     * @param head the head
     * @param n how many positions (at most n_ctx)
     * @return {@code [n, n]} attention probabilities from positions alone
     */
    public Tensor positionalPattern(int layer, int head, int n) {
        return positionalPattern(layer, head, n, 1f);
    }

    /**
     * {@link #positionalPattern(int, int, int)} with {@code W_pos} divided by a LayerNorm scale:
     * on a model with LayerNorm the head reads {@code (x - mean) / scale}, so unscaled positional
     * embeddings give far too flat a pattern; pass the mean {@code ln1.hook_scale} of the layer on
     * real inputs.
     *
     * @param layer the layer
     * @param head the head
     * @param n how many positions (at most n_ctx)
     * @param lnScale the LayerNorm scale to divide {@code W_pos} by (1 for none)
     * @return {@code [n, n]} attention probabilities from positions alone
     */
    public Tensor positionalPattern(int layer, int head, int n, float lnScale) {
        positionalQkNotApplicable(cfg).ifPresent(why -> {
            throw new IllegalArgumentException("the positional QK circuit is not applicable: " + why);
        });
        layerWeights(layer, head);
        if (n < 1 || n > cfg.nCtx()) {
            throw new IllegalArgumentException("positions " + n + " outside [1, n_ctx=" + cfg.nCtx() + "]");
        }
        if (!(lnScale > 0)) {
            throw new IllegalArgumentException("LayerNorm scale must be positive, got " + lnScale);
        }
        Tensor pos = w.wPos().slice(0, 0, n).div(lnScale);
        Tensor scores = qk().get(layer, head).leftMatmul(pos).matmul(pos.mT()).ab().div((float) Math.sqrt(cfg.dHead()));
        return scores.maskedFill(Tensor.causalMask(n, n), Float.NEGATIVE_INFINITY).softmax(-1);
    }

    /**
     * Why a model has no positional QK circuit {@code W_pos QK W_pos^T}, if it has none: it exists only
     * for learned absolute positions ({@code positional_embedding_type} "standard"). With rotary
     * positions (Llama, GPT-NeoX, Gemma, ...) there is no {@code W_pos}: attention rotates each query and
     * key by its position, so where a head looks depends on position only through the offset between
     * query and key, and always together with the token content; no matrix of the weights alone says
     * it. The attention patterns (the previous-token score of {@code HeadDetection}) and ablating the
     * head are the evidence left for such a model.
     *
     * @param cfg a model's config
     * @return the reason, naming the model and its positional embedding; empty for learned positions
     */
    public static Optional<String> positionalQkNotApplicable(TransformerConfig cfg) {
        return switch (cfg.positionalEmbedding()) {
            case STANDARD -> Optional.empty();
            case ROTARY -> Optional.of("model " + cfg.modelName() + " has rotary positions (positional_embedding_type rotary): "
                    + "no W_pos, and attention rotates each query and key by its position, so no QK circuit of positions alone "
                    + "exists in its weights");
            case NONE -> Optional.of("model " + cfg.modelName() + " has no positional embeddings (positional_embedding_type none)");
        };
    }

    /**
     * Why {@link #qk()} is not the function a model's heads score with, if it is not: a model with
     * {@code use_qk_norm} (Qwen 3) puts each head's query and key through an RMS norm, so a score is
     * {@code (x W_Q g_q) . (y W_K g_k) / (rms(x W_Q) rms(y W_K))}, with the norms' weights {@code g} and a
     * division by values of each token that no matrix of the weights includes.
     *
     * @param cfg a model's config
     * @return the reason, naming the model; empty when the scores are {@code x QK y^T} (up to rotary positions)
     */
    public static Optional<String> qkLeavesOutNorms(TransformerConfig cfg) {
        if (!cfg.useQkNorm()) {
            return Optional.empty();
        }
        return Optional.of("model " + cfg.modelName() + " normalises each head's queries and keys (use_qk_norm): its "
                + "scores are RMSNorm(x W_Q) . RMSNorm(y W_K), which W_Q W_K^T leaves out (the norms' weights and the division "
                + "by each query's and key's RMS)");
    }

    /**
     * How much of each head's positional attention goes to the previous position: the mean of the
     * sub-diagonal of {@link #positionalPattern} over query positions 1 to {@code n - 1}.
     *
     * @param n how many positions (2 to n_ctx)
     * @return {@code [n_layers, n_heads]}, in {@code [0, 1]}
     */
    public Tensor positionalPreviousTokenScores(int n) {
        float[] ones = new float[cfg.nLayers()];
        java.util.Arrays.fill(ones, 1f);
        return positionalPreviousTokenScores(n, ones);
    }

    /**
     * {@link #positionalPreviousTokenScores(int)} with each layer's {@code W_pos} divided by that
     * layer's LayerNorm scale (see {@link #positionalPattern(int, int, int, float)}).
     *
     * @param n how many positions (2 to n_ctx)
     * @param lnScalePerLayer {@code [n_layers]} mean {@code ln1.hook_scale} per layer
     * @return {@code [n_layers, n_heads]}, in {@code [0, 1]}
     */
    public Tensor positionalPreviousTokenScores(int n, float[] lnScalePerLayer) {
        if (lnScalePerLayer.length != cfg.nLayers()) {
            throw new IllegalArgumentException("need one LayerNorm scale per layer (" + cfg.nLayers() + "), got " + lnScalePerLayer.length);
        }
        if (n < 2) {
            throw new IllegalArgumentException("need at least 2 positions, got " + n);
        }
        int layers = cfg.nLayers(), heads = cfg.nHeads();
        float[] out = new float[layers * heads];
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                Tensor p = positionalPattern(l, h, n, lnScalePerLayer[l]);
                double s = 0;
                for (int i = 1; i < n; i++) {
                    s += p.get(i, i - 1);
                }
                out[l * heads + h] = (float) (s / (n - 1));
            }
        }
        return Tensor.of(out, layers, heads);
    }

    /**
     * The OV copying score of every head: {@code Re(sum eigenvalues) / sum |eigenvalues|} of the
     * full OV circuit {@code W_E W_V W_O W_U}. The eigenvalues are those of the small
     * {@code [d_head, d_head]} product {@code W_O (W_U W_E) W_V} (the same non-zero eigenvalues),
     * so no vocabulary-sized matrix is formed. Near 1 for a head that copies the token it attends to
     * into the logits.
     *
     * @return {@code [n_layers, n_heads]}
     */
    public Tensor copyingScores() {
        Tensor ue = w.wU().matmul(w.wE());                            // [d_model, d_model]
        Tensor wV = stack(TransformerWeights.Layer::wV);              // [L, H, d_model, d_head]
        Tensor wO = stack(TransformerWeights.Layer::wO);              // [L, H, d_head, d_model]
        Tensor ba = wO.matmul(ue).matmul(wV);                         // [L, H, d_head, d_head]
        return Linalg.eigenvalues(ba).positivityScore();
    }

    /**
     * One row of one head's full OV circuit: how much attending to {@code source} raises each logit,
     * {@code W_E[source] W_V W_O W_U}.
     *
     * @param layer the layer
     * @param head the head
     * @param source the attended-to token
     * @return {@code [d_vocab]}
     */
    public Tensor ovRow(int layer, int head, int source) {
        TransformerWeights.Layer l = layerWeights(layer, head);
        return w.wE().select(0, checkToken(source)).matmul(l.wV().select(0, head)).matmul(l.wO().select(0, head)).matmul(w.wU());
    }

    /**
     * One row of one head's full QK circuit: the attention score (before scaling) of query token
     * {@code query} to every key token, {@code W_E[query] W_Q W_K^T W_E^T}.
     *
     * @param layer the layer
     * @param head the head
     * @param query the query token
     * @return {@code [d_vocab]}
     */
    public Tensor qkRow(int layer, int head, int query) {
        TransformerWeights.Layer l = layerWeights(layer, head);
        Tensor q = w.wE().select(0, checkToken(query)).matmul(l.wQ().select(0, head)); // [d_head]
        return w.wE().matmul(l.wK().select(0, head)).matmul(q);                        // [d_vocab]
    }

    /**
     * For one head's full OV circuit, the {@code k} tokens whose logits attending to {@code source}
     * raises most.
     *
     * @param layer the layer
     * @param head the head
     * @param source the attended-to token
     * @param k how many
     * @return token ids, best first
     */
    public int[] topOvOutputs(int layer, int head, int source, int k) {
        return topK(ovRow(layer, head, source), k);
    }

    /**
     * For one head's full QK circuit, the {@code k} key tokens a query token attends to most.
     *
     * @param layer the layer
     * @param head the head
     * @param query the query token
     * @param k how many
     * @return token ids, best first
     */
    public int[] topQkKeys(int layer, int head, int query, int k) {
        return topK(qkRow(layer, head, query), k);
    }

    private TransformerWeights.Layer layerWeights(int layer, int head) {
        if (layer < 0 || layer >= cfg.nLayers() || head < 0 || head >= cfg.nHeads()) {
            throw new IllegalArgumentException("head L" + layer + "H" + head + " is outside the model's "
                    + cfg.nLayers() + " layers x " + cfg.nHeads() + " heads");
        }
        return w.layers().get(layer);
    }

    private int checkToken(int t) {
        if (t < 0 || t >= cfg.dVocab()) {
            throw new IllegalArgumentException("token " + t + " is outside the vocabulary [0, " + cfg.dVocab() + ")");
        }
        return t;
    }

    /**
     * The indices of the {@code k} largest entries, largest first (ties by index).
     *
     * @param row a vector
     * @param k how many, at least 0 (more than the row has gives all of them)
     * @return indices
     * @throws IllegalArgumentException if {@code k} is negative
     */
    public static int[] topK(Tensor row, int k) {
        if (k < 0) {
            throw new IllegalArgumentException("k " + k + " is negative: ask for 0 or more top entries");
        }
        float[] v = row.toArray();
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (x, y) -> Float.compare(v[y], v[x]) != 0 ? Float.compare(v[y], v[x]) : Integer.compare(x, y));
        int n = Math.min(k, v.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}
