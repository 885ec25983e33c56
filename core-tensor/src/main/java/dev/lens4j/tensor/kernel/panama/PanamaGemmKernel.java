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
 * registers, and C2 compiles the inner loop to 3 loads, 8 {@code vbroadcastss} and 24
 * {@code vfmadd231ps} with no spills. B micro-panels narrower than 3 vectors at the right edge of a
 * matrix use the 2- and 1-vector variants.
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
    public void tile(float[] a, int aOff, float[] b, int bOff, int width, int kc, float[] c, int cOff, int ldc, boolean load) {
        if (width == 3 * L) {
            tile8x3(a, aOff, b, bOff, kc, c, cOff, ldc, load);
        } else if (width == 2 * L) {
            tile8x2(a, aOff, b, bOff, kc, c, cOff, ldc, load);
        } else if (width == L) {
            tile8x1(a, aOff, b, bOff, kc, c, cOff, ldc, load);
        } else {
            throw new IllegalArgumentException("B micro-panel width " + width + " is not 1, 2 or 3 vectors of " + L);
        }
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

}
