package dev.lens4j.tensor.kernel;

import dev.lens4j.tensor.kernel.panama.PanamaKernels;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Vector API exact GELU ({@link Kernels#gelu}) against an independent double-precision
 * {@code 0.5 x (1 + erf(x / sqrt 2))} (a Taylor series for {@code erf} near 0 and Lentz's continued
 * fraction for {@code erfc} in the tail, both to about 1e-15) over a dense sample of every float
 * binade in {@code [-16, 16]} (every 64th float by bit pattern), its special values, the region
 * where the result becomes subnormal, and its agreement with the scalar kernel (the oracle, which
 * the reproducible kernels also compute).
 */
class PanamaGeluAccuracyTest {

    private static final Kernels PANAMA = PanamaKernels.create();
    private static final Kernels SCALAR = ScalarKernels.INSTANCE;

    /**
     * Measured on these 34.7M samples with a normal result (AVX-512, 16 lanes): the scalar kernel within
     * 2.25 ulp of the exact value (at x = -6.73), the vector kernel within 6.8 ulp (near x = 0.002 and
     * x = -1.34: the float32 Horner evaluation of the fit's polynomial, whose terms cancel to a small
     * part of their sum there), the two within 6 ulp of each other.
     */
    private static final double SCALAR_ULPS = 3, PANAMA_ULPS = 8, AGREEMENT_ULPS = 7;

    /** The exact GELU in double: 0.5 x (1 + erf(x / sqrt 2)) = 0.5 x erfc(-x / sqrt 2). */
    static double exactGelu(double x) {
        double z = x / Math.sqrt(2);
        // for x < 0, 1 + erf(z) = erfc(|z|) without cancellation
        return x >= 0 ? 0.5 * x * (1 + erf(z)) : 0.5 * x * erfc(-z);
    }

    /** erf(z) for z >= 0: the Taylor series below 2.5 (terms alternate; 1e-14 relative there), else 1 - erfc. */
    private static double erf(double z) {
        if (z >= 2.5) {
            return 1 - erfc(z);
        }
        double term = z, sum = z, z2 = z * z;
        for (int n = 1; n < 200; n++) {
            term *= -z2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                break;
            }
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /** erfc(z) for z >= 0: 1 - erf below 2.5, else the continued fraction exp(-z^2)/sqrt(pi) / (z + 1/2 / (z + 1 / (z + 3/2 / ...))). */
    private static double erfc(double z) {
        if (z < 2.5) {
            return 1 - erf(z);
        }
        // modified Lentz for K = 1 / (z + a1 / (z + a2 / (z + ...))) with a_n = n / 2
        double tiny = 1e-300, f = z, c = z, d = 0;
        for (int n = 1; n < 500; n++) {
            double an = n / 2.0;
            d = z + an * d;
            d = d == 0 ? tiny : d;
            c = z + an / c;
            c = c == 0 ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) {
                break;
            }
        }
        return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
    }

    private static float[] run(Kernels k, float... x) {
        float[] out = new float[x.length];
        k.gelu(x, 0, out, 0, x.length);
        return out;
    }

    /** Error in ulps of the float nearest the exact value (for normal results). */
    private static double ulps(double exact, float actual) {
        return Math.abs(actual - exact) / Math.ulp((float) exact);
    }

    /** Every 64th float by bit pattern from -0 to -16 and from 0 to 16, plus 2^20 evenly spaced values. */
    private static float[] dense() {
        int top = Float.floatToRawIntBits(16f) / 64;
        int even = 1 << 20;
        float[] x = new float[2 * (top + 1) + even];
        int i = 0;
        for (int b = 0; b <= top; b++) {
            x[i++] = Float.intBitsToFloat(b * 64);
            x[i++] = -Float.intBitsToFloat(b * 64);
        }
        for (int j = 0; j < even; j++) {
            x[i++] = (float) (-16.0 + 32.0 * j / (even - 1));
        }
        return x;
    }

    @Test
    void maxErrorAgainstADoublePrecisionErfOverTheDenseRange() {
        float[] x = dense();
        float[] vec = run(PANAMA, x), sca = run(SCALAR, x);
        double worstVec = 0, worstSca = 0, worstAgree = 0;
        float atVec = 0, atSca = 0, atAgree = 0;
        int normal = 0;
        for (int i = 0; i < x.length; i++) {
            double exact = exactGelu(x[i]);
            if (Math.abs(exact) < Float.MIN_NORMAL) {
                // subnormal or zero results (x below about -13.2): an absolute bound, a few subnormal steps
                assertThat(Math.abs(vec[i] - exact)).as("gelu(%s) = %s, exact %s", x[i], vec[i], exact)
                        .isLessThanOrEqualTo(6 * Float.MIN_VALUE);
                assertThat(Math.abs(vec[i] - sca[i])).as("gelu(%s): vector %s, scalar %s", x[i], vec[i], sca[i])
                        .isLessThanOrEqualTo(6 * Float.MIN_VALUE);
                continue;
            }
            normal++;
            double ev = ulps(exact, vec[i]), es = ulps(exact, sca[i]);
            double ea = Math.abs(vec[i] - sca[i]) / Math.ulp(sca[i]);
            if (!(ev <= worstVec)) {
                worstVec = ev;
                atVec = x[i];
            }
            if (!(es <= worstSca)) {
                worstSca = es;
                atSca = x[i];
            }
            if (!(ea <= worstAgree)) {
                worstAgree = ea;
                atAgree = x[i];
            }
        }
        assertThat(normal).as("samples with a normal result").isGreaterThan(3_000_000);
        assertThat(worstSca).as("scalar kernel: max ulp error, at x = %s", atSca).isLessThanOrEqualTo(SCALAR_ULPS);
        assertThat(worstVec).as("vector kernel: max ulp error, at x = %s", atVec).isLessThanOrEqualTo(PANAMA_ULPS);
        assertThat(worstAgree).as("vector against scalar: max ulp difference, at x = %s", atAgree)
                .isLessThanOrEqualTo(AGREEMENT_ULPS);
    }

    @Test
    void tailsWithoutCancellation() {
        // the negative tail is 0.5 x erfc(|x| / sqrt 2): relative accuracy, not an absolute 1e-7, down to -13
        float[] x = {-1e-30f, -1e-6f, -0.5f, -3f, -5f, -8f, -10f, -12f, -13f, 3f, 5f, 8f, 10f, 1e-6f};
        float[] vec = run(PANAMA, x);
        for (int i = 0; i < x.length; i++) {
            assertThat(ulps(exactGelu(x[i]), vec[i])).as("gelu(%s) = %s, exact %s", x[i], vec[i], exactGelu(x[i]))
                    .isLessThanOrEqualTo(PANAMA_ULPS);
        }
        assertThat(run(PANAMA, 30f, 1e30f, Float.MAX_VALUE)).as("gelu(x) = x for large x").containsExactly(30f, 1e30f, Float.MAX_VALUE);
    }

    @Test
    void specialValuesAsTheScalarKernel() {
        float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, -20f, -1e30f, -Float.MAX_VALUE};
        float[] vec = run(PANAMA, x), sca = run(SCALAR, x);
        assertThat(vec[0]).as("gelu(NaN)").isNaN();
        assertThat(vec[1]).as("gelu(+inf)").isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(vec[2]).as("gelu(-inf) = -inf * 0").isNaN();
        assertThat(Float.floatToRawIntBits(vec[3])).as("gelu(0) is +0").isZero();
        assertThat(Float.floatToRawIntBits(vec[4])).as("gelu(-0) is -0").isEqualTo(Float.floatToRawIntBits(-0f));
        for (int i = 5; i < x.length; i++) {
            assertThat(Float.floatToRawIntBits(vec[i])).as("gelu(%s) is -0", x[i]).isEqualTo(Float.floatToRawIntBits(-0f));
        }
        for (int i = 0; i < x.length; i++) {
            assertThat(Float.floatToRawIntBits(vec[i])).as("gelu(%s): vector %s, scalar %s", x[i], vec[i], sca[i])
                    .isEqualTo(Float.floatToRawIntBits(sca[i]));
        }
    }

    @Test
    void theReferenceIsRight() {
        // values from mpmath (50 digits) of 0.5 x (1 + erf(x / sqrt 2))
        assertThat(exactGelu(1)).isCloseTo(0.8413447460685429, org.assertj.core.api.Assertions.within(1e-15));
        assertThat(exactGelu(-1)).isCloseTo(-0.15865525393145705, org.assertj.core.api.Assertions.within(1e-15));
        assertThat(exactGelu(-5) / -1.4332578593959696e-06).isCloseTo(1, org.assertj.core.api.Assertions.within(1e-13));
        assertThat(exactGelu(-10) / -7.619853024160526e-23).isCloseTo(1, org.assertj.core.api.Assertions.within(1e-13));
    }
}
