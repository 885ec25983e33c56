package dev.lens4j.tensor.matmul;

/**
 * The inner loops of {@link Gemv}: a few rows of activations times a weight matrix read in place.
 *
 * <p>An implementation interface between {@link Gemv} and its two kernels (a plain-Java one in this
 * package, a Vector API one in {@code dev.lens4j.tensor.kernel.panama}); application code has no
 * reason to call it.
 *
 * <p>Both methods update {@code out[r, j]} for {@code r < rows} and {@code j0 <= j < j1} as one chain
 * of fused multiply-adds in increasing {@code p}: {@code out = fma(x[r, p], W[p, j], out)} for
 * {@code p = 0 .. k-1}, starting from the current {@code out[r, j]} (the bias or zero, written by the
 * caller). That is {@link GemmMicroKernel}'s contract, so a GEMV gives the same bits as the GEMM.
 * {@code x[r, p]} is at {@code x[xOff + r * ldx + p]}, {@code out[r, j]} at {@code out[outOff + r * ldo + j]}.
 */
public interface GemvKernel {

    /**
     * The kernel's name.
     *
     * @return a short name for logs and benchmark labels
     */
    String name();

    /**
     * {@code out[r, j0:j1] = chain(x[r, :] W[:, j0:j1])} for a W with unit column stride (row-major,
     * e.g. {@code W_in [d_model, d_mlp]}), any storage type.
     *
     * @param x the activations, {@code [rows, k]}
     * @param xOff index of {@code x[0, 0]}
     * @param ldx elements between rows of x
     * @param rows rows of x, 1 to {@link Gemv#MAX_ROWS}
     * @param w the weight {@code [k, n]}, {@code colStride() == 1}
     * @param j0 first column
     * @param j1 one past the last column
     * @param out the output {@code [rows, n]}, holding the chains' starting values
     * @param outOff index of {@code out[0, 0]}
     * @param ldo elements between rows of out
     */
    void rowMajor(float[] x, int xOff, int ldx, int rows, MatrixOperand w, int j0, int j1, float[] out, int outOff, int ldo);

    /**
     * The same for a W with unit row stride: each column is contiguous along k (a transposed view,
     * e.g. the tied unembedding {@code W_E^T [d_model, d_vocab]}).
     *
     * @param x the activations, {@code [rows, k]}
     * @param xOff index of {@code x[0, 0]}
     * @param ldx elements between rows of x
     * @param rows rows of x, 1 to {@link Gemv#MAX_ROWS}
     * @param w the weight {@code [k, n]}, {@code rowStride() == 1}
     * @param j0 first column
     * @param j1 one past the last column
     * @param out the output {@code [rows, n]}, holding the chains' starting values
     * @param outOff index of {@code out[0, 0]}
     * @param ldo elements between rows of out
     */
    void transposed(float[] x, int xOff, int ldx, int rows, MatrixOperand w, int j0, int j1, float[] out, int outOff, int ldo);
}
