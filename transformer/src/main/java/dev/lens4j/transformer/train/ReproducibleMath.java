package dev.lens4j.transformer.train;

/**
 * {@code exp} and {@code tanh} in plain float arithmetic, so that training gives the same bits on every
 * JVM and CPU.
 *
 * <p>{@link Math#exp} and {@link Math#tanh} may differ by an ulp between platforms and JDK versions
 * (they are intrinsics), and {@link StrictMath} is slow; a trained checkpoint must be regenerable bit
 * for bit, so the training passes use these instead. Only {@code +, -, *, /}, {@link Math#fma} and bit
 * manipulation are used, all of which Java defines exactly. Accuracy: about 1 ulp over the range that
 * matters (relative error below 3e-7 for {@code exp} on {@code [-87, 88]}).
 */
final class ReproducibleMath {

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split into a part with few significant bits (exact products with small k) and the rest. */
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.428606765330187045e-06f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to an integer. */
    private static final float ROUND_MAGIC = 12582912f;
    private static final float EXP_MIN = -87.33654f; // below this exp underflows the normal range
    private static final float EXP_MAX = 88.72283f;  // above this exp overflows

    private ReproducibleMath() {}

    /**
     * e to the power {@code x}, as a float.
     *
     * @param x the exponent; {@code -inf} gives 0, NaN gives NaN
     * @return {@code exp(x)}; 0 below about -87.3 (where the result would be subnormal), +inf above 88.7
     */
    static float exp(float x) {
        if (!(x >= EXP_MIN)) {
            return x != x ? x : 0f;
        }
        if (x > EXP_MAX) {
            return Float.POSITIVE_INFINITY;
        }
        // x = k ln2 + r with |r| <= ln2 / 2, exp(x) = 2^k exp(r).
        float shifted = x * LOG2E + ROUND_MAGIC;
        float kf = shifted - ROUND_MAGIC;
        int k = Float.floatToRawIntBits(shifted) - Float.floatToRawIntBits(ROUND_MAGIC);
        float r = Math.fma(kf, -LN2_HI, x);
        r = Math.fma(kf, -LN2_LO, r);
        // Taylor polynomial of degree 7 (truncation error < 5e-9 relative on |r| <= 0.347), Horner form.
        float p = 1.98412698e-4f;
        p = Math.fma(p, r, 1.38888889e-3f);
        p = Math.fma(p, r, 8.33333333e-3f);
        p = Math.fma(p, r, 4.16666667e-2f);
        p = Math.fma(p, r, 1.66666667e-1f);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        // 2^k in two halves so that k = 128 (x close to EXP_MAX) and k = -126 stay in range.
        int k1 = k >> 1;
        int k2 = k - k1;
        return p * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k2 + 127) << 23);
    }

    /**
     * The hyperbolic tangent, as a float.
     *
     * @param x any value
     * @return {@code tanh(x)}
     */
    static float tanh(float x) {
        float a = Math.abs(x);
        if (a > 9.1f) {
            return Math.copySign(1f, x); // 1 - tanh(9.1) < 2^-25
        }
        float t;
        if (a < 0.04f) {
            // tanh a = a - a^3/3 + 2a^5/15 - ..., avoids the cancellation of 1 - 2/(e^2a + 1)
            float a2 = a * a;
            t = Math.fma(a * a2, Math.fma(a2, 2f / 15f, -1f / 3f), a);
        } else {
            t = 1f - 2f / (exp(2f * a) + 1f);
        }
        return Math.copySign(t, x);
    }
}
