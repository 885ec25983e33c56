package dev.lens4j.analysis.attribution;

import dev.lens4j.transformer.Activation;
import dev.lens4j.transformer.Normalization;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Small models with random weights (every bias and LayerNorm parameter non-trivial), for identity
 * tests of the analysis code. Shared by the analysis test packages.
 */
public final class RandomModels {

    private RandomModels() {}

    /**
     * @param layers n_layers
     * @param dModel d_model
     * @param heads n_heads
     * @param dHead d_head
     * @param dMlp d_mlp, ignored when attention-only
     * @param ctx n_ctx
     * @param vocab d_vocab
     * @param attnOnly no MLPs
     * @param norm "LN", "LNPre" or "none"
     * @return the config
     */
    public static TransformerConfig config(int layers, int dModel, int heads, int dHead, int dMlp, int ctx, int vocab,
                                           boolean attnOnly, String norm) {
        return TransformerConfig.builder().nLayers(layers).dModel(dModel).nHeads(heads).dHead(dHead).attnOnly(attnOnly).dMlp(attnOnly ? 0 : dMlp).nCtx(ctx).dVocab(vocab).actFn(Activation.fromTlName("gelu_new")).normalization(Normalization.fromTlName(norm.equals("none") ? null : norm)).modelName("random-" + layers + "l" + (attnOnly ? "-attn-only" : "") + "-" + norm).build();
    }

    /** A 2-layer model with MLPs and LayerNorm: d_model 16, 4 heads of 4, d_mlp 24, n_ctx 12, vocab 20. */
    public static HookedTransformer small(long seed) {
        return model(config(2, 16, 4, 4, 24, 12, 20, false, "LN"), seed);
    }

    /**
     * @param cfg the config
     * @param seed the seed
     * @return a model with random weights of that config
     */
    public static HookedTransformer model(TransformerConfig cfg, long seed) {
        return HookedTransformer.of(cfg, weights(cfg, seed), null, null);
    }

    /**
     * @param cfg the config
     * @param seed the seed
     * @return random weights: matrices N(0, 1/fan_in), biases N(0, 0.1), LayerNorm weights 1 + N(0, 0.1)
     */
    public static TransformerWeights weights(TransformerConfig cfg, long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        int d = cfg.dModel(), h = cfg.nHeads(), dh = cfg.dHead(), m = cfg.dMlp(), v = cfg.dVocab();
        boolean ln = cfg.normalization() == Normalization.LN;
        TransformerWeights.Builder w = TransformerWeights.builder(cfg);
        for (int l = 0; l < cfg.nLayers(); l++) {
            boolean mlp = !cfg.attnOnly();
            String p = "blocks." + l + ".";
            if (ln) {
                w.put(p + "ln1.w", lnWeight(seeds, d)).put(p + "ln1.b", bias(seeds, d));
            }
            w.put(p + "attn.W_Q", matrix(seeds, d, h, d, dh)).put(p + "attn.W_K", matrix(seeds, d, h, d, dh))
                    .put(p + "attn.W_V", matrix(seeds, d, h, d, dh)).put(p + "attn.W_O", matrix(seeds, dh, h, dh, d));
            w.put(p + "attn.b_Q", bias(seeds, h, dh)).put(p + "attn.b_K", bias(seeds, h, dh)).put(p + "attn.b_V", bias(seeds, h, dh))
                    .put(p + "attn.b_O", bias(seeds, d));
            if (ln && mlp) {
                w.put(p + "ln2.w", lnWeight(seeds, d)).put(p + "ln2.b", bias(seeds, d));
            }
            if (mlp) {
                w.put(p + "mlp.W_in", matrix(seeds, d, d, m)).put(p + "mlp.b_in", bias(seeds, m))
                        .put(p + "mlp.W_out", matrix(seeds, m, m, d)).put(p + "mlp.b_out", bias(seeds, d));
            }
        }
        w.put("embed.W_E", Tensor.randn(seeds.nextLong(), v, d)).put("pos_embed.W_pos", Tensor.randn(seeds.nextLong(), cfg.nCtx(), d).mul(0.5f));
        if (ln) {
            w.put("ln_final.w", lnWeight(seeds, d)).put("ln_final.b", bias(seeds, d));
        }
        w.put("unembed.W_U", matrix(seeds, d, d, v)).put("unembed.b_U", bias(seeds, v));
        return w.build();
    }

    private static Tensor matrix(SplittableRandom seeds, int fanIn, int... shape) {
        return Tensor.randn(seeds.nextLong(), shape).mul((float) (1 / Math.sqrt(fanIn)));
    }

    private static Tensor bias(SplittableRandom seeds, int... shape) {
        return Tensor.randn(seeds.nextLong(), shape).mul(0.1f);
    }

    private static Tensor lnWeight(SplittableRandom seeds, int d) {
        return Tensor.randn(seeds.nextLong(), d).mul(0.1f).add(1f);
    }

    /**
     * @param batch sequences
     * @param pos tokens per sequence
     * @param vocab token ids drawn from {@code [0, vocab)}
     * @param seed the seed
     * @return random tokens {@code [batch][pos]}
     */
    public static int[][] tokens(int batch, int pos, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] t = new int[batch][pos];
        for (int[] row : t) {
            for (int i = 0; i < pos; i++) {
                row[i] = r.nextInt(vocab);
            }
        }
        return t;
    }
}
