package dev.lens4j.tensor.kernel;

/**
 * The error function and the exact GELU built on it, in double precision: the scalar definition the
 * {@link Kernels#gelu} kernels are held to ({@link ScalarKernels} and {@link ReproducibleKernels} compute
 * exactly this; the Vector API kernel follows the same fit in float32 and is tested against it), and
 * the derivative of the GELU in the backward pass.
 */
public final class Erf {

    private static final double SQRT_2 = Math.sqrt(2);

    private Erf() {}

    /**
     * {@code erf(x)} with an absolute error below 1.2e-7 (the Chebyshev fit of {@code erfc} from
     * Numerical Recipes, {@code erfc(z) = t exp(-z^2 + P(t))} with {@code t = 1 / (1 + z / 2)}, whose
     * fractional error is below 1.2e-7 everywhere), enough for float32 activations.
     *
     * @param x any value
     * @param strict whether to use the reproducible kernels' exp (the same bits on every platform)
     * @return {@code erf(x)}
     */
    public static double erf(double x, boolean strict) {
        double erfc = erfc(Math.abs(x), strict);
        return x >= 0 ? 1.0 - erfc : erfc - 1.0;
    }

    /** {@code erfc(z)} for {@code z >= 0} (or NaN), to the fit's fractional error. */
    private static double erfc(double z, boolean strict) {
        double t = 1.0 / (1.0 + 0.5 * z);
        double arg = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277))))))));
        return t * (strict ? ReproducibleKernels.exp((float) arg) : Math.exp(arg));
    }

    /**
     * The exact GELU of one value, {@code 0.5 x (1 + erf(x / sqrt 2))}, computed in double and rounded
     * once, to the fit's relative accuracy on both sides (a few ulp of float down to where the result
     * becomes subnormal, near {@code x = -13.2}). {@code gelu(-inf)} is NaN ({@code -inf * 0}, as in PyTorch), {@code gelu(+inf) = +inf} (PyTorch
     * gives NaN there too).
     *
     * @param x the value
     * @param strict whether to use the reproducible kernels' exp
     * @return {@code gelu(x)}
     */
    public static float gelu(float x, boolean strict) {
        // 1 + erf(x / sqrt 2) is 2 - erfc(|x| / sqrt 2) above zero and erfc(|x| / sqrt 2) below, where
        // 1 + (erfc - 1) would cancel to 0 (x < -8) and keep no relative accuracy
        double erfc = erfc(Math.abs(x) / SQRT_2, strict);
        return (float) (x >= 0 ? 0.5 * x * (2 - erfc) : 0.5 * x * erfc);
    }
}
