package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.matmul.Gemv;
import dev.lens4j.tensor.matmul.StorageType;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * One decoding step's matrix-vector products, {@code out[1, n] = x[1, k] W[k, n]} through
 * {@link Gemv#multiply}, at GPT-2 small's shapes ({@code k x n}: QKV {@code 768x2304}, attention out
 * {@code 768x768}, MLP {@code 768x3072} and {@code 3072x768}, the unembedding {@code 768x50257}
 * row-major and, with a trailing {@code T}, as the transpose of {@code W_E [50257, 768]}), W stored
 * as float32 or bfloat16, on 1 and 2 threads.
 *
 * <p>The secondary metric {@code gbps} is GB/s of W's stored bytes (the product reads each weight
 * once, so this is the memory bandwidth the GEMV draws; compare {@link MemoryBandwidthBenchmark}).
 * A sample of the result is checked against a double-precision reference before timing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class GemvBenchmark {

    /** {@code k x n}, {@code T} at the end: W is the transpose of a row-major {@code [n, k]}. */
    @Param({"768x2304", "768x768", "768x3072", "3072x768", "768x50257", "768x50257T"})
    public String shape;

    /** Storage type of W: {@code F32} or {@code BF16}. */
    @Param({"F32", "BF16"})
    public String type;

    /**
     * Where a 16-bit W lives: {@code heap} (a {@code short[]}) or {@code native} (off-heap memory, read as a
     * memory-mapped checkpoint is: {@code -p storage=native}).
     */
    @Param({"heap"})
    public String storage;

    /** Threads of lens4j's pool. */
    @Param({"1", "2"})
    public int threads;

    private GemvCase gemv;
    private int savedThreads;

    /** Allocates the operands, sets the thread count and checks the result. */
    @Setup(Level.Trial)
    public void setUp() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(threads);
        gemv = new GemvCase(shape, StorageType.valueOf(type), 1, storage);
        run();
        gemv.checkSample(64);
    }

    /** Restores the thread count. */
    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(savedThreads);
    }

    /** One product. */
    @Benchmark
    public float[] multiply(Bytes bytes) {
        run();
        bytes.gbps += gemv.bytes() * 1e-9;
        return gemv.out;
    }

    private void run() {
        Gemv.multiply(gemv.x, 0, gemv.k, 1, gemv.w, null, 0, gemv.out, 0, gemv.n);
    }

    /**
     * Counts GB of W read (or packed, {@link PackBenchmark}); JMH divides by time, so the secondary metric
     * {@code gbps} reads as GB/s.
     */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes {
        /** GB of W processed so far in this iteration. */
        public double gbps;

        /** Starts every iteration from zero. */
        @Setup(Level.Iteration)
        public void reset() {
            gbps = 0;
        }
    }
}
