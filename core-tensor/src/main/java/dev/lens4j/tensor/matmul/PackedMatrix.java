package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.Parallel;

/**
 * A right-hand GEMM operand {@code B [k, n]} packed once into the panel layout the micro-kernel
 * reads, for a matrix that is multiplied many times: a weight. {@link Gemm#multiply(MatrixOperand,
 * MatrixOperand, float[], int, int, boolean)} packs B on every call; with a {@code PackedMatrix} that
 * work (a read and a write of all of B per product, a fifth to a third of the time of a product with
 * 128 rows of A) is done once, at load. Packing is optional: it costs a float32 copy of the matrix
 * ({@link #bytes()}), so a memory-mapped checkpoint used in place (no copy, any storage type) simply
 * passes its {@link MatrixOperand} instead, and gets the same bits.
 *
 * <p>Layout: B's columns in panels of {@code nr} (the kernel's tile width, 48 with AVX-512, 16 with
 * AVX2); panel {@code q} holds columns {@code [q nr, q nr + w)} as a row-major {@code [k, w]} block at
 * {@code data[q * nr * k]}, where {@code w = nr} except for the last panel, whose width is its columns
 * rounded up to whole vectors (the padding is zero). Any depth block of a panel is contiguous, so the
 * GEMM can choose its cache blocking along k per call. Elements are float32 whatever B's storage (16-bit
 * weights are widened exactly while packing).
 *
 * <pre>{@code
 * PackedMatrix wIn = PackedMatrix.pack(weights.wIn());                       // [d_model, d_mlp], once at load
 * Gemm.multiplyPacked(x, wIn, hidden, 0, dMlp, Epilogue.biasGeluNew(bIn, 0)); // per forward pass: x [pos, d_model]
 * }</pre>
 *
 * <p>A packed matrix is immutable once made and may be shared between threads. It is tied to the
 * micro-kernel it was packed for (the one {@link Gemm} uses in this JVM).
 */
public final class PackedMatrix {

    private final int k;
    private final int n;
    private final int nr;
    private final GemmMicroKernel kernel;
    /** The panels, {@code [ceil(n / nr)][k][w]}; see the class comment. */
    final float[] data;

    private PackedMatrix(int k, int n, GemmMicroKernel kernel, float[] data) {
        this.k = k;
        this.n = n;
        this.nr = kernel.nr();
        this.kernel = kernel;
        this.data = data;
    }

    /**
     * Packs {@code b} for this JVM's GEMM kernel, on all of lens4j's threads when it is large.
     *
     * @param b the matrix {@code [k, n]}, any storage, storage type and strides, e.g. {@code W_in [d_model, d_mlp]}
     *        or the tied unembedding {@code W_E^T [d_model, d_vocab]}
     * @return the packed copy, float32
     * @throws IllegalArgumentException if b reaches outside its storage, or the packed copy would not fit a Java array
     */
    public static PackedMatrix pack(MatrixOperand b) {
        return pack(b, GemmKernels.preferred());
    }

    /** Packs {@code b} for a given kernel (tests run both tiles on one machine). */
    static PackedMatrix pack(MatrixOperand b, GemmMicroKernel kern) {
        if (b == null) {
            throw new IllegalArgumentException("PackedMatrix.pack: the matrix is null");
        }
        b.checkBounds(() -> "the matrix [" + b.rows() + ", " + b.cols() + "] to pack");
        int k = b.rows(), n = b.cols(), nr = kern.nr();
        int panels = BlockedGemm.ceilDiv(n, nr);
        long size = (long) k * BlockedGemm.paddedWidth(n, nr, kern.nrStep());
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("PackedMatrix.pack: [" + k + ", " + n + "] packs to " + size
                    + " floats, more than a Java array holds");
        }
        float[] data = new float[(int) size];
        if (k > 0 && n > 0) {
            boolean parallel = (double) k * n >= 1 << 18;
            Parallel.forRange(panels, parallel ? Math.max(1, panels / (4 * Parallel.threads())) : panels, (s, e) ->
                    BlockedGemm.packPanels(kern, b, s * nr, Math.min(n, e * nr), data, s * nr * k));
        }
        return new PackedMatrix(k, n, kern, data);
    }

    /**
     * The inner dimension.
     *
     * @return {@code k}, the rows of the matrix
     */
    public int rows() {
        return k;
    }

    /**
     * The output dimension.
     *
     * @return {@code n}, the columns of the matrix
     */
    public int cols() {
        return n;
    }

    /**
     * The memory the packed copy holds.
     *
     * @return bytes of the float32 panels, padding included
     */
    public long bytes() {
        return (long) data.length * Float.BYTES;
    }

    /** @return the panel width this matrix was packed with */
    int nr() {
        return nr;
    }

    /** @return the micro-kernel this matrix was packed for */
    GemmMicroKernel kernel() {
        return kernel;
    }

    @Override
    public String toString() {
        return "PackedMatrix[" + k + ", " + n + "] (" + kernel.name() + ", " + bytes() + " bytes)";
    }
}
