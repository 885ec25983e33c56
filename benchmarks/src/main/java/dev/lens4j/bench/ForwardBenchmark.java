package dev.lens4j.bench;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
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

import java.util.concurrent.TimeUnit;

/**
 * The forward pass of a GPT-2-small-shaped model with random weights (tied unembedding, as GPT-2):
 * {@code forward} to logits {@code [batch, pos, 50257]}, and {@code runWithCacheAllHooks}, the same pass
 * recording every hook point (TransformerLens's {@code run_with_cache()} with no filter). The cache
 * overhead is their ratio. FLOPs per pass: {@code 2 * batch * pos * (85M + 38.6M)} for the weight
 * matrices plus {@code 2 * 12 * 12 * batch * 2 * pos^2 * 64} for attention (31.8 GFLOP for 1 x 128).
 *
 * <p>Fork flags: see the comment on the class's {@code @Fork}.
 *
 * <p>Set-up checks the result before anything is timed: logits finite and equal (to 1e-5) on a second
 * run, and the cached pass's logits equal to the plain pass's.
 *
 * <pre>
 *   tools/bench/run-jmh.sh ForwardBenchmark -rf json -rff forward.json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 4)
@Measurement(iterations = 5, time = 4)
// A cached 1 x 1024 pass holds about 1.9 GB of activations. With the default collector (G1) and a heap that
// grows as it goes, a third of runWithCache's time went to first-touch page faults and copying those
// arrays between generations; a pre-touched heap under the parallel collector takes that out, so the
// overhead measured is lens4j's own. tools/bench/forward_vs_torch.sh also measures the default settings.
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms8g", "-Xmx8g",
        "-XX:+AlwaysPreTouch"})
public class ForwardBenchmark {

    /** {@code batch x pos}. */
    @Param({"1x128", "1x1024", "8x128"})
    public String shape;

    /** Threads of lens4j's pool. */
    @Param({"1", "2"})
    public int threads;

    private HookedTransformer model;
    private int[][] tokens;

    /** Builds the model and checks the two passes before timing them. */
    @Setup(Level.Trial)
    public void setUp() {
        Parallel.setThreads(threads);
        String[] bt = shape.split("x");
        int batch = Integer.parseInt(bt[0]);
        int pos = Integer.parseInt(bt[1]);
        model = ForwardModels.gpt2Small(1);
        tokens = ForwardModels.tokens(2, batch, pos, model.config().dVocab());
        Tensor a = model.forward(tokens);
        Tensor b = model.forward(tokens);
        ForwardModels.checkFiniteAndClose("logits of two runs", a, b);
        ForwardResult cached = model.runWithCache(tokens);
        ForwardModels.checkFiniteAndClose("logits with and without the cache", a, cached.logits());
        ActivationCache cache = cached.cache();
        if (cache.size() != model.hookPointNames().size()) {
            throw new IllegalStateException("cache holds " + cache.size() + " of " + model.hookPointNames().size() + " hook points");
        }
    }

    /** Frees the model. */
    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
    }

    /** @return logits {@code [batch, pos, d_vocab]} */
    @Benchmark
    public Tensor forward() {
        return model.forward(tokens);
    }

    /** @return logits and the cache of every hook point */
    @Benchmark
    public ForwardResult runWithCacheAllHooks() {
        return model.runWithCache(tokens);
    }

    /**
     * The same, closing each cache once it has been read ({@code try (ActivationCache c = ...)}): the next
     * pass writes the activations it caches into the closed cache's arrays instead of new ones.
     *
     * @return one value read from the cache before it was closed
     */
    @Benchmark
    public float runWithCacheAllHooksClosed() {
        ForwardResult r = model.runWithCache(tokens);
        try (ActivationCache cache = r.cache()) {
            return cache.get("pattern", 0).get(0, 0, 0, 0) + r.output().get(0, 0, 0);
        }
    }
}
