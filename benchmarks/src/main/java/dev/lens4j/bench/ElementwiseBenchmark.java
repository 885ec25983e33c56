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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code dot}, {@code axpy}, {@code gelu_new} and the exact {@code gelu} over one vector of {@code n} floats, scalar
 * against Vector API kernels. Sizes: 127 (not a multiple of any lane count), {@code d_model} 768,
 * 1024, {@code d_mlp} 3072 and {@code d_vocab} 50257; all fit in L2. Setup checks that the two
 * implementations agree before anything is timed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ElementwiseBenchmark {

    /** Vector length. */
    @Param({"127", "768", "1024", "3072", "50257"})
    public int n;

    /** {@code scalar} or {@code panama}. */
    @Param({"scalar", "panama"})
    public String impl;

    private Kernels kernels;
    private float alpha = 0.5f;
    /** Input {@code [n]}. */
    private float[] x;
    /** Second input and axpy accumulator {@code [n]}. */
    private float[] y;
    /** Output {@code [n]}. */
    private float[] out;

    /** Builds the inputs and checks scalar and Vector API results agree. */
    @Setup
    public void setUp() {
        kernels = kernelsNamed(impl);
        SplittableRandom random = new SplittableRandom(3);
        x = new float[n];
        y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextDouble() * 8 - 4);
            y[i] = (float) (random.nextDouble() * 2 - 1);
        }
        out = new float[n];

        float se = ScalarKernels.INSTANCE.dot(x, 0, y, 0, n);
        float sa = kernels.dot(x, 0, y, 0, n);
        checkClose("dot n=" + n, new float[] {se}, new float[] {sa}, 1e-6f * n);
        float[] expected = new float[n], actual = new float[n];
        ScalarKernels.INSTANCE.geluNew(x, 0, expected, 0, n);
        kernels.geluNew(x, 0, actual, 0, n);
        checkClose("geluNew n=" + n, expected, actual, 1e-6f);
        ScalarKernels.INSTANCE.gelu(x, 0, expected, 0, n);
        kernels.gelu(x, 0, actual, 0, n);
        checkClose("gelu n=" + n, expected, actual, 1e-6f);
        System.arraycopy(y, 0, expected, 0, n);
        System.arraycopy(y, 0, actual, 0, n);
        ScalarKernels.INSTANCE.axpy(0.5f, x, 0, expected, 0, n);
        kernels.axpy(0.5f, x, 0, actual, 0, n);
        checkClose("axpy n=" + n, expected, actual, 1e-6f);
    }

    /** {@code x . y}. */
    @Benchmark
    public float dot() {
        return kernels.dot(x, 0, y, 0, n);
    }

    /**
     * {@code y += alpha x}, with alpha changing sign on every call so that y stays bounded.
     *
     * @return an element of y, so the work cannot be eliminated
     */
    @Benchmark
    public float axpy() {
        alpha = -alpha;
        kernels.axpy(alpha, x, 0, y, 0, n);
        return y[n - 1];
    }

    /**
     * {@code gelu_new(x)}.
     *
     * @return the output array
     */
    @Benchmark
    public float[] geluNew() {
        kernels.geluNew(x, 0, out, 0, n);
        return out;
    }

    /**
     * {@code gelu(x)} with erf (GPT-NeoX/Pythia's activation).
     *
     * @return the output array
     */
    @Benchmark
    public float[] gelu() {
        kernels.gelu(x, 0, out, 0, n);
        return out;
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
