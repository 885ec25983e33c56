package dev.lens4j.tensor.kernel.panama;

import dev.lens4j.tensor.matmul.GemmMicroKernel;
import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.tensor.matmul.StorageType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
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
 * <p>Loaded reflectively by {@code dev.lens4j.tensor.matmul.Gemm} so that the matmul package never
 * links against {@code jdk.incubator.vector}. The tile bodies are unrolled by hand (the same pattern
 * for every row) because C2 keeps only named locals in registers.
 */
public final class PanamaGemmKernel implements GemmMicroKernel {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Ints of the same width as S, and the 16-bit lanes that widen to them. */
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(L * Short.SIZE));
    // Lane indexes (into the 32 lanes of two vectors) of the butterfly stages of a 16 x 16 transpose:
    // for rows i and i + b, LOb takes the first b lanes of every 2b-lane group from row i and the
    // matching lanes of row i + b; HIb takes the second b lanes from both.
    private static final FloatVector LO8 = butterfly(8, false);
    private static final FloatVector HI8 = butterfly(8, true);
    private static final FloatVector LO4 = butterfly(4, false);
    private static final FloatVector HI4 = butterfly(4, true);
    private static final FloatVector LO2 = butterfly(2, false);
    private static final FloatVector HI2 = butterfly(2, true);
    private static final FloatVector LO1 = butterfly(1, false);
    private static final FloatVector HI1 = butterfly(1, true);

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
     * (AVX-512), 4 x 2 with fewer (AVX2); called reflectively.
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

    private static FloatVector butterfly(int b, boolean high) {
        float[] idx = new float[L];
        for (int c = 0; c < L; c++) {
            boolean first = c % (2 * b) < b;
            idx[c] = high ? (first ? c + b : L + c) : (first ? c : L + c - b);
        }
        return FloatVector.fromArray(S, idx, 0);
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
     * Packs a block of a B with unit column stride (row-major, heap or little-endian segment) row by
     * row: every row of the block is read once, left to right, and dealt out to the panels in whole
     * vectors. This is the packing that matters when A has few rows (the unembedding, attention),
     * where B is streamed from memory once per product and a copy per 48 floats would cost a third
     * of the time.
     */
    @Override
    public boolean packB(MatrixOperand b, int p0, int kc, int j0, int nc, float[] dst, int dOff) {
        if (b.colStride() != 1) {
            return b.rowStride() == 1 && b.type() == StorageType.F32 && L == 16 && vectors == 3
                    && packTransposed(b, p0, kc, j0, nc, dst, dOff);
        }
        int nr = vectors * L;
        int full = nc / nr * nr;
        int cols = nc - full;
        int w = (cols + L - 1) / L * L;
        for (int p = 0; p < kc; p++) {
            long row = b.offset() + (p0 + p) * b.rowStride() + j0;
            int d = dOff + p * nr;
            for (int jp = 0; jp < full; jp += nr, d += nr * kc) {
                for (int v = 0; v < vectors; v++) {
                    load(b, row + jp + v * L).intoArray(dst, d + v * L);
                }
            }
            if (cols > 0) {
                // the last, narrower panel: whole vectors while they fit, then the columns left, then zeros
                int e = dOff + full * kc + p * w;
                int j = 0;
                for (; j + L <= cols; j += L) {
                    load(b, row + full + j).intoArray(dst, e + j);
                }
                for (; j < cols; j++) {
                    dst[e + j] = b.get(p0 + p, j0 + full + j);
                }
                Arrays.fill(dst, e + cols, e + w, 0f);
            }
        }
        return true;
    }

    /**
     * L consecutive elements of B's storage from element index {@code idx}, widened to float32:
     * float32 as it is, bfloat16 shifted into the top half of an int, half precision through
     * {@link #halfToFloat}.
     */
    private static FloatVector load(MatrixOperand b, long idx) {
        float[] array = b.array();
        if (array != null) {
            return FloatVector.fromArray(S, array, (int) idx);
        }
        short[] halves = b.halves();
        StorageType type = b.type();
        if (type == StorageType.F32) {
            return FloatVector.fromMemorySegment(S, b.segment(), idx * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
        }
        ShortVector bits = halves != null ? ShortVector.fromArray(H, halves, (int) idx)
                : ShortVector.fromMemorySegment(H, b.segment(), idx * 2, ByteOrder.LITTLE_ENDIAN);
        return type == StorageType.BF16 ? bf16ToFloat(bits) : halfToFloat(bits);
    }

    /** bfloat16 bits to float32: the bits, zero-extended, shifted into the top half. */
    static FloatVector bf16ToFloat(ShortVector bits) {
        return ((IntVector) bits.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    /**
     * IEEE half bits to float32, exactly: for a normal number the exponent is rebiased (+112) and the
     * mantissa shifted up by 13; an infinity or NaN (exponent 31) gets exponent 255; zeros and
     * subnormals (exponent 0) are {@code mantissa * 2^-24}, computed exactly in float32. The sign is
     * carried over.
     */
    static FloatVector halfToFloat(ShortVector bits) {
        IntVector h = (IntVector) bits.convertShape(VectorOperators.ZERO_EXTEND_S2I, I, 0);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector exp = h.and(0x7c00);
        IntVector mant = h.and(0x03ff);
        IntVector normal = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).add(112 << 23);
        IntVector special = mant.lanewise(VectorOperators.LSHL, 13).or(0x7f800000);
        IntVector magnitude = normal.blend(special, exp.compare(VectorOperators.EQ, 0x7c00));
        FloatVector sub = ((FloatVector) mant.convert(VectorOperators.I2F, 0)).mul(0x1p-24f);
        FloatVector value = magnitude.reinterpretAsFloats().blend(sub, exp.compare(VectorOperators.EQ, 0).cast(S));
        return value.reinterpretAsInts().or(sign).reinterpretAsFloats();
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
                if (b.array() != null) {
                    packTransposedPanelHeap(b, p0, kc, j0 + jp, dst, d);
                } else {
                    packTransposedPanelSegment(b, p0, kc, j0 + jp, dst, d);
                }
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

    /** Packs one full panel of a transposed heap B (see {@link #packB}). */
    private static void packTransposedPanelHeap(MatrixOperand b, int p0, int kc, int j, float[] dst, int d) {
        float[] src = b.array();
        int nr = 3 * L;
        long cs = b.colStride();
        int full = kc / L * L;
        for (int g = 0; g < 3; g++) {
            long col = b.offset() + (long) (j + g * L) * cs + p0;
            for (int p = 0; p < full; p += L) {
                int s = (int) (col + p);
                int c = (int) cs;
                int o = d + p * nr + g * L;
                FloatVector r0 = FloatVector.fromArray(S, src, s);
                FloatVector r1 = FloatVector.fromArray(S, src, s + c);
                FloatVector r2 = FloatVector.fromArray(S, src, s + 2 * c);
                FloatVector r3 = FloatVector.fromArray(S, src, s + 3 * c);
                FloatVector r4 = FloatVector.fromArray(S, src, s + 4 * c);
                FloatVector r5 = FloatVector.fromArray(S, src, s + 5 * c);
                FloatVector r6 = FloatVector.fromArray(S, src, s + 6 * c);
                FloatVector r7 = FloatVector.fromArray(S, src, s + 7 * c);
                FloatVector r8 = FloatVector.fromArray(S, src, s + 8 * c);
                FloatVector r9 = FloatVector.fromArray(S, src, s + 9 * c);
                FloatVector r10 = FloatVector.fromArray(S, src, s + 10 * c);
                FloatVector r11 = FloatVector.fromArray(S, src, s + 11 * c);
                FloatVector r12 = FloatVector.fromArray(S, src, s + 12 * c);
                FloatVector r13 = FloatVector.fromArray(S, src, s + 13 * c);
                FloatVector r14 = FloatVector.fromArray(S, src, s + 14 * c);
                FloatVector r15 = FloatVector.fromArray(S, src, s + 15 * c);
                FloatVector t0a = LO8.selectFrom(r0, r8), t0i = HI8.selectFrom(r0, r8);
                FloatVector t0b = LO8.selectFrom(r1, r9), t0j = HI8.selectFrom(r1, r9);
                FloatVector t0c = LO8.selectFrom(r2, r10), t0k = HI8.selectFrom(r2, r10);
                FloatVector t0d = LO8.selectFrom(r3, r11), t0l = HI8.selectFrom(r3, r11);
                FloatVector t0e = LO8.selectFrom(r4, r12), t0m = HI8.selectFrom(r4, r12);
                FloatVector t0f = LO8.selectFrom(r5, r13), t0n = HI8.selectFrom(r5, r13);
                FloatVector t0g = LO8.selectFrom(r6, r14), t0o = HI8.selectFrom(r6, r14);
                FloatVector t0h = LO8.selectFrom(r7, r15), t0p = HI8.selectFrom(r7, r15);
                FloatVector t1a = LO4.selectFrom(t0a, t0e), t1e = HI4.selectFrom(t0a, t0e);
                FloatVector t1b = LO4.selectFrom(t0b, t0f), t1f = HI4.selectFrom(t0b, t0f);
                FloatVector t1c = LO4.selectFrom(t0c, t0g), t1g = HI4.selectFrom(t0c, t0g);
                FloatVector t1d = LO4.selectFrom(t0d, t0h), t1h = HI4.selectFrom(t0d, t0h);
                FloatVector t1i = LO4.selectFrom(t0i, t0m), t1m = HI4.selectFrom(t0i, t0m);
                FloatVector t1j = LO4.selectFrom(t0j, t0n), t1n = HI4.selectFrom(t0j, t0n);
                FloatVector t1k = LO4.selectFrom(t0k, t0o), t1o = HI4.selectFrom(t0k, t0o);
                FloatVector t1l = LO4.selectFrom(t0l, t0p), t1p = HI4.selectFrom(t0l, t0p);
                FloatVector t2a = LO2.selectFrom(t1a, t1c), t2c = HI2.selectFrom(t1a, t1c);
                FloatVector t2b = LO2.selectFrom(t1b, t1d), t2d = HI2.selectFrom(t1b, t1d);
                FloatVector t2e = LO2.selectFrom(t1e, t1g), t2g = HI2.selectFrom(t1e, t1g);
                FloatVector t2f = LO2.selectFrom(t1f, t1h), t2h = HI2.selectFrom(t1f, t1h);
                FloatVector t2i = LO2.selectFrom(t1i, t1k), t2k = HI2.selectFrom(t1i, t1k);
                FloatVector t2j = LO2.selectFrom(t1j, t1l), t2l = HI2.selectFrom(t1j, t1l);
                FloatVector t2m = LO2.selectFrom(t1m, t1o), t2o = HI2.selectFrom(t1m, t1o);
                FloatVector t2n = LO2.selectFrom(t1n, t1p), t2p = HI2.selectFrom(t1n, t1p);
                FloatVector t3a = LO1.selectFrom(t2a, t2b), t3b = HI1.selectFrom(t2a, t2b);
                FloatVector t3c = LO1.selectFrom(t2c, t2d), t3d = HI1.selectFrom(t2c, t2d);
                FloatVector t3e = LO1.selectFrom(t2e, t2f), t3f = HI1.selectFrom(t2e, t2f);
                FloatVector t3g = LO1.selectFrom(t2g, t2h), t3h = HI1.selectFrom(t2g, t2h);
                FloatVector t3i = LO1.selectFrom(t2i, t2j), t3j = HI1.selectFrom(t2i, t2j);
                FloatVector t3k = LO1.selectFrom(t2k, t2l), t3l = HI1.selectFrom(t2k, t2l);
                FloatVector t3m = LO1.selectFrom(t2m, t2n), t3n = HI1.selectFrom(t2m, t2n);
                FloatVector t3o = LO1.selectFrom(t2o, t2p), t3p = HI1.selectFrom(t2o, t2p);
                t3a.intoArray(dst, o);
                t3b.intoArray(dst, o + 1 * nr);
                t3c.intoArray(dst, o + 2 * nr);
                t3d.intoArray(dst, o + 3 * nr);
                t3e.intoArray(dst, o + 4 * nr);
                t3f.intoArray(dst, o + 5 * nr);
                t3g.intoArray(dst, o + 6 * nr);
                t3h.intoArray(dst, o + 7 * nr);
                t3i.intoArray(dst, o + 8 * nr);
                t3j.intoArray(dst, o + 9 * nr);
                t3k.intoArray(dst, o + 10 * nr);
                t3l.intoArray(dst, o + 11 * nr);
                t3m.intoArray(dst, o + 12 * nr);
                t3n.intoArray(dst, o + 13 * nr);
                t3o.intoArray(dst, o + 14 * nr);
                t3p.intoArray(dst, o + 15 * nr);
            }
            for (int p = full; p < kc; p++) {
                for (int jj = 0; jj < L; jj++) {
                    dst[d + p * nr + g * L + jj] = b.get(p0 + p, j + g * L + jj);
                }
            }
        }
    }

    /** Packs one full panel of a transposed segment B (see {@link #packB}). */
    private static void packTransposedPanelSegment(MatrixOperand b, int p0, int kc, int j, float[] dst, int d) {
        MemorySegment src = b.segment();
        int nr = 3 * L;
        long cs = b.colStride();
        int full = kc / L * L;
        for (int g = 0; g < 3; g++) {
            long col = b.offset() + (long) (j + g * L) * cs + p0;
            for (int p = 0; p < full; p += L) {
                long s = (col + p) * Float.BYTES;
                long c = cs * Float.BYTES;
                int o = d + p * nr + g * L;
                FloatVector r0 = FloatVector.fromMemorySegment(S, src, s, ByteOrder.LITTLE_ENDIAN);
                FloatVector r1 = FloatVector.fromMemorySegment(S, src, s + c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r2 = FloatVector.fromMemorySegment(S, src, s + 2 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r3 = FloatVector.fromMemorySegment(S, src, s + 3 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r4 = FloatVector.fromMemorySegment(S, src, s + 4 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r5 = FloatVector.fromMemorySegment(S, src, s + 5 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r6 = FloatVector.fromMemorySegment(S, src, s + 6 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r7 = FloatVector.fromMemorySegment(S, src, s + 7 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r8 = FloatVector.fromMemorySegment(S, src, s + 8 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r9 = FloatVector.fromMemorySegment(S, src, s + 9 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r10 = FloatVector.fromMemorySegment(S, src, s + 10 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r11 = FloatVector.fromMemorySegment(S, src, s + 11 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r12 = FloatVector.fromMemorySegment(S, src, s + 12 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r13 = FloatVector.fromMemorySegment(S, src, s + 13 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r14 = FloatVector.fromMemorySegment(S, src, s + 14 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector r15 = FloatVector.fromMemorySegment(S, src, s + 15 * c, ByteOrder.LITTLE_ENDIAN);
                FloatVector t0a = LO8.selectFrom(r0, r8), t0i = HI8.selectFrom(r0, r8);
                FloatVector t0b = LO8.selectFrom(r1, r9), t0j = HI8.selectFrom(r1, r9);
                FloatVector t0c = LO8.selectFrom(r2, r10), t0k = HI8.selectFrom(r2, r10);
                FloatVector t0d = LO8.selectFrom(r3, r11), t0l = HI8.selectFrom(r3, r11);
                FloatVector t0e = LO8.selectFrom(r4, r12), t0m = HI8.selectFrom(r4, r12);
                FloatVector t0f = LO8.selectFrom(r5, r13), t0n = HI8.selectFrom(r5, r13);
                FloatVector t0g = LO8.selectFrom(r6, r14), t0o = HI8.selectFrom(r6, r14);
                FloatVector t0h = LO8.selectFrom(r7, r15), t0p = HI8.selectFrom(r7, r15);
                FloatVector t1a = LO4.selectFrom(t0a, t0e), t1e = HI4.selectFrom(t0a, t0e);
                FloatVector t1b = LO4.selectFrom(t0b, t0f), t1f = HI4.selectFrom(t0b, t0f);
                FloatVector t1c = LO4.selectFrom(t0c, t0g), t1g = HI4.selectFrom(t0c, t0g);
                FloatVector t1d = LO4.selectFrom(t0d, t0h), t1h = HI4.selectFrom(t0d, t0h);
                FloatVector t1i = LO4.selectFrom(t0i, t0m), t1m = HI4.selectFrom(t0i, t0m);
                FloatVector t1j = LO4.selectFrom(t0j, t0n), t1n = HI4.selectFrom(t0j, t0n);
                FloatVector t1k = LO4.selectFrom(t0k, t0o), t1o = HI4.selectFrom(t0k, t0o);
                FloatVector t1l = LO4.selectFrom(t0l, t0p), t1p = HI4.selectFrom(t0l, t0p);
                FloatVector t2a = LO2.selectFrom(t1a, t1c), t2c = HI2.selectFrom(t1a, t1c);
                FloatVector t2b = LO2.selectFrom(t1b, t1d), t2d = HI2.selectFrom(t1b, t1d);
                FloatVector t2e = LO2.selectFrom(t1e, t1g), t2g = HI2.selectFrom(t1e, t1g);
                FloatVector t2f = LO2.selectFrom(t1f, t1h), t2h = HI2.selectFrom(t1f, t1h);
                FloatVector t2i = LO2.selectFrom(t1i, t1k), t2k = HI2.selectFrom(t1i, t1k);
                FloatVector t2j = LO2.selectFrom(t1j, t1l), t2l = HI2.selectFrom(t1j, t1l);
                FloatVector t2m = LO2.selectFrom(t1m, t1o), t2o = HI2.selectFrom(t1m, t1o);
                FloatVector t2n = LO2.selectFrom(t1n, t1p), t2p = HI2.selectFrom(t1n, t1p);
                FloatVector t3a = LO1.selectFrom(t2a, t2b), t3b = HI1.selectFrom(t2a, t2b);
                FloatVector t3c = LO1.selectFrom(t2c, t2d), t3d = HI1.selectFrom(t2c, t2d);
                FloatVector t3e = LO1.selectFrom(t2e, t2f), t3f = HI1.selectFrom(t2e, t2f);
                FloatVector t3g = LO1.selectFrom(t2g, t2h), t3h = HI1.selectFrom(t2g, t2h);
                FloatVector t3i = LO1.selectFrom(t2i, t2j), t3j = HI1.selectFrom(t2i, t2j);
                FloatVector t3k = LO1.selectFrom(t2k, t2l), t3l = HI1.selectFrom(t2k, t2l);
                FloatVector t3m = LO1.selectFrom(t2m, t2n), t3n = HI1.selectFrom(t2m, t2n);
                FloatVector t3o = LO1.selectFrom(t2o, t2p), t3p = HI1.selectFrom(t2o, t2p);
                t3a.intoArray(dst, o);
                t3b.intoArray(dst, o + 1 * nr);
                t3c.intoArray(dst, o + 2 * nr);
                t3d.intoArray(dst, o + 3 * nr);
                t3e.intoArray(dst, o + 4 * nr);
                t3f.intoArray(dst, o + 5 * nr);
                t3g.intoArray(dst, o + 6 * nr);
                t3h.intoArray(dst, o + 7 * nr);
                t3i.intoArray(dst, o + 8 * nr);
                t3j.intoArray(dst, o + 9 * nr);
                t3k.intoArray(dst, o + 10 * nr);
                t3l.intoArray(dst, o + 11 * nr);
                t3m.intoArray(dst, o + 12 * nr);
                t3n.intoArray(dst, o + 13 * nr);
                t3o.intoArray(dst, o + 14 * nr);
                t3p.intoArray(dst, o + 15 * nr);
            }
            for (int p = full; p < kc; p++) {
                for (int jj = 0; jj < L; jj++) {
                    dst[d + p * nr + g * L + jj] = b.get(p0 + p, j + g * L + jj);
                }
            }
        }
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
