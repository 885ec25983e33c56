package dev.lens4j.tensor.kernel;

import dev.lens4j.tensor.kernel.panama.PanamaKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Both implementations against values worked out by hand, identities, and the special values of
 * the {@link Kernels} contract (negative infinity in softmax rows, NaN in max, empty ranges).
 */
class KernelsHandComputedTest {

    static Stream<Kernels> kernels() {
        return Stream.of(ScalarKernels.INSTANCE, PanamaKernels.create(), ReproducibleKernels.INSTANCE);
    }

    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    /** A row of {@code n} copies of {@code v} starting at offset 2 of a padded array. */
    private static float[] row(int n, float v) {
        float[] a = new float[n + 4];
        Arrays.fill(a, 2, 2 + n, v);
        return a;
    }

    private static float[] slice(float[] a, int off, int n) {
        return Arrays.copyOfRange(a, off, off + n);
    }

    // ------------------------------------------------------------ softmax

    @ParameterizedTest
    @MethodSource("kernels")
    void softmaxOfZeroAndLn3IsAQuarterAndThreeQuarters(Kernels k) {
        float[] out = new float[2];
        k.softmax(new float[] {0f, (float) Math.log(3)}, 0, out, 0, 2);
        assertThat(out[0]).isCloseTo(0.25f, within(1e-7f));
        assertThat(out[1]).isCloseTo(0.75f, within(1e-7f));

        float[] logOut = new float[2];
        k.logSoftmax(new float[] {0f, (float) Math.log(3)}, 0, logOut, 0, 2);
        assertThat(logOut[0]).isCloseTo((float) Math.log(0.25), within(1e-6f));
        assertThat(logOut[1]).isCloseTo((float) Math.log(0.75), within(1e-6f));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void softmaxIsShiftInvariantAndDoesNotOverflow(Kernels k) {
        // exp(1000) overflows float; exp(x - max) does not. Softmax of [1000, 1001, 1000] is [1, e, 1] / (2 + e).
        float[] out = new float[3];
        k.softmax(new float[] {1000f, 1001f, 1000f}, 0, out, 0, 3);
        double z = 2 + Math.E;
        assertThat(out).containsExactly(new float[] {(float) (1 / z), (float) (Math.E / z), (float) (1 / z)}, within(1e-7f));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void negativeInfinityGetsProbabilityZero(Kernels k) {
        float[] out = new float[3];
        k.softmax(new float[] {1f, NEG_INF, 1f}, 0, out, 0, 3);
        assertThat(out).containsExactly(0.5f, 0f, 0.5f);

        // a causal-mask row long enough to reach the vector loop and the tail: 3 live keys of 37
        float[] x = row(37, NEG_INF);
        x[2] = 0f;
        x[3] = (float) Math.log(2);
        x[4] = (float) Math.log(5);
        float[] p = new float[41];
        k.softmax(x, 2, p, 2, 37);
        assertThat(p[2]).isCloseTo(0.125f, within(1e-7f));
        assertThat(p[3]).isCloseTo(0.25f, within(1e-7f));
        assertThat(p[4]).isCloseTo(0.625f, within(1e-7f));
        assertThat(slice(p, 5, 34)).containsOnly(0f);

        float[] lp = new float[41];
        k.logSoftmax(x, 2, lp, 2, 37);
        assertThat(lp[2]).isCloseTo((float) Math.log(0.125), within(1e-6f));
        assertThat(slice(lp, 5, 34)).containsOnly(NEG_INF);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void allNegativeInfinityRowBecomesZerosInSoftmaxAndStaysNegativeInfinityInLogSoftmax(Kernels k) {
        for (int n : new int[] {1, 5, 17, 100}) {
            float[] x = row(n, NEG_INF);
            float[] out = row(n, Float.NaN); // garbage that must be overwritten
            k.softmax(x, 2, out, 2, n);
            assertThat(slice(out, 2, n)).as("softmax of %d x -inf", n).containsOnly(0f);

            float[] logOut = row(n, Float.NaN);
            k.logSoftmax(x, 2, logOut, 2, n);
            assertThat(slice(logOut, 2, n)).as("logSoftmax of %d x -inf", n).containsOnly(NEG_INF);
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void nanInARowMakesTheSoftmaxNan(Kernels k) {
        float[] x = {0f, 1f, Float.NaN, 2f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f};
        float[] out = new float[x.length];
        k.softmax(x, 0, out, 0, x.length);
        assertThat(out).containsOnly(Float.NaN);
    }

    // ------------------------------------------------------------ layer norm

    @ParameterizedTest
    @MethodSource("kernels")
    void layerNormOfOneTwoThree(Kernels k) {
        // mean 2, centred [-1, 0, 1], mean square 2/3: scale sqrt(2/3), out = c / sqrt(2/3)
        float[] out = new float[3];
        float scale = k.layerNorm(new float[] {1f, 2f, 3f}, 0, null, 0, null, 0, 0f, out, 0, 3);
        assertThat(scale).isCloseTo((float) Math.sqrt(2.0 / 3), within(1e-7f));
        assertThat(out).containsExactly(new float[] {-1.2247449f, 0f, 1.2247449f}, within(1e-6f));

        // with weight [2, 3, 4] and bias [0.5, -1, 0]; eps 1e-5 changes the scale to sqrt(2/3 + 1e-5)
        float[] affine = new float[3];
        float s = k.layerNorm(new float[] {1f, 2f, 3f}, 0, new float[] {2f, 3f, 4f}, 0,
                new float[] {0.5f, -1f, 0f}, 0, 1e-5f, affine, 0, 3);
        double expectedScale = Math.sqrt(2.0 / 3 + 1e-5);
        assertThat(s).isCloseTo((float) expectedScale, within(1e-7f));
        assertThat(affine).containsExactly(new float[] {
                (float) (-2 / expectedScale + 0.5), -1f, (float) (4 / expectedScale)}, within(1e-5f));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void layerNormOutputHasZeroMeanAndUnitMeanSquare(Kernels k) {
        int n = 768;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = 5f + (float) Math.sin(i * 0.37) * 3f + (i % 7);
        }
        float[] out = new float[n];
        k.layerNorm(x, 0, null, 0, null, 0, 0f, out, 0, n);
        double mean = 0, meanSquare = 0;
        for (float v : out) {
            mean += v;
            meanSquare += (double) v * v;
        }
        assertThat(mean / n).isCloseTo(0.0, within(1e-6));
        assertThat(meanSquare / n).isCloseTo(1.0, within(1e-5));
    }

    // ------------------------------------------------------------ gelu, exp

    @ParameterizedTest
    @MethodSource("kernels")
    void geluNewAtHandPickedPoints(Kernels k) {
        float[] x = {1f, -1f, 0f, 2f, -3f, 0.5f};
        float[] out = new float[x.length];
        k.geluNew(x, 0, out, 0, x.length);
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), evaluated in double precision
        assertThat(out).containsExactly(new float[] {
                0.8411920f, -0.15880801f, 0f, 1.9545977f, -0.0036373921f, 0.34571401f}, within(2e-7f));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void geluNewOfXMinusGeluNewOfMinusXIsX(Kernels k) {
        // 0.5 x (1 + t) - 0.5 (-x) (1 - t) = x, since tanh is odd
        int n = 53;
        float[] x = new float[n], negX = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (i - 26) * 0.23f;
            negX[i] = -x[i];
        }
        float[] g = new float[n], gNeg = new float[n];
        k.geluNew(x, 0, g, 0, n);
        k.geluNew(negX, 0, gNeg, 0, n);
        for (int i = 0; i < n; i++) {
            assertThat(g[i] - gNeg[i]).as("gelu(%s) - gelu(-%s)", x[i], x[i]).isCloseTo(x[i], within(1e-6f));
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void exactGeluAtHandPickedPoints(Kernels k) {
        float[] x = {1f, -1f, 0f, 2f, -3f, 0.5f, -5f};
        float[] out = new float[x.length];
        k.gelu(x, 0, out, 0, x.length);
        // 0.5 x (1 + erf(x / sqrt 2)), mpmath to 50 digits, rounded; the fit's relative error is 1.2e-7
        float[] exact = {0.8413448f, -0.15865526f, 0f, 1.9544997f, -0.004049694f, 0.34573123f, -1.4332578e-6f};
        for (int i = 0; i < x.length; i++) {
            assertThat(out[i]).as("gelu(%s)", x[i]).isCloseTo(exact[i], within(3 * Math.ulp(exact[i]) + 1e-30f));
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void expAtSpecialPoints(Kernels k) {
        float[] x = {0f, 1f, NEG_INF, Float.POSITIVE_INFINITY, -200f, 200f, Float.NaN, (float) Math.log(3)};
        float[] out = new float[x.length];
        k.exp(x, 0, out, 0, x.length);
        assertThat(out[0]).isEqualTo(1f);
        assertThat(out[1]).isCloseTo((float) Math.E, within(Math.ulp((float) Math.E)));
        assertThat(out[2]).isEqualTo(0f);
        assertThat(out[3]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(out[4]).isEqualTo(0f);
        assertThat(out[5]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(out[6]).isNaN();
        assertThat(out[7]).isCloseTo(3f, within(2 * Math.ulp(3f)));
    }

    // ------------------------------------------------------------ reductions

    @ParameterizedTest
    @MethodSource("kernels")
    void reductionsOfSmallIntegersAreExact(Kernels k) {
        // every partial sum is an integer below 2^24, so any summation order is exact
        for (int n : new int[] {1, 3, 17, 100, 1025, 4098}) {
            float[] a = new float[n + 1];
            float[] ones = new float[n + 1];
            for (int i = 1; i <= n; i++) {
                a[i] = i;
                ones[i] = 1f;
            }
            assertThat(k.sum(a, 1, n)).as("sum 1..%d", n).isEqualTo(n * (n + 1) / 2f);
            assertThat(k.dot(a, 1, ones, 1, n)).as("dot(1..%d, ones)", n).isEqualTo(n * (n + 1) / 2f);
            if (n <= 100) {
                assertThat(k.sumOfSquares(a, 1, n)).as("sum of squares 1..%d", n)
                        .isEqualTo(n * (n + 1) * (2 * n + 1) / 6f);
            }
        }
        assertThat(k.dot(new float[] {1, 2, 3}, 0, new float[] {4, 5, 6}, 0, 3)).isEqualTo(32f);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void emptyRanges(Kernels k) {
        float[] a = {7f};
        assertThat(k.sum(a, 1, 0)).isZero();
        assertThat(k.dot(a, 1, a, 1, 0)).isZero();
        assertThat(k.sumOfSquares(a, 1, 0)).isZero();
        assertThat(k.max(a, 1, 0)).isEqualTo(NEG_INF);
        assertThat(k.argmax(a, 1, 0)).isEqualTo(-1);
        k.softmax(a, 1, a, 1, 0);
        k.logSoftmax(a, 1, a, 1, 0);
        k.exp(a, 1, a, 1, 0);
        assertThat(a).containsExactly(7f);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void maxAndArgmaxSpecialValues(Kernels k) {
        assertThat(k.max(new float[] {1f, Float.NaN, 3f}, 0, 3)).isNaN();
        assertThat(k.argmax(new float[] {1f, Float.NaN, 3f, Float.NaN}, 0, 4)).isEqualTo(1);
        assertThat(k.argmax(new float[] {Float.NaN, 5f}, 0, 2)).isEqualTo(0);
        // ties go to the first occurrence, -0.0 and 0.0 tie
        assertThat(k.argmax(new float[] {1f, 4f, 2f, 4f}, 0, 4)).isEqualTo(1);
        assertThat(k.argmax(new float[] {-1f, -0f, 0f}, 0, 3)).isEqualTo(1);
        assertThat(k.argmax(row(20, NEG_INF), 2, 20)).isEqualTo(0);
        assertThat(k.max(row(20, NEG_INF), 2, 20)).isEqualTo(NEG_INF);
        float[] tiedRow = row(40, 3f);
        assertThat(k.argmax(tiedRow, 2, 40)).isEqualTo(0);
        tiedRow[2 + 39] = Float.POSITIVE_INFINITY;
        assertThat(k.argmax(tiedRow, 2, 40)).isEqualTo(39);
        assertThat(k.max(tiedRow, 2, 40)).isEqualTo(Float.POSITIVE_INFINITY);
    }

    // ------------------------------------------------------------ elementwise

    @ParameterizedTest
    @MethodSource("kernels")
    void elementwiseByHand(Kernels k) {
        float[] a = {1f, 2f, 3f, 4f, 5f};
        float[] b = {2f, 4f, 8f, 16f, 32f};
        float[] out = new float[5];
        k.add(a, 0, b, 0, out, 0, 5);
        assertThat(out).containsExactly(3f, 6f, 11f, 20f, 37f);
        k.sub(a, 0, b, 0, out, 0, 5);
        assertThat(out).containsExactly(-1f, -2f, -5f, -12f, -27f);
        k.mul(a, 0, b, 0, out, 0, 5);
        assertThat(out).containsExactly(2f, 8f, 24f, 64f, 160f);
        k.div(a, 0, b, 0, out, 0, 5);
        assertThat(out).containsExactly(0.5f, 0.5f, 0.375f, 0.25f, 0.15625f);
        k.addScalar(a, 1, 10f, out, 0, 4);
        assertThat(out).containsExactly(12f, 13f, 14f, 15f, 0.15625f);
        k.mulScalar(a, 0, -2f, out, 0, 5);
        assertThat(out).containsExactly(-2f, -4f, -6f, -8f, -10f);
        float[] y = {1f, 1f, 1f, 1f, 1f};
        k.axpy(0.5f, b, 0, y, 0, 5);
        assertThat(y).containsExactly(2f, 3f, 5f, 9f, 17f);
    }
}
