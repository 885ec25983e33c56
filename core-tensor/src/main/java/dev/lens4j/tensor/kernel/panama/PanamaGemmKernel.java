package dev.lens4j.tensor.kernel.panama;

import dev.lens4j.tensor.matmul.GemmMicroKernel;
import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.tensor.matmul.StorageType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API micro-kernel of {@link dev.lens4j.tensor.matmul.Gemm}: a register tile of rows by
 * vectors whose accumulators are updated by one broadcast of A and one fused multiply-add per vector
 * for every step along the inner dimension. Its shape follows the vector registers the machine has:
 *
 * <ul>
 *   <li><b>8 x 3 vectors</b> with 16 lanes (AVX-512, 32 registers, 8 x 48 floats): 24 accumulators,
 *       3 B vectors and one broadcast use 28 of the 32 registers, and C2 compiles the inner loop to
 *       3 loads, 8 {@code vbroadcastss} and 24 {@code vfmadd231ps} with no spills.
 *   <li><b>4 x 2 vectors</b> with fewer lanes (AVX2: 8 lanes, 16 registers; 4 x 16 floats): 8
 *       accumulators, 2 B vectors and the broadcasts fit with room to spare. Measured on a Zen 3
 *       AVX2 machine, one core, panels in L1: the 8 x 3 tile spills on every step (26 GFLOP/s in a
 *       whole 256^3 product); 6 x 2, the shape of the hand-written assembly kernels of OpenBLAS
 *       and BLIS, should fit in 15 registers, but C2 keeps three broadcasts live and spills one
 *       accumulator to the stack, which puts a store-to-load round trip on its chain (38 GFLOP/s);
 *       5 x 2 ran at 72 and 4 x 2 at 76, of a 95 GFLOP/s register-only FMA peak.
 * </ul>
 *
 * <p>B micro-panels narrower than the tile at the right edge of a matrix use the narrower variants.
 *
 * <p>The kernel only sees whole tiles: the driver runs tiles that stick out of C (and the zero padding
 * of the packed panels fills) on a small scratch tile. Lane-masked loads and stores were tried and
 * dropped: a masked access that crosses the end of an array leaves the Vector API's intrinsic path,
 * and once that path has run C2 recompiles the whole tile with boxed vectors (3 to 4 times slower);
 * the masked code is also too big for C1, which spent seconds of the start-up failing to compile it.
 *
 * <p>Created through {@link PanamaBackend}, the one class loaded reflectively, so that the matmul package never
 * links against {@code jdk.incubator.vector}. The tile bodies are unrolled by hand (the same pattern
 * for every row) because C2 keeps only named locals in registers.
 */
public final class PanamaGemmKernel implements GemmMicroKernel {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Ints of the same width as S: a pair of bfloat16 elements per lane. */
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

    /** Rows of the register tile: 8 or 4. */
    private final int mr;
    /** Vectors of B in the register tile: 3 (with 8 rows) or 2 (with 4). */
    private final int vectors;

    private PanamaGemmKernel(int mr, int vectors) {
        this.mr = mr;
        this.vectors = vectors;
    }

    /**
     * Creates the kernel with the tile for this machine's vectors: 8 x 3 with 16 lanes or more
     * (AVX-512), 4 x 2 with fewer (AVX2).
     *
     * @return the kernel
     */
    public static GemmMicroKernel create() {
        return L >= 16 ? create(8, 3) : create(4, 2);
    }

    /**
     * Creates the kernel with a given tile, which any machine can run (the other one is slower, not
     * wrong): for testing both tiles on one machine, and for measuring them.
     *
     * @param rows rows of the register tile, 8 or 4
     * @param vectors vectors of B in the tile: 3 with 8 rows, 2 with 4
     * @return the kernel
     * @throws IllegalArgumentException for any other tile
     */
    public static GemmMicroKernel create(int rows, int vectors) {
        if (!(rows == 8 && vectors == 3) && !(rows == 4 && vectors == 2)) {
            throw new IllegalArgumentException("the Vector API GEMM tile is 8 x 3 or 4 x 2 vectors, not " + rows + " x " + vectors);
        }
        return new PanamaGemmKernel(rows, vectors);
    }

    @Override
    public String name() {
        return "panama " + mr + "x" + (vectors * L) + " (" + L + " lanes)";
    }

    @Override
    public int mr() {
        return mr;
    }

    @Override
    public int nr() {
        return vectors * L;
    }

    /** The direct small-row path works on panels of 3 vectors whatever the tile (4 x 3 accumulators fit in 16 registers). */
    @Override
    public int rowsNr() {
        return 3 * L;
    }

    @Override
    public int nrStep() {
        return L;
    }

    @Override
    public void tile(float[] a, int aOff, float[] b, int bOff, int width, int kc, float[] c, int cOff, int ldc, boolean load) {
        if (mr == 4) {
            if (width == 2 * L) {
                tile4x2(a, aOff, b, bOff, kc, c, cOff, ldc, load);
            } else if (width == L) {
                tile4x1(a, aOff, b, bOff, kc, c, cOff, ldc, load);
            } else {
                throw new IllegalArgumentException("B micro-panel width " + width + " is not 1 or 2 vectors of " + L);
            }
        } else if (width == 3 * L) {
            tile8x3(a, aOff, b, bOff, kc, c, cOff, ldc, load);
        } else if (width == 2 * L) {
            tile8x2(a, aOff, b, bOff, kc, c, cOff, ldc, load);
        } else if (width == L) {
            tile8x1(a, aOff, b, bOff, kc, c, cOff, ldc, load);
        } else {
            throw new IllegalArgumentException("B micro-panel width " + width + " is not 1, 2 or 3 vectors of " + L);
        }
    }

    /**
     * The 8 x 3 tile's A panels (16 lanes, 8 rows): 16 steps of k of the 8 rows at a time, loaded as 8
     * vectors and transposed in registers by four stages of two-vector permutes (those of
     * {@link Transpose16}) into 8 vectors of two steps each (lanes 0-7 step q, lanes 8-15 step q + 1),
     * stored in order: 32 permutes and 16 vector memory operations per 128 elements, where the scalar
     * packing stores one element at a time 8 apart (3-14% faster products at 768 and 3,072 columns of A on
     * one Zen 4 core). Not with 8 lanes: the same transpose in three stages for the 4 x 2 tile was no
     * faster under {@code -XX:UseAVX=2} (0.87-1.09x in the VM's noise), so AVX2 keeps the scalar packing.
     */
    @Override
    public int packAPanel(float[] src, int base, int rowStride, int kc, float[] dst, int d) {
        if (L != 16 || mr != 8) {
            return 0;
        }
        int full = kc / L * L;
        for (int p = 0; p < full; p += L) {
            int s = base + p;
            FloatVector r0 = FloatVector.fromArray(S, src, s);
            FloatVector r1 = FloatVector.fromArray(S, src, s + rowStride);
            FloatVector r2 = FloatVector.fromArray(S, src, s + 2 * rowStride);
            FloatVector r3 = FloatVector.fromArray(S, src, s + 3 * rowStride);
            FloatVector r4 = FloatVector.fromArray(S, src, s + 4 * rowStride);
            FloatVector r5 = FloatVector.fromArray(S, src, s + 5 * rowStride);
            FloatVector r6 = FloatVector.fromArray(S, src, s + 6 * rowStride);
            FloatVector r7 = FloatVector.fromArray(S, src, s + 7 * rowStride);
            // rows (0,1), (2,3), ...: even steps in L, odd in H, the two rows alternating
            FloatVector a01l = Transpose16.LO1.selectFrom(r0, r1), a01h = Transpose16.HI1.selectFrom(r0, r1);
            FloatVector a23l = Transpose16.LO1.selectFrom(r2, r3), a23h = Transpose16.HI1.selectFrom(r2, r3);
            FloatVector a45l = Transpose16.LO1.selectFrom(r4, r5), a45h = Transpose16.HI1.selectFrom(r4, r5);
            FloatVector a67l = Transpose16.LO1.selectFrom(r6, r7), a67h = Transpose16.HI1.selectFrom(r6, r7);
            // four rows per step: steps 0,4,8,12 / 2,6,10,14 / 1,5,9,13 / 3,7,11,15
            FloatVector b0 = Transpose16.LO2.selectFrom(a01l, a23l), b2 = Transpose16.HI2.selectFrom(a01l, a23l);
            FloatVector b1 = Transpose16.LO2.selectFrom(a01h, a23h), b3 = Transpose16.HI2.selectFrom(a01h, a23h);
            FloatVector b4 = Transpose16.LO2.selectFrom(a45l, a67l), b6 = Transpose16.HI2.selectFrom(a45l, a67l);
            FloatVector b5 = Transpose16.LO2.selectFrom(a45h, a67h), b7 = Transpose16.HI2.selectFrom(a45h, a67h);
            // eight rows per step, two steps per vector: (0,8) (4,12) (2,10) (6,14) (1,9) (5,13) (3,11) (7,15)
            FloatVector c08 = Transpose16.LO4.selectFrom(b0, b4), c412 = Transpose16.HI4.selectFrom(b0, b4);
            FloatVector c210 = Transpose16.LO4.selectFrom(b2, b6), c614 = Transpose16.HI4.selectFrom(b2, b6);
            FloatVector c19 = Transpose16.LO4.selectFrom(b1, b5), c513 = Transpose16.HI4.selectFrom(b1, b5);
            FloatVector c311 = Transpose16.LO4.selectFrom(b3, b7), c715 = Transpose16.HI4.selectFrom(b3, b7);
            // consecutive steps: (0,1) (8,9) (4,5) (12,13) (2,3) (10,11) (6,7) (14,15)
            int o = d + p * 8;
            Transpose16.LO8.selectFrom(c08, c19).intoArray(dst, o);
            Transpose16.HI8.selectFrom(c08, c19).intoArray(dst, o + 64);
            Transpose16.LO8.selectFrom(c412, c513).intoArray(dst, o + 32);
            Transpose16.HI8.selectFrom(c412, c513).intoArray(dst, o + 96);
            Transpose16.LO8.selectFrom(c210, c311).intoArray(dst, o + 16);
            Transpose16.HI8.selectFrom(c210, c311).intoArray(dst, o + 80);
            Transpose16.LO8.selectFrom(c614, c715).intoArray(dst, o + 48);
            Transpose16.HI8.selectFrom(c614, c715).intoArray(dst, o + 112);
        }
        return full;
    }

    /**
     * A bfloat16 B in a segment with its columns contiguous along k (a mapped {@code [out, in]} weight):
     * 16 columns x 32 steps at a time, read as 16 ints of pairs from each column and transposed in
     * registers straight into the panel's rows of pairs ({@link Transpose16#transposePairs}); only with
     * 16-lane vectors and whole groups of 16 columns.
     */
    @Override
    public int packPairsTransposed(MatrixOperand b, int j0, int cols, int[] pairs, int base, int w) {
        MemorySegment seg = b.segment();
        if (L != 16 || seg == null || b.type() != StorageType.BF16 || b.rowStride() != 1 || cols % L != 0) {
            return 0;
        }
        int steps = b.rows() / (2 * L) * (2 * L);
        long cs = b.colStride();
        for (int g = 0; g < cols; g += L) {
            long col = b.offset() + (j0 + g) * cs;
            for (int p = 0; p < steps; p += 2 * L) {
                Transpose16.transposePairs(seg, 2 * (col + p), 2 * cs, pairs, base + p / 2 * w + g, w);
            }
        }
        return steps;
    }

    /**
     * Packs a block of a B with unit column stride (row-major, heap or little-endian segment) row by
     * row: every row of the block is read once, left to right, and dealt out to the panels in whole
     * vectors. This is the packing that matters when A has few rows (the unembedding, attention),
     * where B is streamed from memory once per product and a copy per 48 floats would cost a third
     * of the time.
     */
    @Override
    public boolean packB(MatrixOperand b, int p0, int kc, int j0, int nc, float[] dst, int dOff) {
        if (b.colStride() != 1) {
            return b.rowStride() == 1 && L == 16 && vectors == 3 && packTransposed(b, p0, kc, j0, nc, dst, dOff);
        }
        int nr = vectors * L;
        int full = nc / nr * nr;
        int cols = nc - full;
        int w = (cols + L - 1) / L * L;
        float[] src = b.array();
        // any other storage: each row of the block is first widened into a float32 row
        float[] row = src != null ? null : new float[nc];
        for (int p = 0; p < kc; p++) {
            long idx = b.offset() + (p0 + p) * b.rowStride() + j0;
            int s;
            if (src != null) {
                s = (int) idx;
            } else {
                Widening.widen(b, idx, nc, row, 0);
                s = 0;
            }
            float[] from = src != null ? src : row;
            int d = dOff + p * nr;
            for (int jp = 0; jp < full; jp += nr, d += nr * kc) {
                FloatVector.fromArray(S, from, s + jp).intoArray(dst, d);
                FloatVector.fromArray(S, from, s + jp + L).intoArray(dst, d + L);
                if (vectors == 3) {
                    FloatVector.fromArray(S, from, s + jp + 2 * L).intoArray(dst, d + 2 * L);
                }
            }
            if (cols > 0) {
                // the last, narrower panel: the columns left, then zeros up to its width
                int e = dOff + full * kc + p * w;
                System.arraycopy(from, s + full, dst, e, cols);
                Arrays.fill(dst, e + cols, e + w, 0f);
            }
        }
        return true;
    }

    /**
     * Packs a block of a B with unit row stride (a transposed view, e.g. {@code k^T} in attention or
     * {@code wte^T} as the unembedding): each column of B is contiguous along k, so 16 columns are
     * loaded as 16 vectors of 16 consecutive k, transposed in registers (4 stages of two-vector
     * permutes) and stored as 16 packed rows. Only for 16 lanes; a narrower last panel is packed
     * element by element.
     */
    private static boolean packTransposed(MatrixOperand b, int p0, int kc, int j0, int nc, float[] dst, int dOff) {
        int nr = 3 * L;
        for (int jp = 0; jp < nc; jp += nr) {
            int cols = Math.min(nr, nc - jp);
            int d = dOff + jp * kc;
            if (cols == nr) {
                packTransposedPanel(b, p0, kc, j0 + jp, dst, d);
            } else {
                int w = (cols + L - 1) / L * L;
                for (int p = 0; p < kc; p++) {
                    for (int j = 0; j < cols; j++) {
                        dst[d + p * w + j] = b.get(p0 + p, j0 + jp + j);
                    }
                    Arrays.fill(dst, d + p * w + cols, d + (p + 1) * w, 0f);
                }
            }
        }
        return true;
    }

    /**
     * Packs one full panel of a transposed B: three groups of 16 columns, each 16 x 16 block
     * transposed in registers ({@link Transpose16}); the last {@code kc % 16} rows element by element.
     * A bfloat16 B in a segment (a mapped {@code [out, in]} weight multiplied in place, as
     * {@code WeightPacking.FLOAT32} leaves it) is read 32 steps at a time as ints of pairs
     * ({@link Transpose16#transposePairs}), each pair widened into two packed rows by a shift and a mask;
     * a half-precision one the same way, widened by {@link Widening#halfPairsToRows}.
     */
    private static void packTransposedPanel(MatrixOperand b, int p0, int kc, int j, float[] dst, int d) {
        int nr = 3 * L;
        long cs = b.colStride();
        int full = kc / L * L;
        float[] stage = b.array() != null ? null : new float[L * L];
        // 16-bit in a segment (a mapped [out, in] weight): 32 steps per transpose, as ints of pairs, widened
        // into two packed rows each (bfloat16) or 32 rows at a time (half precision); then 16 steps at a time
        boolean half = b.type() == StorageType.F16;
        MemorySegment seg = b.type() == StorageType.BF16 || half ? b.segment() : null;
        int pairSteps = seg != null ? kc / (2 * L) * (2 * L) : 0;
        int[] pairs = seg != null ? new int[L * L] : null;
        short[] halves = half ? new short[2 * L * L] : null;
        float[] t32 = half ? new float[2 * L * L] : null;
        for (int g = 0; g < 3; g++) {
            long col = b.offset() + (long) (j + g * L) * cs + p0;
            for (int p = 0; p < pairSteps; p += 2 * L) {
                Transpose16.transposePairs(seg, 2 * (col + p), 2 * cs, pairs, 0, L);
                if (half) {
                    Widening.halfPairsToRows(pairs, halves, t32);
                    for (int s = 0, o = d + p * nr + g * L; s < 2 * L; s++, o += nr) {
                        FloatVector.fromArray(S, t32, s * L).intoArray(dst, o);
                    }
                    continue;
                }
                for (int i = 0, o = d + p * nr + g * L; i < L; i++, o += 2 * nr) {
                    IntVector pair = IntVector.fromArray(I, pairs, i * L);
                    pair.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, o);
                    pair.and(0xffff0000).reinterpretAsFloats().intoArray(dst, o + nr);
                }
            }
            for (int p = pairSteps; p < full; p += L) {
                Transpose16.transpose(b, col + p, cs, dst, d + p * nr + g * L, nr, stage);
            }
            for (int p = full; p < kc; p++) {
                for (int jj = 0; jj < L; jj++) {
                    dst[d + p * nr + g * L + jj] = b.get(p0 + p, j + g * L + jj);
                }
            }
        }
    }

    /**
     * A heap float32 B with unit column stride and whole vectors of columns, any heap float32 A: blocks
     * of 8 rows by one vector of B, A broadcast from where it lies and B loaded from its rows, then
     * the rows left one at a time.
     */
    @Override
    public boolean direct(MatrixOperand a, MatrixOperand b, float[] c, int cOff, int ldc, boolean load) {
        int m = a.rows(), n = b.cols(), k = a.cols();
        if (n % L != 0 || a.array() == null || b.array() == null || b.colStride() != 1) {
            return false;
        }
        float[] x = a.array(), y = b.array();
        int ao = (int) a.offset(), rs = (int) a.rowStride(), cs = (int) a.colStride();
        int bo = (int) b.offset(), ldb = (int) b.rowStride();
        int i = 0;
        for (; i + 8 <= m; i += 8) {
            for (int j = 0; j < n; j += L) {
                direct8(x, ao + i * rs, rs, cs, k, y, bo + j, ldb, c, cOff + i * ldc + j, ldc, load);
            }
        }
        for (; i < m; i++) {
            for (int j = 0; j < n; j += L) {
                direct1(x, ao + i * rs, cs, k, y, bo + j, ldb, c, cOff + i * ldc + j, load);
            }
        }
        return true;
    }

    private static void direct8(float[] a, int ao, int rs, int cs, int k, float[] b, int bo, int ldb, float[] c, int co,
                                int ldc, boolean load) {
        int a0 = ao, a1 = ao + rs, a2 = ao + 2 * rs, a3 = ao + 3 * rs, a4 = ao + 4 * rs, a5 = ao + 5 * rs, a6 = ao + 6 * rs,
                a7 = ao + 7 * rs;
        FloatVector c0 = load ? FloatVector.fromArray(S, c, co) : FloatVector.zero(S);
        FloatVector c1 = load ? FloatVector.fromArray(S, c, co + ldc) : FloatVector.zero(S);
        FloatVector c2 = load ? FloatVector.fromArray(S, c, co + 2 * ldc) : FloatVector.zero(S);
        FloatVector c3 = load ? FloatVector.fromArray(S, c, co + 3 * ldc) : FloatVector.zero(S);
        FloatVector c4 = load ? FloatVector.fromArray(S, c, co + 4 * ldc) : FloatVector.zero(S);
        FloatVector c5 = load ? FloatVector.fromArray(S, c, co + 5 * ldc) : FloatVector.zero(S);
        FloatVector c6 = load ? FloatVector.fromArray(S, c, co + 6 * ldc) : FloatVector.zero(S);
        FloatVector c7 = load ? FloatVector.fromArray(S, c, co + 7 * ldc) : FloatVector.zero(S);
        for (int p = 0, ap = 0; p < k; p++, ap += cs) {
            FloatVector bv = FloatVector.fromArray(S, b, bo + p * ldb);
            c0 = FloatVector.broadcast(S, a[a0 + ap]).fma(bv, c0);
            c1 = FloatVector.broadcast(S, a[a1 + ap]).fma(bv, c1);
            c2 = FloatVector.broadcast(S, a[a2 + ap]).fma(bv, c2);
            c3 = FloatVector.broadcast(S, a[a3 + ap]).fma(bv, c3);
            c4 = FloatVector.broadcast(S, a[a4 + ap]).fma(bv, c4);
            c5 = FloatVector.broadcast(S, a[a5 + ap]).fma(bv, c5);
            c6 = FloatVector.broadcast(S, a[a6 + ap]).fma(bv, c6);
            c7 = FloatVector.broadcast(S, a[a7 + ap]).fma(bv, c7);
        }
        c0.intoArray(c, co);
        c1.intoArray(c, co + ldc);
        c2.intoArray(c, co + 2 * ldc);
        c3.intoArray(c, co + 3 * ldc);
        c4.intoArray(c, co + 4 * ldc);
        c5.intoArray(c, co + 5 * ldc);
        c6.intoArray(c, co + 6 * ldc);
        c7.intoArray(c, co + 7 * ldc);
    }

    private static void direct1(float[] a, int ao, int cs, int k, float[] b, int bo, int ldb, float[] c, int co, boolean load) {
        FloatVector c0 = load ? FloatVector.fromArray(S, c, co) : FloatVector.zero(S);
        for (int p = 0, ap = ao; p < k; p++, ap += cs) {
            c0 = FloatVector.broadcast(S, a[ap]).fma(FloatVector.fromArray(S, b, bo + p * ldb), c0);
        }
        c0.intoArray(c, co);
    }

    @Override
    public boolean hasRowsTimesB() {
        return true;
    }

    @Override
    public void rowsTimesB(float[] a, int aOff, int rows, int k, MatrixOperand b, int j0, float[] c, int cOff, int ldc,
                           boolean load) {
        if (b.colStride() != 1) {
            throw new IllegalArgumentException("rowsTimesB needs a B with unit column stride; B [" + b.rows() + ", "
                    + b.cols() + "] has strides [" + b.rowStride() + ", " + b.colStride() + "]");
        }
        if (b.array() != null) {
            float[] src = b.array();
            int bo = (int) (b.offset() + j0);
            int ldb = (int) b.rowStride();
            switch (rows) {
                case 1 -> rows1Heap(a, aOff, k, src, bo, ldb, c, cOff, ldc, load);
                case 2 -> rows2Heap(a, aOff, k, src, bo, ldb, c, cOff, ldc, load);
                case 3 -> rows3Heap(a, aOff, k, src, bo, ldb, c, cOff, ldc, load);
                case 4 -> rows4Heap(a, aOff, k, src, bo, ldb, c, cOff, ldc, load);
                default -> throw new IllegalArgumentException("rows must be 1 to 4, got " + rows);
            }
        } else {
            MemorySegment src = b.segment();
            long bo = b.offset() + j0;
            long ldb = b.rowStride();
            switch (rows) {
                case 1 -> rows1Segment(a, aOff, k, src, bo, ldb, c, cOff, ldc, load);
                case 2 -> rows2Segment(a, aOff, k, src, bo, ldb, c, cOff, ldc, load);
                case 3 -> rows3Segment(a, aOff, k, src, bo, ldb, c, cOff, ldc, load);
                case 4 -> rows4Segment(a, aOff, k, src, bo, ldb, c, cOff, ldc, load);
                default -> throw new IllegalArgumentException("rows must be 1 to 4, got " + rows);
            }
        }
    }

    @Override
    public boolean rowTimesFourPanels(float[] a, int ao, int k, float[] b, int p0, int stride, float[] c, int c0, boolean load) {
        if (vectors == 2) {
            rowTimesFourNarrowPanels(a, ao, k, b, p0, stride, c, c0, load);
            return true;
        }
        int w = 3 * L;
        int c1 = c0 + w, c2 = c1 + w, c3 = c2 + w;
        FloatVector x0 = load ? FloatVector.fromArray(S, c, c0) : FloatVector.zero(S);
        FloatVector x1 = load ? FloatVector.fromArray(S, c, c0 + L) : FloatVector.zero(S);
        FloatVector x2 = load ? FloatVector.fromArray(S, c, c0 + 2 * L) : FloatVector.zero(S);
        FloatVector y0 = load ? FloatVector.fromArray(S, c, c1) : FloatVector.zero(S);
        FloatVector y1 = load ? FloatVector.fromArray(S, c, c1 + L) : FloatVector.zero(S);
        FloatVector y2 = load ? FloatVector.fromArray(S, c, c1 + 2 * L) : FloatVector.zero(S);
        FloatVector z0 = load ? FloatVector.fromArray(S, c, c2) : FloatVector.zero(S);
        FloatVector z1 = load ? FloatVector.fromArray(S, c, c2 + L) : FloatVector.zero(S);
        FloatVector z2 = load ? FloatVector.fromArray(S, c, c2 + 2 * L) : FloatVector.zero(S);
        FloatVector u0 = load ? FloatVector.fromArray(S, c, c3) : FloatVector.zero(S);
        FloatVector u1 = load ? FloatVector.fromArray(S, c, c3 + L) : FloatVector.zero(S);
        FloatVector u2 = load ? FloatVector.fromArray(S, c, c3 + 2 * L) : FloatVector.zero(S);
        for (int p = 0, s = p0, t = p0 + stride, r = p0 + 2 * stride, q = p0 + 3 * stride; p < k; p++, s += w, t += w, r += w, q += w) {
            FloatVector v = FloatVector.broadcast(S, a[ao + p]);
            x0 = v.fma(FloatVector.fromArray(S, b, s), x0);
            x1 = v.fma(FloatVector.fromArray(S, b, s + L), x1);
            x2 = v.fma(FloatVector.fromArray(S, b, s + 2 * L), x2);
            y0 = v.fma(FloatVector.fromArray(S, b, t), y0);
            y1 = v.fma(FloatVector.fromArray(S, b, t + L), y1);
            y2 = v.fma(FloatVector.fromArray(S, b, t + 2 * L), y2);
            z0 = v.fma(FloatVector.fromArray(S, b, r), z0);
            z1 = v.fma(FloatVector.fromArray(S, b, r + L), z1);
            z2 = v.fma(FloatVector.fromArray(S, b, r + 2 * L), z2);
            u0 = v.fma(FloatVector.fromArray(S, b, q), u0);
            u1 = v.fma(FloatVector.fromArray(S, b, q + L), u1);
            u2 = v.fma(FloatVector.fromArray(S, b, q + 2 * L), u2);
        }
        x0.intoArray(c, c0);
        x1.intoArray(c, c0 + L);
        x2.intoArray(c, c0 + 2 * L);
        y0.intoArray(c, c1);
        y1.intoArray(c, c1 + L);
        y2.intoArray(c, c1 + 2 * L);
        z0.intoArray(c, c2);
        z1.intoArray(c, c2 + L);
        z2.intoArray(c, c2 + 2 * L);
        u0.intoArray(c, c3);
        u1.intoArray(c, c3 + L);
        u2.intoArray(c, c3 + 2 * L);
        return true;
    }

    @Override
    public void widenPairs(int[] src, int sOff, int k, int w, float[] dst, int dOff) {
        for (int p = 0; p + 1 < k; p += 2) {
            int row = sOff + p / 2 * w, out = dOff + p * w;
            for (int j = 0; j < w; j += L) {
                IntVector v = IntVector.fromArray(I, src, row + j);
                v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, out + j);
                v.and(0xffff0000).reinterpretAsFloats().intoArray(dst, out + w + j);
            }
        }
        if ((k & 1) == 1) {
            int row = sOff + k / 2 * w, out = dOff + (k - 1) * w;
            for (int j = 0; j < w; j += L) {
                IntVector.fromArray(I, src, row + j).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, out + j);
            }
        }
    }

    /**
     * {@link #rowTimesFourPanels} from bfloat16 pairs: each int vector holds two steps of k for one vector
     * of columns; a shift left by 16 gives the first step's float32 values and a mask of the high halves
     * the second's, so a step costs half a load and one integer operation per vector on top of its fused
     * multiply-add, and no shuffle. The widening is written out at every use: with it in two small helper
     * methods, C2 left them out of this large method and boxed every vector they returned (2.9 GB/s
     * against 29).
     */
    @Override
    public boolean rowTimesFourPairedPanels(float[] a, int ao, int k, int[] b, int p0, int stride, float[] c, int c0,
                                            boolean load) {
        if (vectors == 2) {
            rowTimesFourNarrowPairedPanels(a, ao, k, b, p0, stride, c, c0, load);
            return true;
        }
        int w = 3 * L;
        int c1 = c0 + w, c2 = c1 + w, c3 = c2 + w;
        FloatVector x0 = load ? FloatVector.fromArray(S, c, c0) : FloatVector.zero(S);
        FloatVector x1 = load ? FloatVector.fromArray(S, c, c0 + L) : FloatVector.zero(S);
        FloatVector x2 = load ? FloatVector.fromArray(S, c, c0 + 2 * L) : FloatVector.zero(S);
        FloatVector y0 = load ? FloatVector.fromArray(S, c, c1) : FloatVector.zero(S);
        FloatVector y1 = load ? FloatVector.fromArray(S, c, c1 + L) : FloatVector.zero(S);
        FloatVector y2 = load ? FloatVector.fromArray(S, c, c1 + 2 * L) : FloatVector.zero(S);
        FloatVector z0 = load ? FloatVector.fromArray(S, c, c2) : FloatVector.zero(S);
        FloatVector z1 = load ? FloatVector.fromArray(S, c, c2 + L) : FloatVector.zero(S);
        FloatVector z2 = load ? FloatVector.fromArray(S, c, c2 + 2 * L) : FloatVector.zero(S);
        FloatVector u0 = load ? FloatVector.fromArray(S, c, c3) : FloatVector.zero(S);
        FloatVector u1 = load ? FloatVector.fromArray(S, c, c3 + L) : FloatVector.zero(S);
        FloatVector u2 = load ? FloatVector.fromArray(S, c, c3 + 2 * L) : FloatVector.zero(S);
        // one induction variable, every index an invariant base plus i * w, and one range check up front: C2
        // then drops the check of every load (with four indexes stepped separately it kept them, a third
        // slower in L2; with t = s + stride it kept one; tools/asm/loop_summary.py counts them)
        int pairs = k / 2;
        Objects.checkFromIndexSize(p0, 3 * stride + (k + 1) / 2 * w, b.length);
        int q1 = p0 + stride, q2 = q1 + stride, q3 = q2 + stride;
        for (int i = 0; i < pairs; i++) {
            int p = 2 * i, s = p0 + i * w, t = q1 + i * w, r = q2 + i * w, q = q3 + i * w;
            FloatVector v = FloatVector.broadcast(S, a[ao + p]);
            FloatVector u = FloatVector.broadcast(S, a[ao + p + 1]);
            IntVector b0 = IntVector.fromArray(I, b, s);
            IntVector b1 = IntVector.fromArray(I, b, s + L);
            IntVector b2 = IntVector.fromArray(I, b, s + 2 * L);
            x0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x0));
            x1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x1));
            x2 = u.fma(b2.and(0xffff0000).reinterpretAsFloats(), v.fma(b2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x2));
            b0 = IntVector.fromArray(I, b, t);
            b1 = IntVector.fromArray(I, b, t + L);
            b2 = IntVector.fromArray(I, b, t + 2 * L);
            y0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y0));
            y1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y1));
            y2 = u.fma(b2.and(0xffff0000).reinterpretAsFloats(), v.fma(b2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y2));
            b0 = IntVector.fromArray(I, b, r);
            b1 = IntVector.fromArray(I, b, r + L);
            b2 = IntVector.fromArray(I, b, r + 2 * L);
            z0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z0));
            z1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z1));
            z2 = u.fma(b2.and(0xffff0000).reinterpretAsFloats(), v.fma(b2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z2));
            b0 = IntVector.fromArray(I, b, q);
            b1 = IntVector.fromArray(I, b, q + L);
            b2 = IntVector.fromArray(I, b, q + 2 * L);
            u0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u0));
            u1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u1));
            u2 = u.fma(b2.and(0xffff0000).reinterpretAsFloats(), v.fma(b2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u2));
        }
        if ((k & 1) == 1) {
            // k odd: the last step is the low halves of the last pairs
            int p = k - 1, s = p0 + pairs * w, t = s + stride, r = t + stride, q = r + stride;
            FloatVector v = FloatVector.broadcast(S, a[ao + p]);
            x0 = v.fma(IntVector.fromArray(I, b, s).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x0);
            x1 = v.fma(IntVector.fromArray(I, b, s + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x1);
            x2 = v.fma(IntVector.fromArray(I, b, s + 2 * L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x2);
            y0 = v.fma(IntVector.fromArray(I, b, t).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y0);
            y1 = v.fma(IntVector.fromArray(I, b, t + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y1);
            y2 = v.fma(IntVector.fromArray(I, b, t + 2 * L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y2);
            z0 = v.fma(IntVector.fromArray(I, b, r).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z0);
            z1 = v.fma(IntVector.fromArray(I, b, r + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z1);
            z2 = v.fma(IntVector.fromArray(I, b, r + 2 * L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z2);
            u0 = v.fma(IntVector.fromArray(I, b, q).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u0);
            u1 = v.fma(IntVector.fromArray(I, b, q + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u1);
            u2 = v.fma(IntVector.fromArray(I, b, q + 2 * L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u2);
        }
        x0.intoArray(c, c0);
        x1.intoArray(c, c0 + L);
        x2.intoArray(c, c0 + 2 * L);
        y0.intoArray(c, c1);
        y1.intoArray(c, c1 + L);
        y2.intoArray(c, c1 + 2 * L);
        z0.intoArray(c, c2);
        z1.intoArray(c, c2 + L);
        z2.intoArray(c, c2 + 2 * L);
        u0.intoArray(c, c3);
        u1.intoArray(c, c3 + L);
        u2.intoArray(c, c3 + 2 * L);
        return true;
    }

    /**
     * {@link #rowTimesFourPairedPanels} over eight panels (24 accumulators of AVX-512's 32 registers): half
     * the broadcasts and loop steps per byte of four, 8% more bytes a second from memory in a probe. Only
     * for 3-vector panels; the 4 x 2 tile's 16 registers hold four.
     */
    @Override
    public boolean rowTimesEightPairedPanels(float[] a, int ao, int k, int[] b, int p0, int stride, float[] c, int c0,
                                             boolean load) {
        if (vectors != 3) {
            return false;
        }
        int w = 3 * L;
        FloatVector x0 = load ? FloatVector.fromArray(S, c, c0 + 0 * L) : FloatVector.zero(S);
        FloatVector x1 = load ? FloatVector.fromArray(S, c, c0 + 1 * L) : FloatVector.zero(S);
        FloatVector x2 = load ? FloatVector.fromArray(S, c, c0 + 2 * L) : FloatVector.zero(S);
        FloatVector y0 = load ? FloatVector.fromArray(S, c, c0 + 3 * L) : FloatVector.zero(S);
        FloatVector y1 = load ? FloatVector.fromArray(S, c, c0 + 4 * L) : FloatVector.zero(S);
        FloatVector y2 = load ? FloatVector.fromArray(S, c, c0 + 5 * L) : FloatVector.zero(S);
        FloatVector z0 = load ? FloatVector.fromArray(S, c, c0 + 6 * L) : FloatVector.zero(S);
        FloatVector z1 = load ? FloatVector.fromArray(S, c, c0 + 7 * L) : FloatVector.zero(S);
        FloatVector z2 = load ? FloatVector.fromArray(S, c, c0 + 8 * L) : FloatVector.zero(S);
        FloatVector u0 = load ? FloatVector.fromArray(S, c, c0 + 9 * L) : FloatVector.zero(S);
        FloatVector u1 = load ? FloatVector.fromArray(S, c, c0 + 10 * L) : FloatVector.zero(S);
        FloatVector u2 = load ? FloatVector.fromArray(S, c, c0 + 11 * L) : FloatVector.zero(S);
        FloatVector e0 = load ? FloatVector.fromArray(S, c, c0 + 12 * L) : FloatVector.zero(S);
        FloatVector e1 = load ? FloatVector.fromArray(S, c, c0 + 13 * L) : FloatVector.zero(S);
        FloatVector e2 = load ? FloatVector.fromArray(S, c, c0 + 14 * L) : FloatVector.zero(S);
        FloatVector f0 = load ? FloatVector.fromArray(S, c, c0 + 15 * L) : FloatVector.zero(S);
        FloatVector f1 = load ? FloatVector.fromArray(S, c, c0 + 16 * L) : FloatVector.zero(S);
        FloatVector f2 = load ? FloatVector.fromArray(S, c, c0 + 17 * L) : FloatVector.zero(S);
        FloatVector g0 = load ? FloatVector.fromArray(S, c, c0 + 18 * L) : FloatVector.zero(S);
        FloatVector g1 = load ? FloatVector.fromArray(S, c, c0 + 19 * L) : FloatVector.zero(S);
        FloatVector g2 = load ? FloatVector.fromArray(S, c, c0 + 20 * L) : FloatVector.zero(S);
        FloatVector h0 = load ? FloatVector.fromArray(S, c, c0 + 21 * L) : FloatVector.zero(S);
        FloatVector h1 = load ? FloatVector.fromArray(S, c, c0 + 22 * L) : FloatVector.zero(S);
        FloatVector h2 = load ? FloatVector.fromArray(S, c, c0 + 23 * L) : FloatVector.zero(S);
        // each panel's index is an invariant base plus i * w: written as s + 3 * stride, C2 kept 19 range
        // checks and 15 stack reloads in the loop (213 instructions a step, now 145; no faster from memory)
        int pairs = k / 2;
        Objects.checkFromIndexSize(p0, 7 * stride + (k + 1) / 2 * w, b.length);
        int q1 = p0 + stride, q2 = q1 + stride, q3 = q2 + stride, q4 = q3 + stride, q5 = q4 + stride, q6 = q5 + stride,
                q7 = q6 + stride;
        for (int i = 0; i < pairs; i++) {
            int p = 2 * i, iw = i * w;
            FloatVector v = FloatVector.broadcast(S, a[ao + p]);
            FloatVector u = FloatVector.broadcast(S, a[ao + p + 1]);
            IntVector b0, b1, b2;
            b0 = IntVector.fromArray(I, b, p0 + iw);
            b1 = IntVector.fromArray(I, b, p0 + iw + L);
            b2 = IntVector.fromArray(I, b, p0 + iw + 2 * L);
            x0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x0));
            x1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x1));
            x2 = u.fma(b2.and(0xffff0000).reinterpretAsFloats(), v.fma(b2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x2));
            b0 = IntVector.fromArray(I, b, q1 + iw);
            b1 = IntVector.fromArray(I, b, q1 + iw + L);
            b2 = IntVector.fromArray(I, b, q1 + iw + 2 * L);
            y0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y0));
            y1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y1));
            y2 = u.fma(b2.and(0xffff0000).reinterpretAsFloats(), v.fma(b2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y2));
            b0 = IntVector.fromArray(I, b, q2 + iw);
            b1 = IntVector.fromArray(I, b, q2 + iw + L);
            b2 = IntVector.fromArray(I, b, q2 + iw + 2 * L);
            z0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z0));
            z1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z1));
            z2 = u.fma(b2.and(0xffff0000).reinterpretAsFloats(), v.fma(b2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z2));
            b0 = IntVector.fromArray(I, b, q3 + iw);
            b1 = IntVector.fromArray(I, b, q3 + iw + L);
            b2 = IntVector.fromArray(I, b, q3 + iw + 2 * L);
            u0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u0));
            u1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u1));
            u2 = u.fma(b2.and(0xffff0000).reinterpretAsFloats(), v.fma(b2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u2));
            b0 = IntVector.fromArray(I, b, q4 + iw);
            b1 = IntVector.fromArray(I, b, q4 + iw + L);
            b2 = IntVector.fromArray(I, b, q4 + iw + 2 * L);
            e0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), e0));
            e1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), e1));
            e2 = u.fma(b2.and(0xffff0000).reinterpretAsFloats(), v.fma(b2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), e2));
            b0 = IntVector.fromArray(I, b, q5 + iw);
            b1 = IntVector.fromArray(I, b, q5 + iw + L);
            b2 = IntVector.fromArray(I, b, q5 + iw + 2 * L);
            f0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f0));
            f1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f1));
            f2 = u.fma(b2.and(0xffff0000).reinterpretAsFloats(), v.fma(b2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f2));
            b0 = IntVector.fromArray(I, b, q6 + iw);
            b1 = IntVector.fromArray(I, b, q6 + iw + L);
            b2 = IntVector.fromArray(I, b, q6 + iw + 2 * L);
            g0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), g0));
            g1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), g1));
            g2 = u.fma(b2.and(0xffff0000).reinterpretAsFloats(), v.fma(b2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), g2));
            b0 = IntVector.fromArray(I, b, q7 + iw);
            b1 = IntVector.fromArray(I, b, q7 + iw + L);
            b2 = IntVector.fromArray(I, b, q7 + iw + 2 * L);
            h0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), h0));
            h1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), h1));
            h2 = u.fma(b2.and(0xffff0000).reinterpretAsFloats(), v.fma(b2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), h2));
        }
        if ((k & 1) == 1) {
            // k odd: the last step is the low halves of the last pairs
            int s = p0 + pairs * w;
            FloatVector v = FloatVector.broadcast(S, a[ao + k - 1]);
            x0 = v.fma(IntVector.fromArray(I, b, s).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x0);
            x1 = v.fma(IntVector.fromArray(I, b, s + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x1);
            x2 = v.fma(IntVector.fromArray(I, b, s + 2 * L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x2);
            y0 = v.fma(IntVector.fromArray(I, b, s + 1 * stride).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y0);
            y1 = v.fma(IntVector.fromArray(I, b, s + 1 * stride + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y1);
            y2 = v.fma(IntVector.fromArray(I, b, s + 1 * stride + 2 * L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y2);
            z0 = v.fma(IntVector.fromArray(I, b, s + 2 * stride).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z0);
            z1 = v.fma(IntVector.fromArray(I, b, s + 2 * stride + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z1);
            z2 = v.fma(IntVector.fromArray(I, b, s + 2 * stride + 2 * L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z2);
            u0 = v.fma(IntVector.fromArray(I, b, s + 3 * stride).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u0);
            u1 = v.fma(IntVector.fromArray(I, b, s + 3 * stride + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u1);
            u2 = v.fma(IntVector.fromArray(I, b, s + 3 * stride + 2 * L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u2);
            e0 = v.fma(IntVector.fromArray(I, b, s + 4 * stride).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), e0);
            e1 = v.fma(IntVector.fromArray(I, b, s + 4 * stride + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), e1);
            e2 = v.fma(IntVector.fromArray(I, b, s + 4 * stride + 2 * L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), e2);
            f0 = v.fma(IntVector.fromArray(I, b, s + 5 * stride).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f0);
            f1 = v.fma(IntVector.fromArray(I, b, s + 5 * stride + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f1);
            f2 = v.fma(IntVector.fromArray(I, b, s + 5 * stride + 2 * L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), f2);
            g0 = v.fma(IntVector.fromArray(I, b, s + 6 * stride).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), g0);
            g1 = v.fma(IntVector.fromArray(I, b, s + 6 * stride + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), g1);
            g2 = v.fma(IntVector.fromArray(I, b, s + 6 * stride + 2 * L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), g2);
            h0 = v.fma(IntVector.fromArray(I, b, s + 7 * stride).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), h0);
            h1 = v.fma(IntVector.fromArray(I, b, s + 7 * stride + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), h1);
            h2 = v.fma(IntVector.fromArray(I, b, s + 7 * stride + 2 * L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), h2);
        }
        x0.intoArray(c, c0 + 0 * L);
        x1.intoArray(c, c0 + 1 * L);
        x2.intoArray(c, c0 + 2 * L);
        y0.intoArray(c, c0 + 3 * L);
        y1.intoArray(c, c0 + 4 * L);
        y2.intoArray(c, c0 + 5 * L);
        z0.intoArray(c, c0 + 6 * L);
        z1.intoArray(c, c0 + 7 * L);
        z2.intoArray(c, c0 + 8 * L);
        u0.intoArray(c, c0 + 9 * L);
        u1.intoArray(c, c0 + 10 * L);
        u2.intoArray(c, c0 + 11 * L);
        e0.intoArray(c, c0 + 12 * L);
        e1.intoArray(c, c0 + 13 * L);
        e2.intoArray(c, c0 + 14 * L);
        f0.intoArray(c, c0 + 15 * L);
        f1.intoArray(c, c0 + 16 * L);
        f2.intoArray(c, c0 + 17 * L);
        g0.intoArray(c, c0 + 18 * L);
        g1.intoArray(c, c0 + 19 * L);
        g2.intoArray(c, c0 + 20 * L);
        h0.intoArray(c, c0 + 21 * L);
        h1.intoArray(c, c0 + 22 * L);
        h2.intoArray(c, c0 + 23 * L);
        return true;
    }

    /** {@link #rowTimesFourPairedPanels} for the 4 x 2 tile's panels (2 vectors wide, AVX2): 8 accumulators. */
    private static void rowTimesFourNarrowPairedPanels(float[] a, int ao, int k, int[] b, int p0, int stride, float[] c,
                                                       int c0, boolean load) {
        int w = 2 * L;
        int c1 = c0 + w, c2 = c1 + w, c3 = c2 + w;
        FloatVector x0 = load ? FloatVector.fromArray(S, c, c0) : FloatVector.zero(S);
        FloatVector x1 = load ? FloatVector.fromArray(S, c, c0 + L) : FloatVector.zero(S);
        FloatVector y0 = load ? FloatVector.fromArray(S, c, c1) : FloatVector.zero(S);
        FloatVector y1 = load ? FloatVector.fromArray(S, c, c1 + L) : FloatVector.zero(S);
        FloatVector z0 = load ? FloatVector.fromArray(S, c, c2) : FloatVector.zero(S);
        FloatVector z1 = load ? FloatVector.fromArray(S, c, c2 + L) : FloatVector.zero(S);
        FloatVector u0 = load ? FloatVector.fromArray(S, c, c3) : FloatVector.zero(S);
        FloatVector u1 = load ? FloatVector.fromArray(S, c, c3 + L) : FloatVector.zero(S);
        // one induction variable, the indexes derived from it, and one range check up front: C2 then drops
        // the check of every load (with four indexes stepped separately it kept them, a third slower in L2)
        int pairs = k / 2;
        Objects.checkFromIndexSize(p0, 3 * stride + (k + 1) / 2 * w, b.length);
        for (int i = 0; i < pairs; i++) {
            int p = 2 * i, s = p0 + i * w, t = s + stride, r = t + stride, q = r + stride;
            FloatVector v = FloatVector.broadcast(S, a[ao + p]);
            FloatVector u = FloatVector.broadcast(S, a[ao + p + 1]);
            IntVector b0 = IntVector.fromArray(I, b, s);
            IntVector b1 = IntVector.fromArray(I, b, s + L);
            x0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x0));
            x1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x1));
            b0 = IntVector.fromArray(I, b, t);
            b1 = IntVector.fromArray(I, b, t + L);
            y0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y0));
            y1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y1));
            b0 = IntVector.fromArray(I, b, r);
            b1 = IntVector.fromArray(I, b, r + L);
            z0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z0));
            z1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z1));
            b0 = IntVector.fromArray(I, b, q);
            b1 = IntVector.fromArray(I, b, q + L);
            u0 = u.fma(b0.and(0xffff0000).reinterpretAsFloats(), v.fma(b0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u0));
            u1 = u.fma(b1.and(0xffff0000).reinterpretAsFloats(), v.fma(b1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u1));
        }
        if ((k & 1) == 1) {
            int p = k - 1, s = p0 + pairs * w, t = s + stride, r = t + stride, q = r + stride;
            FloatVector v = FloatVector.broadcast(S, a[ao + p]);
            x0 = v.fma(IntVector.fromArray(I, b, s).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x0);
            x1 = v.fma(IntVector.fromArray(I, b, s + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x1);
            y0 = v.fma(IntVector.fromArray(I, b, t).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y0);
            y1 = v.fma(IntVector.fromArray(I, b, t + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), y1);
            z0 = v.fma(IntVector.fromArray(I, b, r).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z0);
            z1 = v.fma(IntVector.fromArray(I, b, r + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), z1);
            u0 = v.fma(IntVector.fromArray(I, b, q).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u0);
            u1 = v.fma(IntVector.fromArray(I, b, q + L).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), u1);
        }
        x0.intoArray(c, c0);
        x1.intoArray(c, c0 + L);
        y0.intoArray(c, c1);
        y1.intoArray(c, c1 + L);
        z0.intoArray(c, c2);
        z1.intoArray(c, c2 + L);
        u0.intoArray(c, c3);
        u1.intoArray(c, c3 + L);
    }

    /**
     * One narrow bfloat16 panel (Llama's 512- and 2,048-column products end in a 32-column panel), read
     * straight from the pairs, one vector of columns at a time: its chain along k, then the next vector's.
     * Widening it into scratch and multiplying that cost three times as long as streaming it (measured on
     * Zen 4: 34 microseconds for a 2,048-deep panel, a quarter of a 512-column product).
     */
    @Override
    public boolean rowTimesPairedPanel(float[] a, int ao, int k, int[] b, int p0, int w, float[] c, int c0, boolean load) {
        if (w % L != 0 || w > nr()) {
            return false;
        }
        int pairs = k / 2;
        Objects.checkFromIndexSize(p0, (k + 1) / 2 * w, b.length);
        Objects.checkFromIndexSize(ao, k, a.length);
        for (int col = 0; col < w; col += L) {
            FloatVector x = load ? FloatVector.fromArray(S, c, c0 + col) : FloatVector.zero(S);
            for (int i = 0; i < pairs; i++) {
                int p = 2 * i;
                IntVector pair = IntVector.fromArray(I, b, p0 + i * w + col);
                x = FloatVector.broadcast(S, a[ao + p + 1]).fma(pair.and(0xffff0000).reinterpretAsFloats(),
                        FloatVector.broadcast(S, a[ao + p]).fma(pair.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x));
            }
            if ((k & 1) == 1) {
                IntVector last = IntVector.fromArray(I, b, p0 + pairs * w + col);
                x = FloatVector.broadcast(S, a[ao + k - 1]).fma(last.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), x);
            }
            x.intoArray(c, c0 + col);
        }
        return true;
    }

    /** {@link #rowTimesFourPanels} for the 4 x 2 tile's panels (2 vectors wide, AVX2): 8 accumulators. */
    private static void rowTimesFourNarrowPanels(float[] a, int ao, int k, float[] b, int p0, int stride, float[] c, int c0,
                                                 boolean load) {
        int w = 2 * L;
        int c1 = c0 + w, c2 = c1 + w, c3 = c2 + w;
        FloatVector x0 = load ? FloatVector.fromArray(S, c, c0) : FloatVector.zero(S);
        FloatVector x1 = load ? FloatVector.fromArray(S, c, c0 + L) : FloatVector.zero(S);
        FloatVector y0 = load ? FloatVector.fromArray(S, c, c1) : FloatVector.zero(S);
        FloatVector y1 = load ? FloatVector.fromArray(S, c, c1 + L) : FloatVector.zero(S);
        FloatVector z0 = load ? FloatVector.fromArray(S, c, c2) : FloatVector.zero(S);
        FloatVector z1 = load ? FloatVector.fromArray(S, c, c2 + L) : FloatVector.zero(S);
        FloatVector u0 = load ? FloatVector.fromArray(S, c, c3) : FloatVector.zero(S);
        FloatVector u1 = load ? FloatVector.fromArray(S, c, c3 + L) : FloatVector.zero(S);
        for (int p = 0, s = p0, t = p0 + stride, r = p0 + 2 * stride, q = p0 + 3 * stride; p < k; p++, s += w, t += w, r += w, q += w) {
            FloatVector v = FloatVector.broadcast(S, a[ao + p]);
            x0 = v.fma(FloatVector.fromArray(S, b, s), x0);
            x1 = v.fma(FloatVector.fromArray(S, b, s + L), x1);
            y0 = v.fma(FloatVector.fromArray(S, b, t), y0);
            y1 = v.fma(FloatVector.fromArray(S, b, t + L), y1);
            z0 = v.fma(FloatVector.fromArray(S, b, r), z0);
            z1 = v.fma(FloatVector.fromArray(S, b, r + L), z1);
            u0 = v.fma(FloatVector.fromArray(S, b, q), u0);
            u1 = v.fma(FloatVector.fromArray(S, b, q + L), u1);
        }
        x0.intoArray(c, c0);
        x1.intoArray(c, c0 + L);
        y0.intoArray(c, c1);
        y1.intoArray(c, c1 + L);
        z0.intoArray(c, c2);
        z1.intoArray(c, c2 + L);
        u0.intoArray(c, c3);
        u1.intoArray(c, c3 + L);
    }

    // rowsN{Heap,Segment}: N rows of A by 3 vectors of B read in place, N x 3 accumulators; generated
    // like the tiles below, one variant per row count and storage.

    private static void rows1Heap(float[] a, int ao, int k, float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean load) {
        int o0 = co, a0 = ao;
        FloatVector c00 = load ? FloatVector.fromArray(S, c, o0) : FloatVector.zero(S);
        FloatVector c01 = load ? FloatVector.fromArray(S, c, o0 + L) : FloatVector.zero(S);
        FloatVector c02 = load ? FloatVector.fromArray(S, c, o0 + 2 * L) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            int s = bo + p * ldb;
            FloatVector b0 = FloatVector.fromArray(S, b, s);
            FloatVector b1 = FloatVector.fromArray(S, b, s + L);
            FloatVector b2 = FloatVector.fromArray(S, b, s + 2 * L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c02.intoArray(c, o0 + 2 * L);
    }

    private static void rows2Heap(float[] a, int ao, int k, float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean load) {
        int o0 = co, a0 = ao;
        int o1 = co + ldc, a1 = ao + k;
        FloatVector c00 = load ? FloatVector.fromArray(S, c, o0) : FloatVector.zero(S);
        FloatVector c01 = load ? FloatVector.fromArray(S, c, o0 + L) : FloatVector.zero(S);
        FloatVector c02 = load ? FloatVector.fromArray(S, c, o0 + 2 * L) : FloatVector.zero(S);
        FloatVector c10 = load ? FloatVector.fromArray(S, c, o1) : FloatVector.zero(S);
        FloatVector c11 = load ? FloatVector.fromArray(S, c, o1 + L) : FloatVector.zero(S);
        FloatVector c12 = load ? FloatVector.fromArray(S, c, o1 + 2 * L) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            int s = bo + p * ldb;
            FloatVector b0 = FloatVector.fromArray(S, b, s);
            FloatVector b1 = FloatVector.fromArray(S, b, s + L);
            FloatVector b2 = FloatVector.fromArray(S, b, s + 2 * L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c02.intoArray(c, o0 + 2 * L);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + L);
        c12.intoArray(c, o1 + 2 * L);
    }

    private static void rows3Heap(float[] a, int ao, int k, float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean load) {
        int o0 = co, a0 = ao;
        int o1 = co + ldc, a1 = ao + k;
        int o2 = co + 2 * ldc, a2 = ao + 2 * k;
        FloatVector c00 = load ? FloatVector.fromArray(S, c, o0) : FloatVector.zero(S);
        FloatVector c01 = load ? FloatVector.fromArray(S, c, o0 + L) : FloatVector.zero(S);
        FloatVector c02 = load ? FloatVector.fromArray(S, c, o0 + 2 * L) : FloatVector.zero(S);
        FloatVector c10 = load ? FloatVector.fromArray(S, c, o1) : FloatVector.zero(S);
        FloatVector c11 = load ? FloatVector.fromArray(S, c, o1 + L) : FloatVector.zero(S);
        FloatVector c12 = load ? FloatVector.fromArray(S, c, o1 + 2 * L) : FloatVector.zero(S);
        FloatVector c20 = load ? FloatVector.fromArray(S, c, o2) : FloatVector.zero(S);
        FloatVector c21 = load ? FloatVector.fromArray(S, c, o2 + L) : FloatVector.zero(S);
        FloatVector c22 = load ? FloatVector.fromArray(S, c, o2 + 2 * L) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            int s = bo + p * ldb;
            FloatVector b0 = FloatVector.fromArray(S, b, s);
            FloatVector b1 = FloatVector.fromArray(S, b, s + L);
            FloatVector b2 = FloatVector.fromArray(S, b, s + 2 * L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[a2 + p]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c02.intoArray(c, o0 + 2 * L);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + L);
        c12.intoArray(c, o1 + 2 * L);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + L);
        c22.intoArray(c, o2 + 2 * L);
    }

    private static void rows4Heap(float[] a, int ao, int k, float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean load) {
        int o0 = co, a0 = ao;
        int o1 = co + ldc, a1 = ao + k;
        int o2 = co + 2 * ldc, a2 = ao + 2 * k;
        int o3 = co + 3 * ldc, a3 = ao + 3 * k;
        FloatVector c00 = load ? FloatVector.fromArray(S, c, o0) : FloatVector.zero(S);
        FloatVector c01 = load ? FloatVector.fromArray(S, c, o0 + L) : FloatVector.zero(S);
        FloatVector c02 = load ? FloatVector.fromArray(S, c, o0 + 2 * L) : FloatVector.zero(S);
        FloatVector c10 = load ? FloatVector.fromArray(S, c, o1) : FloatVector.zero(S);
        FloatVector c11 = load ? FloatVector.fromArray(S, c, o1 + L) : FloatVector.zero(S);
        FloatVector c12 = load ? FloatVector.fromArray(S, c, o1 + 2 * L) : FloatVector.zero(S);
        FloatVector c20 = load ? FloatVector.fromArray(S, c, o2) : FloatVector.zero(S);
        FloatVector c21 = load ? FloatVector.fromArray(S, c, o2 + L) : FloatVector.zero(S);
        FloatVector c22 = load ? FloatVector.fromArray(S, c, o2 + 2 * L) : FloatVector.zero(S);
        FloatVector c30 = load ? FloatVector.fromArray(S, c, o3) : FloatVector.zero(S);
        FloatVector c31 = load ? FloatVector.fromArray(S, c, o3 + L) : FloatVector.zero(S);
        FloatVector c32 = load ? FloatVector.fromArray(S, c, o3 + 2 * L) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            int s = bo + p * ldb;
            FloatVector b0 = FloatVector.fromArray(S, b, s);
            FloatVector b1 = FloatVector.fromArray(S, b, s + L);
            FloatVector b2 = FloatVector.fromArray(S, b, s + 2 * L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[a2 + p]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[a3 + p]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c02.intoArray(c, o0 + 2 * L);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + L);
        c12.intoArray(c, o1 + 2 * L);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + L);
        c22.intoArray(c, o2 + 2 * L);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + L);
        c32.intoArray(c, o3 + 2 * L);
    }

    private static void rows1Segment(float[] a, int ao, int k, MemorySegment b, long bo, long ldb, float[] c, int co, int ldc, boolean load) {
        int o0 = co, a0 = ao;
        FloatVector c00 = load ? FloatVector.fromArray(S, c, o0) : FloatVector.zero(S);
        FloatVector c01 = load ? FloatVector.fromArray(S, c, o0 + L) : FloatVector.zero(S);
        FloatVector c02 = load ? FloatVector.fromArray(S, c, o0 + 2 * L) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            long s = (bo + p * ldb) * Float.BYTES;
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, s, ByteOrder.LITTLE_ENDIAN);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, s + L * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, s + 2 * L * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            FloatVector x;
            x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c02.intoArray(c, o0 + 2 * L);
    }

    private static void rows2Segment(float[] a, int ao, int k, MemorySegment b, long bo, long ldb, float[] c, int co, int ldc, boolean load) {
        int o0 = co, a0 = ao;
        int o1 = co + ldc, a1 = ao + k;
        FloatVector c00 = load ? FloatVector.fromArray(S, c, o0) : FloatVector.zero(S);
        FloatVector c01 = load ? FloatVector.fromArray(S, c, o0 + L) : FloatVector.zero(S);
        FloatVector c02 = load ? FloatVector.fromArray(S, c, o0 + 2 * L) : FloatVector.zero(S);
        FloatVector c10 = load ? FloatVector.fromArray(S, c, o1) : FloatVector.zero(S);
        FloatVector c11 = load ? FloatVector.fromArray(S, c, o1 + L) : FloatVector.zero(S);
        FloatVector c12 = load ? FloatVector.fromArray(S, c, o1 + 2 * L) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            long s = (bo + p * ldb) * Float.BYTES;
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, s, ByteOrder.LITTLE_ENDIAN);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, s + L * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, s + 2 * L * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            FloatVector x;
            x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c02.intoArray(c, o0 + 2 * L);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + L);
        c12.intoArray(c, o1 + 2 * L);
    }

    private static void rows3Segment(float[] a, int ao, int k, MemorySegment b, long bo, long ldb, float[] c, int co, int ldc, boolean load) {
        int o0 = co, a0 = ao;
        int o1 = co + ldc, a1 = ao + k;
        int o2 = co + 2 * ldc, a2 = ao + 2 * k;
        FloatVector c00 = load ? FloatVector.fromArray(S, c, o0) : FloatVector.zero(S);
        FloatVector c01 = load ? FloatVector.fromArray(S, c, o0 + L) : FloatVector.zero(S);
        FloatVector c02 = load ? FloatVector.fromArray(S, c, o0 + 2 * L) : FloatVector.zero(S);
        FloatVector c10 = load ? FloatVector.fromArray(S, c, o1) : FloatVector.zero(S);
        FloatVector c11 = load ? FloatVector.fromArray(S, c, o1 + L) : FloatVector.zero(S);
        FloatVector c12 = load ? FloatVector.fromArray(S, c, o1 + 2 * L) : FloatVector.zero(S);
        FloatVector c20 = load ? FloatVector.fromArray(S, c, o2) : FloatVector.zero(S);
        FloatVector c21 = load ? FloatVector.fromArray(S, c, o2 + L) : FloatVector.zero(S);
        FloatVector c22 = load ? FloatVector.fromArray(S, c, o2 + 2 * L) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            long s = (bo + p * ldb) * Float.BYTES;
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, s, ByteOrder.LITTLE_ENDIAN);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, s + L * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, s + 2 * L * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            FloatVector x;
            x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[a2 + p]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c02.intoArray(c, o0 + 2 * L);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + L);
        c12.intoArray(c, o1 + 2 * L);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + L);
        c22.intoArray(c, o2 + 2 * L);
    }

    private static void rows4Segment(float[] a, int ao, int k, MemorySegment b, long bo, long ldb, float[] c, int co, int ldc, boolean load) {
        int o0 = co, a0 = ao;
        int o1 = co + ldc, a1 = ao + k;
        int o2 = co + 2 * ldc, a2 = ao + 2 * k;
        int o3 = co + 3 * ldc, a3 = ao + 3 * k;
        FloatVector c00 = load ? FloatVector.fromArray(S, c, o0) : FloatVector.zero(S);
        FloatVector c01 = load ? FloatVector.fromArray(S, c, o0 + L) : FloatVector.zero(S);
        FloatVector c02 = load ? FloatVector.fromArray(S, c, o0 + 2 * L) : FloatVector.zero(S);
        FloatVector c10 = load ? FloatVector.fromArray(S, c, o1) : FloatVector.zero(S);
        FloatVector c11 = load ? FloatVector.fromArray(S, c, o1 + L) : FloatVector.zero(S);
        FloatVector c12 = load ? FloatVector.fromArray(S, c, o1 + 2 * L) : FloatVector.zero(S);
        FloatVector c20 = load ? FloatVector.fromArray(S, c, o2) : FloatVector.zero(S);
        FloatVector c21 = load ? FloatVector.fromArray(S, c, o2 + L) : FloatVector.zero(S);
        FloatVector c22 = load ? FloatVector.fromArray(S, c, o2 + 2 * L) : FloatVector.zero(S);
        FloatVector c30 = load ? FloatVector.fromArray(S, c, o3) : FloatVector.zero(S);
        FloatVector c31 = load ? FloatVector.fromArray(S, c, o3 + L) : FloatVector.zero(S);
        FloatVector c32 = load ? FloatVector.fromArray(S, c, o3 + 2 * L) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            long s = (bo + p * ldb) * Float.BYTES;
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, s, ByteOrder.LITTLE_ENDIAN);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, s + L * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            FloatVector b2 = FloatVector.fromMemorySegment(S, b, s + 2 * L * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
            FloatVector x;
            x = FloatVector.broadcast(S, a[a0 + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[a1 + p]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[a2 + p]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[a3 + p]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c02.intoArray(c, o0 + 2 * L);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + L);
        c12.intoArray(c, o1 + 2 * L);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + L);
        c22.intoArray(c, o2 + 2 * L);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + L);
        c32.intoArray(c, o3 + 2 * L);
    }


    /** The 8 x 3-vector tile; see {@link #tile} for the contract. */
    private static void tile8x3(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co, int ldc, boolean load) {
        int o0 = co;
        int o1 = o0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        int o4 = o3 + ldc;
        int o5 = o4 + ldc;
        int o6 = o5 + ldc;
        int o7 = o6 + ldc;
        // accumulators start from C or from zero
        FloatVector c00 = load ? FloatVector.fromArray(S, c, o0) : FloatVector.zero(S);
        FloatVector c01 = load ? FloatVector.fromArray(S, c, o0 + L) : FloatVector.zero(S);
        FloatVector c02 = load ? FloatVector.fromArray(S, c, o0 + 2 * L) : FloatVector.zero(S);
        FloatVector c10 = load ? FloatVector.fromArray(S, c, o1) : FloatVector.zero(S);
        FloatVector c11 = load ? FloatVector.fromArray(S, c, o1 + L) : FloatVector.zero(S);
        FloatVector c12 = load ? FloatVector.fromArray(S, c, o1 + 2 * L) : FloatVector.zero(S);
        FloatVector c20 = load ? FloatVector.fromArray(S, c, o2) : FloatVector.zero(S);
        FloatVector c21 = load ? FloatVector.fromArray(S, c, o2 + L) : FloatVector.zero(S);
        FloatVector c22 = load ? FloatVector.fromArray(S, c, o2 + 2 * L) : FloatVector.zero(S);
        FloatVector c30 = load ? FloatVector.fromArray(S, c, o3) : FloatVector.zero(S);
        FloatVector c31 = load ? FloatVector.fromArray(S, c, o3 + L) : FloatVector.zero(S);
        FloatVector c32 = load ? FloatVector.fromArray(S, c, o3 + 2 * L) : FloatVector.zero(S);
        FloatVector c40 = load ? FloatVector.fromArray(S, c, o4) : FloatVector.zero(S);
        FloatVector c41 = load ? FloatVector.fromArray(S, c, o4 + L) : FloatVector.zero(S);
        FloatVector c42 = load ? FloatVector.fromArray(S, c, o4 + 2 * L) : FloatVector.zero(S);
        FloatVector c50 = load ? FloatVector.fromArray(S, c, o5) : FloatVector.zero(S);
        FloatVector c51 = load ? FloatVector.fromArray(S, c, o5 + L) : FloatVector.zero(S);
        FloatVector c52 = load ? FloatVector.fromArray(S, c, o5 + 2 * L) : FloatVector.zero(S);
        FloatVector c60 = load ? FloatVector.fromArray(S, c, o6) : FloatVector.zero(S);
        FloatVector c61 = load ? FloatVector.fromArray(S, c, o6 + L) : FloatVector.zero(S);
        FloatVector c62 = load ? FloatVector.fromArray(S, c, o6 + 2 * L) : FloatVector.zero(S);
        FloatVector c70 = load ? FloatVector.fromArray(S, c, o7) : FloatVector.zero(S);
        FloatVector c71 = load ? FloatVector.fromArray(S, c, o7 + L) : FloatVector.zero(S);
        FloatVector c72 = load ? FloatVector.fromArray(S, c, o7 + 2 * L) : FloatVector.zero(S);
        // one rank-1 update per k: 3 vectors of B, 8 broadcasts of A, 24 FMAs
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ao + 0]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[ao + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, a[ao + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(S, a[ao + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52);
            x = FloatVector.broadcast(S, a[ao + 6]);
            c60 = x.fma(b0, c60); c61 = x.fma(b1, c61); c62 = x.fma(b2, c62);
            x = FloatVector.broadcast(S, a[ao + 7]);
            c70 = x.fma(b0, c70); c71 = x.fma(b1, c71); c72 = x.fma(b2, c72);
            ao += 8;
            bo += 3 * L;
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c02.intoArray(c, o0 + 2 * L);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + L);
        c12.intoArray(c, o1 + 2 * L);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + L);
        c22.intoArray(c, o2 + 2 * L);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + L);
        c32.intoArray(c, o3 + 2 * L);
        c40.intoArray(c, o4);
        c41.intoArray(c, o4 + L);
        c42.intoArray(c, o4 + 2 * L);
        c50.intoArray(c, o5);
        c51.intoArray(c, o5 + L);
        c52.intoArray(c, o5 + 2 * L);
        c60.intoArray(c, o6);
        c61.intoArray(c, o6 + L);
        c62.intoArray(c, o6 + 2 * L);
        c70.intoArray(c, o7);
        c71.intoArray(c, o7 + L);
        c72.intoArray(c, o7 + 2 * L);
    }

    /** The 8 x 2-vector tile; see {@link #tile} for the contract. */
    private static void tile8x2(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co, int ldc, boolean load) {
        int o0 = co;
        int o1 = o0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        int o4 = o3 + ldc;
        int o5 = o4 + ldc;
        int o6 = o5 + ldc;
        int o7 = o6 + ldc;
        // accumulators start from C or from zero
        FloatVector c00 = load ? FloatVector.fromArray(S, c, o0) : FloatVector.zero(S);
        FloatVector c01 = load ? FloatVector.fromArray(S, c, o0 + L) : FloatVector.zero(S);
        FloatVector c10 = load ? FloatVector.fromArray(S, c, o1) : FloatVector.zero(S);
        FloatVector c11 = load ? FloatVector.fromArray(S, c, o1 + L) : FloatVector.zero(S);
        FloatVector c20 = load ? FloatVector.fromArray(S, c, o2) : FloatVector.zero(S);
        FloatVector c21 = load ? FloatVector.fromArray(S, c, o2 + L) : FloatVector.zero(S);
        FloatVector c30 = load ? FloatVector.fromArray(S, c, o3) : FloatVector.zero(S);
        FloatVector c31 = load ? FloatVector.fromArray(S, c, o3 + L) : FloatVector.zero(S);
        FloatVector c40 = load ? FloatVector.fromArray(S, c, o4) : FloatVector.zero(S);
        FloatVector c41 = load ? FloatVector.fromArray(S, c, o4 + L) : FloatVector.zero(S);
        FloatVector c50 = load ? FloatVector.fromArray(S, c, o5) : FloatVector.zero(S);
        FloatVector c51 = load ? FloatVector.fromArray(S, c, o5 + L) : FloatVector.zero(S);
        FloatVector c60 = load ? FloatVector.fromArray(S, c, o6) : FloatVector.zero(S);
        FloatVector c61 = load ? FloatVector.fromArray(S, c, o6 + L) : FloatVector.zero(S);
        FloatVector c70 = load ? FloatVector.fromArray(S, c, o7) : FloatVector.zero(S);
        FloatVector c71 = load ? FloatVector.fromArray(S, c, o7 + L) : FloatVector.zero(S);
        // one rank-1 update per k: 2 vectors of B, 8 broadcasts of A, 16 FMAs
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ao + 0]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ao + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ao + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ao + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[ao + 6]);
            c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[ao + 7]);
            c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            ao += 8;
            bo += 2 * L;
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + L);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + L);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + L);
        c40.intoArray(c, o4);
        c41.intoArray(c, o4 + L);
        c50.intoArray(c, o5);
        c51.intoArray(c, o5 + L);
        c60.intoArray(c, o6);
        c61.intoArray(c, o6 + L);
        c70.intoArray(c, o7);
        c71.intoArray(c, o7 + L);
    }

    /** The 8 x 1-vector tile; see {@link #tile} for the contract. */
    private static void tile8x1(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co, int ldc, boolean load) {
        int o0 = co;
        int o1 = o0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        int o4 = o3 + ldc;
        int o5 = o4 + ldc;
        int o6 = o5 + ldc;
        int o7 = o6 + ldc;
        // accumulators start from C or from zero
        FloatVector c00 = load ? FloatVector.fromArray(S, c, o0) : FloatVector.zero(S);
        FloatVector c10 = load ? FloatVector.fromArray(S, c, o1) : FloatVector.zero(S);
        FloatVector c20 = load ? FloatVector.fromArray(S, c, o2) : FloatVector.zero(S);
        FloatVector c30 = load ? FloatVector.fromArray(S, c, o3) : FloatVector.zero(S);
        FloatVector c40 = load ? FloatVector.fromArray(S, c, o4) : FloatVector.zero(S);
        FloatVector c50 = load ? FloatVector.fromArray(S, c, o5) : FloatVector.zero(S);
        FloatVector c60 = load ? FloatVector.fromArray(S, c, o6) : FloatVector.zero(S);
        FloatVector c70 = load ? FloatVector.fromArray(S, c, o7) : FloatVector.zero(S);
        // one rank-1 update per k: 1 vector of B, 8 broadcasts of A, 8 FMAs
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ao + 0]);
            c00 = x.fma(b0, c00);
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = x.fma(b0, c10);
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = x.fma(b0, c20);
            x = FloatVector.broadcast(S, a[ao + 3]);
            c30 = x.fma(b0, c30);
            x = FloatVector.broadcast(S, a[ao + 4]);
            c40 = x.fma(b0, c40);
            x = FloatVector.broadcast(S, a[ao + 5]);
            c50 = x.fma(b0, c50);
            x = FloatVector.broadcast(S, a[ao + 6]);
            c60 = x.fma(b0, c60);
            x = FloatVector.broadcast(S, a[ao + 7]);
            c70 = x.fma(b0, c70);
            ao += 8;
            bo += L;
        }
        c00.intoArray(c, o0);
        c10.intoArray(c, o1);
        c20.intoArray(c, o2);
        c30.intoArray(c, o3);
        c40.intoArray(c, o4);
        c50.intoArray(c, o5);
        c60.intoArray(c, o6);
        c70.intoArray(c, o7);
    }

    /** The 4 x 2-vector tile; see {@link #tile} for the contract. */
    private static void tile4x2(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co, int ldc, boolean load) {
        int o0 = co;
        int o1 = o0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        // accumulators start from C or from zero
        FloatVector c00 = load ? FloatVector.fromArray(S, c, o0) : FloatVector.zero(S);
        FloatVector c01 = load ? FloatVector.fromArray(S, c, o0 + L) : FloatVector.zero(S);
        FloatVector c10 = load ? FloatVector.fromArray(S, c, o1) : FloatVector.zero(S);
        FloatVector c11 = load ? FloatVector.fromArray(S, c, o1 + L) : FloatVector.zero(S);
        FloatVector c20 = load ? FloatVector.fromArray(S, c, o2) : FloatVector.zero(S);
        FloatVector c21 = load ? FloatVector.fromArray(S, c, o2 + L) : FloatVector.zero(S);
        FloatVector c30 = load ? FloatVector.fromArray(S, c, o3) : FloatVector.zero(S);
        FloatVector c31 = load ? FloatVector.fromArray(S, c, o3 + L) : FloatVector.zero(S);
        // one rank-1 update per k: 2 vectors of B, 4 broadcasts of A, 8 FMAs
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ao + 0]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ao + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            ao += 4;
            bo += 2 * L;
        }
        c00.intoArray(c, o0);
        c01.intoArray(c, o0 + L);
        c10.intoArray(c, o1);
        c11.intoArray(c, o1 + L);
        c20.intoArray(c, o2);
        c21.intoArray(c, o2 + L);
        c30.intoArray(c, o3);
        c31.intoArray(c, o3 + L);
    }

    /** The 4 x 1-vector tile; see {@link #tile} for the contract. */
    private static void tile4x1(float[] a, int ao, float[] b, int bo, int kc, float[] c, int co, int ldc, boolean load) {
        int o0 = co;
        int o1 = o0 + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        // accumulators start from C or from zero
        FloatVector c00 = load ? FloatVector.fromArray(S, c, o0) : FloatVector.zero(S);
        FloatVector c10 = load ? FloatVector.fromArray(S, c, o1) : FloatVector.zero(S);
        FloatVector c20 = load ? FloatVector.fromArray(S, c, o2) : FloatVector.zero(S);
        FloatVector c30 = load ? FloatVector.fromArray(S, c, o3) : FloatVector.zero(S);
        // one rank-1 update per k: 1 vector of B, 4 broadcasts of A, 4 FMAs
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ao + 0]);
            c00 = x.fma(b0, c00);
            x = FloatVector.broadcast(S, a[ao + 1]);
            c10 = x.fma(b0, c10);
            x = FloatVector.broadcast(S, a[ao + 2]);
            c20 = x.fma(b0, c20);
            x = FloatVector.broadcast(S, a[ao + 3]);
            c30 = x.fma(b0, c30);
            ao += 4;
            bo += L;
        }
        c00.intoArray(c, o0);
        c10.intoArray(c, o1);
        c20.intoArray(c, o2);
        c30.intoArray(c, o3);
    }
}
