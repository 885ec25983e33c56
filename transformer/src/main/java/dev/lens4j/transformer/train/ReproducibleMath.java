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

    /** 64 / ln 2: the exponent is split into 64ths of a power of two. */
    private static final float SCALE = 92.33248138427734f;
    /** ln 2 / 64 split into a part with 12 significant bits (exact products with n) and the rest. */
    private static final float STEP_HI = 0.010829925537109375f;
    private static final float STEP_LO = 4.991591140424134e-07f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to an integer. */
    private static final float ROUND_MAGIC = 12582912f;
    private static final float EXP_MIN = -87.33654f; // below this exp underflows the normal range
    private static final float EXP_MAX = 88.72283f;  // above this exp overflows
    /** {@code 2^(j/64)} for j = 0 .. 63, rounded to float (StrictMath, so the same on every platform). */
    private static final float[] POW2_64THS = new float[64];

    static {
        for (int j = 0; j < 64; j++) {
            POW2_64THS[j] = (float) StrictMath.pow(2.0, j / 64.0);
        }
    }

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
        // x = (64 k + j) ln2/64 + r with |r| <= ln2/128, exp(x) = 2^k 2^(j/64) exp(r).
        float shifted = x * SCALE + ROUND_MAGIC;
        float nf = shifted - ROUND_MAGIC;
        int n = Float.floatToRawIntBits(shifted) - Float.floatToRawIntBits(ROUND_MAGIC);
        float r = Math.fma(nf, -STEP_HI, x);
        r = Math.fma(nf, -STEP_LO, r);
        // exp(r) by its Taylor polynomial of degree 2 plus the cubic term's first factor: 1 + r + r^2/2 + r^3/6
        // (truncation error below 4e-11 relative on |r| <= 0.0055).
        float p = Math.fma(Math.fma(Math.fma(1f / 6f, r, 0.5f), r, 1f), r, 1f);
        float y = POW2_64THS[n & 63] * p;
        int k = n >> 6;
        if (k > 127) { // only just below EXP_MAX: 2^128 is not a float, so scale in two steps
            y *= 2f;
            k--;
        }
        return y * Float.intBitsToFloat((k + 127) << 23);
    }

    /**
     * {@code a[i] = exp(a[i] - shift)} for {@code i} in {@code [off, off + n)}.
     *
     * @param a the values, overwritten
     * @param off first index
     * @param n count
     * @param shift subtracted before exponentiating (a row maximum, for a stable softmax)
     */
    static void expShifted(float[] a, int off, int n, float shift) {
        for (int i = off; i < off + n; i++) {
            a[i] = exp(a[i] - shift);
        }
    }

    /**
     * Sum in a fixed order: eight interleaved partial sums (so the additions do not wait on each
     * other), combined pairwise, then the tail. The order depends only on {@code n}.
     *
     * @param a the values
     * @param off first index
     * @param n count
     * @return the sum
     */
    static float sum(float[] a, int off, int n) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            int j = off + i;
            s0 += a[j];
            s1 += a[j + 1];
            s2 += a[j + 2];
            s3 += a[j + 3];
            s4 += a[j + 4];
            s5 += a[j + 5];
            s6 += a[j + 6];
            s7 += a[j + 7];
        }
        float s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        for (; i < n; i++) {
            s += a[off + i];
        }
        return s;
    }

    /**
     * Dot product in a fixed order, with eight interleaved fused multiply-add chains as {@link #sum}.
     *
     * @param a first vector
     * @param aOff its first index
     * @param b second vector
     * @param bOff its first index
     * @param n length
     * @return the dot product
     */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            int x = aOff + i, y = bOff + i;
            s0 = Math.fma(a[x], b[y], s0);
            s1 = Math.fma(a[x + 1], b[y + 1], s1);
            s2 = Math.fma(a[x + 2], b[y + 2], s2);
            s3 = Math.fma(a[x + 3], b[y + 3], s3);
            s4 = Math.fma(a[x + 4], b[y + 4], s4);
            s5 = Math.fma(a[x + 5], b[y + 5], s5);
            s6 = Math.fma(a[x + 6], b[y + 6], s6);
            s7 = Math.fma(a[x + 7], b[y + 7], s7);
        }
        float s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        for (; i < n; i++) {
            s = Math.fma(a[aOff + i], b[bOff + i], s);
        }
        return s;
    }

    /**
     * Maximum (exact, so the order does not matter).
     *
     * @param a the values
     * @param off first index
     * @param n count, at least 1
     * @return the largest value (NaN if any is NaN)
     */
    static float max(float[] a, int off, int n) {
        float m0 = Float.NEGATIVE_INFINITY, m1 = m0, m2 = m0, m3 = m0;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            int j = off + i;
            m0 = Math.max(m0, a[j]);
            m1 = Math.max(m1, a[j + 1]);
            m2 = Math.max(m2, a[j + 2]);
            m3 = Math.max(m3, a[j + 3]);
        }
        float m = Math.max(Math.max(m0, m1), Math.max(m2, m3));
        for (; i < n; i++) {
            m = Math.max(m, a[off + i]);
        }
        return m;
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
