package dev.lens4j.tensor.kernel.panama;

import dev.lens4j.tensor.matmul.GemvKernel;
import dev.lens4j.tensor.matmul.MatrixOperand;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernel of {@link dev.lens4j.tensor.matmul.Gemv}: a few rows of activations times a
 * weight streamed from memory once, at the speed memory delivers it.
 *
 * <ul>
 *   <li><b>Row-major W</b>: down the rows of W, each row's run of columns read in whole vectors
 *       (16-bit elements widened in registers) and multiplied into the output rows, which stay in L1
 *       (blocks of {@value #BLOCK} columns). Each row of W is one contiguous run, which the hardware
 *       prefetchers stream; accumulators held in registers instead would read 192 bytes per row of W
 *       at a stride of kilobytes, which no prefetcher follows.</li>
 *   <li><b>Transposed W</b> (a column contiguous along k, e.g. {@code W_E^T}): 16 columns at a time,
 *       16 steps of k loaded from each, transposed in registers ({@link Transpose16}) into 16 vectors
 *       of 16 columns, multiplied in order of k. Sixteen sequential streams, one per column. Only for
 *       16 lanes; with fewer, the scalar kernel (8 interleaved chains) runs.</li>
 * </ul>
 * Either way every output element is one fused multiply-add chain along k, in order, as in the GEMM.
 * Loaded reflectively, like {@link PanamaGemmKernel}.
 */
public final class PanamaGemvKernel implements GemvKernel {

    private static final VectorSpecies<Float> S = Widening.S;
    private static final int L = Widening.L;
    /** Columns of the output rows kept in L1 while the rows of W go past: 4 KB per output row. */
    static final int BLOCK = 1024;

    private final GemvKernel fallback;

    private PanamaGemvKernel(GemvKernel fallback) {
        this.fallback = fallback;
    }

    /**
     * Creates the kernel; called reflectively.
     *
     * @param fallback the kernel for transposed weights when vectors are not 16 lanes wide, and for tails
     * @return the kernel
     */
    public static GemvKernel create(GemvKernel fallback) {
        return new PanamaGemvKernel(fallback);
    }

    @Override
    public String name() {
        return "panama (" + L + " lanes)";
    }

    @Override
    public void rowMajor(float[] x, int xOff, int ldx, int rows, MatrixOperand w, int j0, int j1, float[] out, int outOff,
                         int ldo) {
        int k = w.rows();
        long rs = w.rowStride(), base = w.offset();
        for (int jb = j0; jb < j1; jb += BLOCK) {
            int je = Math.min(j1, jb + BLOCK);
            int vecEnd = jb + (je - jb) / L * L;
            for (int p = 0; p < k; p++) {
                long row = base + p * rs;
                float x0 = x[xOff + p];
                float x1 = rows > 1 ? x[xOff + ldx + p] : 0f;
                float x2 = rows > 2 ? x[xOff + 2 * ldx + p] : 0f;
                float x3 = rows > 3 ? x[xOff + 3 * ldx + p] : 0f;
                FloatVector v0 = FloatVector.broadcast(S, x0);
                FloatVector v1 = FloatVector.broadcast(S, x1);
                FloatVector v2 = FloatVector.broadcast(S, x2);
                FloatVector v3 = FloatVector.broadcast(S, x3);
                for (int j = jb; j < vecEnd; j += L) {
                    FloatVector wv = Widening.load(w, row + j);
                    int o = outOff + j;
                    v0.fma(wv, FloatVector.fromArray(S, out, o)).intoArray(out, o);
                    if (rows > 1) {
                        o += ldo;
                        v1.fma(wv, FloatVector.fromArray(S, out, o)).intoArray(out, o);
                        if (rows > 2) {
                            o += ldo;
                            v2.fma(wv, FloatVector.fromArray(S, out, o)).intoArray(out, o);
                            if (rows > 3) {
                                o += ldo;
                                v3.fma(wv, FloatVector.fromArray(S, out, o)).intoArray(out, o);
                            }
                        }
                    }
                }
                // the columns after the last whole vector: the same chain, one element at a time
                for (int j = vecEnd; j < je; j++) {
                    float wj = w.get(p, j);
                    int o = outOff + j;
                    out[o] = Math.fma(x0, wj, out[o]);
                    if (rows > 1) {
                        out[o + ldo] = Math.fma(x1, wj, out[o + ldo]);
                        if (rows > 2) {
                            out[o + 2 * ldo] = Math.fma(x2, wj, out[o + 2 * ldo]);
                            if (rows > 3) {
                                out[o + 3 * ldo] = Math.fma(x3, wj, out[o + 3 * ldo]);
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void transposed(float[] x, int xOff, int ldx, int rows, MatrixOperand w, int j0, int j1, float[] out, int outOff,
                           int ldo) {
        if (L != 16) {
            fallback.transposed(x, xOff, ldx, rows, w, j0, j1, out, outOff, ldo);
            return;
        }
        int k = w.rows();
        long cs = w.colStride();
        int full = k / L * L;
        int groupsEnd = j0 + (j1 - j0) / L * L;
        float[] t = new float[L * L];
        for (int j = j0; j < groupsEnd; j += L) {
            int o = outOff + j;
            FloatVector a0 = FloatVector.fromArray(S, out, o);
            FloatVector a1 = rows > 1 ? FloatVector.fromArray(S, out, o + ldo) : a0;
            FloatVector a2 = rows > 2 ? FloatVector.fromArray(S, out, o + 2 * ldo) : a0;
            FloatVector a3 = rows > 3 ? FloatVector.fromArray(S, out, o + 3 * ldo) : a0;
            long col = w.offset() + j * cs;
            for (int p = 0; p < k; p += L) {
                if (p < full) {
                    // t[q * 16 + c] = W[p + q, j + c]
                    Transpose16.transpose(w, col + p, cs, t, 0, L);
                } else {
                    for (int q = 0; q < k - p; q++) {
                        for (int c = 0; c < L; c++) {
                            t[q * L + c] = w.get(p + q, j + c);
                        }
                    }
                }
                int steps = Math.min(L, k - p);
                for (int q = 0; q < steps; q++) {
                    FloatVector wq = FloatVector.fromArray(S, t, q * L);
                    int xi = xOff + p + q;
                    a0 = FloatVector.broadcast(S, x[xi]).fma(wq, a0);
                    if (rows > 1) {
                        a1 = FloatVector.broadcast(S, x[xi + ldx]).fma(wq, a1);
                        if (rows > 2) {
                            a2 = FloatVector.broadcast(S, x[xi + 2 * ldx]).fma(wq, a2);
                            if (rows > 3) {
                                a3 = FloatVector.broadcast(S, x[xi + 3 * ldx]).fma(wq, a3);
                            }
                        }
                    }
                }
            }
            a0.intoArray(out, o);
            if (rows > 1) {
                a1.intoArray(out, o + ldo);
            }
            if (rows > 2) {
                a2.intoArray(out, o + 2 * ldo);
            }
            if (rows > 3) {
                a3.intoArray(out, o + 3 * ldo);
            }
        }
        if (groupsEnd < j1) {
            fallback.transposed(x, xOff, ldx, rows, w, groupsEnd, j1, out, outOff, ldo);
        }
    }
}
