package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.Parallel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

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
 * <p>A bfloat16 matrix can instead be packed as it is stored ({@link #packBfloat16}): the same panels,
 * each holding its {@code [k, w]} block as {@code ceil(k / 2)} rows of {@code w} ints, int {@code (t, j)}
 * the bfloat16 bits of {@code B[2t, j]} in its low half and of {@code B[2t + 1, j]} in its high half
 * (zero past the last row). A copy of the file's bytes rather than twice them; a product of a few rows
 * (a decoding step) streams it at 2 bytes per element, widening in registers with one shift or one mask
 * per element pair and no shuffles, and a product of many rows widens one panel at a time as it goes.
 * The bits are those of the float32 copy.
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
    /** The panels, {@code [ceil(n / nr)][k][w]}; see the class comment. Null when packed as bfloat16. */
    final float[] data;
    /** The bfloat16 panels, {@code [ceil(n / nr)][ceil(k / 2)][w]} pairs; see the class comment. Null for float32. */
    final int[] pairs;

    private PackedMatrix(int k, int n, GemmMicroKernel kernel, float[] data, int[] pairs) {
        this.k = k;
        this.n = n;
        this.nr = kernel.nr();
        this.kernel = kernel;
        this.data = data;
        this.pairs = pairs;
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
        float[] data = new float[size("pack", k, n, k, kern, "floats")];
        forPanels(k, n, nr, (s, e) -> BlockedGemm.packPanels(kern, b, s * nr, Math.min(n, e * nr), data, s * nr * k));
        return new PackedMatrix(k, n, kern, data, null);
    }

    /**
     * Packs a bfloat16 matrix for this JVM's GEMM kernel as bfloat16 (see the class comment): a copy of
     * its stored bytes, in the panel layout, for a weight kept 16-bit (a memory-mapped bfloat16
     * checkpoint) that is multiplied many times, above all by a decoding step's single row. On all of
     * lens4j's threads when it is large.
     *
     * @param b the matrix {@code [k, n]}, bfloat16 storage (a {@code short[]} or memory), any strides
     * @return the packed copy, 2 bytes per element
     * @throws IllegalArgumentException if b is not bfloat16, reaches outside its storage, or the packed
     *     copy would not fit a Java array
     */
    public static PackedMatrix packBfloat16(MatrixOperand b) {
        return packBfloat16(b, GemmKernels.preferred());
    }

    /** Packs a bfloat16 {@code b} as bfloat16 pairs for a given kernel (tests run both tiles on one machine). */
    static PackedMatrix packBfloat16(MatrixOperand b, GemmMicroKernel kern) {
        if (b == null) {
            throw new IllegalArgumentException("PackedMatrix.packBfloat16: the matrix is null");
        }
        if (b.type() != StorageType.BF16) {
            throw new IllegalArgumentException("PackedMatrix.packBfloat16: the matrix [" + b.rows() + ", " + b.cols()
                    + "] is stored as " + b.type() + ", not BF16 (pack() copies any storage as float32)");
        }
        b.checkBounds(() -> "the matrix [" + b.rows() + ", " + b.cols() + "] to pack");
        int k = b.rows(), n = b.cols(), nr = kern.nr(), kp = (k + 1) / 2;
        int[] pairs = new int[size("packBfloat16", k, n, kp, kern, "ints")];
        forPanels(k, n, nr, (s, e) -> {
            short[] run = new short[Math.max(k, nr)];
            for (int q = s; q < e; q++) {
                packPairPanel(b, kern, q, pairs, run);
            }
        });
        return new PackedMatrix(k, n, kern, null, pairs);
    }

    /** Packs panel {@code q} of a bfloat16 b into {@code pairs}; {@code run} is scratch of max(k, nr) shorts. */
    private static void packPairPanel(MatrixOperand b, GemmMicroKernel kern, int q, int[] pairs, short[] run) {
        int k = b.rows(), nr = kern.nr(), kp = (k + 1) / 2;
        int j0 = q * nr, cols = Math.min(nr, b.cols() - j0);
        int w = GemmPacking.panelWidth(cols, kern.nrStep());
        int base = q * nr * kp;
        if (b.rowStride() == 1) {
            // a column is contiguous along k (the [out, in] layout of a Hugging Face weight): the kernel's
            // transposes, then column by column for the steps they leave
            int done = kern.packPairsTransposed(b, j0, cols, pairs, base, w);
            for (int j = 0; j < cols && done < k; j++) {
                bits(b, b.offset() + (j0 + j) * b.colStride() + done, k - done, run);
                for (int t = done / 2; t < kp; t++) {
                    int lo = 2 * t - done, hi = lo + 1 < k - done ? run[lo + 1] << 16 : 0;
                    pairs[base + t * w + j] = hi | (run[lo] & 0xffff);
                }
            }
            return;
        }
        // row by row (one contiguous run when the column stride is 1)
        for (int p = 0; p < k; p++) {
            if (b.colStride() == 1) {
                bits(b, b.offset() + p * b.rowStride() + j0, cols, run);
            } else {
                for (int j = 0; j < cols; j++) {
                    run[j] = (short) (Float.floatToRawIntBits(b.get(p, j0 + j)) >>> 16);
                }
            }
            int at = base + p / 2 * w;
            for (int j = 0; j < cols; j++) {
                pairs[at + j] |= (p & 1) == 0 ? run[j] & 0xffff : run[j] << 16;
            }
        }
    }

    /** Copies {@code count} consecutive 16-bit elements of b's storage, from element index {@code idx}. */
    private static void bits(MatrixOperand b, long idx, int count, short[] dst) {
        if (b.halves() != null) {
            System.arraycopy(b.halves(), (int) idx, dst, 0, count);
        } else {
            MemorySegment.copy(b.segment(), S16, idx * 2, dst, 0, count);
        }
    }

    private static final ValueLayout.OfShort S16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * The bytes a packed copy of a {@code [rows, cols]} matrix takes for this JVM's GEMM kernel, padding
     * included, without packing it: what {@link #bytes()} gives for {@link #packBfloat16} of a bfloat16
     * matrix, and for {@link #pack} of any other.
     *
     * @param rows the inner dimension {@code k}
     * @param cols the output dimension {@code n}
     * @param type the matrix's storage type
     * @return bytes
     * @throws IllegalArgumentException if a dimension is negative
     */
    public static long packedBytes(int rows, int cols, StorageType type) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("PackedMatrix.packedBytes: [" + rows + ", " + cols + "] has a negative dimension");
        }
        GemmMicroKernel kern = GemmKernels.preferred();
        long depth = type == StorageType.BF16 ? (rows + 1) / 2 : rows;
        return 4 * elements(depth, cols, kern);
    }

    /** Elements (floats, or ints of pairs) of {@code depth} packed rows of all panels of n columns, padding included. */
    private static long elements(long depth, int n, GemmMicroKernel kern) {
        return depth * BlockedGemm.paddedWidth(n, kern.nr(), kern.nrStep());
    }

    /** The length of the packed array, {@code depth} rows of all panels, checked to fit a Java array. */
    private static int size(String method, int k, int n, int depth, GemmMicroKernel kern, String unit) {
        long size = elements(depth, n, kern);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("PackedMatrix." + method + ": [" + k + ", " + n + "] packs to " + size
                    + " " + unit + ", more than a Java array holds");
        }
        return (int) size;
    }

    /** Runs {@code body} over ranges of the panels, on all threads when the matrix is large. */
    private static void forPanels(int k, int n, int nr, Parallel.RangeTask body) {
        if (k > 0 && n > 0) {
            int panels = BlockedGemm.ceilDiv(n, nr);
            boolean parallel = (double) k * n >= 1 << 18;
            Parallel.forRange(panels, parallel ? Math.max(1, panels / (4 * Parallel.threads())) : panels, body);
        }
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
     * @return bytes of the panels, padding included: 4 per element, or 2 when packed as bfloat16
     */
    public long bytes() {
        return data != null ? (long) data.length * Float.BYTES : (long) pairs.length * Integer.BYTES;
    }

    /**
     * How the elements are kept.
     *
     * @return {@link StorageType#F32}, or {@link StorageType#BF16} for {@link #packBfloat16}
     */
    public StorageType type() {
        return data != null ? StorageType.F32 : StorageType.BF16;
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
        return "PackedMatrix[" + k + ", " + n + "] (" + type() + ", " + kernel.name() + ", " + bytes() + " bytes)";
    }
}
