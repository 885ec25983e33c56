package dev.lens4j.analysis.circuits;

import dev.lens4j.tensor.Tensor;

/**
 * Complex numbers as two real tensors of one shape, for eigenvalues.
 *
 * @param real the real parts
 * @param imag the imaginary parts
 */
public record ComplexValues(Tensor real, Tensor imag) {

    /** Checks that both parts have the same shape. */
    public ComplexValues {
        real.requireSameShape(imag, "ComplexValues");
    }

    /**
     * The magnitude of each value.
     *
     * @return {@code |z|} elementwise
     */
    public Tensor abs() {
        return real.mul(real).add(imag.mul(imag)).sqrt();
    }

    /**
     * The copying score of TransformerLens's tutorials: {@code Re(sum z) / sum |z|} over the last
     * axis, in {@code [-1, 1]}; near 1 when the eigenvalues are mostly positive reals.
     *
     * @return {@code [...]}, one score per set of eigenvalues
     */
    public Tensor positivityScore() {
        return real.sum(-1, false).div(abs().sum(-1, false));
    }
}
