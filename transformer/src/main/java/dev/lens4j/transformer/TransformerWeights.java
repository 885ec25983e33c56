package dev.lens4j.transformer;

import dev.lens4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All parameters of a transformer in TransformerLens layout (right-multiplying: {@code x @ W}).
 * Tensors may be heap arrays or zero-copy views of a memory-mapped checkpoint.
 *
 * @param wE {@code [d_vocab, d_model]} token embedding
 * @param wPos {@code [n_ctx, d_model]} positional embedding
 * @param layers one entry per block
 * @param lnFinalW {@code [d_model]} final LayerNorm weight, or null (no norm or folded)
 * @param lnFinalB {@code [d_model]} final LayerNorm bias, or null
 * @param wU {@code [d_model, d_vocab]} unembedding
 * @param bU {@code [d_vocab]} unembedding bias
 */
public record TransformerWeights(Tensor wE, Tensor wPos, List<Layer> layers, Tensor lnFinalW, Tensor lnFinalB,
                                 Tensor wU, Tensor bU) {

    /**
     * The parameters of one block.
     *
     * @param ln1W {@code [d_model]} or null
     * @param ln1B {@code [d_model]} or null
     * @param wQ {@code [n_heads, d_model, d_head]}
     * @param wK {@code [n_heads, d_model, d_head]}
     * @param wV {@code [n_heads, d_model, d_head]}
     * @param wO {@code [n_heads, d_head, d_model]}
     * @param bQ {@code [n_heads, d_head]}
     * @param bK {@code [n_heads, d_head]}
     * @param bV {@code [n_heads, d_head]}
     * @param bO {@code [d_model]}
     * @param ln2W {@code [d_model]} or null (attention-only or no norm or folded)
     * @param ln2B {@code [d_model]} or null
     * @param wIn {@code [d_model, d_mlp]} or null (attention-only)
     * @param bIn {@code [d_mlp]} or null
     * @param wOut {@code [d_mlp, d_model]} or null
     * @param bOut {@code [d_model]} or null
     */
    public record Layer(Tensor ln1W, Tensor ln1B,
                        Tensor wQ, Tensor wK, Tensor wV, Tensor wO,
                        Tensor bQ, Tensor bK, Tensor bV, Tensor bO,
                        Tensor ln2W, Tensor ln2B,
                        Tensor wIn, Tensor bIn, Tensor wOut, Tensor bOut) {

        /**
         * This block with {@code W_Q}, {@code W_K} and {@code W_V} copied into one
         * {@code [d_model, 3, n_heads, d_head]} heap array (the layout of Hugging Face's {@code c_attn})
         * and replaced by views of it, so that the three can be multiplied as one
         * {@code [d_model, 3 * n_heads * d_head]} matrix. The other tensors are shared.
         *
         * @return the block with fused Q, K and V
         * @throws IllegalArgumentException if {@code W_K} or {@code W_V} does not broadcast to the shape of {@code W_Q}
         */
        public Layer withFusedQkv() {
            int h = wQ.dim(0), d = wQ.dim(1), dh = wQ.dim(2);
            Tensor f = Tensor.zeros(d, 3, h, dh);   // [d_model, 3, n_heads, d_head]
            f.select(1, 0).copyFrom(wQ.permute(1, 0, 2));
            f.select(1, 1).copyFrom(wK.permute(1, 0, 2));
            f.select(1, 2).copyFrom(wV.permute(1, 0, 2));
            return new Layer(ln1W, ln1B,
                    f.select(1, 0).permute(1, 0, 2), f.select(1, 1).permute(1, 0, 2), f.select(1, 2).permute(1, 0, 2), wO,
                    bQ, bK, bV, bO, ln2W, ln2B, wIn, bIn, wOut, bOut);
        }
    }

    /** Copies the layer list so the record stays immutable. */
    public TransformerWeights {
        layers = List.copyOf(layers);
    }

    /**
     * These weights with other blocks: the parameters outside the blocks (W_E, W_pos, ln_final, W_U,
     * b_U) are shared.
     *
     * @param newLayers one entry per block
     * @return the weights with {@code newLayers} as their blocks
     */
    public TransformerWeights withLayers(List<Layer> newLayers) {
        return new TransformerWeights(wE, wPos, newLayers, lnFinalW, lnFinalB, wU, bU);
    }

    /**
     * The weights under TransformerLens state-dict names ({@code embed.W_E}, {@code pos_embed.W_pos},
     * {@code blocks.0.attn.W_Q}, {@code blocks.0.ln1.w}, {@code unembed.W_U}, ...); absent (null)
     * parameters are left out.
     *
     * @return name to tensor, in model order
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("embed.W_E", wE);
        m.put("pos_embed.W_pos", wPos);
        for (int l = 0; l < layers.size(); l++) {
            Layer x = layers.get(l);
            String p = "blocks." + l + ".";
            putIf(m, p + "ln1.w", x.ln1W);
            putIf(m, p + "ln1.b", x.ln1B);
            m.put(p + "attn.W_Q", x.wQ);
            m.put(p + "attn.W_K", x.wK);
            m.put(p + "attn.W_V", x.wV);
            m.put(p + "attn.W_O", x.wO);
            m.put(p + "attn.b_Q", x.bQ);
            m.put(p + "attn.b_K", x.bK);
            m.put(p + "attn.b_V", x.bV);
            m.put(p + "attn.b_O", x.bO);
            putIf(m, p + "ln2.w", x.ln2W);
            putIf(m, p + "ln2.b", x.ln2B);
            putIf(m, p + "mlp.W_in", x.wIn);
            putIf(m, p + "mlp.b_in", x.bIn);
            putIf(m, p + "mlp.W_out", x.wOut);
            putIf(m, p + "mlp.b_out", x.bOut);
        }
        putIf(m, "ln_final.w", lnFinalW);
        putIf(m, "ln_final.b", lnFinalB);
        m.put("unembed.W_U", wU);
        m.put("unembed.b_U", bU);
        return m;
    }

    /**
     * The number of parameters held, counting an unembedding that is a view of the token
     * embedding (tied, as in GPT-2 checkpoints) once.
     *
     * @return the parameter count
     */
    public long parameterCount() {
        long n = 0;
        for (Tensor t : stateDict().values()) {
            n += t.size();
        }
        if (wU.sharesStorageWith(wE) && wU.size() == wE.size()) {
            n -= wU.size();
        }
        return n;
    }

    private static void putIf(Map<String, Tensor> m, String k, Tensor t) {
        if (t != null) {
            m.put(k, t);
        }
    }

    /**
     * Builds weights from TransformerLens state-dict names, checking every shape against the config.
     *
     * @param cfg the config
     * @param sd name to tensor
     * @param source where the tensors came from (a file), for error messages
     * @return the weights
     * @throws IllegalArgumentException naming the source and the missing or mis-shaped tensor
     */
    public static TransformerWeights fromStateDict(TransformerConfig cfg, Map<String, Tensor> sd, String source) {
        int d = cfg.dModel(), h = cfg.nHeads(), dh = cfg.dHead(), v = cfg.dVocab();
        boolean ln = cfg.normalization().equals("LN");
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "blocks." + l + ".";
            boolean mlp = !cfg.attnOnly();
            layers.add(new Layer(
                    ln ? need(sd, p + "ln1.w", source, d) : null,
                    ln ? need(sd, p + "ln1.b", source, d) : null,
                    need(sd, p + "attn.W_Q", source, h, d, dh),
                    need(sd, p + "attn.W_K", source, h, d, dh),
                    need(sd, p + "attn.W_V", source, h, d, dh),
                    need(sd, p + "attn.W_O", source, h, dh, d),
                    need(sd, p + "attn.b_Q", source, h, dh),
                    need(sd, p + "attn.b_K", source, h, dh),
                    need(sd, p + "attn.b_V", source, h, dh),
                    need(sd, p + "attn.b_O", source, d),
                    ln && mlp ? need(sd, p + "ln2.w", source, d) : null,
                    ln && mlp ? need(sd, p + "ln2.b", source, d) : null,
                    mlp ? need(sd, p + "mlp.W_in", source, d, cfg.dMlp()) : null,
                    mlp ? need(sd, p + "mlp.b_in", source, cfg.dMlp()) : null,
                    mlp ? need(sd, p + "mlp.W_out", source, cfg.dMlp(), d) : null,
                    mlp ? need(sd, p + "mlp.b_out", source, d) : null));
        }
        return new TransformerWeights(
                need(sd, "embed.W_E", source, v, d),
                need(sd, "pos_embed.W_pos", source, cfg.nCtx(), d),
                layers,
                ln ? need(sd, "ln_final.w", source, d) : null,
                ln ? need(sd, "ln_final.b", source, d) : null,
                need(sd, "unembed.W_U", source, d, v),
                sd.containsKey("unembed.b_U") ? need(sd, "unembed.b_U", source, v) : Tensor.zeros(v));
    }

    private static Tensor need(Map<String, Tensor> sd, String name, String source, int... shape) {
        Tensor t = sd.get(name);
        if (t == null) {
            throw new IllegalArgumentException(source + ": missing tensor '" + name + "'");
        }
        return t.requireShape(source + ": tensor '" + name + "'", shape);
    }
}
