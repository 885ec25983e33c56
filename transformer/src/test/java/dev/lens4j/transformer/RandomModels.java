package dev.lens4j.transformer;

import dev.lens4j.tensor.Tensor;


/** Models with random weights for tests and benchmarks of the forward pass. */
final class RandomModels {

    private RandomModels() {}

    /**
     * Weights in TransformerLens layout, normal with standard deviation {@code std} (LayerNorm
     * weights around 1), reproducible for a seed.
     */
    static TransformerWeights weights(TransformerConfig c, long seed, float std) {
        int d = c.dModel(), h = c.nHeads(), dh = c.dHead(), m = c.dMlp(), v = c.dVocab();
        long[] s = {seed};
        boolean ln = c.normalization() == Normalization.LN;
        TransformerWeights.Builder w = TransformerWeights.builder(c);
        for (int l = 0; l < c.nLayers(); l++) {
            boolean mlp = !c.attnOnly();
            String p = "blocks." + l + ".";
            if (ln) {
                w.put(p + "ln1.w", Tensor.randn(++s[0], d).mul(0.1f).add(1f)).put(p + "ln1.b", r(s, std, d));
            }
            w.put(p + "attn.W_Q", r(s, std, h, d, dh)).put(p + "attn.W_K", r(s, std, h, d, dh)).put(p + "attn.W_V", r(s, std, h, d, dh))
                    .put(p + "attn.W_O", r(s, std, h, dh, d));
            w.put(p + "attn.b_Q", r(s, std, h, dh)).put(p + "attn.b_K", r(s, std, h, dh)).put(p + "attn.b_V", r(s, std, h, dh))
                    .put(p + "attn.b_O", r(s, std, d));
            if (ln && mlp) {
                w.put(p + "ln2.w", Tensor.randn(++s[0], d).mul(0.1f).add(1f)).put(p + "ln2.b", r(s, std, d));
            }
            if (mlp) {
                w.put(p + "mlp.W_in", r(s, std, d, m)).put(p + "mlp.b_in", r(s, std, m)).put(p + "mlp.W_out", r(s, std, m, d))
                        .put(p + "mlp.b_out", r(s, std, d));
            }
        }
        w.put("embed.W_E", r(s, std, v, d)).put("pos_embed.W_pos", r(s, std, c.nCtx(), d));
        if (ln) {
            w.put("ln_final.w", Tensor.randn(++s[0], d).mul(0.1f).add(1f)).put("ln_final.b", r(s, std, d));
        }
        w.put("unembed.W_U", r(s, std, d, v)).put("unembed.b_U", r(s, std, v));
        return w.build();
    }

    private static Tensor r(long[] seed, float std, int... shape) {
        return Tensor.randn(++seed[0], shape).mul(std);
    }

    static HookedTransformer model(TransformerConfig c, long seed) {
        return HookedTransformer.of(c, weights(c, seed, 0.3f), null, null);
    }

    /** A small GPT-2-style config: 2 layers, d_model 16, 4 heads, n_ctx 12, vocab 23. */
    static TransformerConfig small() {
        return TransformerConfig.gpt2(2, 16, 4, 12, 23).withModelName("small");
    }

    /** Random token ids {@code [batch][pos]}. */
    static int[][] tokens(long seed, int batch, int pos, int vocab) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int[][] t = new int[batch][pos];
        for (int b = 0; b < batch; b++) {
            for (int p = 0; p < pos; p++) {
                t[b][p] = r.nextInt(vocab);
            }
        }
        return t;
    }
}
