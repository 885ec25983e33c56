package dev.lens4j.bench;

import dev.lens4j.tensor.kernel.Kernels;
import dev.lens4j.tensor.kernel.ScalarKernels;
import dev.lens4j.tensor.kernel.panama.PanamaKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Softmax and log-softmax over every row of a {@code [rows, cols]} matrix, one thread, scalar
 * against Vector API kernels.
 *
 * <p>Shapes: attention patterns of GPT-2 small at 128 tokens ({@code [12 heads * 128 query_pos,
 * 128 key_pos]}, and 127 keys, not a multiple of any lane count), rows of {@code d_model} and
 * {@code 1024}, and full-vocabulary logits {@code [4, 50257]}. Setup checks that the two
 * implementations agree before anything is timed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class SoftmaxBenchmark {

    /** {@code rows x cols}. */
    @Param({"1536x128", "1536x127", "128x768", "128x1024", "4x50257"})
    public String shape;

    /** {@code scalar} or {@code panama}. */
    @Param({"scalar", "panama"})
    public String impl;

    private Kernels kernels;
    private int rows;
    private int cols;
    /** Attention scores {@code [rows, cols]}. */
    private float[] scores;
    /** Output {@code [rows, cols]}. */
    private float[] out;

    /** Builds the inputs and checks scalar and Vector API results agree. */
    @Setup
    public void setUp() {
        String[] dims = shape.split("x");
        rows = Integer.parseInt(dims[0]);
        cols = Integer.parseInt(dims[1]);
        kernels = kernelsNamed(impl);
        SplittableRandom random = new SplittableRandom(42);
        scores = new float[rows * cols];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = (float) (random.nextDouble() * 16 - 8);
        }
        out = new float[rows * cols];

        float[] expected = new float[cols], actual = new float[cols];
        ScalarKernels.INSTANCE.softmax(scores, 0, expected, 0, cols);
        kernels.softmax(scores, 0, actual, 0, cols);
        checkClose("softmax " + shape, expected, actual, 1e-5f);
        ScalarKernels.INSTANCE.logSoftmax(scores, 0, expected, 0, cols);
        kernels.logSoftmax(scores, 0, actual, 0, cols);
        checkClose("logSoftmax " + shape, expected, actual, 1e-5f);
    }

    /** Softmax of every row. */
    @Benchmark
    public void softmax(Blackhole bh) {
        for (int r = 0; r < rows; r++) {
            kernels.softmax(scores, r * cols, out, r * cols, cols);
        }
        bh.consume(out);
    }

    /** Log-softmax of every row. */
    @Benchmark
    public void logSoftmax(Blackhole bh) {
        for (int r = 0; r < rows; r++) {
            kernels.logSoftmax(scores, r * cols, out, r * cols, cols);
        }
        bh.consume(out);
    }

    /** The kernels named by {@code impl}: the scalar oracle or the Vector API kernels. */
    private static Kernels kernelsNamed(String impl) {
        return switch (impl) {
            case "scalar" -> ScalarKernels.INSTANCE;
            case "panama" -> PanamaKernels.create();
            default -> throw new IllegalArgumentException("impl must be scalar or panama, got " + impl);
        };
    }

    /** Refuses to time kernels that disagree with the scalar oracle. */
    private static void checkClose(String what, float[] expected, float[] actual, float tolerance) {
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            if (!(Math.abs(e - actual[i]) <= tolerance * Math.max(1f, Math.abs(e)))) {
                throw new IllegalStateException(what + ": element " + i + " is " + actual[i]
                        + ", the scalar kernels give " + e);
            }
        }
    }
}
