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
 * LayerNorm over {@code [pos, d_model]} = {@code [128, d_model]}, one thread, scalar against Vector
 * API kernels: with weight and bias (a raw checkpoint's {@code ln1}) and without (the folded
 * "LNPre" of a processed model). {@code d_model} 127 is a non-multiple of every lane count.
 * Setup checks that the two implementations agree before anything is timed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class LayerNormBenchmark {

    private static final int POS = 128;
    private static final float EPS = 1e-5f;

    /** {@code d_model}. */
    @Param({"127", "768", "1024", "1600"})
    public int dModel;

    /** {@code scalar} or {@code panama}. */
    @Param({"scalar", "panama"})
    public String impl;

    private Kernels kernels;
    /** Residual stream {@code [pos, d_model]}. */
    private float[] resid;
    /** LayerNorm weight {@code [d_model]}. */
    private float[] w;
    /** LayerNorm bias {@code [d_model]}. */
    private float[] b;
    /** Normalised output {@code [pos, d_model]}. */
    private float[] out;
    /** {@code hook_scale} {@code [pos]}. */
    private float[] scale;

    /** Builds the inputs and checks scalar and Vector API results agree. */
    @Setup
    public void setUp() {
        kernels = kernelsNamed(impl);
        SplittableRandom random = new SplittableRandom(7);
        resid = new float[POS * dModel];
        for (int i = 0; i < resid.length; i++) {
            resid[i] = (float) (random.nextDouble() * 6 - 2);
        }
        w = new float[dModel];
        b = new float[dModel];
        for (int i = 0; i < dModel; i++) {
            w[i] = (float) (0.5 + random.nextDouble());
            b[i] = (float) (random.nextDouble() - 0.5);
        }
        out = new float[POS * dModel];
        scale = new float[POS];

        float[] expected = new float[dModel], actual = new float[dModel];
        float se = ScalarKernels.INSTANCE.layerNorm(resid, 0, w, 0, b, 0, EPS, expected, 0, dModel);
        float sa = kernels.layerNorm(resid, 0, w, 0, b, 0, EPS, actual, 0, dModel);
        checkClose("layerNorm d_model=" + dModel, expected, actual, 1e-5f);
        checkClose("layerNorm scale d_model=" + dModel, new float[] {se}, new float[] {sa}, 1e-6f);
    }

    /** LayerNorm with weight and bias on every position. */
    @Benchmark
    public void affine(Blackhole bh) {
        for (int p = 0; p < POS; p++) {
            scale[p] = kernels.layerNorm(resid, p * dModel, w, 0, b, 0, EPS, out, p * dModel, dModel);
        }
        bh.consume(out);
        bh.consume(scale);
    }

    /** Centring and scaling only (LNPre) on every position. */
    @Benchmark
    public void pre(Blackhole bh) {
        for (int p = 0; p < POS; p++) {
            scale[p] = kernels.layerNorm(resid, p * dModel, null, 0, null, 0, EPS, out, p * dModel, dModel);
        }
        bh.consume(out);
        bh.consume(scale);
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
