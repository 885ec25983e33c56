package dev.lens4j.transformer;

import dev.lens4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A model assembled from components: the embedding, the blocks and the unembedding, each owning its
 * weights' operands and its hook points. Built once per model from the config and the prepared
 * weights; a forward pass is {@link #embed} then {@link #run}, with the per-call state in a
 * {@link Pass}. The components' construction order is TransformerLens's hook firing order.
 */
final class Engine {

    final HookPoints points;
    private final Embedding embedding;
    private final Rotary rotary;           // or null
    final List<Block> blocks;
    private final Unembed unembed;

    Engine(TransformerConfig c, PreparedWeights w) {
        if (c.useAttnIn() && c.groupedQueryAttention()) {
            // as TransformerLens, which cannot combine them either
            throw new IllegalArgumentException("use_attn_in is not supported with grouped-query attention (n_key_value_heads "
                    + c.nKeyValueHeads() + " of n_heads " + c.nHeads() + "); use_split_qkv_input is");
        }
        points = new HookPoints(c);
        embedding = new Embedding(c, w, points);
        rotary = c.positionalEmbedding() == PositionalEmbedding.ROTARY ? new Rotary(c) : null;
        List<Block> bs = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            bs.add(new Block(c, l, w.layers.get(l), rotary, points));
        }
        blocks = List.copyOf(bs);
        unembed = new Unembed(c, w, points);
    }

    /**
     * The residual stream entering block 0.
     *
     * @param p the pass
     * @param tokens {@code [B][T]}, validated
     * @return {@code [N, d_model]}
     */
    float[] embed(Pass p, int[][] tokens) {
        return embedding.forward(p, tokens);
    }

    /**
     * Runs blocks {@code [start, stop)} on a residual stream, then the unembedding unless stopping early.
     *
     * @param p the pass
     * @param resid {@code [N, d_model]} the residual stream entering block {@code start}
     * @param unembedAtEnd whether to unembed after block {@code stop - 1}
     * @return logits {@code [B, T, d_vocab_out]}, or the residual stream {@code [B, T, d_model]} entering block {@code stop}
     */
    Tensor run(Pass p, float[] resid, int start, int stop, boolean unembedAtEnd) {
        Rotary.Table rope = rotary == null ? null : rotary.table(p);
        for (int l = start; l < stop; l++) {
            resid = blocks.get(l).forward(p, resid, rope);
        }
        if (!unembedAtEnd) {
            return Tensor.of(resid, p.B, p.T, p.cfg.dModel());
        }
        return unembed.forward(p, resid);
    }

    /**
     * The backward pass of {@link #embed} then {@link #run} over every block with the unembedding:
     * from the gradient of a metric with respect to the logits to every hook point's gradient (their
     * backward hooks run, the cache records them) and, with {@link Pass#weightGrads}, the weights'.
     *
     * @param p the pass that ran forward with {@link Pass#grad}
     * @param dLogits {@code [N, d_vocab_out]}
     * @param start the first block the forward pass ran (the gradient stops at its input)
     * @param fromTokens whether the forward pass started from tokens (then the embedding's gradients follow)
     * @return the gradient of the residual stream entering block {@code start}, {@code [N, d_model]}
     */
    float[] backward(Pass p, float[] dLogits, int start, boolean fromTokens) {
        float[] d = unembed.backward(p, dLogits);
        for (int l = blocks.size() - 1; l >= start; l--) {
            d = blocks.get(l).backward(p, d);
        }
        if (fromTokens) {
            embedding.backward(p, d);
        }
        return d;
    }
}
