package dev.lens4j.tensor.kernel;

import java.util.Arrays;

/**
 * Kernels whose results are the same bits on every CPU and JVM: IEEE float arithmetic in a fixed
 * order, with {@link Math#fma} (exactly rounded, so the same everywhere) and no intrinsic function
 * whose last bit may differ between platforms. What {@link KernelProvider#reproducible()} returns.
 *
 * <p>Reductions keep eight partial sums, element {@code i} in sum {@code i mod 8}, added pairwise at
 * the end: a fixed order that does not depend on the vector width (the JIT may put the eight sums in
 * one vector register, which computes exactly the same thing), and eight times the instruction-level
 * parallelism of one running sum. {@code exp} is a table of {@code 2^(j/64)} and a cubic polynomial,
 * within 3e-7 relative of the exact value; {@code tanh} and {@code gelu_new} are built on it. Slower
 * than the Vector API kernels, faster than {@link ScalarKernels}' {@code double} sums and
 * {@link StrictMath}.
 */
public final class ReproducibleKernels implements Kernels {

    /** The single instance. */
    public static final ReproducibleKernels INSTANCE = new ReproducibleKernels();

    private static final ScalarKernels PLAIN = ScalarKernels.INSTANCE;

    // exp(x) = 2^k 2^(j/64) exp(r) with x = (64 k + j) ln2/64 + r and |r| <= ln2/128
    private static final float SCALE = 92.33248138427734f;            // 64 / ln 2
    private static final float STEP_HI = 0.010829925537109375f;       // ln2/64, high bits (exact products with n)
    private static final float STEP_LO = 4.991591140424134e-07f;      // ln2/64 - STEP_HI
    private static final float ROUND_MAGIC = 12582912f;               // 1.5 * 2^23: adding it rounds to an integer
    private static final float EXP_MIN = -87.33654f;                  // below, exp underflows the normal range
    private static final float EXP_MAX = 88.72283f;                   // above, exp overflows
    private static final float[] POW2_64THS = new float[64];
    private static final float SQRT_2_OVER_PI = (float) StrictMath.sqrt(2.0 / StrictMath.PI);

    static {
        for (int j = 0; j < 64; j++) {
            POW2_64THS[j] = (float) StrictMath.pow(2.0, j / 64.0);
        }
    }

    private ReproducibleKernels() {}

    /**
     * {@code e^x} in float, the same bits on every platform, within 3e-7 relative of the exact value.
     *
     * @param x any float
     * @return {@code e^x}: 0 below about -87.3, infinity above about 88.7, NaN for NaN
     */
    public static float exp(float x) {
        if (!(x >= EXP_MIN)) {
            return x != x ? x : 0f;
        }
        if (x > EXP_MAX) {
            return Float.POSITIVE_INFINITY;
        }
        float shifted = x * SCALE + ROUND_MAGIC;
        float nf = shifted - ROUND_MAGIC;
        int n = Float.floatToRawIntBits(shifted) - Float.floatToRawIntBits(ROUND_MAGIC);
        float r = Math.fma(nf, -STEP_HI, x);
        r = Math.fma(nf, -STEP_LO, r);
        // 1 + r + r^2/2 + r^3/6: truncation error below 4e-11 relative for |r| <= 0.0055
        float p = Math.fma(Math.fma(Math.fma(1f / 6f, r, 0.5f), r, 1f), r, 1f);
        float y = POW2_64THS[n & 63] * p;
        int k = n >> 6;
        if (k > 127) { // just below EXP_MAX: 2^128 is not a float, so scale in two steps
            y *= 2f;
            k--;
        }
        return y * Float.intBitsToFloat((k + 127) << 23);
    }

    /**
     * {@code tanh(x)} in float, the same bits on every platform, within 5e-6 relative; odd.
     *
     * @param x any float
     * @return {@code tanh(x)}
     */
    public static float tanh(float x) {
        float a = Math.abs(x);
        if (a > 9.1f) {
            return Math.copySign(1f, x); // 1 - tanh(9.1) < 2^-25
        }
        float t;
        if (a < 0.04f) {
            // a - a^3/3 + 2a^5/15: avoids the cancellation of 1 - 2/(e^2a + 1) near 0
            float a2 = a * a;
            t = Math.fma(a * a2, Math.fma(a2, 2f / 15f, -1f / 3f), a);
        } else {
            t = 1f - 2f / (exp(2f * a) + 1f);
        }
        return Math.copySign(t, x);
    }

    @Override
    public String name() {
        return "reproducible";
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        PLAIN.add(a, aOff, b, bOff, out, outOff, n);
    }

    @Override
    public void sub(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        PLAIN.sub(a, aOff, b, bOff, out, outOff, n);
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        PLAIN.mul(a, aOff, b, bOff, out, outOff, n);
    }

    @Override
    public void div(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        PLAIN.div(a, aOff, b, bOff, out, outOff, n);
    }

    @Override
    public void addScalar(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        PLAIN.addScalar(a, aOff, s, out, outOff, n);
    }

    @Override
    public void mulScalar(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        PLAIN.mulScalar(a, aOff, s, out, outOff, n);
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
        }
    }

    @Override
    public void exp(float[] a, int aOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = exp(a[aOff + i]);
        }
    }

    @Override
    public void geluNew(float[] a, int aOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            float x = a[aOff + i];
            out[outOff + i] = 0.5f * x * (1f + tanh(SQRT_2_OVER_PI * Math.fma(0.044715f * x, x * x, x)));
        }
    }

    /** {@link Erf#gelu} with this class's exp: IEEE double arithmetic and {@link #exp(float)}, the same bits everywhere. */
    @Override
    public void gelu(float[] a, int aOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = Erf.gelu(a[aOff + i], true);
        }
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
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

    @Override
    public float sum(float[] a, int aOff, int n) {
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            int j = aOff + i;
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
            s += a[aOff + i];
        }
        return s;
    }

    @Override
    public float sumOfSquares(float[] a, int aOff, int n) {
        return dot(a, aOff, a, aOff, n);
    }

    @Override
    public float max(float[] a, int aOff, int n) {
        return PLAIN.max(a, aOff, n);
    }

    @Override
    public int argmax(float[] a, int aOff, int n) {
        return PLAIN.argmax(a, aOff, n);
    }

    @Override
    public void softmax(float[] x, int xOff, float[] out, int outOff, int n) {
        float m = max(x, xOff, n);
        if (m == Float.NEGATIVE_INFINITY) {
            Arrays.fill(out, outOff, outOff + n, 0f);
            return;
        }
        for (int i = 0; i < n; i++) {
            out[outOff + i] = exp(x[xOff + i] - m);
        }
        float inv = 1f / sum(out, outOff, n);
        for (int i = 0; i < n; i++) {
            out[outOff + i] *= inv;
        }
    }

    @Override
    public void logSoftmax(float[] x, int xOff, float[] out, int outOff, int n) {
        float m = max(x, xOff, n);
        if (m == Float.NEGATIVE_INFINITY) {
            Arrays.fill(out, outOff, outOff + n, Float.NEGATIVE_INFINITY);
            return;
        }
        for (int i = 0; i < n; i++) {
            out[outOff + i] = exp(x[xOff + i] - m);
        }
        float lse = (float) (m + StrictMath.log(sum(out, outOff, n)));
        for (int i = 0; i < n; i++) {
            out[outOff + i] = x[xOff + i] - lse;
        }
    }

    @Override
    public float layerNorm(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float eps,
                           float[] out, int outOff, int n) {
        if (n == 0) {
            return Float.NaN;
        }
        float mean = sum(x, xOff, n) / n;
        float v0 = 0f, v1 = 0f, v2 = 0f, v3 = 0f;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            float c0 = x[xOff + i] - mean, c1 = x[xOff + i + 1] - mean, c2 = x[xOff + i + 2] - mean, c3 = x[xOff + i + 3] - mean;
            v0 = Math.fma(c0, c0, v0);
            v1 = Math.fma(c1, c1, v1);
            v2 = Math.fma(c2, c2, v2);
            v3 = Math.fma(c3, c3, v3);
        }
        float var = (v0 + v1) + (v2 + v3);
        for (; i < n; i++) {
            float c = x[xOff + i] - mean;
            var = Math.fma(c, c, var);
        }
        float scale = (float) Math.sqrt(var / n + eps); // sqrt is exactly rounded: the same everywhere
        float inv = 1f / scale;
        for (int j = 0; j < n; j++) {
            float v = (x[xOff + j] - mean) * inv;
            if (w != null) {
                v *= w[wOff + j];
            }
            if (b != null) {
                v += b[bOff + j];
            }
            out[outOff + j] = v;
        }
        return scale;
    }
}
