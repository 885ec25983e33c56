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
        return TransformerConfig.builder().nLayers(layers).dModel(dModel).nHeads(heads).dHead(dHead).attnOnly(attnOnly).dMlp(attnOnly ? 0 : dMlp).nCtx(ctx).dVocab(vocab).actFn(Activation.fromTlName("gelu_new")).normalization(norm).modelName("random-" + layers + "l" + (attnOnly ? "-attn-only" : "") + "-" + norm).build();
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
        List<TransformerWeights.Layer> layers = new ArrayList<>();
        for (int l = 0; l < cfg.nLayers(); l++) {
            boolean mlp = !cfg.attnOnly();
            layers.add(new TransformerWeights.Layer(
                    ln ? lnWeight(seeds, d) : null, ln ? bias(seeds, d) : null,
                    matrix(seeds, d, h, d, dh), matrix(seeds, d, h, d, dh), matrix(seeds, d, h, d, dh), matrix(seeds, dh, h, dh, d),
                    bias(seeds, h, dh), bias(seeds, h, dh), bias(seeds, h, dh), bias(seeds, d),
                    ln && mlp ? lnWeight(seeds, d) : null, ln && mlp ? bias(seeds, d) : null,
                    mlp ? matrix(seeds, d, d, m) : null, mlp ? bias(seeds, m) : null,
                    mlp ? matrix(seeds, m, m, d) : null, mlp ? bias(seeds, d) : null));
        }
        return new TransformerWeights(Tensor.randn(seeds.nextLong(), v, d), Tensor.randn(seeds.nextLong(), cfg.nCtx(), d).mul(0.5f),
                layers, ln ? lnWeight(seeds, d) : null, ln ? bias(seeds, d) : null, matrix(seeds, d, d, v), bias(seeds, v));
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
