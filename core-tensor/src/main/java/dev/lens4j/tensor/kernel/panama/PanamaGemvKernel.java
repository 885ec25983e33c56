package dev.lens4j.tensor.kernel.panama;

import dev.lens4j.tensor.matmul.GemvKernel;
import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.tensor.matmul.StorageType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
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
    /**
     * Columns of the output rows kept in L1 while the rows of W go past (4 KB per output row); one row
     * of x takes four times as many, so that a run of a row of W is 16 KB (8 KB of bfloat16).
     */
    static final int BLOCK = 1024;
    /** Steps of k widened at a time for a transposed weight that is not a float32 array. */
    private static final int CHUNK = 256;

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
        float[] wa = w.array();
        short[] wh = w.halves();
        MemorySegment seg = w.segment();
        StorageType type = w.type();
        // float32 arrays and memory, bfloat16 arrays and memory are read in registers; half precision
        // is widened into a float32 run first (its conversion is too long to inline in the loop)
        boolean staged = type == StorageType.F16;
        int block = Math.max(BLOCK, 4 * BLOCK / rows);
        float[] stage = staged ? new float[block] : null;
        for (int jb = j0; jb < j1; jb += block) {
            int je = Math.min(j1, jb + block);
            int vecEnd = jb + (je - jb) / L * L;
            for (int p = 0; p < k; p++) {
                long row = base + p * rs;
                FloatVector v0 = FloatVector.broadcast(S, x[xOff + p]);
                FloatVector v1 = FloatVector.broadcast(S, rows > 1 ? x[xOff + ldx + p] : 0f);
                FloatVector v2 = FloatVector.broadcast(S, rows > 2 ? x[xOff + 2 * ldx + p] : 0f);
                FloatVector v3 = FloatVector.broadcast(S, rows > 3 ? x[xOff + 3 * ldx + p] : 0f);
                if (staged) {
                    Widening.widen(w, row + jb, je - jb, stage, 0);
                    for (int j = jb; j < vecEnd; j += L) {
                        update(FloatVector.fromArray(S, stage, j - jb), rows, v0, v1, v2, v3, out, outOff + j, ldo);
                    }
                } else if (wa != null) {
                    int s = (int) row;
                    for (int j = jb; j < vecEnd; j += L) {
                        update(FloatVector.fromArray(S, wa, s + j), rows, v0, v1, v2, v3, out, outOff + j, ldo);
                    }
                } else if (type == StorageType.F32) {
                    long b = row * Float.BYTES;
                    for (int j = jb; j < vecEnd; j += L) {
                        update(FloatVector.fromMemorySegment(S, seg, b + (long) j * Float.BYTES, ByteOrder.LITTLE_ENDIAN),
                                rows, v0, v1, v2, v3, out, outOff + j, ldo);
                    }
                } else if (wh != null) {
                    int s = (int) row;
                    for (int j = jb; j < vecEnd; j += L) {
                        update(Widening.bf16ToFloat(ShortVector.fromArray(Widening.H, wh, s + j)), rows, v0, v1, v2, v3, out,
                                outOff + j, ldo);
                    }
                } else {
                    long b = row * 2;
                    for (int j = jb; j < vecEnd; j += L) {
                        update(Widening.bf16ToFloat(ShortVector.fromMemorySegment(Widening.H, seg, b + 2L * j,
                                ByteOrder.LITTLE_ENDIAN)), rows, v0, v1, v2, v3, out, outOff + j, ldo);
                    }
                }
                // the columns after the last whole vector: the same chain, one element at a time
                for (int j = vecEnd; j < je; j++) {
                    float wj = w.get(p, j);
                    int o = outOff + j;
                    for (int r = 0; r < rows; r++, o += ldo) {
                        out[o] = Math.fma(x[xOff + r * ldx + p], wj, out[o]);
                    }
                }
            }
        }
    }

    /** {@code out[r, j : j+L] = fma(x[r, p], W[p, j : j+L], out[r, j : j+L])} for {@code r < rows}. */
    private static void update(FloatVector wv, int rows, FloatVector v0, FloatVector v1, FloatVector v2, FloatVector v3,
                               float[] out, int o, int ldo) {
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
        float[] wa = w.array();
        // any storage but a float32 array: 16 columns' runs of CHUNK steps widened into float32 first
        float[] stage = wa != null ? null : new float[L * CHUNK];
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
                    if (wa != null) {
                        Transpose16.transpose(wa, (int) (col + p), (int) cs, t, 0, L);
                    } else {
                        int within = p % CHUNK;
                        if (within == 0) {
                            int len = Math.min(CHUNK, full - p);
                            for (int c = 0; c < L; c++) {
                                Widening.widen(w, col + c * cs + p, len, stage, c * CHUNK);
                            }
                        }
                        Transpose16.transpose(stage, within, CHUNK, t, 0, L);
                    }
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
