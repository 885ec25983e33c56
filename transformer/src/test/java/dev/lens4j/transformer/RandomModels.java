package dev.lens4j.transformer;

import dev.lens4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

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
        boolean ln = c.normalization().equals("LN");
        List<TransformerWeights.Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            boolean mlp = !c.attnOnly();
            layers.add(new TransformerWeights.Layer(
                    ln ? Tensor.randn(++s[0], d).mul(0.1f).add(1f) : null, ln ? r(s, std, d) : null,
                    r(s, std, h, d, dh), r(s, std, h, d, dh), r(s, std, h, d, dh), r(s, std, h, dh, d),
                    r(s, std, h, dh), r(s, std, h, dh), r(s, std, h, dh), r(s, std, d),
                    ln && mlp ? Tensor.randn(++s[0], d).mul(0.1f).add(1f) : null, ln && mlp ? r(s, std, d) : null,
                    mlp ? r(s, std, d, m) : null, mlp ? r(s, std, m) : null, mlp ? r(s, std, m, d) : null, mlp ? r(s, std, d) : null));
        }
        return new TransformerWeights(r(s, std, v, d), r(s, std, c.nCtx(), d), layers,
                ln ? Tensor.randn(++s[0], d).mul(0.1f).add(1f) : null, ln ? r(s, std, d) : null,
                r(s, std, d, v), r(s, std, v));
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
