package dev.lens4j.tensor.matmul;

/**
 * The plain-Java GEMV kernel, used when the Vector API is unavailable, and for any strides: one
 * {@link Math#fma} chain per output element, elements read through {@link MatrixOperand#get} (so any
 * storage and type). The row-major loop runs down the rows of W with the output row in L1; the
 * transposed loop keeps 8 columns' chains in registers, so that their fused multiply-adds overlap.
 */
final class ScalarGemvKernel implements GemvKernel {

    static final ScalarGemvKernel INSTANCE = new ScalarGemvKernel();

    private ScalarGemvKernel() {}

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void rowMajor(float[] x, int xOff, int ldx, int rows, MatrixOperand w, int j0, int j1, float[] out, int outOff,
                         int ldo) {
        general(x, xOff, ldx, rows, w, j0, j1, out, outOff, ldo);
    }

    @Override
    public void transposed(float[] x, int xOff, int ldx, int rows, MatrixOperand w, int j0, int j1, float[] out, int outOff,
                           int ldo) {
        general(x, xOff, ldx, rows, w, j0, j1, out, outOff, ldo);
    }

    /** Any strides: for each row of x and each column, the chain in order of p. */
    static void general(float[] x, int xOff, int ldx, int rows, MatrixOperand w, int j0, int j1, float[] out, int outOff,
                        int ldo) {
        int k = w.rows();
        float[] wa = w.array();
        if (wa != null && w.colStride() == 1) {
            // row-major heap float32: run along each row of W, the output row stays in L1
            long rs = w.rowStride();
            for (int r = 0; r < rows; r++) {
                int o = outOff + r * ldo;
                for (int p = 0; p < k; p++) {
                    float xv = x[xOff + r * ldx + p];
                    int s = (int) (w.offset() + p * rs);
                    for (int j = j0; j < j1; j++) {
                        out[o + j] = Math.fma(xv, wa[s + j], out[o + j]);
                    }
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            int o = outOff + r * ldo;
            int xo = xOff + r * ldx;
            int j = j0;
            for (; j + 8 <= j1; j += 8) {
                float c0 = out[o + j], c1 = out[o + j + 1], c2 = out[o + j + 2], c3 = out[o + j + 3];
                float c4 = out[o + j + 4], c5 = out[o + j + 5], c6 = out[o + j + 6], c7 = out[o + j + 7];
                for (int p = 0; p < k; p++) {
                    float xv = x[xo + p];
                    c0 = Math.fma(xv, w.get(p, j), c0);
                    c1 = Math.fma(xv, w.get(p, j + 1), c1);
                    c2 = Math.fma(xv, w.get(p, j + 2), c2);
                    c3 = Math.fma(xv, w.get(p, j + 3), c3);
                    c4 = Math.fma(xv, w.get(p, j + 4), c4);
                    c5 = Math.fma(xv, w.get(p, j + 5), c5);
                    c6 = Math.fma(xv, w.get(p, j + 6), c6);
                    c7 = Math.fma(xv, w.get(p, j + 7), c7);
                }
                out[o + j] = c0;
                out[o + j + 1] = c1;
                out[o + j + 2] = c2;
                out[o + j + 3] = c3;
                out[o + j + 4] = c4;
                out[o + j + 5] = c5;
                out[o + j + 6] = c6;
                out[o + j + 7] = c7;
            }
            for (; j < j1; j++) {
                float c = out[o + j];
                for (int p = 0; p < k; p++) {
                    c = Math.fma(x[xo + p], w.get(p, j), c);
                }
                out[o + j] = c;
            }
        }
    }
}
