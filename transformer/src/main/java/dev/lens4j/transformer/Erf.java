package dev.lens4j.transformer;

/** The error function, for the exact {@code gelu} activation. */
final class Erf {

    private Erf() {}

    /**
     * {@code erf(x)} with an absolute error below 1.2e-7 (the Chebyshev fit of {@code erfc} from
     * Numerical Recipes), enough for float32 activations.
     *
     * @param x any value
     * @param strict whether to use the reproducible kernels' exp (the same bits on every platform)
     * @return {@code erf(x)}
     */
    static double erf(double x, boolean strict) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double arg = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277))))))));
        double erfc = t * (strict ? dev.lens4j.tensor.kernel.ReproducibleKernels.exp((float) arg) : Math.exp(arg));
        return x >= 0 ? 1.0 - erfc : erfc - 1.0;
    }
}
