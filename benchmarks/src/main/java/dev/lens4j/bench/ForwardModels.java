package dev.lens4j.bench;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** GPT-2-small-shaped models with random weights for the forward-pass benchmarks. */
final class ForwardModels {

    private ForwardModels() {}

    /**
     * GPT-2 small's shape (12 layers, d_model 768, 12 heads, d_mlp 3072, n_ctx 1024, d_vocab 50257)
     * with normal weights of standard deviation 0.02, LayerNorm weights 1 and biases 0, and the
     * unembedding tied to the embedding ({@code W_U = W_E^T}, a view) as in GPT-2. Tensors are drawn
     * on two plain threads (generation is most of the set-up time).
     *
     * @param seed the seed
     * @return the model
     */
    static HookedTransformer gpt2Small(long seed) {
        TransformerConfig c = TransformerConfig.gpt2Small().withModelName("gpt2-small-random");
        int d = c.dModel(), h = c.nHeads(), dh = c.dHead(), m = c.dMlp(), v = c.dVocab();
        SplittableRandom seeds = new SplittableRandom(seed);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Tensor>[]> perLayer = new ArrayList<>();
            for (int l = 0; l < c.nLayers(); l++) {
                @SuppressWarnings({"unchecked", "rawtypes"}) // a generic array
                Future<Tensor>[] f = new Future[] {
                    pool.submit(randn(seeds.nextLong(), h, d, dh)), pool.submit(randn(seeds.nextLong(), h, d, dh)),
                    pool.submit(randn(seeds.nextLong(), h, d, dh)), pool.submit(randn(seeds.nextLong(), h, dh, d)),
                    pool.submit(randn(seeds.nextLong(), d, m)), pool.submit(randn(seeds.nextLong(), m, d))};
                perLayer.add(f);
            }
            Future<Tensor> wE = pool.submit(randn(seeds.nextLong(), v, d));
            Future<Tensor> wPos = pool.submit(randn(seeds.nextLong(), c.nCtx(), d));
            List<TransformerWeights.Layer> layers = new ArrayList<>();
            for (Future<Tensor>[] f : perLayer) {
                layers.add(new TransformerWeights.Layer(Tensor.ones(d), Tensor.zeros(d),
                        f[0].get(), f[1].get(), f[2].get(), f[3].get(),
                        Tensor.zeros(h, dh), Tensor.zeros(h, dh), Tensor.zeros(h, dh), Tensor.zeros(d),
                        Tensor.ones(d), Tensor.zeros(d), f[4].get(), Tensor.zeros(m), f[5].get(), Tensor.zeros(d)));
            }
            Tensor e = wE.get();
            TransformerWeights w = new TransformerWeights(e, wPos.get(), layers, Tensor.ones(d), Tensor.zeros(d),
                    e.transpose(0, 1), Tensor.zeros(v));
            return HookedTransformer.of(c, w, null, null);
        } catch (InterruptedException | ExecutionException ex) {
            throw new IllegalStateException("building random weights failed", ex);
        } finally {
            pool.shutdown();
        }
    }

    private static Callable<Tensor> randn(long seed, int... shape) {
        return () -> Tensor.randn(seed, shape).mul(0.02f);
    }

    /**
     * @param seed the seed
     * @param batch sequences
     * @param pos tokens per sequence
     * @param vocab vocabulary size
     * @return uniform random token ids {@code [batch][pos]}
     */
    static int[][] tokens(long seed, int batch, int pos, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] t = new int[batch][pos];
        for (int[] row : t) {
            for (int i = 0; i < pos; i++) {
                row[i] = r.nextInt(vocab);
            }
        }
        return t;
    }

    /**
     * Checks two results of the same computation: every element finite and within {@code 1e-5}
     * relative of the other. (Two passes of one model give the same bits on every JIT tier, since
     * the kernels compute exp and gelu from FMAs and sum lanes in a fixed order; the check keeps a
     * tolerance so that it also covers results of different code paths, such as a forward pass with
     * and without the activation cache.)
     *
     * @throws IllegalStateException naming the first element that is not
     */
    static void checkFiniteAndClose(String what, Tensor a, Tensor b) {
        float[] x = a.toArray();
        float[] y = b.toArray();
        if (x.length != y.length) {
            throw new IllegalStateException(what + ": sizes differ");
        }
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i]) || !(Math.abs(x[i] - y[i]) <= 1e-5f * Math.max(1f, Math.abs(y[i])))) {
                throw new IllegalStateException(what + ": element " + i + " is " + x[i] + " and " + y[i]);
            }
        }
    }
}
