package dev.lens4j.bench;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.tensor.matmul.PackedMatrix;
import dev.lens4j.tensor.matmul.StorageType;
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
 * Packing a weight once into the GEMM's panels, the copy {@code WeightPacking.AUTO} makes of every matrix on
 * a model's first pass: {@link PackedMatrix#packBfloat16} for bfloat16 (the file's bytes, two steps of k per
 * int) and {@link PackedMatrix#pack} for float32, at Llama-3.2-1B's MLP shapes ({@code k x n}; a trailing
 * {@code T}: W is the transpose of a row-major {@code [n, k]}, Hugging Face's {@code [out, in]} layout),
 * the weight on the heap or in native memory (as a memory-mapped checkpoint's is), on 1 and 2 threads.
 *
 * <p>The secondary metric {@code gbps} is GB/s of W's stored bytes. Before timing, one row times the
 * packed matrix is checked against a double-precision reference.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class PackBenchmark {

    /** {@code k x n}, {@code T} at the end: W is the transpose of a row-major {@code [n, k]}. */
    @Param({"2048x8192T", "8192x2048T", "2048x8192"})
    public String shape;

    /** Storage type of W: {@code BF16} (packed as bfloat16) or {@code F32}. */
    @Param({"BF16"})
    public String type;

    /** Where a 16-bit W lives: {@code heap} (a {@code short[]}) or {@code native}. */
    @Param({"native"})
    public String storage;

    /** Threads of lens4j's pool. */
    @Param({"1", "2"})
    public int threads;

    private GemvCase gemv;
    private int savedThreads;

    /** Allocates W, sets the thread count and checks a product with the packed copy. */
    @Setup(Level.Trial)
    public void setUp() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(threads);
        gemv = new GemvCase(shape, StorageType.valueOf(type), 1, storage);
        Gemm.multiplyPacked(MatrixOperand.rowMajor(gemv.x, 0, 1, gemv.k), pack(), gemv.out, 0, gemv.n, false);
        gemv.checkSample(64);
    }

    /** Restores the thread count. */
    @TearDown(Level.Trial)
    public void tearDown() {
        Parallel.setThreads(savedThreads);
    }

    /** One copy. */
    @Benchmark
    public PackedMatrix pack(GemvBenchmark.Bytes bytes) {
        bytes.gbps += gemv.bytes() * 1e-9;
        return pack();
    }

    private PackedMatrix pack() {
        return gemv.w.type() == StorageType.BF16 ? PackedMatrix.packBfloat16(gemv.w) : PackedMatrix.pack(gemv.w);
    }
}
