package dev.lens4j.analysis.text;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

/**
 * The full QK and OV circuits of the heads of one layer between tokens, as a one-layer model's heads
 * see them: every token's embedding, scaled as the layer's norm scales the residual stream, without
 * the positional embedding. They are what a head can do with the tokens alone, the raw material of
 * skip-trigrams: QK chooses which earlier token a destination token attends to, OV what that source
 * token then adds to the logits.
 *
 * <ul>
 *   <li>{@link #qk(int)} {@code [dest, src]}: {@code (x_d W_Q + b_Q) . (x_s W_K) / sqrt(d_head)} with
 *       {@code x = W_E / ln1 scale}: the attention score from a destination token to a source token
 *       (the key bias adds the same to every key of a query and is left out);</li>
 *   <li>{@link #ov(int)} {@code [src, out]}: {@code x_s W_V W_O W_U / ln_final scale}: the logits the head
 *       adds to the final residual stream when it attends fully to a source token.</li>
 * </ul>
 * The scales are the mean {@code ln1.hook_scale} and {@code ln_final.hook_scale} measured on real text
 * (on processed weights a norm with its weight folded only centres and divides by that scale); pass 1
 * for a model without norms. The token-only approximation leaves out the positional embedding and, for
 * OV, how the other heads change the final scale; how well it predicts the attention a head really pays
 * is measured, not assumed ({@code QK prediction} in the lesson's report).
 */
public final class TokenCircuits {

    private final TransformerConfig cfg;
    private final TransformerWeights w;
    private final int layer;
    private final float lnScale;
    private final float finalScale;

    /**
     * The token circuits of one layer's heads.
     *
     * @param cfg the model's config
     * @param w its weights, processed (LayerNorm folded, writing weights centred)
     * @param layer the layer
     * @param lnScale the mean scale of the layer's input norm on real text (1 for none)
     * @param finalScale the mean scale of the final norm on real text (1 for none)
     * @throws IllegalArgumentException for a layer out of range or a scale that is not positive
     */
    public TokenCircuits(TransformerConfig cfg, TransformerWeights w, int layer, float lnScale, float finalScale) {
        if (layer < 0 || layer >= cfg.nLayers()) {
            throw new IllegalArgumentException("layer " + layer + " is out of range [0, " + cfg.nLayers() + ")");
        }
        if (!(lnScale > 0) || !(finalScale > 0)) {
            throw new IllegalArgumentException("norm scales must be positive, got " + lnScale + " and " + finalScale);
        }
        this.cfg = cfg;
        this.w = w;
        this.layer = layer;
        this.lnScale = lnScale;
        this.finalScale = finalScale;
    }

    /**
     * Returns the layer.
     *
     * @return the layer
     */
    public int layer() {
        return layer;
    }

    /**
     * Returns the number of heads.
     *
     * @return the layer's heads
     */
    public int heads() {
        return cfg.nHeads();
    }

    private Tensor embeddings() {
        return w.wE().div(lnScale); // [d_vocab, d_model]
    }

    /**
     * The full QK circuit of one head between tokens.
     *
     * @param head the head
     * @return {@code [dest, src]} attention scores, {@code [d_vocab, d_vocab]}
     */
    public Tensor qk(int head) {
        TransformerWeights.Layer l = w.layers().get(layer);
        Tensor x = embeddings();
        Tensor q = x.matmul(l.wQ().select(0, head)).add(l.bQ().select(0, head)); // [d_vocab, d_head]
        Tensor k = x.matmul(l.wK().select(0, head));                            // [d_vocab, d_head]
        return q.matmul(k.mT()).div((float) Math.sqrt(cfg.dHead()));
    }

    /**
     * The full OV circuit of one head between tokens, in logits.
     *
     * @param head the head
     * @return {@code [src, out]}, {@code [d_vocab, d_vocab_out]}
     */
    public Tensor ov(int head) {
        TransformerWeights.Layer l = w.layers().get(layer);
        Tensor written = embeddings().matmul(l.wV().select(0, head)).matmul(l.wO().select(0, head)); // [d_vocab, d_model]
        return written.div(finalScale).matmul(w.wU());
    }
}
