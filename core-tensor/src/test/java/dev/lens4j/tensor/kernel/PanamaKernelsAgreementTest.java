package dev.lens4j.tensor.kernel;

import dev.lens4j.tensor.kernel.panama.PanamaKernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The Vector API kernels against the scalar oracle, Lucene style: odd sizes around and between
 * the lane counts, every operand at a different nonzero offset inside a larger array, and a
 * tolerance that grows with the size where the two may sum in different orders.
 *
 * <p>Exact IEEE operations (add, sub, mul, div, the scalar variants, max, argmax) must agree bit
 * for bit. Every test also checks that nothing outside the output range was written.
 */
class PanamaKernelsAgreementTest {

    private static final Kernels SCALAR = ScalarKernels.INSTANCE;
    private static final Kernels PANAMA = PanamaKernels.create();

    /** 2^-23, twice the unit roundoff of float. */
    private static final double ULP1 = Math.ulp(1f);

    /** Offsets of the first, second and output operand inside their arrays; deliberately unaligned. */
    private static final int A_OFF = 3, B_OFF = 11, OUT_OFF = 5;
    /** Elements after each range, filled with sentinels that must survive. */
    private static final int PAD = 37;

    static IntStream sizes() {
        return IntStream.of(0, 1, 7, 13, 16, 31, 64, 207, 702, 768, 1025, 4098);
    }

    /**
     * Tolerance factor for a float reduction of n terms, in units of 2^-23 times the sum of
     * absolute terms. The Panama sum runs four accumulators per lane (at least 16 partial sums
     * for 4 lanes or more), so its longest chain of dependent float additions is at most n / 16
     * plus the lane reduction and the tails (under 80 more for vectors up to 64 lanes).
     */
    private static double chain(int n) {
        return n / 16.0 + 80;
    }

    // ------------------------------------------------------------ fixtures

    private static float[] gaussian(long seed, int off, int n, double mean, double sd) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[off + n + PAD];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (mean + sd * nextGaussian(r));
        }
        return a;
    }

    private static double nextGaussian(SplittableRandom r) {
        // Box-Muller: SplittableRandom has no nextGaussian on every JDK we might meet
        double u = 1 - r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    private static float[] uniform(long seed, int off, int n, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[off + n + PAD];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return a;
    }

    /** An output array whose every element is a sentinel, so stray writes show. */
    private static float[] sentinels(int n) {
        float[] a = new float[OUT_OFF + n + PAD];
        Arrays.fill(a, -12345.5f);
        return a;
    }

    private static void assertSentinelsIntact(float[] out, int n, String op) {
        for (int i = 0; i < out.length; i++) {
            if (i < OUT_OFF || i >= OUT_OFF + n) {
                if (out[i] != -12345.5f) {
                    fail(op + " n=" + n + ": wrote outside its range at index " + i + " (" + out[i] + ")");
                }
            }
        }
    }

    private static void assertBitwiseEqual(float[] expected, float[] actual, int n, String op) {
        for (int i = 0; i < n; i++) {
            float e = expected[OUT_OFF + i], a = actual[OUT_OFF + i];
            if (Float.floatToIntBits(e) != Float.floatToIntBits(a)) {
                fail(op + " n=" + n + " i=" + i + ": scalar " + e + " panama " + a);
            }
        }
    }

    private static void assertClose(double expected, double actual, double tol, String what) {
        if (Double.compare(expected, actual) == 0) {
            return; // equal, both the same infinity, or both NaN
        }
        if (!(Math.abs(expected - actual) <= tol)) {
            fail(what + ": scalar " + expected + " panama " + actual + " differ by "
                    + Math.abs(expected - actual) + " > tolerance " + tol);
        }
    }

    @FunctionalInterface
    private interface Binary {
        void apply(Kernels k, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);
    }

    private static void checkBinaryExact(String op, Binary f, int n, double bLo) {
        float[] a = gaussian(1, A_OFF, n, 0, 3);
        float[] b = uniform(2, B_OFF, n, bLo, 4); // for div: keep divisors away from zero
        float[] expected = sentinels(n), actual = sentinels(n);
        f.apply(SCALAR, a, A_OFF, b, B_OFF, expected, OUT_OFF, n);
        f.apply(PANAMA, a, A_OFF, b, B_OFF, actual, OUT_OFF, n);
        assertBitwiseEqual(expected, actual, n, op);
        assertSentinelsIntact(actual, n, op);
    }

    // ------------------------------------------------------------ elementwise

    @ParameterizedTest
    @MethodSource("sizes")
    void addSubMulDivAgreeExactly(int n) {
        checkBinaryExact("add", Kernels::add, n, -4);
        checkBinaryExact("sub", Kernels::sub, n, -4);
        checkBinaryExact("mul", Kernels::mul, n, -4);
        checkBinaryExact("div", Kernels::div, n, 0.25);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void addScalarAndMulScalarAgreeExactly(int n) {
        float[] a = gaussian(3, A_OFF, n, 0, 3);
        float[] expected = sentinels(n), actual = sentinels(n);
        SCALAR.addScalar(a, A_OFF, 0.375f, expected, OUT_OFF, n);
        PANAMA.addScalar(a, A_OFF, 0.375f, actual, OUT_OFF, n);
        assertBitwiseEqual(expected, actual, n, "addScalar");
        assertSentinelsIntact(actual, n, "addScalar");

        expected = sentinels(n);
        actual = sentinels(n);
        SCALAR.mulScalar(a, A_OFF, -1.7f, expected, OUT_OFF, n);
        PANAMA.mulScalar(a, A_OFF, -1.7f, actual, OUT_OFF, n);
        assertBitwiseEqual(expected, actual, n, "mulScalar");
        assertSentinelsIntact(actual, n, "mulScalar");
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void axpyAgreesWithinOneRounding(int n) {
        float alpha = 0.7f;
        float[] x = gaussian(4, A_OFF, n, 0, 2);
        float[] y0 = gaussian(5, OUT_OFF, n, 1, 2);
        float[] expected = y0.clone(), actual = y0.clone();
        SCALAR.axpy(alpha, x, A_OFF, expected, OUT_OFF, n);
        PANAMA.axpy(alpha, x, A_OFF, actual, OUT_OFF, n);
        for (int i = 0; i < y0.length; i++) {
            boolean inRange = i >= OUT_OFF && i < OUT_OFF + n;
            if (!inRange) {
                assertThat(actual[i]).as("axpy n=%d untouched index %d", n, i).isEqualTo(y0[i]);
                continue;
            }
            // a fused multiply-add may round once where the scalar loop rounds twice
            double tol = ULP1 * (Math.abs(alpha * x[A_OFF + i - OUT_OFF]) + Math.abs(y0[i]));
            assertClose(expected[i], actual[i], tol, "axpy n=" + n + " i=" + (i - OUT_OFF));
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void expAgreesWithinTwoUlps(int n) {
        // covers underflow to subnormals and zero (below about -87) and overflow to infinity (above 88.7)
        float[] a = uniform(6, A_OFF, n, -110, 95);
        float[] expected = sentinels(n), actual = sentinels(n);
        SCALAR.exp(a, A_OFF, expected, OUT_OFF, n);
        PANAMA.exp(a, A_OFF, actual, OUT_OFF, n);
        for (int i = 0; i < n; i++) {
            float e = expected[OUT_OFF + i];
            assertClose(e, actual[OUT_OFF + i], 2 * Math.ulp(e), "exp(" + a[A_OFF + i] + ") n=" + n);
        }
        assertSentinelsIntact(actual, n, "exp");
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void geluNewAgrees(int n) {
        float[] a = gaussian(7, A_OFF, n, 0, 3);
        float[] expected = sentinels(n), actual = sentinels(n);
        SCALAR.geluNew(a, A_OFF, expected, OUT_OFF, n);
        PANAMA.geluNew(a, A_OFF, actual, OUT_OFF, n);
        for (int i = 0; i < n; i++) {
            float x = a[A_OFF + i];
            // both round tanh to float before adding 1: an ulp of 1 in (1 + tanh), times 0.5 |x|
            double tol = 4 * ULP1 * 0.5 * Math.abs(x) + 4 * Math.ulp(expected[OUT_OFF + i]);
            assertClose(expected[OUT_OFF + i], actual[OUT_OFF + i], tol, "gelu_new(" + x + ") n=" + n);
        }
        assertSentinelsIntact(actual, n, "geluNew");
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void geluAgrees(int n) {
        float[] a = gaussian(8, A_OFF, n, 0, 3);
        float[] expected = sentinels(n), actual = sentinels(n);
        SCALAR.gelu(a, A_OFF, expected, OUT_OFF, n);
        PANAMA.gelu(a, A_OFF, actual, OUT_OFF, n);
        for (int i = 0; i < n; i++) {
            // the same erfc fit, in double (scalar) and in float32 (vector): within 7 ulp (PanamaGeluAccuracyTest)
            assertClose(expected[OUT_OFF + i], actual[OUT_OFF + i], 7 * Math.ulp(expected[OUT_OFF + i]), "gelu(" + a[A_OFF + i] + ") n=" + n);
        }
        assertSentinelsIntact(actual, n, "gelu");
    }

    // ------------------------------------------------------------ reductions

    @ParameterizedTest
    @MethodSource("sizes")
    void dotSumAndSumOfSquaresAgreeWithinGrowingTolerance(int n) {
        float[] a = gaussian(8, A_OFF, n, 0.5, 2);
        float[] b = gaussian(9, B_OFF, n, -0.25, 3);
        double absDot = 0, absSum = 0, squares = 0;
        for (int i = 0; i < n; i++) {
            absDot += Math.abs((double) a[A_OFF + i] * b[B_OFF + i]);
            absSum += Math.abs(a[A_OFF + i]);
            squares += (double) a[A_OFF + i] * a[A_OFF + i];
        }
        assertClose(SCALAR.dot(a, A_OFF, b, B_OFF, n), PANAMA.dot(a, A_OFF, b, B_OFF, n),
                ULP1 * chain(n) * absDot, "dot n=" + n);
        assertClose(SCALAR.sum(a, A_OFF, n), PANAMA.sum(a, A_OFF, n),
                ULP1 * chain(n) * absSum, "sum n=" + n);
        assertClose(SCALAR.sumOfSquares(a, A_OFF, n), PANAMA.sumOfSquares(a, A_OFF, n),
                ULP1 * chain(n) * squares, "sumOfSquares n=" + n);
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void maxAndArgmaxAgreeExactly(int n) {
        float[] a = gaussian(10, A_OFF, n, 0, 5);
        assertThat(PANAMA.max(a, A_OFF, n)).as("max n=%d", n).isEqualTo(SCALAR.max(a, A_OFF, n));
        assertThat(PANAMA.argmax(a, A_OFF, n)).as("argmax n=%d", n).isEqualTo(SCALAR.argmax(a, A_OFF, n));
        if (n > 0) {
            // put the maximum in every position in turn: main loop, vector tail and scalar tail
            for (int pos = 0; pos < n; pos += Math.max(1, n / 97)) {
                float[] c = a.clone();
                c[A_OFF + pos] = 1e6f;
                c[A_OFF + n] = 2e6f; // just past the range: must be ignored
                assertThat(PANAMA.max(c, A_OFF, n)).as("max n=%d pos=%d", n, pos).isEqualTo(1e6f);
                assertThat(PANAMA.argmax(c, A_OFF, n)).as("argmax n=%d pos=%d", n, pos).isEqualTo(pos);
                assertThat(SCALAR.argmax(c, A_OFF, n)).as("scalar argmax n=%d pos=%d", n, pos).isEqualTo(pos);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void nanAnywhereMakesMaxNanAndArgmaxPointsAtIt(int n) {
        if (n == 0) {
            return;
        }
        float[] a = gaussian(11, A_OFF, n, 0, 5);
        for (int pos : new int[] {0, n / 2, n - 1}) {
            float[] c = a.clone();
            c[A_OFF + pos] = Float.NaN;
            for (Kernels k : new Kernels[] {SCALAR, PANAMA}) {
                assertThat(k.max(c, A_OFF, n)).as("%s max n=%d NaN at %d", k.name(), n, pos).isNaN();
                assertThat(k.argmax(c, A_OFF, n)).as("%s argmax n=%d NaN at %d", k.name(), n, pos).isEqualTo(pos);
            }
        }
    }

    // ------------------------------------------------------------ row operations

    @ParameterizedTest
    @MethodSource("sizes")
    void softmaxAgrees(int n) {
        float[] x = gaussian(12, A_OFF, n, 1, 4);
        float[] expected = sentinels(n), actual = sentinels(n);
        SCALAR.softmax(x, A_OFF, expected, OUT_OFF, n);
        PANAMA.softmax(x, A_OFF, actual, OUT_OFF, n);
        double total = 0;
        for (int i = 0; i < n; i++) {
            float e = expected[OUT_OFF + i];
            // exp within 2 ulps on each side, then a sum whose error grows with n
            assertClose(e, actual[OUT_OFF + i], e * ULP1 * (8 + chain(n)), "softmax n=" + n + " i=" + i);
            total += actual[OUT_OFF + i];
        }
        if (n > 0) {
            assertThat(total).as("softmax n=%d sums to 1", n).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
        assertSentinelsIntact(actual, n, "softmax");
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void softmaxWithMaskedEntriesAgrees(int n) {
        // a causal-mask row: the first third real scores, the rest -inf
        float[] x = gaussian(13, A_OFF, n, 0, 2);
        for (int i = (n + 2) / 3; i < n; i++) {
            x[A_OFF + i] = Float.NEGATIVE_INFINITY;
        }
        float[] expected = sentinels(n), actual = sentinels(n);
        SCALAR.softmax(x, A_OFF, expected, OUT_OFF, n);
        PANAMA.softmax(x, A_OFF, actual, OUT_OFF, n);
        for (int i = 0; i < n; i++) {
            float e = expected[OUT_OFF + i];
            if (x[A_OFF + i] == Float.NEGATIVE_INFINITY) {
                assertThat(actual[OUT_OFF + i]).as("masked entry n=%d i=%d", n, i).isZero();
            } else {
                assertClose(e, actual[OUT_OFF + i], e * ULP1 * (8 + chain(n)), "masked softmax n=" + n + " i=" + i);
            }
        }
        assertSentinelsIntact(actual, n, "softmax");
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void logSoftmaxAgrees(int n) {
        float[] x = gaussian(14, A_OFF, n, -3, 6);
        float[] expected = sentinels(n), actual = sentinels(n);
        SCALAR.logSoftmax(x, A_OFF, expected, OUT_OFF, n);
        PANAMA.logSoftmax(x, A_OFF, actual, OUT_OFF, n);
        for (int i = 0; i < n; i++) {
            float e = expected[OUT_OFF + i];
            // x - lse: one rounding of each term's size, plus the error of log(sum)
            double tol = ULP1 * (Math.abs(x[A_OFF + i]) + Math.abs(x[A_OFF + i] - e) + 8 + chain(n));
            assertClose(e, actual[OUT_OFF + i], tol, "logSoftmax n=" + n + " i=" + i);
        }
        assertSentinelsIntact(actual, n, "logSoftmax");
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void layerNormAgreesWithAndWithoutWeightAndBias(int n) {
        // a residual-stream-like row: an offset mean, so that centring matters
        float[] x = gaussian(15, A_OFF, n, 3, 2);
        float[] w = gaussian(16, B_OFF, n, 1, 0.3);
        float[] b = gaussian(17, 2, n, 0, 0.5);
        for (boolean useW : new boolean[] {true, false}) {
            for (boolean useB : new boolean[] {true, false}) {
                float[] ww = useW ? w : null, bb = useB ? b : null;
                String op = "layerNorm(w=" + useW + ", b=" + useB + ")";
                float[] expected = sentinels(n), actual = sentinels(n);
                float se = SCALAR.layerNorm(x, A_OFF, ww, B_OFF, bb, 2, 1e-5f, expected, OUT_OFF, n);
                float sa = PANAMA.layerNorm(x, A_OFF, ww, B_OFF, bb, 2, 1e-5f, actual, OUT_OFF, n);
                if (n == 0) {
                    assertThat(sa).as(op + " of an empty row").isNaN();
                    assertThat(se).as(op + " of an empty row (scalar)").isNaN();
                    assertSentinelsIntact(actual, n, op);
                    continue;
                }
                assertClose(se, sa, se * ULP1 * (8 + chain(n)), op + " scale n=" + n);
                float mean = SCALAR.sum(x, A_OFF, n) / n;
                for (int i = 0; i < n; i++) {
                    double wi = useW ? Math.abs(w[B_OFF + i]) : 1;
                    double bi = useB ? Math.abs(b[2 + i]) : 0;
                    // mean and scale carry a reduction's error; then a few roundings per element
                    double tol = ULP1 * (8 + chain(n)) * (Math.abs(x[A_OFF + i]) + Math.abs(mean)) / se * wi
                            + 4 * ULP1 * bi;
                    assertClose(expected[OUT_OFF + i], actual[OUT_OFF + i], tol, op + " n=" + n + " i=" + i);
                }
                assertSentinelsIntact(actual, n, op);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("sizes")
    void rowOperationsWorkInPlace(int n) {
        float[] x = gaussian(18, A_OFF, n, 0, 3);

        float[] expected = x.clone(), actual = x.clone();
        SCALAR.softmax(expected, A_OFF, expected, A_OFF, n);
        PANAMA.softmax(actual, A_OFF, actual, A_OFF, n);
        for (int i = 0; i < n; i++) {
            float e = expected[A_OFF + i];
            assertClose(e, actual[A_OFF + i], e * ULP1 * (8 + chain(n)), "in-place softmax n=" + n);
        }

        expected = x.clone();
        actual = x.clone();
        float se = SCALAR.layerNorm(expected, A_OFF, null, 0, null, 0, 1e-5f, expected, A_OFF, n);
        float sa = PANAMA.layerNorm(actual, A_OFF, null, 0, null, 0, 1e-5f, actual, A_OFF, n);
        if (n > 0) {
            assertClose(se, sa, se * ULP1 * (8 + chain(n)), "in-place layerNorm scale n=" + n);
            for (int i = 0; i < n; i++) {
                assertClose(expected[A_OFF + i], actual[A_OFF + i], 1e-5 * (1 + n / 1000.0),
                        "in-place layerNorm n=" + n + " i=" + i);
            }
        }

        expected = x.clone();
        actual = x.clone();
        SCALAR.add(expected, A_OFF, expected, A_OFF, expected, A_OFF, n);
        PANAMA.add(actual, A_OFF, actual, A_OFF, actual, A_OFF, n);
        assertThat(actual).as("in-place add n=%d", n).containsExactly(expected);
    }
}
