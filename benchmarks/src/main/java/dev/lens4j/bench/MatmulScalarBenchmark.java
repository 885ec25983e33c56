package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.matmul.Gemm;
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
 * The baseline for {@link MatmulBenchmark}: the scalar oracle {@link Gemm#multiplyScalar} (one
 * thread, it is not parallel) against {@link Gemm#multiply} on one thread, on small squares only.
 * Score: products per second; secondary metric {@code gflops} = GFLOP/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class MatmulScalarBenchmark {

    /** {@code m x k x n}. */
    @Param({"64x64x64", "127x127x127", "256x256x256"})
    public String shape;

    /** {@code simd} or {@code scalar}. */
    @Param({"scalar", "simd"})
    public String impl;

    private MatmulBenchmark.GemmCase gemm;
    private int savedThreads;

    /** Allocates the operands and checks the result. */
    @Setup(Level.Trial)
    public void setUp() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(1);
        gemm = new MatmulBenchmark.GemmCase(shape, false, 42);
        multiply(new MatmulBenchmark.Flops());
        gemm.checkSample(64);
    }

    /** Restores the thread count. */
    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(savedThreads);
    }

    /** One product. */
    @Benchmark
    public float[] multiply(MatmulBenchmark.Flops flops) {
        if ("scalar".equals(impl)) {
            Gemm.multiplyScalar(gemm.a, gemm.b, gemm.c, 0, gemm.n, false);
        } else {
            Gemm.multiply(gemm.a, gemm.b, gemm.c, 0, gemm.n, false);
        }
        flops.gflops += gemm.flops() * 1e-9;
        return gemm.c;
    }
}
