package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.Parallel;
import java.util.Arrays;

/**
 * Matrix times a few vectors, {@code out[r, :] = x[r, :] W + bias} for up to {@link #MAX_ROWS} rows:
 * the product of one decoding step (one token per sequence), which reads every weight once and is
 * bound by memory bandwidth, not by arithmetic. Packing W for {@link Gemm} would read it three times;
 * this streams it once, in place, from any storage: a heap array, a memory-mapped checkpoint, float32,
 * bfloat16 or half precision (widened to float32 in registers, so a 16-bit weight costs half the bytes).
 *
 * <p>Every output element is one fused multiply-add chain along k, in order, starting from the bias
 * (or zero): {@code out[r, j] = fma(x[r, k-1], W[k-1, j], ... fma(x[r, 0], W[0, j], bias[j]))}. That is
 * the GEMM's contract, so the GEMV gives exactly the bits of
 * {@code Gemm.multiply(x, W, out, ..., Epilogue.bias(bias, biasOff))} (and of the scalar oracle): a
 * token decoded with a KV cache gets the logits of a full forward pass over its prefix, bit for bit.
 * Results do not depend on the number of threads (threads take disjoint column ranges).
 *
 * <pre>{@code
 * // one decoding step: x [1, d_model] (ln2.hook_normalized at the new position) times W_in [d_model, d_mlp]
 * Gemv.multiply(x, 0, dModel, 1, wIn, bIn, 0, hidden, 0, dMlp);     // hidden [1, d_mlp] = x W_in + b_in
 * }</pre>
 *
 * <p>Which weights stream at memory speed: a W with unit column stride (row-major {@code [k, n]},
 * e.g. {@code W_in}) and one with unit row stride (a transposed view, e.g. the tied unembedding
 * {@code W_E^T}); any other strides take a slower element-by-element path with the same results.
 */
public final class Gemv {

    /** The most rows one call takes; more rows are a GEMM. */
    public static final int MAX_ROWS = 4;

    /** Below this many bytes of W a product runs on the calling thread. */
    private static final long MIN_PARALLEL_BYTES = 256 * 1024;
    /** Threads take column ranges in units of this many columns (whole vectors, whole cache lines). */
    private static final int UNIT = 64;

    private Gemv() {}

    /**
     * {@code out[r, :] = x[r, :] W + bias} for {@code r < rows}, on all of lens4j's threads when W is large.
     *
     * @param x the activations {@code [rows, k]}, row r at {@code x[xOff + r * ldx]}, e.g. one position
     *        of {@code ln1.hook_normalized} per sequence
     * @param xOff index of {@code x[0, 0]}
     * @param ldx elements between rows of x, at least k when {@code rows > 1}
     * @param rows number of rows, 0 to {@link #MAX_ROWS}
     * @param w the weight {@code [k, n]}, any storage, storage type and strides, e.g. {@code W_in [d_model, d_mlp]}
     * @param bias the bias {@code [n]} from {@code biasOff}, or null for none
     * @param biasOff index of {@code bias[0]}
     * @param out the output {@code [rows, n]}, row r at {@code out[outOff + r * ldo]}; must not overlap x
     * @param outOff index of {@code out[0, 0]}
     * @param ldo elements between rows of out, at least n when {@code rows > 1}
     * @throws IllegalArgumentException naming the shapes if rows is out of range, an array is too short,
     *         W reaches outside its storage, or out overlaps x
     */
    public static void multiply(float[] x, int xOff, int ldx, int rows, MatrixOperand w, float[] bias, int biasOff,
                                float[] out, int outOff, int ldo) {
        check(x, xOff, ldx, rows, w, bias, biasOff, out, outOff, ldo);
        run(GemmKernels.preferredGemv(), x, xOff, ldx, rows, w, bias, biasOff, out, outOff, ldo, true);
    }

    /**
     * The name of the kernel in use.
     *
     * @return the name of the GEMV kernel {@link #multiply} uses in this JVM
     */
    public static String kernelName() {
        return GemmKernels.preferredGemv().name();
    }

    /** Same as {@link #multiply} with an explicit kernel and parallelism; for tests. */
    static void multiplyWith(GemvKernel kern, float[] x, int xOff, int ldx, int rows, MatrixOperand w, float[] bias,
                             int biasOff, float[] out, int outOff, int ldo, boolean parallel) {
        check(x, xOff, ldx, rows, w, bias, biasOff, out, outOff, ldo);
        run(kern, x, xOff, ldx, rows, w, bias, biasOff, out, outOff, ldo, parallel);
    }

    /**
     * {@link #multiply} on validated arguments; also {@link BlockedGemm}'s route for one to four rows times
     * a float32 B on the heap.
     */
    static void run(GemvKernel kern, float[] x, int xOff, int ldx, int rows, MatrixOperand w, float[] bias,
                    int biasOff, float[] out, int outOff, int ldo, boolean parallel) {
        int n = w.cols();
        if (rows == 0 || n == 0) {
            return;
        }
        // the chains start from the bias, or from zero
        for (int r = 0; r < rows; r++) {
            int o = outOff + r * ldo;
            if (bias != null) {
                System.arraycopy(bias, biasOff, out, o, n);
            } else {
                Arrays.fill(out, o, o + n, 0f);
            }
        }
        if (w.rows() == 0) {
            return;
        }
        int units = BlockedGemm.ceilDiv(n, UNIT);
        int threads = parallel && w.storedBytes() >= MIN_PARALLEL_BYTES ? Parallel.threads() : 1;
        Parallel.forRange(units, Math.max(1, units / threads), (s, e) -> {
            int j0 = s * UNIT, j1 = Math.min(n, e * UNIT);
            if (w.colStride() == 1) {
                kern.rowMajor(x, xOff, ldx, rows, w, j0, j1, out, outOff, ldo);
            } else if (w.rowStride() == 1) {
                kern.transposed(x, xOff, ldx, rows, w, j0, j1, out, outOff, ldo);
            } else {
                ScalarGemvKernel.general(x, xOff, ldx, rows, w, j0, j1, out, outOff, ldo);
            }
        });
    }

    private static void check(float[] x, int xOff, int ldx, int rows, MatrixOperand w, float[] bias, int biasOff,
                              float[] out, int outOff, int ldo) {
        if (x == null || w == null || out == null) {
            throw new IllegalArgumentException("gemv: " + (x == null ? "x" : w == null ? "W" : "out") + " is null");
        }
        int k = w.rows(), n = w.cols();
        String shapes = "[" + rows + ", " + k + "] x [" + k + ", " + n + "]";
        if (rows < 0 || rows > MAX_ROWS) {
            throw new IllegalArgumentException("gemv " + shapes + ": rows must be 0 to " + MAX_ROWS + " (more rows are a GEMM)");
        }
        w.checkBounds(() -> "W of gemv " + shapes);
        if (rows == 0) {
            return;
        }
        if (xOff < 0 || (rows > 1 && ldx < k) || (long) xOff + (long) (rows - 1) * ldx + k > x.length) {
            throw new IllegalArgumentException("gemv " + shapes + ": x (length " + x.length + ") cannot hold [" + rows
                    + ", " + k + "] at offset " + xOff + " with row stride " + ldx);
        }
        long outLast = (long) outOff + (long) (rows - 1) * ldo + n;
        if (outOff < 0 || (rows > 1 && ldo < n) || outLast > out.length) {
            throw new IllegalArgumentException("gemv " + shapes + ": out (length " + out.length + ") cannot hold [" + rows
                    + ", " + n + "] at offset " + outOff + " with row stride " + ldo);
        }
        if (bias != null && (biasOff < 0 || (long) biasOff + n > bias.length)) {
            throw new IllegalArgumentException("gemv " + shapes + ": bias (length " + bias.length + ") has no " + n
                    + " elements at offset " + biasOff);
        }
        if (out == x && outOff < (long) xOff + (long) (rows - 1) * ldx + k && xOff < outLast) {
            throw new IllegalArgumentException("gemv " + shapes + ": out overlaps x");
        }
        if (out == w.array() && w.overlaps(outOff, outLast)) {
            throw new IllegalArgumentException("gemv " + shapes + ": out overlaps W");
        }
    }
}
