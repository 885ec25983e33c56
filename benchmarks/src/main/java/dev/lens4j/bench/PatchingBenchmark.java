package dev.lens4j.bench;

import dev.lens4j.analysis.interventions.ActivationPatching;
import dev.lens4j.analysis.interventions.Metric;
import dev.lens4j.analysis.interventions.Metrics;
import dev.lens4j.analysis.interventions.Patch;
import dev.lens4j.hooks.ActNames;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Activation patching of every head at once (TransformerLens's
 * {@code get_act_patch_attn_head_out_all_pos}) on a GPT-2-small-shaped model with random weights:
 * 12 layers x 12 heads = 144 patched forward passes of batch 1 x 16 tokens, each with its own
 * {@code hook_z} patch, run concurrently through lens4j's pool over one clean cache.
 *
 * <p>{@code forward} times one plain pass of the same input, so {@code headOutAllPos / 144} against
 * {@code forward} shows what the sweep adds per pass (hooks, copies, metric) and how well
 * independent passes share the cores. The embedding is tied ({@code W_U = W_E^T}, a view), as in GPT-2.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
public class PatchingBenchmark {

    /** Tokens per sequence. */
    @Param({"16"})
    public int pos;

    /** Threads of lens4j's pool. */
    @Param({"1", "2"})
    public int threads;

    private HookedTransformer model;
    private int[][] clean;
    private int[][] corrupted;
    private ActivationPatching patching;
    private int savedThreads;

    /** Builds the model and the clean cache, and checks the sweep against single patched runs. */
    @Setup(Level.Trial)
    public void setUp() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(threads);
        TransformerConfig cfg = TransformerConfig.gpt2Small().withModelName("gpt2-small-random");
        model = HookedTransformer.of(cfg, randomWeights(cfg, 1), null, null);
        SplittableRandom rnd = new SplittableRandom(7);
        clean = new int[1][pos];
        for (int i = 0; i < pos; i++) {
            clean[0][i] = rnd.nextInt(cfg.dVocab());
        }
        corrupted = new int[][] {clean[0].clone()};
        for (int i = pos / 2; i < pos; i += 3) {
            corrupted[0][i] = rnd.nextInt(cfg.dVocab());
        }
        Metric diff = Metrics.logitDiff(-1, new int[] {clean[0][pos - 1]}, new int[] {corrupted[0][pos - 1]});
        patching = ActivationPatching.of(model, clean, corrupted, diff);

        // the whole first residual stream from the clean run gives the clean metric back
        float cleanValue = patching.cleanMetric();
        float restored = patching.run(Patch.all(ActNames.of("resid_pre", 0)));
        check(restored, cleanValue, "patching all of resid_pre 0");
        // the sweep's entries are the metrics of single patched runs
        Tensor sweep = patching.headOutAllPos();
        if (sweep.dim(0) != cfg.nLayers() || sweep.dim(1) != cfg.nHeads()) {
            throw new IllegalStateException("sweep has shape " + java.util.Arrays.toString(sweep.shape()));
        }
        for (int[] lh : new int[][] {{0, 0}, {5, 7}, {11, 11}}) {
            float single = patching.run(Patch.head(ActNames.of("z", lh[0]), lh[1]));
            check(sweep.get(lh[0], lh[1]), single, "head " + lh[0] + "." + lh[1]);
        }
    }

    private static void check(float got, float expected, String what) {
        if (!(Math.abs(got - expected) <= 1e-3f * Math.max(1f, Math.abs(expected)))) {
            throw new IllegalStateException(what + ": " + got + ", expected " + expected);
        }
    }

    /** GPT-2-shaped weights, N(0, 0.02) as GPT-2's initialisation, LayerNorm weight 1 and bias 0, tied unembedding. */
    static TransformerWeights randomWeights(TransformerConfig cfg, long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        int d = cfg.dModel(), h = cfg.nHeads(), dh = cfg.dHead(), m = cfg.dMlp();
        TransformerWeights.Builder b = TransformerWeights.builder(cfg);
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "blocks." + l + ".";
            b.put(p + "ln1.w", Tensor.ones(d)).put(p + "ln1.b", Tensor.zeros(d)).put(p + "ln2.w", Tensor.ones(d)).put(p + "ln2.b", Tensor.zeros(d));
            b.put(p + "attn.W_Q", normal(seeds, h, d, dh)).put(p + "attn.W_K", normal(seeds, h, d, dh))
                    .put(p + "attn.W_V", normal(seeds, h, d, dh)).put(p + "attn.W_O", normal(seeds, h, dh, d));
            b.put(p + "mlp.W_in", normal(seeds, d, m)).put(p + "mlp.W_out", normal(seeds, m, d));
        }
        Tensor wE = normal(seeds, cfg.dVocab(), d);
        return b.put("embed.W_E", wE).put("pos_embed.W_pos", normal(seeds, cfg.nCtx(), d)).put("ln_final.w", Tensor.ones(d))
                .put("ln_final.b", Tensor.zeros(d)).put("unembed.W_U", wE.mT()).build();
    }

    private static Tensor normal(SplittableRandom seeds, int... shape) {
        return Tensor.randn(seeds.nextLong(), shape).mul(0.02f);
    }

    /** Restores the thread count. */
    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(savedThreads);
        model.close();
    }

    /** All 144 heads patched one at a time: {@code [n_layers, n_heads]}. */
    @Benchmark
    public Tensor headOutAllPos() {
        return patching.headOutAllPos();
    }

    /** One plain forward pass of the corrupted tokens, for scale. */
    @Benchmark
    public Tensor forward() {
        return model.forward(corrupted);
    }
}
