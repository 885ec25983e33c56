package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.ForwardResult;
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

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The backward pass beside the forward pass on a GPT-2-small-shaped model with random weights
 * ({@link ForwardModels#gpt2Small}): {@code forward} to logits; {@code forwardBackward}, the same pass
 * and the backward pass of TransformerLens's loss ({@link LogitMetric#meanLoss}) to every activation's
 * gradient and the input embeddings' (what {@code run_with_cache(incl_bwd=True)} and attribution
 * differentiate, without the cache); {@code forwardBackwardWeights}, the same with every weight's
 * gradient (a training step's passes); each with the default SIMD kernels or as a reproducible pass.
 * The backward pass's time is the difference of the measurements; {@code tools/bench/backward_vs_torch.sh}
 * sets them beside PyTorch 2.13 autograd on the same model and shapes ({@code tools/bench/torch_backward.py}),
 * alternating.
 *
 * <p>Set-up checks each result before timing: the backward pass's loss equals the forward pass's, the
 * input gradient is finite and not zero, and the weight gradients are finite.
 *
 * <pre>
 *   tools/bench/run-jmh.sh BackwardBenchmark -rf json -rff backward.json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 4)
@Measurement(iterations = 3, time = 4)
// as ForwardBenchmark: a pre-touched heap under the parallel collector, so that page faults and copying
// between generations do not stand in for lens4j's own time
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms8g", "-Xmx8g",
        "-XX:+AlwaysPreTouch"})
public class BackwardBenchmark {

    /** {@code batch x pos}. */
    @Param({"1x128", "8x128"})
    public String shape;

    /** Threads of lens4j's pool. */
    @Param({"1", "2"})
    public int threads;

    /**
     * Whether the passes are {@link ForwardOptions#reproducible() reproducible} ones (the trainer's: the
     * same bits on every platform, scalar exp and sums in a fixed order) or the default SIMD ones.
     */
    @Param({"false", "true"})
    public boolean reproducible;

    private HookedTransformer model;
    private int[][] tokens;
    private LogitMetric loss;
    private int savedThreads;

    /** Builds the model and checks the three passes before timing them. */
    @Setup(Level.Trial)
    public void setUp() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(threads);
        String[] bt = shape.split("x");
        int batch = Integer.parseInt(bt[0]);
        int pos = Integer.parseInt(bt[1]);
        model = ForwardModels.gpt2Small(1);
        tokens = ForwardModels.tokens(2, batch, pos, model.config().dVocab());
        loss = LogitMetric.meanLoss(tokens);
        double plain = loss.value(forward());
        ForwardResult r = model.run(tokens, ForwardOptions.builder().backward(loss).reproducible(reproducible).build());
        if (!(Math.abs(r.metric() - plain) <= 1e-5 * Math.abs(plain))) {
            throw new IllegalStateException("the backward pass's loss " + r.metric() + " is not the forward pass's " + plain);
        }
        float norm = r.inputGradient().mul(r.inputGradient()).sum();
        if (!Float.isFinite(norm) || norm == 0f) {
            throw new IllegalStateException("the input gradient's squared norm is " + norm);
        }
        ForwardResult w = forwardBackwardWeights();
        for (Map.Entry<String, Tensor> e : w.weightGradients().entrySet()) {
            if (!Float.isFinite(e.getValue().mul(e.getValue()).sum())) {
                throw new IllegalStateException("the gradient of " + e.getKey() + " is not finite");
            }
        }
    }

    /** Frees the model and restores the thread count. */
    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(savedThreads);
        model.close();
    }

    /** @return logits {@code [batch, pos, d_vocab]} */
    @Benchmark
    public Tensor forward() {
        return model.run(tokens, ForwardOptions.builder().reproducible(reproducible).build()).output();
    }

    /** @return the forward and backward pass of the loss, activation gradients only */
    @Benchmark
    public ForwardResult forwardBackward() {
        return model.run(tokens, ForwardOptions.builder().backward(loss).reproducible(reproducible).build());
    }

    /** @return the forward and backward pass of the loss with every weight's gradient */
    @Benchmark
    public ForwardResult forwardBackwardWeights() {
        return model.run(tokens, ForwardOptions.builder().backward(loss).weightGradients(true).reproducible(reproducible).build());
    }
}
