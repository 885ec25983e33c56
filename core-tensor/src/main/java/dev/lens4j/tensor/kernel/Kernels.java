package dev.lens4j.tensor.kernel;

/**
 * The hot loops of lens4j over contiguous float arrays, each given as array plus offset.
 *
 * <p>There are two implementations: {@link ScalarKernels}, the plain-Java oracle that tests compare
 * against and the fallback when {@code jdk.incubator.vector} is absent, and a Vector API
 * implementation in {@code dev.lens4j.tensor.kernel.panama}, the only package that imports the
 * incubator module. {@link KernelProvider#kernels()} picks one once at start-up.
 *
 * <p>Every range is {@code n} contiguous elements starting at its offset, a 1-D slice such as one
 * row {@code [d_model]} of the residual stream or one row {@code [key_pos]} of attention scores.
 * Unless a method says otherwise, {@code out} may be the same array region as an input
 * (in-place), but must not partially overlap it. Implementations are stateless and thread-safe.
 *
 * <p>Implementations may differ in the last bits: elementwise arithmetic ({@code add} to
 * {@code mulScalar}) is exact IEEE arithmetic in both, {@code axpy} may use a fused multiply-add,
 * transcendental functions are accurate to about one ulp, and reductions may sum in a different
 * order (the scalar oracle sums in {@code double}).
 */
public interface Kernels {

    /**
     * The implementation's name.
     *
     * @return a short name for logs and benchmark labels, e.g. {@code "scalar"} or {@code "panama(512-bit, 16 lanes)"}
     */
    String name();

    // ---- elementwise, n elements ----

    /**
     * {@code out[i] = a[i] + b[i]}.
     *
     * @param a first input {@code [n]}
     * @param aOff index of {@code a[0]}
     * @param b second input {@code [n]}
     * @param bOff index of {@code b[0]}
     * @param out output {@code [n]}
     * @param outOff index of {@code out[0]}
     * @param n number of elements
     */
    void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /**
     * {@code out[i] = a[i] - b[i]}.
     *
     * @param a first input {@code [n]}
     * @param aOff index of {@code a[0]}
     * @param b second input {@code [n]}
     * @param bOff index of {@code b[0]}
     * @param out output {@code [n]}
     * @param outOff index of {@code out[0]}
     * @param n number of elements
     */
    void sub(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /**
     * {@code out[i] = a[i] * b[i]}.
     *
     * @param a first input {@code [n]}
     * @param aOff index of {@code a[0]}
     * @param b second input {@code [n]}
     * @param bOff index of {@code b[0]}
     * @param out output {@code [n]}
     * @param outOff index of {@code out[0]}
     * @param n number of elements
     */
    void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /**
     * {@code out[i] = a[i] / b[i]}.
     *
     * @param a dividends {@code [n]}
     * @param aOff index of {@code a[0]}
     * @param b divisors {@code [n]}
     * @param bOff index of {@code b[0]}
     * @param out output {@code [n]}
     * @param outOff index of {@code out[0]}
     * @param n number of elements
     */
    void div(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /**
     * {@code out[i] = a[i] + s}.
     *
     * @param a input {@code [n]}
     * @param aOff index of {@code a[0]}
     * @param s the scalar added to every element
     * @param out output {@code [n]}
     * @param outOff index of {@code out[0]}
     * @param n number of elements
     */
    void addScalar(float[] a, int aOff, float s, float[] out, int outOff, int n);

    /**
     * {@code out[i] = a[i] * s}.
     *
     * @param a input {@code [n]}
     * @param aOff index of {@code a[0]}
     * @param s the scalar every element is multiplied by
     * @param out output {@code [n]}
     * @param outOff index of {@code out[0]}
     * @param n number of elements
     */
    void mulScalar(float[] a, int aOff, float s, float[] out, int outOff, int n);

    /**
     * {@code y[i] += alpha * x[i]} (possibly as one fused multiply-add).
     *
     * @param alpha the scale of {@code x}
     * @param x input {@code [n]}
     * @param xOff index of {@code x[0]}
     * @param y accumulator {@code [n]}, updated in place
     * @param yOff index of {@code y[0]}
     * @param n number of elements
     */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /**
     * {@code out[i] = exp(a[i])}; {@code exp(-inf) = 0}.
     *
     * @param a input {@code [n]}
     * @param aOff index of {@code a[0]}
     * @param out output {@code [n]}
     * @param outOff index of {@code out[0]}
     * @param n number of elements
     */
    void exp(float[] a, int aOff, float[] out, int outOff, int n);

    /**
     * {@code out[i] = gelu_new(a[i]) = 0.5 a (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3)))}, GPT-2's
     * activation (TransformerLens {@code act_fn="gelu_new"}).
     *
     * @param a input, e.g. one row of {@code mlp.hook_pre} {@code [d_mlp]}
     * @param aOff index of {@code a[0]}
     * @param out output, e.g. one row of {@code mlp.hook_post} {@code [d_mlp]}
     * @param outOff index of {@code out[0]}
     * @param n number of elements
     */
    void geluNew(float[] a, int aOff, float[] out, int outOff, int n);

    /**
     * {@code out[i] = gelu(a[i]) = 0.5 a (1 + erf(a / sqrt 2))}, the exact GELU of GPT-NeoX/Pythia
     * (TransformerLens {@code act_fn="gelu"}): {@link Erf#gelu} of each element in the scalar and
     * reproducible kernels (within 3 ulp of the exact value); the Vector API kernel computes the same fit in
     * float32, within 8 ulp of the exact value and 7 of the scalar kernel's. {@code gelu(-inf)} is NaN, {@code gelu(+inf) = +inf}.
     *
     * @param a input, e.g. one row of {@code mlp.hook_pre} {@code [d_mlp]}
     * @param aOff index of {@code a[0]}
     * @param out output, e.g. one row of {@code mlp.hook_post} {@code [d_mlp]}
     * @param outOff index of {@code out[0]}
     * @param n number of elements
     */
    void gelu(float[] a, int aOff, float[] out, int outOff, int n);

    // ---- reductions over n contiguous elements ----

    /**
     * Dot product.
     *
     * @param a first input {@code [n]}
     * @param aOff index of {@code a[0]}
     * @param b second input {@code [n]}
     * @param bOff index of {@code b[0]}
     * @param n number of elements
     * @return {@code sum a[i] b[i]}, 0 when {@code n == 0}
     */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /**
     * Sum.
     *
     * @param a input {@code [n]}
     * @param aOff index of {@code a[0]}
     * @param n number of elements
     * @return {@code sum a[i]}, 0 when {@code n == 0}
     */
    float sum(float[] a, int aOff, int n);

    /**
     * Sum of squares.
     *
     * @param a input {@code [n]}
     * @param aOff index of {@code a[0]}
     * @param n number of elements
     * @return {@code sum a[i]^2}, 0 when {@code n == 0}
     */
    float sumOfSquares(float[] a, int aOff, int n);

    /**
     * Maximum, with {@link Math#max(float, float)} semantics.
     *
     * @param a input {@code [n]}
     * @param aOff index of {@code a[0]}
     * @param n number of elements
     * @return {@code max a[i]}, or negative infinity when {@code n == 0}; NaN if any element is NaN
     */
    float max(float[] a, int aOff, int n);

    /**
     * Index of the maximum, as {@code torch.argmax} and {@code numpy.argmax} define it: NaN counts
     * as larger than every number, and ties go to the first occurrence ({@code -0.0} and
     * {@code 0.0} tie).
     *
     * @param a input, e.g. one row of logits {@code [d_vocab]}
     * @param aOff index of {@code a[0]}
     * @param n number of elements
     * @return the index (0-based, relative to {@code aOff}) of the first NaN if there is one, else of
     *     the first maximum; -1 when {@code n == 0}
     */
    int argmax(float[] a, int aOff, int n);

    // ---- row operations, one row of n elements ----

    /**
     * Softmax of one row: {@code out[i] = exp(x[i] - max) / sum_j exp(x[j] - max)}. Entries equal to
     * negative infinity get probability 0; a row that is entirely negative infinity becomes all
     * zeros (TransformerLens turns the NaN of such a row into 0). A NaN anywhere in the row makes
     * the whole row NaN.
     *
     * @param x one row of scores, e.g. {@code hook_attn_scores[b, h, q, :]} {@code [key_pos]}
     * @param xOff index of {@code x[0]}
     * @param out the probabilities, e.g. {@code hook_pattern[b, h, q, :]} {@code [key_pos]}
     * @param outOff index of {@code out[0]}
     * @param n row length
     */
    void softmax(float[] x, int xOff, float[] out, int outOff, int n);

    /**
     * Log-softmax of one row: {@code out[i] = x[i] - max - log(sum_j exp(x[j] - max))}. Negative
     * infinity stays negative infinity; an all negative infinity row stays all negative infinity.
     *
     * @param x one row of logits {@code [d_vocab]}
     * @param xOff index of {@code x[0]}
     * @param out the log-probabilities {@code [d_vocab]}
     * @param outOff index of {@code out[0]}
     * @param n row length
     */
    void logSoftmax(float[] x, int xOff, float[] out, int outOff, int n);

    /**
     * LayerNorm of one row as TransformerLens computes it: {@code c = x - mean(x)},
     * {@code scale = sqrt(mean(c^2) + eps)}, {@code out = c / scale * w + b}. {@code w} or {@code b}
     * may be null (no weight, no bias: the folded "LNPre" of processed models). An empty row
     * ({@code n == 0}) writes nothing and returns NaN.
     *
     * @param x one row of the residual stream, e.g. {@code hook_resid_pre[b, p, :]} {@code [d_model]}
     * @param xOff index of {@code x[0]}
     * @param w the LayerNorm weight {@code [d_model]}, or null
     * @param wOff index of {@code w[0]}
     * @param b the LayerNorm bias {@code [d_model]}, or null
     * @param bOff index of {@code b[0]}
     * @param eps added to the variance inside the square root (1e-5 for GPT-2)
     * @param out the normalised row, e.g. {@code ln1.hook_normalized[b, p, :]} {@code [d_model]}
     * @param outOff index of {@code out[0]}
     * @param n row length
     * @return {@code scale}, the value TransformerLens exposes at {@code hook_scale[b, p, 0]}
     */
    float layerNorm(float[] x, int xOff, float[] w, int wOff, float[] b, int bOff, float eps,
                    float[] out, int outOff, int n);
}
