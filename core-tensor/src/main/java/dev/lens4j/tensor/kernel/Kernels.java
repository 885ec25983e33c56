package dev.lens4j.tensor.kernel;

/**
 * The hot loops of lens4j over contiguous float arrays, each given as array plus offset.
 *
 * <p>There are two implementations: {@link ScalarKernels}, the plain-Java oracle that tests compare
 * against and the fallback when {@code jdk.incubator.vector} is absent, and a Vector API
 * implementation in {@code dev.lens4j.tensor.kernel.panama}, the only package that imports the
 * incubator module. {@link KernelProvider#kernels()} picks one once at start-up.
 *
 * <p>Unless a method says otherwise, {@code out} may be the same array region as an input
 * (in-place), but must not partially overlap it.
 */
public interface Kernels {

    /** @return a short name for logs and benchmark labels, e.g. {@code "scalar"} or {@code "panama(AVX-512, 16 lanes)"} */
    String name();

    // ---- elementwise, n elements ----

    /** {@code out[i] = a[i] + b[i]} */
    void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /** {@code out[i] = a[i] - b[i]} */
    void sub(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /** {@code out[i] = a[i] * b[i]} */
    void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /** {@code out[i] = a[i] / b[i]} */
    void div(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /** {@code out[i] = a[i] + s} */
    void addScalar(float[] a, int aOff, float s, float[] out, int outOff, int n);

    /** {@code out[i] = a[i] * s} */
    void mulScalar(float[] a, int aOff, float s, float[] out, int outOff, int n);

    /** {@code y[i] += alpha * x[i]} */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /** {@code out[i] = exp(a[i])} */
    void exp(float[] a, int aOff, float[] out, int outOff, int n);

    /** {@code out[i] = gelu_new(a[i]) = 0.5 a (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3)))} */
    void geluNew(float[] a, int aOff, float[] out, int outOff, int n);

    // ---- reductions over n contiguous elements ----

    /** @return {@code sum a[i] b[i]} */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** @return {@code sum a[i]} */
    float sum(float[] a, int aOff, int n);

    /** @return {@code sum a[i]^2} */
    float sumOfSquares(float[] a, int aOff, int n);

    /** @return {@code max a[i]}, or negative infinity when {@code n == 0}; NaN if any element is NaN */
    float max(float[] a, int aOff, int n);

    /** @return the index (0-based, relative to {@code aOff}) of the first maximum; -1 when {@code n == 0} */
    int argmax(float[] a, int aOff, int n);

    // ---- row operations, one row of n elements ----

    /**
     * Softmax of one row: {@code out[i] = exp(x[i] - max) / sum_j exp(x[j] - max)}. Entries equal to
     * negative infinity get probability 0; a row that is entirely negative infinity becomes all
     * zeros (TransformerLens turns the NaN of such a row into 0).
     */
    void softmax(float[] x, int xOff, float[] out, int outOff, int n);

    /**
     * Log-softmax of one row: {@code out[i] = x[i] - max - log(sum_j exp(x[j] - max))}. Negative
     * infinity stays negative infinity; an all negative infinity row stays all negative infinity.
     */
    void logSoftmax(float[] x, int xOff, float[] out, int outOff, int n);

    /**
     * LayerNorm of one row as TransformerLens computes it: {@code c = x - mean(x)},
     * {@code scale = sqrt(mean(c^2) + eps)}, {@code out = c / scale * w + b}. {@code w} or {@code b}
     * may be null (no weight, no bias: the folded "LNPre" of processed models).
     *
     * @return {@code scale}, the value TransformerLens exposes at {@code hook_scale}
     */
    float layerNorm(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float eps,
                    float[] out, int outOff, int n);
}
