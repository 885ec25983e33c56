package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.tensor.matmul.MatrixOperand;
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
 * Attention scores of every head, {@code q k^T} per head, through {@link Gemm#multiplyBatched}:
 * GPT-2 small's 12 heads with {@code d_head = 64}, for 128 and 1024 positions.
 *
 * <p>q and k are laid out as a fused QKV projection leaves them, {@code [pos, 3 * d_model]} with
 * head {@code h} of q in columns {@code h * d_head ..} and of k in columns {@code d_model + h * d_head ..};
 * each head multiplies a strided {@code [pos, d_head]} view by a transposed {@code [d_head, pos]} view,
 * with no copies. The output is {@code [head_index, query_pos, key_pos]} (the scale and mask are not
 * part of this benchmark). Score: calls per second; secondary metric {@code gflops} = GFLOP/s
 * ({@code 2 heads pos^2 d_head} flops per call).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class AttentionScoreBenchmark {

    private static final int HEADS = 12;
    private static final int D_HEAD = 64;
    private static final int D_MODEL = HEADS * D_HEAD;

    /** Number of positions (query and key). */
    @Param({"128", "1024"})
    public int pos;

    /** Threads of lens4j's pool. */
    @Param({"1", "2"})
    public int threads;

    /** Fused QKV activations {@code [pos, 3 * d_model]}. */
    private float[] qkv;
    /** Scores {@code [head_index, query_pos, key_pos]}. */
    private float[] scores;
    private int savedThreads;

    /** Allocates the activations and checks a sample of scores. */
    @Setup(Level.Trial)
    public void setUp() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(threads);
        SplittableRandom rnd = new SplittableRandom(42);
        qkv = MatmulBenchmark.GemmCase.random(rnd, pos * 3 * D_MODEL);
        scores = new float[HEADS * pos * pos];
        scores(new MatmulBenchmark.Flops());
        for (int s = 0; s < 64; s++) {
            int h = rnd.nextInt(HEADS), i = rnd.nextInt(pos), j = rnd.nextInt(pos);
            double ref = 0, mag = 0;
            for (int d = 0; d < D_HEAD; d++) {
                double x = (double) qkv[i * 3 * D_MODEL + h * D_HEAD + d] * qkv[j * 3 * D_MODEL + D_MODEL + h * D_HEAD + d];
                ref += x;
                mag += Math.abs(x);
            }
            float got = scores[(h * pos + i) * pos + j];
            if (Math.abs(got - ref) > 1e-5 * Math.sqrt(D_HEAD) * mag) {
                throw new IllegalStateException("scores[" + h + ", " + i + ", " + j + "] = " + got + ", reference " + ref);
            }
        }
    }

    /** Restores the thread count. */
    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(savedThreads);
    }

    /** All heads' {@code q k^T}. */
    @Benchmark
    public float[] scores(MatmulBenchmark.Flops flops) {
        int ld = 3 * D_MODEL;
        Gemm.multiplyBatched(HEADS,
                h -> new MatrixOperand(qkv, null, h * D_HEAD, pos, D_HEAD, ld, 1),
                h -> new MatrixOperand(qkv, null, D_MODEL + h * D_HEAD, D_HEAD, pos, 1, ld),
                scores, h -> h * pos * pos, pos, false);
        flops.gflops += 2.0 * HEADS * pos * pos * D_HEAD * 1e-9;
        return scores;
    }
}
