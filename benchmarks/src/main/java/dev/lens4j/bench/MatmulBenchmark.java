package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.tensor.matmul.PackedMatrix;
import java.util.SplittableRandom;
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
 * {@code C[m, n] = A[m, k] B[k, n]} through {@link Gemm#multiply}, on 1 and 2 of lens4j's threads.
 *
 * <p>Shapes ({@code m x k x n}) are GPT-2 small's projections for 128 and 1024 tokens: the fused QKV
 * projection {@code [m, 768] x [768, 2304]}, the attention output {@code [m, 768] x [768, 768]}, the MLP
 * {@code [m, 768] x [768, 3072]} and {@code [m, 3072] x [3072, 768]}, the unembedding
 * {@code [m, 768] x [768, 50257]}; plus squares, one of them (511) not a multiple of any tile size.
 * All operands are dense row-major heap arrays, like PyTorch's {@code x @ w}. {@code b=T} makes B a
 * transposed view instead (e.g. the tied unembedding {@code wte^T}).
 *
 * <p>The primary score is products per second; the secondary metric {@code gflops} is GFLOP/s,
 * counting {@code 2 m n k} flops per product. {@code impl=simd} is {@link Gemm#multiply}, which packs B
 * on every call; {@code impl=packed} multiplies a {@link PackedMatrix} of B made once in the setup
 * ({@link Gemm#multiplyPacked}), as an engine holds its weights; {@code impl=scalar} times the scalar
 * oracle {@link Gemm#multiplyScalar}, which is slow, so it is refused for shapes above about 1 Gflop
 * (see {@link MatmulScalarBenchmark} for the baseline on small squares).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class MatmulBenchmark {

    /** {@code m x k x n}. */
    @Param({"128x768x2304", "128x768x768", "128x768x3072", "128x3072x768", "128x768x50257",
            "1024x768x2304", "1024x768x768", "1024x768x3072", "1024x3072x768", "1024x768x50257",
            "256x256x256", "511x511x511"})
    public String shape;

    /** Threads of lens4j's pool. */
    @Param({"1", "2"})
    public int threads;

    /** {@code simd} ({@link Gemm#multiply}), {@code packed} ({@link Gemm#multiplyPacked}) or {@code scalar} ({@link Gemm#multiplyScalar}). */
    @Param({"simd"})
    public String impl;

    /** Layout of B: {@code N} row-major, {@code T} a transposed view of a row-major {@code [n, k]}. */
    @Param({"N"})
    public String b;

    private GemmCase gemm;
    private PackedMatrix packed;
    private int savedThreads;

    /** Allocates the operands, sets the thread count and checks the result against the oracle. */
    @Setup(Level.Trial)
    public void setUp() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(threads);
        gemm = new GemmCase(shape, "T".equals(b), 42);
        if ("scalar".equals(impl) && gemm.flops() > 1.1e9) {
            throw new IllegalArgumentException("impl=scalar is refused for " + shape + " (it would take minutes); use a square up to 768");
        }
        if (!"scalar".equals(impl) && !"simd".equals(impl) && !"packed".equals(impl)) {
            throw new IllegalArgumentException("impl must be simd, packed or scalar, got " + impl);
        }
        packed = "packed".equals(impl) ? PackedMatrix.pack(gemm.b) : null;
        run();
        gemm.checkSample(64);
    }

    /** Restores the thread count. */
    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(savedThreads);
    }

    /** One product. */
    @Benchmark
    public float[] multiply(Flops flops) {
        run();
        flops.gflops += gemm.flops() * 1e-9;
        return gemm.c;
    }

    private void run() {
        if ("scalar".equals(impl)) {
            Gemm.multiplyScalar(gemm.a, gemm.b, gemm.c, 0, gemm.n, false);
        } else if (packed != null) {
            Gemm.multiplyPacked(gemm.a, packed, gemm.c, 0, gemm.n, false);
        } else {
            Gemm.multiply(gemm.a, gemm.b, gemm.c, 0, gemm.n, false);
        }
    }

    /** Counts Gflop done; JMH divides by time, so the secondary metric {@code gflops} reads as GFLOP/s. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Flops {
        /** Gflop done so far in this iteration. */
        public double gflops;

        /** Starts every iteration from zero. */
        @Setup(Level.Iteration)
        public void reset() {
            gflops = 0;
        }
    }

    /** Operands of one product and a sampled check of its result. */
    static final class GemmCase {
        final int m;
        final int k;
        final int n;
        /** {@code [m, k]}. */
        final MatrixOperand a;
        /** {@code [k, n]}. */
        final MatrixOperand b;
        /** {@code [m, n]}. */
        final float[] c;

        GemmCase(String shape, boolean transposedB, long seed) {
            String[] d = shape.split("x");
            m = Integer.parseInt(d[0]);
            k = Integer.parseInt(d[1]);
            n = Integer.parseInt(d[2]);
            SplittableRandom rnd = new SplittableRandom(seed);
            a = MatrixOperand.rowMajor(random(rnd, m * k), 0, m, k);
            b = transposedB ? MatrixOperand.rowMajor(random(rnd, n * k), 0, n, k).transpose()
                    : MatrixOperand.rowMajor(random(rnd, k * n), 0, k, n);
            c = new float[m * n];
        }

        double flops() {
            return 2.0 * m * n * k;
        }

        /**
         * Recomputes {@code samples} random elements of C in double precision and fails unless they
         * agree within {@code 1e-5 sqrt(k)} of {@code sum |a| |b|}.
         */
        void checkSample(int samples) {
            SplittableRandom rnd = new SplittableRandom(7);
            for (int s = 0; s < samples; s++) {
                int i = rnd.nextInt(m), j = rnd.nextInt(n);
                double ref = 0, mag = 0;
                for (int p = 0; p < k; p++) {
                    double x = (double) a.get(i, p) * b.get(p, j);
                    ref += x;
                    mag += Math.abs(x);
                }
                double err = Math.abs(c[i * n + j] - ref);
                if (err > 1e-5 * Math.sqrt(k) * mag) {
                    throw new IllegalStateException("matmul " + shape() + ": C[" + i + ", " + j + "] = " + c[i * n + j]
                            + " but the reference is " + ref);
                }
            }
        }

        String shape() {
            return m + "x" + k + "x" + n;
        }

        static float[] random(SplittableRandom rnd, int size) {
            float[] x = new float[size];
            for (int i = 0; i < size; i++) {
                x[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
            return x;
        }
    }
}
