package dev.lens4j.tensor.kernel;

/**
 * Plain-Java kernels: the oracle every other implementation is tested against, and the fallback
 * when the Vector API module is not present. Written for clarity; reductions accumulate in
 * {@code double} so that they are the most accurate reference available.
 */
public final class ScalarKernels implements Kernels {

    /** The single instance. */
    public static final ScalarKernels INSTANCE = new ScalarKernels();

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

    private ScalarKernels() {}

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    @Override
    public void sub(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = a[aOff + i] - b[bOff + i];
        }
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = a[aOff + i] * b[bOff + i];
        }
    }

    @Override
    public void div(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = a[aOff + i] / b[bOff + i];
        }
    }

    @Override
    public void addScalar(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = a[aOff + i] + s;
        }
    }

    @Override
    public void mulScalar(float[] a, int aOff, float s, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = a[aOff + i] * s;
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    @Override
    public void exp(float[] a, int aOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = (float) Math.exp(a[aOff + i]);
        }
    }

    @Override
    public void geluNew(float[] a, int aOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            float x = a[aOff + i];
            out[outOff + i] = 0.5f * x * (1f + (float) Math.tanh(SQRT_2_OVER_PI * (x + 0.044715f * x * x * x)));
        }
    }

    @Override
    public void gelu(float[] a, int aOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            out[outOff + i] = Erf.gelu(a[aOff + i], false);
        }
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += (double) a[aOff + i] * b[bOff + i];
        }
        return (float) s;
    }

    @Override
    public float sum(float[] a, int aOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += a[aOff + i];
        }
        return (float) s;
    }

    @Override
    public float sumOfSquares(float[] a, int aOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double v = a[aOff + i];
            s += v * v;
        }
        return (float) s;
    }

    @Override
    public float max(float[] a, int aOff, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float v = a[aOff + i];
            if (Float.isNaN(v)) {
                return Float.NaN;
            }
            m = Math.max(m, v);
        }
        return m;
    }

    @Override
    public int argmax(float[] a, int aOff, int n) {
        int best = n == 0 ? -1 : 0;
        for (int i = 0; i < n; i++) {
            float v = a[aOff + i];
            if (Float.isNaN(v)) {
                return i;
            }
            if (v > a[aOff + best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public void softmax(float[] x, int xOff, float[] out, int outOff, int n) {
        float m = max(x, xOff, n);
        if (m == Float.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(out, outOff, outOff + n, 0f);
            return;
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[xOff + i] - m);
            out[outOff + i] = e;
            s += e;
        }
        float inv = (float) (1.0 / s);
        for (int i = 0; i < n; i++) {
            out[outOff + i] *= inv;
        }
    }

    @Override
    public void logSoftmax(float[] x, int xOff, float[] out, int outOff, int n) {
        float m = max(x, xOff, n);
        if (m == Float.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(out, outOff, outOff + n, Float.NEGATIVE_INFINITY);
            return;
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += Math.exp(x[xOff + i] - m);
        }
        float lse = (float) (m + Math.log(s));
        for (int i = 0; i < n; i++) {
            out[outOff + i] = x[xOff + i] - lse;
        }
    }

    @Override
    public float layerNorm(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float eps,
                           float[] out, int outOff, int n) {
        double mean = 0;
        for (int i = 0; i < n; i++) {
            mean += x[xOff + i];
        }
        mean /= n;
        double var = 0;
        for (int i = 0; i < n; i++) {
            double c = x[xOff + i] - mean;
            var += c * c;
        }
        var /= n;
        float scale = (float) Math.sqrt(var + eps);
        float inv = 1f / scale;
        float fm = (float) mean;
        for (int i = 0; i < n; i++) {
            float v = (x[xOff + i] - fm) * inv;
            if (w != null) {
                v *= w[wOff + i];
            }
            if (b != null) {
                v += b[bOff + i];
            }
            out[outOff + i] = v;
        }
        return scale;
    }
}
