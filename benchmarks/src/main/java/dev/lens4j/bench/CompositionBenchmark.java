package dev.lens4j.bench;

import dev.lens4j.analysis.circuits.Circuits;
import dev.lens4j.analysis.circuits.CompositionScores;
import dev.lens4j.analysis.circuits.FactoredMatrix;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
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
 * All composition scores of a GPT-2-small-shaped model ({@link CompositionScores#all}):
 * {@code [12, 12, 12, 12]} scores for 12 layers x 12 heads, {@code d_model = 768}, {@code d_head = 64},
 * in each mode (Q, K, V), from random attention weights.
 *
 * <p>The circuits object is built once; it stacks {@code W_Q}, {@code W_K}, {@code W_V}, {@code W_O}
 * on first use (in {@code @Setup}), so the timed call is the scores themselves: the Gram-matrix
 * square roots and one {@code [d_head, d_model] x [d_model, later heads * d_head]} product per head.
 * The embeddings are zeros: composition scores do not read them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class CompositionBenchmark {

    /** Which composition. */
    @Param({"Q", "K", "V"})
    public String mode;

    /** Threads of lens4j's pool. */
    @Param({"1", "2"})
    public int threads;

    private Circuits circuits;
    private CompositionScores.Mode m;
    private int savedThreads;

    /** Builds the circuits and checks sampled scores against the dense formula. */
    @Setup(Level.Trial)
    public void setUp() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(threads);
        m = CompositionScores.Mode.valueOf(mode);
        TransformerConfig cfg = TransformerConfig.gpt2Small();
        circuits = new Circuits(cfg, attentionWeights(cfg, 3));
        Tensor all = scores();
        // dense check: ||W_A W_B||_F / (||W_A||_F ||W_B||_F) with 768 x 768 matrices
        for (int[] pair : new int[][] {{0, 0, 1, 0}, {3, 5, 9, 11}, {10, 2, 11, 7}}) {
            FactoredMatrix wa = circuits.ov().get(pair[0], pair[1]);
            FactoredMatrix qk = circuits.qk().get(pair[2], pair[3]);
            FactoredMatrix wb = switch (m) {
                case Q -> qk;
                case K -> qk.transpose();
                case V -> circuits.ov().get(pair[2], pair[3]);
            };
            float dense = wa.ab().matmul(wb.ab()).norm() / (wa.ab().norm() * wb.ab().norm());
            float got = all.get(pair[0], pair[1], pair[2], pair[3]);
            if (!(Math.abs(got - dense) <= 2e-3f * dense)) {
                throw new IllegalStateException(mode + "-composition " + java.util.Arrays.toString(pair) + ": " + got + ", dense " + dense);
            }
        }
        if (all.get(5, 0, 5, 1) != 0f || all.get(7, 3, 2, 2) != 0f) {
            throw new IllegalStateException("scores into the same or an earlier layer must be 0");
        }
    }

    /** Random N(0, 0.02) attention weights of the config's shape; everything else zero. */
    static TransformerWeights attentionWeights(TransformerConfig cfg, long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        int d = cfg.dModel(), h = cfg.nHeads(), dh = cfg.dHead();
        TransformerWeights.Builder b = TransformerWeights.builder(cfg);
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "blocks." + l + ".attn.";
            b.put(p + "W_Q", normal(seeds, h, d, dh)).put(p + "W_K", normal(seeds, h, d, dh)).put(p + "W_V", normal(seeds, h, d, dh))
                    .put(p + "W_O", normal(seeds, h, dh, d));
        }
        Tensor wE = Tensor.zeros(cfg.dVocab(), d);
        return b.put("embed.W_E", wE).put("pos_embed.W_pos", Tensor.zeros(cfg.nCtx(), d)).put("unembed.W_U", wE.mT()).build();
    }

    private static Tensor normal(SplittableRandom seeds, int... shape) {
        return Tensor.randn(seeds.nextLong(), shape).mul(0.02f);
    }

    /** Restores the thread count. */
    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(savedThreads);
    }

    /** All {@code [L, H, L, H]} scores of one mode. */
    @Benchmark
    public Tensor scores() {
        return CompositionScores.all(circuits, m);
    }
}
