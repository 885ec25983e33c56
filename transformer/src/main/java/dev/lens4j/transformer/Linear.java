package dev.lens4j.transformer;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.tensor.kernel.Kernels;
import dev.lens4j.tensor.matmul.Epilogue;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.tensor.matmul.Gemv;
import dev.lens4j.tensor.matmul.MatrixOperand;
import dev.lens4j.tensor.matmul.PackedMatrix;

import java.util.Arrays;

/**
 * {@code out = x W + b} over rows of activations: the one place the forward pass multiplies by a
 * weight matrix.
 *
 * <p>Many rows (a prompt) go to {@link Gemm}. A few rows (one decoding step of a KV-cached
 * generation) are bound by reading the weights, and packing them for a GEMM would read them
 * three times; they take a matrix-vector path that streams each weight once: {@code axpy} over the
 * rows of a row-major heap {@code W}, or a dot product per column of a transposed one (the tied
 * unembedding {@code W_U = W_E^T}). A few rows times weights in memory-mapped or 16-bit storage go to
 * {@link Gemv}, which streams them in place (a bfloat16 weight at 2 bytes per element) and gives the
 * bits {@link Gemm} would. Many rows times a weight the model keeps packed ({@link PackedWeights}) go to
 * {@link Gemm#multiplyPacked}, with the same bits as packing it for the call.
 */
final class Linear {

    /** Up to this many rows take the matrix-vector path. */
    static final int GEMV_MAX_ROWS = 4;

    private Linear() {}

    /**
     * {@code out[r, :] = x[r, :] W + bias} for {@code r < rows}.
     *
     * @param p the pass: its kernels, for the matrix-vector paths (products of more rows are
     *          {@link Gemm}'s, whose sums are in a fixed order with either kernel), and its packed weights
     * @param x activations, row {@code r} at {@code x[xOff + r * ldx ...]}, {@code k} wide
     * @param w the weight {@code [k, n]}, any storage and strides
     * @param bias {@code [n]} starting at {@code bias[biasOff]}, or null
     * @param out output, row {@code r} at {@code out[outOff + r * ldo ...]}, {@code n} wide; must not overlap x
     */
    static void apply(Pass p, float[] x, int xOff, int ldx, int rows, MatrixOperand w, float[] bias, int biasOff,
                      float[] out, int outOff, int ldo) {
        // many rows pack the matrix if it has no packed copy yet; a decoding step's few rows use the copy an
        // earlier pass made (the prompt's), which streams in one contiguous run per panel, and pack only a
        // mapped 16-bit matrix (PackedWeights.forStep)
        PackedMatrix packed = p.packed == null || rows == 0 || w.cols() == 0 ? null
                : rows <= GEMV_MAX_ROWS ? p.packed.forStep(w, p.packing) : p.packed.get(w, p.packing);
        if (packed == null) {
            apply(p.kk, x, xOff, ldx, rows, w, bias, biasOff, out, outOff, ldo);
            return;
        }
        Gemm.multiplyPacked(new MatrixOperand(x, null, xOff, rows, w.rows(), ldx, 1), packed, out, outOff, ldo,
                bias == null ? Epilogue.none() : Epilogue.bias(bias, biasOff));
    }

    /**
     * {@link #apply(Pass, float[], int, int, int, MatrixOperand, float[], int, float[], int, int)} without
     * packed weights: W as it is.
     *
     * @param kk the kernels of the matrix-vector paths
     * @param x activations, row {@code r} at {@code x[xOff + r * ldx ...]}, {@code k} wide
     * @param w the weight {@code [k, n]}, any storage and strides
     * @param bias {@code [n]} starting at {@code bias[biasOff]}, or null
     * @param out output, row {@code r} at {@code out[outOff + r * ldo ...]}, {@code n} wide; must not overlap x
     */
    static void apply(Kernels kk, float[] x, int xOff, int ldx, int rows, MatrixOperand w, float[] bias, int biasOff,
                      float[] out, int outOff, int ldo) {
        int k = w.rows(), n = w.cols();
        if (rows == 0 || n == 0) {
            return;
        }
        if (rows <= GEMV_MAX_ROWS && w.array() != null && w.colStride() == 1) {
            gemvRowMajor(kk, x, xOff, ldx, rows, w, bias, biasOff, out, outOff, ldo);
            return;
        }
        if (rows <= GEMV_MAX_ROWS && w.array() != null && w.rowStride() == 1) {
            gemvTransposed(kk, x, xOff, ldx, rows, w, bias, biasOff, out, outOff, ldo);
            return;
        }
        if (rows <= GEMV_MAX_ROWS && w.array() == null) {
            // mapped or 16-bit weights: streamed once, widened in registers, with exactly Gemm's bits
            Gemv.multiply(x, xOff, ldx, rows, w, bias, biasOff, out, outOff, ldo);
            return;
        }
        // the products start from the bias inside the GEMM (the bits of copying it into out first and
        // accumulating, without that extra pass over out)
        Gemm.multiply(new MatrixOperand(x, null, xOff, rows, k, ldx, 1), w, out, outOff, ldo,
                bias == null ? Epilogue.none() : Epilogue.bias(bias, biasOff));
    }

    /**
     * {@link #apply} for some of the rows only: {@code out[r, :] = x[r, :] W + bias} for each r in
     * {@code rows}, with the bits a pass over all {@code total} rows gives them; the other rows of out are
     * left as they are. The rows are gathered and multiplied together (by {@link Gemv}, which gives the
     * GEMM's bits, when there are a few), so the cost is that of the chosen rows. A pass of at most
     * {@link #GEMV_MAX_ROWS} rows in all takes the matrix-vector path of {@link #apply}, whose bits depend
     * on the rows' count: it computes every row, as that pass would.
     *
     * @param p the pass
     * @param x activations {@code [total, k]}, row-major
     * @param total rows of x
     * @param rows the rows to compute, increasing
     * @param w the weight {@code [k, n]}
     * @param bias {@code [n]}, or null
     * @param out output {@code [total, n]}, row-major
     */
    static void applyRows(Pass p, float[] x, int total, int[] rows, MatrixOperand w, float[] bias, float[] out) {
        int k = w.rows(), n = w.cols();
        if (total <= GEMV_MAX_ROWS || rows.length == total) {
            apply(p, x, 0, k, total, w, bias, 0, out, 0, n);
            return;
        }
        int r = rows.length;
        if (r == 0 || n == 0) {
            return;
        }
        float[] xs = new float[r * k];
        for (int i = 0; i < r; i++) {
            System.arraycopy(x, rows[i] * k, xs, i * k, k);
        }
        float[] ys = new float[r * n];
        if (r <= Gemv.MAX_ROWS) {
            Gemv.multiply(xs, 0, k, r, w, bias, 0, ys, 0, n);
        } else {
            multiply(p, MatrixOperand.rowMajor(xs, 0, r, k), w, ys, 0, n, bias == null ? Epilogue.none() : Epilogue.bias(bias, 0));
        }
        for (int i = 0; i < r; i++) {
            System.arraycopy(ys, i * n, out, rows[i] * n, n);
        }
    }

    /** {@link Gemm#multiply} of many rows, from the packed copy of w when the pass has one (the same bits). */
    private static void multiply(Pass p, MatrixOperand a, MatrixOperand w, float[] out, int outOff, int ldo, Epilogue ep) {
        PackedMatrix packed = p.packed == null ? null : p.packed.get(w, p.packing);
        if (packed != null) {
            Gemm.multiplyPacked(a, packed, out, outOff, ldo, ep);
        } else {
            Gemm.multiply(a, w, out, outOff, ldo, ep);
        }
    }

    /**
     * {@code out = gelu_new(x W + bias)} in one pass over out when it is {@link Gemm}'s product (more
     * than {@link #GEMV_MAX_ROWS} rows) and the pass uses the default kernels, whose {@code geluNew}
     * the fused epilogue applies: the bits of {@link #apply} followed by {@code kk.geluNew}. Otherwise
     * returns false and does nothing.
     *
     * @param p the pass
     * @param x activations {@code [rows, k]}, row r at {@code x[r * k]}
     * @param rows number of rows
     * @param w the weight {@code [k, n]}
     * @param bias {@code [n]}
     * @param out output {@code [rows, n]}, row-major
     * @return whether it computed out
     */
    static boolean applyGeluNew(Pass p, float[] x, int rows, MatrixOperand w, float[] bias, float[] out) {
        if (rows <= GEMV_MAX_ROWS || p.kk != KernelProvider.kernels()) {
            return false;
        }
        multiply(p, MatrixOperand.rowMajor(x, 0, rows, w.rows()), w, out, 0, w.cols(), Epilogue.biasGeluNew(bias, 0));
        return true;
    }

    /**
     * A bias to add, or null when it is all zeros (so {@link #apply} skips adding it). Checked at each
     * call: weights may change between passes (training, a user's edit).
     *
     * @param bias a bias, or null
     * @return {@code bias}, or null when it is null or all zeros
     */
    static float[] unlessZero(float[] bias) {
        if (bias == null) {
            return null;
        }
        for (float v : bias) {
            if (v != 0f) {
                return bias;
            }
        }
        return null;
    }

    /**
     * The gradient with respect to the input of {@link #apply}: {@code dX[r, :] (+)= dY[r, :] W^T}.
     *
     * @param dy gradient of the output, row {@code r} at {@code dy[dyOff + r * ldy ...]}, {@code n} wide
     * @param w the weight {@code [k, n]}, any storage and strides
     * @param dx where to write, row {@code r} at {@code dx[dxOff + r * lddx ...]}, {@code k} wide
     * @param accumulate add to {@code dx} instead of overwriting it
     */
    static void backwardInput(float[] dy, int dyOff, int ldy, int rows, MatrixOperand w, float[] dx, int dxOff, int lddx,
                              boolean accumulate) {
        if (rows == 0 || w.rows() == 0) {
            return;
        }
        int n = w.cols(), k = w.rows();
        int[] live = nonzeroRows(dy, dyOff, ldy, rows, n);
        if (live.length == rows) {
            Gemm.multiply(new MatrixOperand(dy, null, dyOff, rows, n, ldy, 1), w.transpose(), dx, dxOff, lddx, accumulate);
            return;
        }
        // rows of dy that are all zero give rows of dX that are zero (or unchanged when accumulating): a metric
        // that reads a few positions (a logit difference) leaves most rows of the unembedding's gradient zero,
        // and the product runs over the other rows only. Each element is the GEMM's chain without its terms
        // 0 * w, which add nothing to it (for finite weights), so the bits are those of the whole product.
        if (!accumulate) {
            for (int r = 0, j = 0; r < rows; r++) {
                if (j < live.length && live[j] == r) {
                    j++;
                } else {
                    Arrays.fill(dx, dxOff + r * lddx, dxOff + r * lddx + k, 0f);
                }
            }
        }
        int m = live.length;
        if (m == 0) {
            return;
        }
        float[] a = new float[m * n];
        float[] c = new float[m * k];
        for (int i = 0; i < m; i++) {
            System.arraycopy(dy, dyOff + live[i] * ldy, a, i * n, n);
            if (accumulate) {
                System.arraycopy(dx, dxOff + live[i] * lddx, c, i * k, k);
            }
        }
        Gemm.multiply(MatrixOperand.rowMajor(a, 0, m, n), w.transpose(), c, 0, k, accumulate);
        for (int i = 0; i < m; i++) {
            System.arraycopy(c, i * k, dx, dxOff + live[i] * lddx, k);
        }
    }

    /** The rows of {@code [rows, n]} (row r at {@code a[off + r * ld]}) with a nonzero element, increasing. */
    static int[] nonzeroRows(float[] a, int off, int ld, int rows, int n) {
        int[] live = new int[rows];
        int count = 0;
        for (int r = 0; r < rows; r++) {
            int o = off + r * ld;
            for (int j = 0; j < n; j++) {
                if (a[o + j] != 0f) {
                    live[count++] = r;
                    break;
                }
            }
        }
        return count == rows ? live : Arrays.copyOf(live, count);
    }

    /**
     * Columns {@code [col, col + count)} of a weight, a view.
     *
     * @param w the weight {@code [k, n]}
     * @param col first column
     * @param count number of columns
     * @return {@code [k, count]}
     */
    static MatrixOperand columns(MatrixOperand w, int col, int count) {
        return w.colRange(col, count);
    }

    /**
     * Rows {@code [row, row + count)} of a weight, a view.
     *
     * @param w the weight {@code [k, n]}
     * @param row first row
     * @param count number of rows
     * @return {@code [count, n]}
     */
    static MatrixOperand rows(MatrixOperand w, int row, int count) {
        return w.rowRange(row, count);
    }

    /**
     * Chunks of the rows of W in the matrix-vector path; fixed, so that the sums, and so the results,
     * do not depend on the number of threads. Sixteen rather than eight: finer pieces left the two
     * threads of a decoding step less time waiting for each other (2-thread decoding of GPT-2 small
     * 45-51 -> 49-56 tokens per second).
     */
    private static final int K_CHUNKS = 16;

    /**
     * {@code W[p, j]} at {@code w[off + p * rs + j]}: the rows of W in {@link #K_CHUNKS} chunks, each
     * accumulated over whole rows into its own partial sum ({@code axpy} per row), then the partial
     * sums added in chunk order. A chunk of a row-major W is one contiguous run of memory, which the
     * hardware prefetchers stream at full speed, and chunks balance across threads (splitting the
     * columns instead left every thread short runs and ran two threads at half the speed of one).
     */
    private static void gemvRowMajor(Kernels kk, float[] x, int xOff, int ldx, int rows, MatrixOperand w, float[] bias, int biasOff,
                                   float[] out, int outOff, int ldo) {
        float[] wa = w.array();
        int k = w.rows(), n = w.cols();
        int rs = (int) w.rowStride();
        int base = (int) w.offset();
        int chunks = Math.min(K_CHUNKS, k);
        float[] partial = new float[chunks * rows * n];
        Parallel.forRange(chunks, 1, (s, e) -> {
            for (int c = s; c < e; c++) {
                int p0 = (int) ((long) k * c / chunks), p1 = (int) ((long) k * (c + 1) / chunks);
                for (int p = p0; p < p1; p++) {
                    for (int r = 0; r < rows; r++) {
                        kk.axpy(x[xOff + r * ldx + p], wa, base + p * rs, partial, (c * rows + r) * n, n);
                    }
                }
            }
        });
        int bl = block(n);
        int blocks = (n + bl - 1) / bl;
        Parallel.forRange(blocks, 1, (s, e) -> {
            for (int b = s; b < e; b++) {
                int j0 = b * bl, len = Math.min(n, j0 + bl) - j0;
                for (int r = 0; r < rows; r++) {
                    int o = outOff + r * ldo + j0;
                    if (bias != null) {
                        System.arraycopy(bias, biasOff + j0, out, o, len);
                    } else {
                        Arrays.fill(out, o, o + len, 0f);
                    }
                    for (int c = 0; c < chunks; c++) {
                        kk.add(out, o, partial, (c * rows + r) * n + j0, out, o, len);
                    }
                }
            }
        });
    }

    /** Columns per task of the matrix-vector paths. */
    private static int block(int n) {
        int pieces = Parallel.threads();
        return Math.max(64, (n / pieces + 15) / 16 * 16);
    }

    /** {@code W[p, j]} at {@code w[off + j * cs + p]}: one dot product per output column. */
    private static void gemvTransposed(Kernels kk, float[] x, int xOff, int ldx, int rows, MatrixOperand w, float[] bias, int biasOff,
                                       float[] out, int outOff, int ldo) {
        float[] wa = w.array();
        int k = w.rows(), n = w.cols();
        int cs = (int) w.colStride();
        int base = (int) w.offset();
        Parallel.forRange(n, 256, (s, e) -> {
            for (int j = s; j < e; j++) {
                int wo = base + j * cs;
                for (int r = 0; r < rows; r++) {
                    float dot = kk.dot(x, xOff + r * ldx, wa, wo, k);
                    out[outOff + r * ldo + j] = bias != null ? dot + bias[biasOff + j] : dot;
                }
            }
        });
    }
}
