package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.Parallel;

import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;

/**
 * Single-precision matrix multiplication {@code C = A B} (or {@code C += A B}, or with a fused
 * {@link Epilogue}).
 *
 * <p>A and B are {@link MatrixOperand} views with any strides, over heap arrays or little-endian
 * native/mapped memory, stored as float32, bfloat16 or half precision ({@link StorageType}; 16-bit
 * values are widened exactly while packing); a transposed operand is just the same data with
 * swapped strides. C is a row-major region of a heap array. B is multiplied from panels of the
 * micro-kernel's width: packed on every call by {@link #multiply}, or packed once into a
 * {@link PackedMatrix} and multiplied by {@link #multiplyPacked} (a weight used many times). The
 * driver blocks for this CPU's caches and runs a register-tiled fused multiply-add micro-kernel (the
 * Vector API one when lens4j's SIMD kernels are enabled, see
 * {@link dev.lens4j.tensor.kernel.KernelProvider}); large products are split over
 * {@link Parallel}'s threads by row or column ranges. For one to four rows (a decoding step),
 * {@link Gemv} reads the weight once, in place, with the same results. Like any Vector API code, the
 * kernels run interpreted, and slowly, for the first few seconds of a JVM until C2 has compiled them.
 *
 * <p>Every element of C is computed as one chain of fused multiply-adds along the inner dimension,
 * in order: {@code c = fma(A[i,p], B[p,j], c)} for {@code p = 0 .. k-1}, starting from zero (or from
 * the old {@code C[i, j]} when accumulating, or from the bias of an {@link Epilogue}). Results are
 * therefore identical for every thread count, blocking, kernel, packing and storage type, and equal
 * to {@link #multiplyScalar}.
 *
 * <pre>{@code
 * float[] a = {1, 2, 3, 4, 5, 6};                       // [2, 3]
 * float[] c = new float[4];                             // [2, 2]
 * MatrixOperand x = MatrixOperand.rowMajor(a, 0, 2, 3);
 * Gemm.multiply(x, x.transpose(), c, 0, 2, false);      // x x^T = [[14, 32], [32, 77]]
 * }</pre>
 *
 * <p>C must not overlap A or B. Arguments are validated; a mismatch throws
 * {@link IllegalArgumentException} naming the shapes.
 */
public final class Gemm {

    /** Batched products with fewer flops per item than this are parallelised across the batch. */
    private static final double SMALL_ITEM_FLOPS = 16e6;
    /** Storage of the stand-in operand that carries a packed matrix's shape through the checks. */
    private static final float[] EMPTY = new float[1];

    private Gemm() {}

    /**
     * {@code C[m, n] (+)= A[m, k] B[k, n]}, on all of lens4j's threads when the product is large.
     *
     * @param a the left operand, {@code [m, k]}, any strides
     * @param b the right operand, {@code [k, n]}, any strides
     * @param c the output, row-major with leading dimension {@code ldc}
     * @param cOff index of {@code C[0, 0]}
     * @param ldc elements between consecutive rows of C, at least {@code n}
     * @param accumulate add to C instead of overwriting it
     * @throws IllegalArgumentException if the inner dimensions differ, an operand reaches outside its
     *         storage, or C cannot hold {@code [m, n]} at {@code cOff} with {@code ldc}
     */
    public static void multiply(MatrixOperand a, MatrixOperand b, float[] c, int cOff, int ldc, boolean accumulate) {
        check(a, b, c, cOff, ldc, "");
        BlockedGemm.multiply(GemmKernels.preferred(), a, b, c, cOff, ldc, accumulate, Epilogue.none(), true);
    }

    /**
     * {@code C[m, n] = epilogue(A[m, k] B[k, n])}: the product with a bias, {@code gelu_new} or a
     * residual fused in (see {@link Epilogue}); bit-identical to the separate steps.
     *
     * @param a the left operand, {@code [m, k]}, e.g. {@code ln2.hook_normalized} as {@code [batch * pos, d_model]}
     * @param b the right operand, {@code [k, n]}, any strides and storage type, e.g. {@code W_in [d_model, d_mlp]}
     * @param c the output, row-major with leading dimension {@code ldc}
     * @param cOff index of {@code C[0, 0]}
     * @param ldc elements between consecutive rows of C, at least {@code n}
     * @param epilogue what to do besides the product
     * @throws IllegalArgumentException as {@link #multiply(MatrixOperand, MatrixOperand, float[], int, int, boolean)},
     *         or if the bias or residual is too short
     */
    public static void multiply(MatrixOperand a, MatrixOperand b, float[] c, int cOff, int ldc, Epilogue epilogue) {
        check(a, b, c, cOff, ldc, "");
        checkEpilogue(epilogue, a.rows(), b.cols(), false, c, cOff, ldc, a, b.rows(), b.cols());
        BlockedGemm.multiply(GemmKernels.preferred(), a, b, c, cOff, ldc, false, epilogue, true);
    }

    /**
     * {@code C[m, n] (+)= A[m, k] B[k, n]} with B packed beforehand: the same bits as multiplying the
     * matrix B was packed from, without packing B again.
     *
     * @param a the left operand, {@code [m, k]}, any strides
     * @param b the right operand {@code [k, n]}, packed, e.g. a weight packed at load
     * @param c the output, row-major with leading dimension {@code ldc}
     * @param cOff index of {@code C[0, 0]}
     * @param ldc elements between consecutive rows of C, at least {@code n}
     * @param accumulate add to C instead of overwriting it
     * @throws IllegalArgumentException as {@link #multiply(MatrixOperand, MatrixOperand, float[], int, int, boolean)}
     */
    public static void multiplyPacked(MatrixOperand a, PackedMatrix b, float[] c, int cOff, int ldc, boolean accumulate) {
        checkPacked(a, b, c, cOff, ldc);
        BlockedGemm.multiplyPacked(b.kernel(), a, b, c, cOff, ldc, accumulate, Epilogue.none(), true);
    }

    /**
     * {@code C[m, n] = epilogue(A[m, k] B[k, n])} with B packed beforehand and an {@link Epilogue}
     * fused in: the engine's projection, e.g. {@code hook_post = gelu_new(x W_in + b_in)}.
     *
     * @param a the left operand, {@code [m, k]}, any strides
     * @param b the right operand {@code [k, n]}, packed
     * @param c the output, row-major with leading dimension {@code ldc}
     * @param cOff index of {@code C[0, 0]}
     * @param ldc elements between consecutive rows of C, at least {@code n}
     * @param epilogue what to do besides the product
     * @throws IllegalArgumentException as {@link #multiply(MatrixOperand, MatrixOperand, float[], int, int, Epilogue)}
     */
    public static void multiplyPacked(MatrixOperand a, PackedMatrix b, float[] c, int cOff, int ldc, Epilogue epilogue) {
        checkPacked(a, b, c, cOff, ldc);
        checkEpilogue(epilogue, a.rows(), b.cols(), false, c, cOff, ldc, a, b.rows(), b.cols());
        BlockedGemm.multiplyPacked(b.kernel(), a, b, c, cOff, ldc, false, epilogue, true);
    }

    /**
     * The scalar reference: the textbook triple loop, one {@link Math#fma} chain per element of C.
     * Kept as the oracle for tests and the baseline for benchmarks; it is slow.
     *
     * @param a the left operand, {@code [m, k]}, any strides
     * @param b the right operand, {@code [k, n]}, any strides
     * @param c the output, row-major with leading dimension {@code ldc}
     * @param cOff index of {@code C[0, 0]}
     * @param ldc elements between consecutive rows of C, at least {@code n}
     * @param accumulate add to C instead of overwriting it
     * @throws IllegalArgumentException as {@link #multiply}
     */
    public static void multiplyScalar(MatrixOperand a, MatrixOperand b, float[] c, int cOff, int ldc, boolean accumulate) {
        check(a, b, c, cOff, ldc, "");
        int m = a.rows(), n = b.cols(), k = a.cols();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int idx = cOff + i * ldc + j;
                float s = accumulate ? c[idx] : 0f;
                for (int p = 0; p < k; p++) {
                    s = Math.fma(a.get(i, p), b.get(p, j), s);
                }
                c[idx] = s;
            }
        }
    }

    /**
     * A batch of independent products {@code C_t (+)= A_t B_t}, {@code t = 0 .. batch-1}, e.g. the
     * attention scores of every (batch, head) pair. Small products run in parallel across the batch,
     * each on one thread; large ones one after the other, each split over all threads. Every item is
     * validated before anything is written.
     *
     * @param batch number of products
     * @param a {@code t -> A_t}, {@code [m_t, k_t]}
     * @param b {@code t -> B_t}, {@code [k_t, n_t]}
     * @param c the output array shared by all items
     * @param cOff {@code t -> } index of {@code C_t[0, 0]}; the items' regions must not overlap
     * @param ldc elements between consecutive rows of every {@code C_t}
     * @param accumulate add to C instead of overwriting it
     * @throws IllegalArgumentException if {@code batch < 0} or any item is invalid (as {@link #multiply})
     */
    public static void multiplyBatched(int batch, IntFunction<MatrixOperand> a, IntFunction<MatrixOperand> b,
                                       float[] c, IntUnaryOperator cOff, int ldc, boolean accumulate) {
        if (batch < 0) {
            throw new IllegalArgumentException("matmul: negative batch size " + batch);
        }
        MatrixOperand[] as = new MatrixOperand[batch];
        MatrixOperand[] bs = new MatrixOperand[batch];
        int[] offs = new int[batch];
        double maxFlops = 0;
        for (int t = 0; t < batch; t++) {
            as[t] = a.apply(t);
            bs[t] = b.apply(t);
            offs[t] = cOff.applyAsInt(t);
            check(as[t], bs[t], c, offs[t], ldc, "batch item " + t + ": ");
            maxFlops = Math.max(maxFlops, 2.0 * as[t].rows() * as[t].cols() * bs[t].cols());
        }
        GemmMicroKernel kern = GemmKernels.preferred();
        int threads = Parallel.threads();
        boolean acrossBatch = threads > 1 && batch > 1
                && (maxFlops < SMALL_ITEM_FLOPS || batch % threads == 0 || batch >= 4 * threads);
        if (acrossBatch) {
            Parallel.forRange(batch, 1, (s, e) -> {
                for (int t = s; t < e; t++) {
                    BlockedGemm.multiply(kern, as[t], bs[t], c, offs[t], ldc, accumulate, Epilogue.none(), false);
                }
            });
        } else {
            for (int t = 0; t < batch; t++) {
                BlockedGemm.multiply(kern, as[t], bs[t], c, offs[t], ldc, accumulate, Epilogue.none(), true);
            }
        }
    }

    /** Same as {@link #multiply} with an explicit kernel and parallelism; for tests and benchmarks. */
    static void multiplyWith(GemmMicroKernel kern, MatrixOperand a, MatrixOperand b, float[] c, int cOff, int ldc,
                             boolean accumulate, boolean parallel) {
        check(a, b, c, cOff, ldc, "");
        BlockedGemm.multiply(kern, a, b, c, cOff, ldc, accumulate, Epilogue.none(), parallel);
    }

    /** Same as {@link #multiplyPacked} with an explicit parallelism and epilogue; for tests. */
    static void multiplyPackedWith(MatrixOperand a, PackedMatrix b, float[] c, int cOff, int ldc, boolean accumulate,
                                   Epilogue epilogue, boolean parallel) {
        checkPacked(a, b, c, cOff, ldc);
        checkEpilogue(epilogue, a.rows(), b.cols(), accumulate, c, cOff, ldc, a, b.rows(), b.cols());
        BlockedGemm.multiplyPacked(b.kernel(), a, b, c, cOff, ldc, accumulate, epilogue, parallel);
    }

    private static void checkPacked(MatrixOperand a, PackedMatrix b, float[] c, int cOff, int ldc) {
        if (b == null) {
            throw new IllegalArgumentException("matmul: the packed B is null");
        }
        // the shapes and C are checked against a stand-in B of the packed matrix's shape
        check(a, new MatrixOperand(EMPTY, null, 0, b.rows(), b.cols(), 0, 0), c, cOff, ldc, "");
    }

    private static void checkEpilogue(Epilogue ep, int m, int n, boolean accumulate, float[] c, int cOff, int ldc,
                                      MatrixOperand a, int bRows, int bCols) {
        if (ep == null) {
            throw new IllegalArgumentException("matmul: the epilogue is null (use Epilogue.none())");
        }
        ep.check(m, n, accumulate, c, cOff, ldc, "[" + a.rows() + ", " + a.cols() + "] x [" + bRows + ", " + bCols + "]");
    }

    /**
     * The name of the micro-kernel in use.
     *
     * @return the name of the micro-kernel {@link #multiply} uses in this JVM
     */
    public static String kernelName() {
        return GemmKernels.preferred().name();
    }

    private static void check(MatrixOperand a, MatrixOperand b, float[] c, int cOff, int ldc, String what) {
        if (a == null || b == null || c == null) {
            throw new IllegalArgumentException("matmul: " + what + (a == null ? "A" : b == null ? "B" : "C")
                    + " is null");
        }
        // The message is built only on failure: small products (thousands per training step) would
        // otherwise spend a noticeable share of their time formatting it.
        Supplier<String> shapes = () -> "[" + a.rows() + ", " + a.cols() + "] x [" + b.rows() + ", " + b.cols() + "]";
        if (a.cols() != b.rows()) {
            throw new IllegalArgumentException("matmul: " + what + "inner dimensions differ: " + shapes.get());
        }
        a.checkBounds(() -> "A of " + what + shapes.get());
        b.checkBounds(() -> "B of " + what + shapes.get());
        int m = a.rows(), n = b.cols();
        if (m == 0 || n == 0) {
            return;
        }
        long last = (long) cOff + (long) (m - 1) * ldc + n;
        if (cOff < 0 || (m > 1 && ldc < n) || last > c.length) {
            throw new IllegalArgumentException("matmul: " + what + "C (length " + c.length + ") cannot hold the [" + m
                    + ", " + n + "] result of " + shapes.get() + " at offset " + cOff + " with row stride " + ldc);
        }
        if (c == a.array() && a.overlaps(cOff, last)) {
            throw new IllegalArgumentException("matmul: " + what + "C overlaps A in " + shapes.get());
        }
        if (c == b.array() && b.overlaps(cOff, last)) {
            throw new IllegalArgumentException("matmul: " + what + "C overlaps B in " + shapes.get());
        }
    }
}
