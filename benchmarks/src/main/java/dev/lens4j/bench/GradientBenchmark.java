package dev.lens4j.bench;

import dev.lens4j.analysis.gradients.AttributionPatching;
import dev.lens4j.analysis.gradients.EdgeAttribution;
import dev.lens4j.analysis.gradients.EdgeScores;
import dev.lens4j.analysis.gradients.LogitMetrics;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;
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
 * What gradient attributions cost on a GPT-2-small-shaped model with random weights, in units of the
 * passes they are made of: {@code forward} (to logits), {@code forwardBackward} (the same pass and the
 * backward pass of a logit difference at the last position, activation gradients only),
 * {@code attributionPatching} (a clean forward pass and a corrupted forward and backward pass with the
 * sweep's hook points recorded, then every estimate of {@code ActivationPatching}'s head and layer
 * sweeps: each head's output, query, key, value and pattern at all positions and by position, the
 * residual stream, attention and MLP outputs by position), {@code eapIg} (EAP-IG with {@code steps}
 * points over the graph of 157 nodes and 445 destinations (head query, key and value inputs, MLP inputs, the logits), 32,491 edges) and
 * {@code forwardBackwardGraphView} (one forward and backward pass of the view EAP-IG runs on, with
 * per-head query, key and value inputs and head results, for scale).
 *
 * <p>Set-up checks the results before anything is timed: the backward pass's metric equals the
 * forward pass's; the attribution estimate of patching the whole first residual stream equals the
 * central difference of the metric along that patch; EAP-IG's scores are finite and the input's edges
 * add up to its integrated gradient (they sum every reader of the residual stream).
 *
 * <pre>
 *   tools/bench/run-jmh.sh GradientBenchmark -rf json -rff gradients.json
 *   tools/bench/gradients_vs_torch.sh        # beside TransformerLens and the EAP-IG reference on PyTorch
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 4)
@Measurement(iterations = 3, time = 4)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms6g", "-Xmx6g",
        "-XX:+AlwaysPreTouch"})
public class GradientBenchmark {

    /** {@code batch x pos}. */
    @Param({"1x128"})
    public String shape;

    /** Threads of lens4j's pool. */
    @Param({"1", "2"})
    public int threads;

    /** EAP-IG's interpolation steps. */
    @Param({"5"})
    public int steps;

    private HookedTransformer model;
    private HookedTransformer graphView;
    private int[][] clean;
    private int[][] corrupted;
    private LogitMetric metric;
    private int savedThreads;

    /** Builds the model, the clean and corrupted tokens, and checks every benchmark's result. */
    @Setup(Level.Trial)
    public void setUp() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(threads);
        String[] bt = shape.split("x");
        int batch = Integer.parseInt(bt[0]), pos = Integer.parseInt(bt[1]);
        model = ForwardModels.gpt2Small(1);
        int vocab = model.config().dVocab();
        clean = ForwardModels.tokens(2, batch, pos, vocab);
        corrupted = ForwardModels.tokens(2, batch, pos, vocab);
        int[][] other = ForwardModels.tokens(3, batch, pos, vocab);
        for (int b = 0; b < batch; b++) {
            for (int p = pos / 4; p < pos; p += 2) {   // every other token of the last three quarters
                corrupted[b][p] = other[b][p];
            }
        }
        int[] right = new int[batch], wrong = new int[batch];
        for (int b = 0; b < batch; b++) {
            right[b] = clean[b][pos - 1];
            wrong[b] = corrupted[b][pos - 1] == right[b] ? (right[b] + 1) % vocab : corrupted[b][pos - 1];
        }
        metric = LogitMetrics.logitDiff(-1, right, wrong);
        graphView = HookedTransformer.of(model.config().withHookSwitches(true, true, true, false), model.weights(), null, null);

        double plain = metric.value(model.forward(corrupted));
        double withBackward = forwardBackward();
        check(withBackward, plain, 1e-5, "the metric of the forward and backward pass");
        // the estimate of patching all of resid_pre 0 is the derivative of the metric along that patch
        AttributionPatching ap = AttributionPatching.of(model, clean, corrupted, metric);
        double estimate = ap.allPositions("resid_pre").get(0);
        double e = 1e-2;
        double slope = (patchedResid(e) - patchedResid(-e)) / (2 * e);
        check(estimate, slope, 2e-2, "attribution patching of resid_pre 0 against a central difference");
        EdgeScores s = eapIg();
        double inputs = 0;
        for (int d = 0; d < s.graph().destinations().size(); d++) {
            inputs += s.score(0, d);
        }
        if (!Double.isFinite(inputs) || s.graph().edgeCount() != 32_491) {
            throw new IllegalStateException("EAP-IG over " + s.graph() + " gave the input's edges " + inputs);
        }
    }

    /** The metric with {@code corrupted + e (clean - corrupted)} as the first residual stream. */
    private double patchedResid(double e) {
        Tensor[] streams = new Tensor[2];
        model.runWithHooks(clean, HookSpec.of("blocks.0.hook_resid_pre", (a, p) -> {
            streams[0] = a.copy();
            return a;
        }));
        Tensor logits = model.runWithHooks(corrupted, HookSpec.of("blocks.0.hook_resid_pre",
                (a, p) -> a.add(streams[0].sub(a).mul((float) e))));
        return metric.value(logits);
    }

    private static void check(double got, double expected, double rel, String what) {
        if (!(Math.abs(got - expected) <= rel * Math.max(1, Math.abs(expected)))) {
            throw new IllegalStateException(what + ": " + got + ", expected " + expected);
        }
    }

    /** Restores the thread count. */
    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(savedThreads);
        graphView.close();
        model.close();
    }

    /**
     * One forward pass of the corrupted tokens.
     *
     * @return the logits
     */
    @Benchmark
    public Tensor forward() {
        return model.forward(corrupted);
    }

    /**
     * One forward and backward pass of the metric, activation gradients only.
     *
     * @return the metric
     */
    @Benchmark
    public double forwardBackward() {
        return model.run(corrupted, ForwardOptions.builder().backward(metric).build()).metric();
    }

    /**
     * One forward and backward pass of the model with split query, key and value inputs and head results.
     *
     * @return the metric
     */
    @Benchmark
    public double forwardBackwardGraphView() {
        return graphView.run(corrupted, ForwardOptions.builder().backward(metric).build()).metric();
    }

    /**
     * Attribution patching: the two runs and every head and layer sweep's estimates.
     *
     * @return the estimates, stacked
     */
    @Benchmark
    public Tensor[] attributionPatching() {
        return sweeps(AttributionPatching.of(model, clean, corrupted, metric));
    }

    /** Every head and layer sweep of attribution patching (the estimates alone, for GradientCpuTime's breakdown). */
    static Tensor[] sweeps(AttributionPatching ap) {
        return new Tensor[] {ap.headAllPosEvery(), ap.headOutByPos(), ap.headVectorByPos("q"), ap.headVectorByPos("k"),
            ap.headVectorByPos("v"), ap.headPatternByPos(), ap.blockEvery()};
    }

    /** Attribution patching's first part (GradientCpuTime's breakdown): the clean run with the cache the sweeps read. */
    Object cleanRunWithCache() {
        return model.runWithCache(clean, AttributionPatching::isSweepPoint);
    }

    /** Attribution patching's second part (GradientCpuTime's breakdown): the corrupted run with that cache and the backward pass. */
    Object corruptedRunWithCacheAndBackward() {
        return model.run(corrupted, ForwardOptions.builder().cache(AttributionPatching::isSweepPoint).backward(metric).build());
    }

    /** The two runs of attribution patching, ready for {@link #sweeps} (GradientCpuTime's breakdown). */
    AttributionPatching attributionRuns() {
        return AttributionPatching.of(model, clean, corrupted, metric);
    }

    /**
     * EAP-IG with {@code steps} points.
     *
     * @return the scores
     */
    @Benchmark
    public EdgeScores eapIg() {
        return EdgeAttribution.eapIg(model, clean, corrupted, metric, steps);
    }
}
