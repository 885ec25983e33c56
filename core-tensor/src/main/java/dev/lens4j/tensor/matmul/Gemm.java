package dev.lens4j.tensor.matmul;

/**
 * Single-precision matrix multiplication {@code C = A B} (or {@code C += A B}).
 *
 * <p>PLACEHOLDER: a straightforward correct implementation; the packed, blocked, register-tiled
 * version replaces the body of {@link #multiply}.
 */
public final class Gemm {

    private Gemm() {}

    /**
     * {@code C[m, n] (+)= A[m, k] B[k, n]}.
     *
     * @param a the left operand, {@code [m, k]}, any strides
     * @param b the right operand, {@code [k, n]}, any strides
     * @param c the output, row-major with leading dimension {@code ldc}
     * @param cOff index of {@code C[0, 0]}
     * @param ldc elements between consecutive rows of C
     * @param accumulate add to C instead of overwriting it
     */
    public static void multiply(MatrixOperand a, MatrixOperand b, float[] c, int cOff, int ldc, boolean accumulate) {
        if (a.cols() != b.rows()) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: [" + a.rows() + ", " + a.cols()
                    + "] x [" + b.rows() + ", " + b.cols() + "]");
        }
        int m = a.rows(), n = b.cols(), k = a.cols();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) {
                    s += a.get(i, p) * b.get(p, j);
                }
                int idx = cOff + i * ldc + j;
                c[idx] = accumulate ? c[idx] + s : s;
            }
        }
    }
}
