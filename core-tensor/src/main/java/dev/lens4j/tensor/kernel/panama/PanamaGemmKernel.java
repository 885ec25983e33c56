package dev.lens4j.tensor.kernel.panama;

import dev.lens4j.tensor.matmul.GemmMicroKernel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API micro-kernel of {@link dev.lens4j.tensor.matmul.Gemm}: a register tile of 8 rows by
 * up to 3 vectors (8 x 48 floats with AVX-512), 24 accumulators updated by one broadcast of A and
 * one fused multiply-add per vector for every step along the inner dimension.
 *
 * <p>With 16 lanes the tile uses 24 accumulators, 3 B vectors and one broadcast: 28 of the 32 vector
 * registers, and C2 compiles the inner loop to plain {@code vfmadd231ps} with no spills. Narrower B
 * micro-panels at the right edge of a matrix use the 2- and 1-vector variants; columns past the end
 * of C are handled by lane masks, rows past the end by all-false masks.
 *
 * <p>Loaded reflectively by {@code dev.lens4j.tensor.matmul.Gemm} so that the matmul package never
 * links against {@code jdk.incubator.vector}. The tile bodies are unrolled by hand (the same pattern
 * for every row) because C2 keeps only named locals in registers.
 */
public final class PanamaGemmKernel implements GemmMicroKernel {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 8;

    private PanamaGemmKernel() {}

    /**
     * Creates the kernel; called reflectively.
     *
     * @return the kernel
     */
    public static GemmMicroKernel create() {
        return new PanamaGemmKernel();
    }

    @Override
    public String name() {
        return "panama " + MR + "x" + (3 * L) + " (" + L + " lanes)";
    }

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return 3 * L;
    }

    @Override
    public int nrStep() {
        return L;
    }

    @Override
    public void tile(float[] a, int aOff, float[] b, int bOff, int width, int kc,
                     float[] c, int cOff, int ldc, int rows, int cols, boolean load) {
        if (width == 3 * L) {
            tile8x3(a, aOff, b, bOff, kc, c, cOff, ldc, rows, cols, load);
        } else if (width == 2 * L) {
            tile8x2(a, aOff, b, bOff, kc, c, cOff, ldc, rows, cols, load);
        } else if (width == L) {
            tile8x1(a, aOff, b, bOff, kc, c, cOff, ldc, rows, cols, load);
        } else {
            throw new IllegalArgumentException("B micro-panel width " + width + " is not 1, 2 or 3 vectors of " + L);
        }
    }

    /** The 8 x 3-vector tile; see {@link #tile} for the contract. */
    private static void tile8x3(float[] a, int ao, float[] b, int bo, int kc,
                                float[] c, int co, int ldc, int rows, int cols, boolean load) {
        // Rows past the end of C read and write nothing: their valid-column count is 0 and their
        // address is clamped to row 0. Only ints differ between the cases, never vectors, so C2
        // keeps every accumulator in a register.
        int in = load ? cols : 0;
        int o0 = co, i0 = in;
        int o1 = rows > 1 ? co + ldc : co, i1 = rows > 1 ? in : 0;
        int o2 = rows > 2 ? co + 2 * ldc : co, i2 = rows > 2 ? in : 0;
        int o3 = rows > 3 ? co + 3 * ldc : co, i3 = rows > 3 ? in : 0;
        int o4 = rows > 4 ? co + 4 * ldc : co, i4 = rows > 4 ? in : 0;
        int o5 = rows > 5 ? co + 5 * ldc : co, i5 = rows > 5 ? in : 0;
        int o6 = rows > 6 ? co + 6 * ldc : co, i6 = rows > 6 ? in : 0;
        int o7 = rows > 7 ? co + 7 * ldc : co, i7 = rows > 7 ? in : 0;
        FloatVector c00 = FloatVector.fromArray(S, c, o0, S.indexInRange(0, i0));
        FloatVector c01 = FloatVector.fromArray(S, c, o0 + L, S.indexInRange(L, i0));
        FloatVector c02 = FloatVector.fromArray(S, c, o0 + 2 * L, S.indexInRange(2 * L, i0));
        FloatVector c10 = FloatVector.fromArray(S, c, o1, S.indexInRange(0, i1));
        FloatVector c11 = FloatVector.fromArray(S, c, o1 + L, S.indexInRange(L, i1));
        FloatVector c12 = FloatVector.fromArray(S, c, o1 + 2 * L, S.indexInRange(2 * L, i1));
        FloatVector c20 = FloatVector.fromArray(S, c, o2, S.indexInRange(0, i2));
        FloatVector c21 = FloatVector.fromArray(S, c, o2 + L, S.indexInRange(L, i2));
        FloatVector c22 = FloatVector.fromArray(S, c, o2 + 2 * L, S.indexInRange(2 * L, i2));
        FloatVector c30 = FloatVector.fromArray(S, c, o3, S.indexInRange(0, i3));
        FloatVector c31 = FloatVector.fromArray(S, c, o3 + L, S.indexInRange(L, i3));
        FloatVector c32 = FloatVector.fromArray(S, c, o3 + 2 * L, S.indexInRange(2 * L, i3));
        FloatVector c40 = FloatVector.fromArray(S, c, o4, S.indexInRange(0, i4));
        FloatVector c41 = FloatVector.fromArray(S, c, o4 + L, S.indexInRange(L, i4));
        FloatVector c42 = FloatVector.fromArray(S, c, o4 + 2 * L, S.indexInRange(2 * L, i4));
        FloatVector c50 = FloatVector.fromArray(S, c, o5, S.indexInRange(0, i5));
        FloatVector c51 = FloatVector.fromArray(S, c, o5 + L, S.indexInRange(L, i5));
        FloatVector c52 = FloatVector.fromArray(S, c, o5 + 2 * L, S.indexInRange(2 * L, i5));
        FloatVector c60 = FloatVector.fromArray(S, c, o6, S.indexInRange(0, i6));
        FloatVector c61 = FloatVector.fromArray(S, c, o6 + L, S.indexInRange(L, i6));
        FloatVector c62 = FloatVector.fromArray(S, c, o6 + 2 * L, S.indexInRange(2 * L, i6));
        FloatVector c70 = FloatVector.fromArray(S, c, o7, S.indexInRange(0, i7));
        FloatVector c71 = FloatVector.fromArray(S, c, o7 + L, S.indexInRange(L, i7));
        FloatVector c72 = FloatVector.fromArray(S, c, o7 + 2 * L, S.indexInRange(2 * L, i7));
        // rank-1 updates, one per k: 3 vectors of B, 8 broadcasts of A, 24 FMAs
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
        // write back the valid part of the tile
        int n0 = cols;
        int n1 = rows > 1 ? cols : 0;
        int n2 = rows > 2 ? cols : 0;
        int n3 = rows > 3 ? cols : 0;
        int n4 = rows > 4 ? cols : 0;
        int n5 = rows > 5 ? cols : 0;
        int n6 = rows > 6 ? cols : 0;
        int n7 = rows > 7 ? cols : 0;
        c00.intoArray(c, o0, S.indexInRange(0, n0));
        c01.intoArray(c, o0 + L, S.indexInRange(L, n0));
        c02.intoArray(c, o0 + 2 * L, S.indexInRange(2 * L, n0));
        c10.intoArray(c, o1, S.indexInRange(0, n1));
        c11.intoArray(c, o1 + L, S.indexInRange(L, n1));
        c12.intoArray(c, o1 + 2 * L, S.indexInRange(2 * L, n1));
        c20.intoArray(c, o2, S.indexInRange(0, n2));
        c21.intoArray(c, o2 + L, S.indexInRange(L, n2));
        c22.intoArray(c, o2 + 2 * L, S.indexInRange(2 * L, n2));
        c30.intoArray(c, o3, S.indexInRange(0, n3));
        c31.intoArray(c, o3 + L, S.indexInRange(L, n3));
        c32.intoArray(c, o3 + 2 * L, S.indexInRange(2 * L, n3));
        c40.intoArray(c, o4, S.indexInRange(0, n4));
        c41.intoArray(c, o4 + L, S.indexInRange(L, n4));
        c42.intoArray(c, o4 + 2 * L, S.indexInRange(2 * L, n4));
        c50.intoArray(c, o5, S.indexInRange(0, n5));
        c51.intoArray(c, o5 + L, S.indexInRange(L, n5));
        c52.intoArray(c, o5 + 2 * L, S.indexInRange(2 * L, n5));
        c60.intoArray(c, o6, S.indexInRange(0, n6));
        c61.intoArray(c, o6 + L, S.indexInRange(L, n6));
        c62.intoArray(c, o6 + 2 * L, S.indexInRange(2 * L, n6));
        c70.intoArray(c, o7, S.indexInRange(0, n7));
        c71.intoArray(c, o7 + L, S.indexInRange(L, n7));
        c72.intoArray(c, o7 + 2 * L, S.indexInRange(2 * L, n7));
    }

    /** The 8 x 2-vector tile; see {@link #tile} for the contract. */
    private static void tile8x2(float[] a, int ao, float[] b, int bo, int kc,
                                float[] c, int co, int ldc, int rows, int cols, boolean load) {
        // Rows past the end of C read and write nothing: their valid-column count is 0 and their
        // address is clamped to row 0. Only ints differ between the cases, never vectors, so C2
        // keeps every accumulator in a register.
        int in = load ? cols : 0;
        int o0 = co, i0 = in;
        int o1 = rows > 1 ? co + ldc : co, i1 = rows > 1 ? in : 0;
        int o2 = rows > 2 ? co + 2 * ldc : co, i2 = rows > 2 ? in : 0;
        int o3 = rows > 3 ? co + 3 * ldc : co, i3 = rows > 3 ? in : 0;
        int o4 = rows > 4 ? co + 4 * ldc : co, i4 = rows > 4 ? in : 0;
        int o5 = rows > 5 ? co + 5 * ldc : co, i5 = rows > 5 ? in : 0;
        int o6 = rows > 6 ? co + 6 * ldc : co, i6 = rows > 6 ? in : 0;
        int o7 = rows > 7 ? co + 7 * ldc : co, i7 = rows > 7 ? in : 0;
        FloatVector c00 = FloatVector.fromArray(S, c, o0, S.indexInRange(0, i0));
        FloatVector c01 = FloatVector.fromArray(S, c, o0 + L, S.indexInRange(L, i0));
        FloatVector c10 = FloatVector.fromArray(S, c, o1, S.indexInRange(0, i1));
        FloatVector c11 = FloatVector.fromArray(S, c, o1 + L, S.indexInRange(L, i1));
        FloatVector c20 = FloatVector.fromArray(S, c, o2, S.indexInRange(0, i2));
        FloatVector c21 = FloatVector.fromArray(S, c, o2 + L, S.indexInRange(L, i2));
        FloatVector c30 = FloatVector.fromArray(S, c, o3, S.indexInRange(0, i3));
        FloatVector c31 = FloatVector.fromArray(S, c, o3 + L, S.indexInRange(L, i3));
        FloatVector c40 = FloatVector.fromArray(S, c, o4, S.indexInRange(0, i4));
        FloatVector c41 = FloatVector.fromArray(S, c, o4 + L, S.indexInRange(L, i4));
        FloatVector c50 = FloatVector.fromArray(S, c, o5, S.indexInRange(0, i5));
        FloatVector c51 = FloatVector.fromArray(S, c, o5 + L, S.indexInRange(L, i5));
        FloatVector c60 = FloatVector.fromArray(S, c, o6, S.indexInRange(0, i6));
        FloatVector c61 = FloatVector.fromArray(S, c, o6 + L, S.indexInRange(L, i6));
        FloatVector c70 = FloatVector.fromArray(S, c, o7, S.indexInRange(0, i7));
        FloatVector c71 = FloatVector.fromArray(S, c, o7 + L, S.indexInRange(L, i7));
        // rank-1 updates, one per k: 2 vectors of B, 8 broadcasts of A, 16 FMAs
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
        // write back the valid part of the tile
        int n0 = cols;
        int n1 = rows > 1 ? cols : 0;
        int n2 = rows > 2 ? cols : 0;
        int n3 = rows > 3 ? cols : 0;
        int n4 = rows > 4 ? cols : 0;
        int n5 = rows > 5 ? cols : 0;
        int n6 = rows > 6 ? cols : 0;
        int n7 = rows > 7 ? cols : 0;
        c00.intoArray(c, o0, S.indexInRange(0, n0));
        c01.intoArray(c, o0 + L, S.indexInRange(L, n0));
        c10.intoArray(c, o1, S.indexInRange(0, n1));
        c11.intoArray(c, o1 + L, S.indexInRange(L, n1));
        c20.intoArray(c, o2, S.indexInRange(0, n2));
        c21.intoArray(c, o2 + L, S.indexInRange(L, n2));
        c30.intoArray(c, o3, S.indexInRange(0, n3));
        c31.intoArray(c, o3 + L, S.indexInRange(L, n3));
        c40.intoArray(c, o4, S.indexInRange(0, n4));
        c41.intoArray(c, o4 + L, S.indexInRange(L, n4));
        c50.intoArray(c, o5, S.indexInRange(0, n5));
        c51.intoArray(c, o5 + L, S.indexInRange(L, n5));
        c60.intoArray(c, o6, S.indexInRange(0, n6));
        c61.intoArray(c, o6 + L, S.indexInRange(L, n6));
        c70.intoArray(c, o7, S.indexInRange(0, n7));
        c71.intoArray(c, o7 + L, S.indexInRange(L, n7));
    }

    /** The 8 x 1-vector tile; see {@link #tile} for the contract. */
    private static void tile8x1(float[] a, int ao, float[] b, int bo, int kc,
                                float[] c, int co, int ldc, int rows, int cols, boolean load) {
        // Rows past the end of C read and write nothing: their valid-column count is 0 and their
        // address is clamped to row 0. Only ints differ between the cases, never vectors, so C2
        // keeps every accumulator in a register.
        int in = load ? cols : 0;
        int o0 = co, i0 = in;
        int o1 = rows > 1 ? co + ldc : co, i1 = rows > 1 ? in : 0;
        int o2 = rows > 2 ? co + 2 * ldc : co, i2 = rows > 2 ? in : 0;
        int o3 = rows > 3 ? co + 3 * ldc : co, i3 = rows > 3 ? in : 0;
        int o4 = rows > 4 ? co + 4 * ldc : co, i4 = rows > 4 ? in : 0;
        int o5 = rows > 5 ? co + 5 * ldc : co, i5 = rows > 5 ? in : 0;
        int o6 = rows > 6 ? co + 6 * ldc : co, i6 = rows > 6 ? in : 0;
        int o7 = rows > 7 ? co + 7 * ldc : co, i7 = rows > 7 ? in : 0;
        FloatVector c00 = FloatVector.fromArray(S, c, o0, S.indexInRange(0, i0));
        FloatVector c10 = FloatVector.fromArray(S, c, o1, S.indexInRange(0, i1));
        FloatVector c20 = FloatVector.fromArray(S, c, o2, S.indexInRange(0, i2));
        FloatVector c30 = FloatVector.fromArray(S, c, o3, S.indexInRange(0, i3));
        FloatVector c40 = FloatVector.fromArray(S, c, o4, S.indexInRange(0, i4));
        FloatVector c50 = FloatVector.fromArray(S, c, o5, S.indexInRange(0, i5));
        FloatVector c60 = FloatVector.fromArray(S, c, o6, S.indexInRange(0, i6));
        FloatVector c70 = FloatVector.fromArray(S, c, o7, S.indexInRange(0, i7));
        // rank-1 updates, one per k: 1 vector of B, 8 broadcasts of A, 8 FMAs
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
        // write back the valid part of the tile
        int n0 = cols;
        int n1 = rows > 1 ? cols : 0;
        int n2 = rows > 2 ? cols : 0;
        int n3 = rows > 3 ? cols : 0;
        int n4 = rows > 4 ? cols : 0;
        int n5 = rows > 5 ? cols : 0;
        int n6 = rows > 6 ? cols : 0;
        int n7 = rows > 7 ? cols : 0;
        c00.intoArray(c, o0, S.indexInRange(0, n0));
        c10.intoArray(c, o1, S.indexInRange(0, n1));
        c20.intoArray(c, o2, S.indexInRange(0, n2));
        c30.intoArray(c, o3, S.indexInRange(0, n3));
        c40.intoArray(c, o4, S.indexInRange(0, n4));
        c50.intoArray(c, o5, S.indexInRange(0, n5));
        c60.intoArray(c, o6, S.indexInRange(0, n6));
        c70.intoArray(c, o7, S.indexInRange(0, n7));
    }

}
