package dev.lens4j.tensor.kernel.panama;

import dev.lens4j.tensor.matmul.GemvKernel;
import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.tensor.matmul.StorageType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API kernel of {@link dev.lens4j.tensor.matmul.Gemv}: a few rows of activations times a
 * weight streamed from memory once, at the speed memory delivers it.
 *
 * <ul>
 *   <li><b>Row-major W</b>: down the rows of W, four at a time, each row's run of columns read in
 *       whole vectors and multiplied into the output rows, which stay in L1 (blocks of up to 4
 *       {@value #BLOCK} columns): every output vector is loaded once per four rows of W and takes
 *       their four fused multiply-adds in order, and four rows stream at once. Each row of W is one
 *       contiguous run, which the hardware prefetchers follow; accumulators held in registers instead
 *       would read 192 bytes per row of W at a stride of kilobytes, which none follows. Storage other
 *       than a float32 array is widened into float32 runs first ({@link Widening#widen}).</li>
 *   <li><b>Transposed W</b> (a column contiguous along k, e.g. {@code W_E^T}): 16 columns at a time,
 *       16 steps of k loaded from each, transposed in registers ({@link Transpose16}) into 16 vectors
 *       of 16 columns, multiplied in order of k. Sixteen sequential streams, one per column. A bfloat16
 *       W (a memory-mapped Hugging Face {@code [out, in]} weight) is read as ints, two steps of k each,
 *       so one transpose covers 32 steps and the pairs are widened in registers by a shift and a mask
 *       (as the packed panels are): twice as fast as widening 16 steps into float32 before each
 *       transpose (3.8 to 7.5 GB/s on one Zen 4 core, 7.3-7.6 to 13.8-14.9 on two). From a mapping the
 *       16 rows are loaded straight into registers and transposed as ints
 *       ({@link Transpose16#transposePairs}); staged through a float array first (the way a heap
 *       {@code short[]} still goes), the loads waited for those 64-byte stores: 7.0-7.4 GB/s against
 *       10.0-12.4 on one core. The transpose's 64 two-vector permutes bind it as much as memory does: on
 *       weights that fit in L2 the transpose alone runs at 18-19 GB/s and the whole product at 11. A mapped
 *       half-precision W is transposed the same way, as ints of pairs, and its 32 steps are then widened
 *       into float32 rows through a short array by {@link Float#float16ToFloat}, which C2 compiles to the
 *       CPU's conversion instruction ({@code Widening.halfPairsToRows}): 6.2-8.1 GB/s on one Zen 4 core,
 *       against 2.6-4.1 widening each column into float32 before a float transpose of 16 steps. Only for
 *       16 lanes; with fewer, the scalar kernel (8 interleaved chains) runs.</li>
 * </ul>
 * Either way every output element is one fused multiply-add chain along k, in order, as in the GEMM.
 * Created through {@link PanamaBackend}, like {@link PanamaGemmKernel}.
 */
public final class PanamaGemvKernel implements GemvKernel {

    private static final VectorSpecies<Float> S = Widening.S;
    private static final int L = Widening.L;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /**
     * Columns of the output rows kept in L1 while the rows of W go past (4 KB per output row); one row
     * of x takes four times as many, so that a run of a row of W is 16 KB (8 KB of bfloat16).
     */
    static final int BLOCK = 1024;
    /** Steps of k widened at a time for a transposed weight that is not a float32 array. */
    private static final int CHUNK = 256;

    private final GemvKernel fallback;
    /** 16 ints: two bfloat16 steps of k each, the first in the low half. */
    private static final VectorSpecies<Integer> PAIRS = IntVector.SPECIES_512;
    /** The 32 bfloat16 elements those ints are read from, on the heap. */
    private static final VectorSpecies<Short> HALVES = ShortVector.SPECIES_512;

    private PanamaGemvKernel(GemvKernel fallback) {
        this.fallback = fallback;
    }

    /**
     * Creates the kernel (through {@link PanamaBackend}).
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
        int block = Math.max(BLOCK, 4 * BLOCK / rows);
        // bfloat16 is widened in registers as it is loaded; any other storage but a float32 array is
        // widened into float32 runs first
        boolean bf16 = w.type() == StorageType.BF16;
        short[] wh = w.halves();
        MemorySegment seg = w.segment();
        float[] stage = wa != null || bf16 ? null : new float[4 * block];
        for (int jb = j0; jb < j1; jb += block) {
            int je = Math.min(j1, jb + block);
            int len = je - jb;
            int vecEnd = jb + len / L * L;
            int p = 0;
            for (; p + 4 <= k && bf16; p += 4) {
                long r0 = base + p * rs, r1 = r0 + rs, r2 = r1 + rs, r3 = r2 + rs;
                for (int r = 0; r < rows; r++) {
                    int xi = xOff + r * ldx + p, o0 = outOff + r * ldo;
                    FloatVector x0 = FloatVector.broadcast(S, x[xi]);
                    FloatVector x1 = FloatVector.broadcast(S, x[xi + 1]);
                    FloatVector x2 = FloatVector.broadcast(S, x[xi + 2]);
                    FloatVector x3 = FloatVector.broadcast(S, x[xi + 3]);
                    // two loops, not one with a helper that loads from either storage: a vector merged from
                    // two paths is boxed
                    if (wh != null) {
                        for (int j = jb; j < vecEnd; j += L) {
                            int o = o0 + j;
                            FloatVector acc = FloatVector.fromArray(S, out, o);
                            acc = x0.fma(Widening.bf16ToFloat(ShortVector.fromArray(Widening.H, wh, (int) (r0 + j))), acc);
                            acc = x1.fma(Widening.bf16ToFloat(ShortVector.fromArray(Widening.H, wh, (int) (r1 + j))), acc);
                            acc = x2.fma(Widening.bf16ToFloat(ShortVector.fromArray(Widening.H, wh, (int) (r2 + j))), acc);
                            acc = x3.fma(Widening.bf16ToFloat(ShortVector.fromArray(Widening.H, wh, (int) (r3 + j))), acc);
                            acc.intoArray(out, o);
                        }
                    } else {
                        for (int j = jb; j < vecEnd; j += L) {
                            int o = o0 + j;
                            FloatVector acc = FloatVector.fromArray(S, out, o);
                            acc = x0.fma(Widening.bf16ToFloat(ShortVector.fromMemorySegment(Widening.H, seg, 2 * (r0 + j), LE)), acc);
                            acc = x1.fma(Widening.bf16ToFloat(ShortVector.fromMemorySegment(Widening.H, seg, 2 * (r1 + j), LE)), acc);
                            acc = x2.fma(Widening.bf16ToFloat(ShortVector.fromMemorySegment(Widening.H, seg, 2 * (r2 + j), LE)), acc);
                            acc = x3.fma(Widening.bf16ToFloat(ShortVector.fromMemorySegment(Widening.H, seg, 2 * (r3 + j), LE)), acc);
                            acc.intoArray(out, o);
                        }
                    }
                    for (int j = vecEnd; j < je; j++) {
                        int o = o0 + j;
                        float acc = out[o];
                        acc = Math.fma(x[xi], w.get(p, j), acc);
                        acc = Math.fma(x[xi + 1], w.get(p + 1, j), acc);
                        acc = Math.fma(x[xi + 2], w.get(p + 2, j), acc);
                        out[o] = Math.fma(x[xi + 3], w.get(p + 3, j), acc);
                    }
                }
            }
            for (; p + 4 <= k; p += 4) {
                float[] src;
                int s0, s1, s2, s3;
                if (wa != null) {
                    src = wa;
                    s0 = (int) (base + p * rs);
                    s1 = (int) (s0 + rs);
                    s2 = (int) (s1 + rs);
                    s3 = (int) (s2 + rs);
                } else {
                    for (int i = 0; i < 4; i++) {
                        Widening.widen(w, base + (p + i) * rs + jb, len, stage, i * block);
                    }
                    src = stage;
                    s0 = -jb;
                    s1 = block - jb;
                    s2 = 2 * block - jb;
                    s3 = 3 * block - jb;
                }
                for (int r = 0; r < rows; r++) {
                    int xi = xOff + r * ldx + p, o0 = outOff + r * ldo;
                    FloatVector x0 = FloatVector.broadcast(S, x[xi]);
                    FloatVector x1 = FloatVector.broadcast(S, x[xi + 1]);
                    FloatVector x2 = FloatVector.broadcast(S, x[xi + 2]);
                    FloatVector x3 = FloatVector.broadcast(S, x[xi + 3]);
                    for (int j = jb; j < vecEnd; j += L) {
                        int o = o0 + j;
                        FloatVector acc = FloatVector.fromArray(S, out, o);
                        acc = x0.fma(FloatVector.fromArray(S, src, s0 + j), acc);
                        acc = x1.fma(FloatVector.fromArray(S, src, s1 + j), acc);
                        acc = x2.fma(FloatVector.fromArray(S, src, s2 + j), acc);
                        acc = x3.fma(FloatVector.fromArray(S, src, s3 + j), acc);
                        acc.intoArray(out, o);
                    }
                    for (int j = vecEnd; j < je; j++) {
                        int o = o0 + j;
                        float acc = out[o];
                        acc = Math.fma(x[xi], src[s0 + j], acc);
                        acc = Math.fma(x[xi + 1], src[s1 + j], acc);
                        acc = Math.fma(x[xi + 2], src[s2 + j], acc);
                        out[o] = Math.fma(x[xi + 3], src[s3 + j], acc);
                    }
                }
            }
            // the last k % 4 rows of W, one at a time
            float[] one = stage != null || wa != null ? stage : new float[block];
            for (; p < k; p++) {
                float[] src;
                int s0;
                if (wa != null) {
                    src = wa;
                    s0 = (int) (base + p * rs);
                } else {
                    Widening.widen(w, base + p * rs + jb, len, one, 0);
                    src = one;
                    s0 = -jb;
                }
                for (int r = 0; r < rows; r++) {
                    int xi = xOff + r * ldx + p, o0 = outOff + r * ldo;
                    FloatVector x0 = FloatVector.broadcast(S, x[xi]);
                    for (int j = jb; j < vecEnd; j += L) {
                        int o = o0 + j;
                        x0.fma(FloatVector.fromArray(S, src, s0 + j), FloatVector.fromArray(S, out, o)).intoArray(out, o);
                    }
                    for (int j = vecEnd; j < je; j++) {
                        out[o0 + j] = Math.fma(x[xi], src[s0 + j], out[o0 + j]);
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
        float[] wa = w.array();
        // any storage but a float32 array: 16 columns' runs of CHUNK steps widened into float32 first
        float[] stage = wa != null ? null : new float[L * CHUNK];
        // bfloat16: 32 steps of k per transpose, read as 16 ints (pairs of steps) from each column
        boolean pairs = w.type() == StorageType.BF16 && wa == null;
        int pairsEnd = pairs ? k / (2 * L) * (2 * L) : 0;
        // a mapped bfloat16 weight is transposed straight from the mapping
        MemorySegment mapped = pairs && w.halves() == null ? w.segment() : null;
        // a mapped half-precision weight: pairs transposed the same way, then widened 32 steps at a time into t
        boolean halfMapped = w.type() == StorageType.F16 && wa == null && w.halves() == null;
        MemorySegment mappedHalves = halfMapped ? w.segment() : null;
        int halvesEnd = mappedHalves != null ? k / (2 * L) * (2 * L) : 0;
        float[] t32 = mappedHalves != null ? new float[2 * L * L] : null;
        short[] halfRows = mappedHalves != null ? new short[2 * L * L] : null;
        // 16-bit pairs: the 16 transposed rows of 16 ints
        int[] pairT = pairs || mappedHalves != null ? new int[L * L] : null;
        for (int j = j0; j < groupsEnd; j += L) {
            int o = outOff + j;
            FloatVector a0 = FloatVector.fromArray(S, out, o);
            FloatVector a1 = rows > 1 ? FloatVector.fromArray(S, out, o + ldo) : a0;
            FloatVector a2 = rows > 2 ? FloatVector.fromArray(S, out, o + 2 * ldo) : a0;
            FloatVector a3 = rows > 3 ? FloatVector.fromArray(S, out, o + 3 * ldo) : a0;
            long col = w.offset() + j * cs;
            for (int p = 0; p < pairsEnd; p += 2 * L) {
                // t row i: pair i (steps p + 2i and p + 2i + 1) of the 16 columns; from heap halves through
                // stage, whose row c is column j + c's steps p .. p+31 as 16 ints
                if (mapped != null) {
                    Transpose16.transposePairs(mapped, 2 * (col + p), 2 * cs, pairT, 0, L);
                } else {
                    for (int c = 0; c < L; c++) {
                        pairsOf(w.halves(), col + c * cs + p).reinterpretAsFloats().intoArray(stage, c * L);
                    }
                    Transpose16.transpose(stage, 0, L, t, 0, L);
                    for (int i = 0; i < L; i++) {
                        FloatVector.fromArray(S, t, i * L).reinterpretAsInts().intoArray(pairT, i * L);
                    }
                }
                for (int i = 0; i < L; i++) {
                    IntVector pair = IntVector.fromArray(PAIRS, pairT, i * L);
                    FloatVector lo = pair.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                    FloatVector hi = pair.and(0xffff0000).reinterpretAsFloats();
                    int xi = xOff + p + 2 * i;
                    a0 = FloatVector.broadcast(S, x[xi + 1]).fma(hi, FloatVector.broadcast(S, x[xi]).fma(lo, a0));
                    if (rows > 1) {
                        a1 = FloatVector.broadcast(S, x[xi + 1 + ldx]).fma(hi, FloatVector.broadcast(S, x[xi + ldx]).fma(lo, a1));
                        if (rows > 2) {
                            a2 = FloatVector.broadcast(S, x[xi + 1 + 2 * ldx]).fma(hi, FloatVector.broadcast(S, x[xi + 2 * ldx]).fma(lo, a2));
                            if (rows > 3) {
                                a3 = FloatVector.broadcast(S, x[xi + 1 + 3 * ldx]).fma(hi, FloatVector.broadcast(S, x[xi + 3 * ldx]).fma(lo, a3));
                            }
                        }
                    }
                }
            }
            for (int p = pairsEnd; p < k; p += L) {
                float[] tArr = t;
                int tBase = 0;
                if (p < halvesEnd) {
                    // t32 row s: step p - p % 32 + s of the 16 columns
                    if (p % (2 * L) == 0) {
                        Transpose16.transposePairs(mappedHalves, 2 * (col + p), 2 * cs, pairT, 0, L);
                        Widening.halfPairsToRows(pairT, halfRows, t32);
                    }
                    tArr = t32;
                    tBase = p % (2 * L) * L;
                } else if (pairs || mappedHalves != null) {
                    // the last steps after whole blocks of 32 (k odd, or not a multiple of 32): read one by one
                    for (int q = 0; q < Math.min(L, k - p); q++) {
                        for (int c = 0; c < L; c++) {
                            t[q * L + c] = w.get(p + q, j + c);
                        }
                    }
                } else if (p < full) {
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
                    FloatVector wq = FloatVector.fromArray(S, tArr, tBase + q * L);
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

    /**
     * Elements {@code idx .. idx+31} of a bfloat16 weight's heap storage as 16 ints, element {@code idx + 2i}
     * in the low half of int i and {@code idx + 2i + 1} in its high half (only with 16-lane vectors).
     */
    private static IntVector pairsOf(short[] halves, long idx) {
        return ShortVector.fromArray(HALVES, halves, (int) idx).reinterpretAsInts();
    }
}
