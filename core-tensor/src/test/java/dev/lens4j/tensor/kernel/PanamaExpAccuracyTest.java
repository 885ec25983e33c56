package dev.lens4j.tensor.kernel;

import dev.lens4j.tensor.kernel.panama.PanamaKernels;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The Vector API {@code exp} (Cephes {@code expf} from FMAs and bit operations) against
 * {@link Math#exp} in double precision: its special values, the edges where the result overflows or
 * becomes subnormal, and its largest error over the whole range where the result is a normal float.
 */
class PanamaExpAccuracyTest {

    private static final Kernels PANAMA = PanamaKernels.create();

    /** {@code ln(Float.MIN_NORMAL)}: below this the result is subnormal. */
    private static final double LN_MIN_NORMAL = Math.log(Float.MIN_NORMAL);
    /** {@code ln(Float.MAX_VALUE)}: above this the result overflows. */
    private static final double LN_MAX = Math.log(Float.MAX_VALUE);

    /** The kernel's exp of each element; one call, so both the vector loop and the masked tail run. */
    private static float[] exp(float... x) {
        float[] out = new float[x.length];
        PANAMA.exp(x, 0, out, 0, x.length);
        return out;
    }

    /** The error of {@code actual} in units in the last place of the float nearest the exact result. */
    private static double ulpError(float x, float actual) {
        double exact = Math.exp(x);
        return Math.abs(actual - exact) / Math.ulp((float) exact);
    }

    @Test
    void specialValues() {
        float[] e = exp(Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 0f, -0f, -1e30f, 1e30f);
        assertThat(Float.floatToRawIntBits(e[0])).as("exp(-inf) is +0").isZero();
        assertThat(e[1]).as("exp(+inf)").isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(e[2]).as("exp(NaN)").isNaN();
        assertThat(e[3]).as("exp(0)").isEqualTo(1f);
        assertThat(e[4]).as("exp(-0)").isEqualTo(1f);
        assertThat(Float.floatToRawIntBits(e[5])).as("exp(-1e30) is +0").isZero();
        assertThat(e[6]).as("exp(1e30)").isEqualTo(Float.POSITIVE_INFINITY);
    }

    @Test
    void overflowsExactlyWhereFloatDoes() {
        float last = (float) LN_MAX;                      // 88.72284: the largest x with a finite exp
        if (Math.exp(last) > Float.MAX_VALUE) {
            last = Math.nextDown(last);
        }
        float[] x = {88f, 88.5f, 88.7f, last, Math.nextUp(last), 88.8f, 89f, 89.5f, 100f};
        float[] e = exp(x);
        for (int i = 0; i < x.length; i++) {
            float expected = (float) Math.exp(x[i]);
            if (Float.isInfinite(expected)) {
                assertThat(e[i]).as("exp(%s) overflows", x[i]).isEqualTo(Float.POSITIVE_INFINITY);
            } else {
                assertThat(e[i]).as("exp(%s) is finite", x[i]).isFinite();
                assertThat(ulpError(x[i], e[i])).as("ulp error of exp(%s) = %s", x[i], e[i]).isLessThanOrEqualTo(2);
            }
        }
        assertThat(e[2]).as("exp(88.7)").isFinite();
        assertThat(e[6]).as("exp(89)").isEqualTo(Float.POSITIVE_INFINITY);
    }

    @Test
    void subnormalAndZeroResultsFollowMathExp() {
        // every float from -87 down to -105: normal results, then subnormal ones, then zero
        int from = Float.floatToIntBits(-87f), to = Float.floatToIntBits(-105f);
        float[] x = new float[to - from + 1];
        for (int i = 0; i < x.length; i++) {
            x[i] = Float.intBitsToFloat(from + i);
        }
        float[] e = exp(x);
        int subnormals = 0, zeros = 0;
        for (int i = 0; i < x.length; i++) {
            float expected = (float) Math.exp(x[i]);   // rounds once, to a subnormal or zero where due
            if (x[i] >= LN_MIN_NORMAL) {
                if (ulpError(x[i], e[i]) > 2) {
                    fail("exp(" + x[i] + ") = " + e[i] + ", more than 2 ulp from " + Math.exp(x[i]));
                }
            } else if (Math.abs(e[i] - expected) > Float.MIN_VALUE) {
                // subnormal: one rounding of a result accurate to about 1 ulp of a normal float,
                // so at most one subnormal step from the correctly rounded value
                fail("exp(" + x[i] + ") = " + e[i] + " (bits 0x" + Integer.toHexString(Float.floatToRawIntBits(e[i]))
                        + "), but Math.exp gives " + expected + " (more than one subnormal step apart)");
            }
            assertThat(e[i]).as("exp(%s)", x[i]).isGreaterThanOrEqualTo(0f);
            if (expected != 0 && expected < Float.MIN_NORMAL) {
                subnormals++;
            }
            if (Float.floatToRawIntBits(e[i]) == 0) {
                zeros++;
            }
        }
        assertThat(subnormals).as("inputs with a subnormal exp").isGreaterThan(100_000);
        assertThat(zeros).as("inputs whose exp rounds to zero").isGreaterThan(1000);
        assertThat(exp(-104f)[0]).as("exp(-104) rounds to zero").isZero();
        assertThat(exp(-103.9f)[0]).as("exp(-103.9) = 1.07 * 2^-150 rounds up").isEqualTo(Float.MIN_VALUE);
    }

    @Test
    void maxUlpErrorOverTheNormalRange() {
        // 2^22 points evenly spaced in value over [-87, 88] plus every 1024th float in it by bit
        // pattern, which samples the many tiny arguments near 0 that even spacing misses
        int n = 1 << 22;
        float[] even = new float[n];
        for (int i = 0; i < n; i++) {
            even[i] = (float) (-87.0 + 175.0 * i / (n - 1));
        }
        Worst worst = Worst.of(even);
        // negative floats have the sign bit set: from -0 (0x80000000) to -87, bits grow as signed ints
        for (float[] range : new float[][] {{-0f, -87f}, {0f, 88f}}) {
            int lo = Float.floatToRawIntBits(range[0]), hi = Float.floatToRawIntBits(range[1]);
            float[] y = new float[(hi - lo) / 1024 + 1];
            for (int i = 0; i < y.length; i++) {
                y[i] = Float.intBitsToFloat(lo + 1024 * i);
            }
            Worst w = Worst.of(y);
            if (w.ulps > worst.ulps) {
                worst = w;
            }
        }
        // measured: 0.998 ulp on these samples; 1.010 ulp (at x = -5.8778844) over every 8th float in the range
        assertThat(worst.ulps).as("max ulp error of exp over [-87, 88], at exp(%s) = %s (Math.exp: %s)",
                worst.x, worst.value, Math.exp(worst.x)).isLessThanOrEqualTo(2.0);
    }

    /** The argument with the largest ulp error, its result and the error. */
    private record Worst(float x, float value, double ulps) {
        static Worst of(float[] x) {
            float[] e = exp(x);
            Worst w = new Worst(Float.NaN, Float.NaN, -1);
            for (int i = 0; i < x.length; i++) {
                double err = ulpError(x[i], e[i]);
                if (!(err <= w.ulps)) {     // NaN counts as worst
                    w = new Worst(x[i], e[i], err);
                }
            }
            return w;
        }
    }
}
