package dev.lens4j.bench;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import dev.lens4j.transformer.loading.Models;
import java.io.IOException;
import java.nio.file.Path;

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
     * A benchmark's model by name: {@code gpt2-random} ({@link #gpt2Small} with seed 1), or a Hugging Face
     * folder loaded without weight processing ({@code "none"}) or with it ({@code "default"}).
     *
     * @param name {@code gpt2-random} or a folder
     * @param processing {@code none} or {@code default} (ignored for {@code gpt2-random})
     * @return the model
     * @throws IOException if the folder cannot be read
     * @throws IllegalArgumentException for another processing
     */
    static HookedTransformer load(String name, String processing) throws IOException {
        if ("gpt2-random".equals(name)) {
            return gpt2Small(1);
        }
        return switch (processing) {
            case "none" -> Models.fromPretrainedNoProcessing(Path.of(name));
            case "default" -> Models.fromPretrained(Path.of(name));
            default -> throw new IllegalArgumentException("processing must be none or default, got " + processing);
        };
    }

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
            TransformerWeights.Builder b = TransformerWeights.builder(c);
            for (int l = 0; l < perLayer.size(); l++) {
                Future<Tensor>[] f = perLayer.get(l);
                String p = "blocks." + l + ".";
                b.put(p + "ln1.w", Tensor.ones(d)).put(p + "ln1.b", Tensor.zeros(d)).put(p + "ln2.w", Tensor.ones(d)).put(p + "ln2.b", Tensor.zeros(d));
                b.put(p + "attn.W_Q", f[0].get()).put(p + "attn.W_K", f[1].get()).put(p + "attn.W_V", f[2].get()).put(p + "attn.W_O", f[3].get());
                b.put(p + "mlp.W_in", f[4].get()).put(p + "mlp.W_out", f[5].get());
            }
            Tensor e = wE.get();
            TransformerWeights w = b.put("embed.W_E", e).put("pos_embed.W_pos", wPos.get()).put("ln_final.w", Tensor.ones(d))
                    .put("ln_final.b", Tensor.zeros(d)).put("unembed.W_U", e.transpose(0, 1)).build();
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
