package dev.lens4j.analysis.circuits;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.util.ArrayList;
import java.util.List;

/**
 * The weight-level circuits of a model's attention heads, as TransformerLens exposes them
 * ({@code model.QK}, {@code model.OV}): factored matrices with leading dimensions
 * {@code [n_layers, n_heads]}, and the full circuits through the embedding and unembedding.
 *
 * <p>Read the QK circuit as a bilinear form {@code x_query QK x_key^T} (attention scores before
 * scaling) and the OV circuit as the map {@code x_source OV} that a head writes to the residual
 * stream when it attends fully to that source. Analyses are only meaningful on processed weights
 * (LayerNorm folded, writing weights centred), as TransformerLens's {@code from_pretrained} gives.
 */
public final class Circuits {

    private final TransformerConfig cfg;
    private final TransformerWeights w;
    private volatile FactoredMatrix qk;
    private volatile FactoredMatrix ov;

    /**
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

    /** @return {@code QK = W_Q W_K^T}, {@code [n_layers, n_heads, d_model, d_model]}, rank d_head */
    public FactoredMatrix qk() {
        FactoredMatrix m = qk;
        if (m == null) {
            m = FactoredMatrix.of(stack(TransformerWeights.Layer::wQ), stack(TransformerWeights.Layer::wK).mT());
            qk = m;
        }
        return m;
    }

    /** @return {@code OV = W_V W_O}, {@code [n_layers, n_heads, d_model, d_model]}, rank d_head */
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
     * {@code q} attends to a key token {@code k} through the direct path.
     *
     * @return {@code [n_layers, n_heads, d_vocab, d_vocab]}, factored
     */
    public FactoredMatrix fullQk() {
        return qk().leftMatmul(w.wE()).matmul(w.wE().mT());
    }

    /**
     * The full OV circuit {@code W_E OV W_U}: entry {@code [s, t]} is how much attending to source
     * token {@code s} raises the logit of token {@code t}.
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
        if (n < 1 || n > cfg.nCtx()) {
            throw new IllegalArgumentException("positions " + n + " outside [1, n_ctx=" + cfg.nCtx() + "]");
        }
        Tensor pos = w.wPos().slice(0, 0, n);
        Tensor scores = qk().get(layer, head).leftMatmul(pos).matmul(pos.mT()).ab().div((float) Math.sqrt(cfg.dHead()));
        return scores.maskedFill(Tensor.causalMask(n, n), Float.NEGATIVE_INFINITY).softmax(-1);
    }

    /**
     * The OV copying score of every head: {@code Re(sum eigenvalues) / sum |eigenvalues|} of the
     * full OV circuit, computed on the small {@code B A} ordering. Near 1 for a head that copies
     * the token it attends to into the logits.
     *
     * @return {@code [n_layers, n_heads]}
     */
    public Tensor copyingScores() {
        return fullOv().eigenvalues().positivityScore();
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
        FactoredMatrix one = fullOv().get(layer, head);
        Tensor row = one.a().select(0, source).matmul(one.b()); // [d_vocab]
        return topK(row, k);
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
        FactoredMatrix one = fullQk().get(layer, head);
        Tensor row = one.a().select(0, query).matmul(one.b());
        return topK(row, k);
    }

    static int[] topK(Tensor row, int k) {
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
