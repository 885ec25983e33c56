package dev.lens4j.tensor.matmul;

/**
 * The innermost loop of {@link Gemm}: one register tile of {@code C} updated from packed panels.
 *
 * <p>This is an implementation interface between {@link Gemm} and its two kernels (a plain-Java one
 * in this package, a Vector API one in {@code dev.lens4j.tensor.kernel.panama}); application code
 * has no reason to call it.
 *
 * <p>Packed layouts, for a block of {@code kc} steps along the inner dimension:
 * <ul>
 *   <li>an A micro-panel is {@code mr()} rows of A stored column by column:
 *       {@code a[aOff + p * mr() + r] = A[row0 + r, p0 + p]}, rows past the end of A are zero;</li>
 *   <li>a B micro-panel of width {@code w} (a multiple of {@link #nrStep()}, at most {@link #nr()}) is
 *       stored row by row: {@code b[bOff + p * w + j] = B[p0 + p, col0 + j]}, columns past the end of
 *       B are zero.</li>
 * </ul>
 *
 * <p>Every implementation must compute each element of {@code C} as the same chain of fused
 * multiply-adds, in increasing {@code p}: {@code c = fma(A[i,p], B[p,j], c)} starting from the old
 * {@code C[i, j]} when {@code load} is true and from zero otherwise. That contract makes the result
 * independent of tiling, blocking, thread count and kernel choice.
 */
public interface GemmMicroKernel {

    /**
     * The kernel's name.
     *
     * @return a short name for logs and benchmark labels
     */
    String name();

    /**
     * The tile height.
     *
     * @return rows of a tile, and of an A micro-panel
     */
    int mr();

    /**
     * The tile width.
     *
     * @return columns of the widest tile, and of a full B micro-panel
     */
    int nr();

    /**
     * The step of micro-panel widths.
     *
     * @return the granularity of B micro-panel widths; divides {@link #nr()}
     */
    int nrStep();

    /**
     * Updates the whole tile {@code C[0:mr, 0:width]} with the product of one A and one B micro-panel.
     * Tiles that stick out of C are the driver's business (it runs them on a scratch tile).
     *
     * @param a packed A, {@code [kc, mr]} from {@code aOff}
     * @param aOff start of the A micro-panel
     * @param b packed B, {@code [kc, width]} from {@code bOff}
     * @param bOff start of the B micro-panel
     * @param width the B micro-panel width: a multiple of {@link #nrStep()}, at most {@link #nr()}
     * @param kc number of inner-dimension steps, at least 1
     * @param c the output; the tile's {@code mr} rows of {@code width} elements lie inside it
     * @param cOff index of the tile's element (0, 0) in {@code c}
     * @param ldc elements between consecutive rows of {@code c}
     * @param load start from the current contents of C instead of zero
     */
    void tile(float[] a, int aOff, float[] b, int bOff, int width, int kc, float[] c, int cOff, int ldc, boolean load);

    /**
     * Optionally packs {@code B[p0 : p0+kc, j0 : j0+nc]} into micro-panels (the layout above, panel of
     * column {@code jp} at {@code dst[dOff + jp * kc]}, 16-bit elements widened to float32) faster than
     * the generic packing can.
     *
     * @param b the right operand
     * @param p0 first row of the block
     * @param kc rows of the block
     * @param j0 first column of the block
     * @param nc columns of the block
     * @param dst the packed block
     * @param dOff where the block starts in {@code dst}
     * @return false, without touching {@code dst}, if this kernel has no fast path for {@code b}'s layout
     */
    default boolean packB(MatrixOperand b, int p0, int kc, int j0, int nc, float[] dst, int dOff) {
        return false;
    }

    /**
     * Optionally packs the leading steps of one whole micro-panel of a row-major float32 A on the heap,
     * {@code A[i : i+mr(), p0 : p0+kc]}, into {@code dst[d + p * mr() + r] = A[i + r, p0 + p]}, faster than
     * element by element: as many steps as its vectors take whole; the caller packs the rest.
     *
     * @param src A's storage
     * @param base index of {@code A[i, p0]} in {@code src}
     * @param rowStride elements between consecutive rows of A
     * @param kc columns of the panel
     * @param dst the packed panel
     * @param d where the panel starts in {@code dst}
     * @return the steps packed, {@code dst[d .. d + steps * mr())}; 0, without touching {@code dst}, if this
     *     kernel has no fast path
     */
    default int packAPanel(float[] src, int base, int rowStride, int kc, float[] dst, int d) {
        return 0;
    }

    /**
     * Optionally packs the leading steps of one bfloat16 panel ({@link PackedMatrix#packBfloat16}'s layout:
     * {@code pairs[base + t * w + j]} holds {@code B[2t, j0 + j]} in its low half and {@code B[2t + 1, j0 + j]}
     * in its high half) of a B whose columns are contiguous along k (a mapped Hugging Face {@code [out, in]}
     * weight), faster than element by element: as many whole steps of k as its transposes take, for every
     * column of the panel; the caller packs the rest.
     *
     * @param b the bfloat16 operand, {@code rowStride() == 1}
     * @param j0 the panel's first column
     * @param cols the panel's columns
     * @param pairs the packed matrix
     * @param base where the panel starts in {@code pairs}
     * @param w the panel's width in ints
     * @return the steps of k packed, even; 0, without touching {@code pairs}, if this kernel has no fast path
     *     for {@code b}
     */
    default int packPairsTransposed(MatrixOperand b, int j0, int cols, int[] pairs, int base, int w) {
        return 0;
    }

    /**
     * Optionally computes a whole small product {@code C (+)= A B} with both operands read in place,
     * packing neither: for the thousands of tiny products of attention over (batch, head) pairs
     * (48 x 48 by 48 x 16 in a training step of the shipped model), where packing A took as long as
     * multiplying. The same fused multiply-add chains as {@link #tile}.
     *
     * @param a the left operand {@code [m, k]}, any strides
     * @param b the right operand {@code [k, n]}
     * @param c the output
     * @param cOff index of {@code C[0, 0]}
     * @param ldc elements between consecutive rows of {@code c}
     * @param load start from the current contents of C instead of zero
     * @return false, without touching C, if this kernel has no direct path for these operands
     */
    default boolean direct(MatrixOperand a, MatrixOperand b, float[] c, int cOff, int ldc, boolean load) {
        return false;
    }

    /**
     * Whether the kernel has the direct small-row path.
     *
     * @return true if {@link #rowsTimesB} is implemented: the path for A with fewer rows than
     *         {@link #mr()} (one token at a time), which reads B in place instead of packing it
     */
    default boolean hasRowsTimesB() {
        return false;
    }

    /**
     * The panel width of {@link #rowsTimesB}, which need not be the tile's.
     *
     * @return the columns of B one {@link #rowsTimesB} call computes
     */
    default int rowsNr() {
        return nr();
    }

    /**
     * One row of A times four consecutive full packed panels at once, {@code C[0, c0 + i nr : c0 + (i+1) nr]
     * (+)= A[0, :] P_i} with panel {@code P_i}, a row-major {@code [k, nr()]} block, at {@code b[p0 + i * stride]}:
     * four contiguous streams of B in one loop, which a decoding step reads faster than one. The same fused
     * multiply-add chains as {@link #tile}.
     *
     * @param a the row of A, {@code A[0, p] = a[aOff + p]}
     * @param aOff index of {@code A[0, 0]}
     * @param k the inner dimension
     * @param b the packed panels
     * @param p0 index of the first panel's element (0, 0)
     * @param stride elements from one panel to the next
     * @param c the output
     * @param c0 index of the first panel's {@code C[0, 0]}
     * @param load start from the current contents of C instead of zero
     * @return false, touching nothing, if the kernel has no such path
     */
    default boolean rowTimesFourPanels(float[] a, int aOff, int k, float[] b, int p0, int stride, float[] c, int c0, boolean load) {
        return false;
    }

    /**
     * {@link #rowTimesFourPanels} from bfloat16 panels ({@link PackedMatrix#packBfloat16}'s layout: panel
     * {@code i} is {@code ceil(k / 2)} rows of {@code nr()} ints from {@code b[p0 + i * stride]}, each int two
     * consecutive rows' elements, the first in its low half), widened in registers. The same fused
     * multiply-add chains as {@link #tile} on the widened panels.
     *
     * @param a the row of A, {@code A[0, p] = a[aOff + p]}
     * @param aOff index of {@code A[0, 0]}
     * @param k the inner dimension
     * @param b the packed pairs
     * @param p0 index of the first panel's first pair
     * @param stride ints from one panel to the next
     * @param c the output
     * @param c0 index of the first panel's {@code C[0, 0]}
     * @param load start from the current contents of C instead of zero
     * @return false, touching nothing, if the kernel has no such path
     */
    default boolean rowTimesFourPairedPanels(float[] a, int aOff, int k, int[] b, int p0, int stride, float[] c, int c0,
                                             boolean load) {
        return false;
    }

    /**
     * {@link #rowTimesFourPairedPanels} over eight consecutive panels ({@code b[p0 + i * stride]}, output
     * {@code c0 + i nr()}, i &lt; 8), where the kernel has registers for them.
     *
     * @param a the row of A, {@code A[0, p] = a[aOff + p]}
     * @param aOff index of {@code A[0, 0]}
     * @param k the inner dimension
     * @param b the packed pairs
     * @param p0 index of the first panel's first pair
     * @param stride ints from one panel to the next
     * @param c the output
     * @param c0 index of the first panel's {@code C[0, 0]}
     * @param load start from the current contents of C instead of zero
     * @return false, touching nothing, if the kernel has no such path
     */
    default boolean rowTimesEightPairedPanels(float[] a, int aOff, int k, int[] b, int p0, int stride, float[] c, int c0,
                                              boolean load) {
        return false;
    }

    /**
     * {@code C[0, 0:w] (+)= A[0, :] B} for one bfloat16 panel narrower than {@link #nr()} (the last panel of
     * a B whose width is not a multiple of it: {@code ceil(k / 2)} rows of {@code w} ints from {@code b[p0]}),
     * widened in registers: the same chains as {@link #rowTimesFourPairedPanels}. Writes all {@code w}
     * columns of C.
     *
     * @param a the row of A, {@code A[0, p] = a[aOff + p]}
     * @param aOff index of {@code A[0, 0]}
     * @param k the inner dimension
     * @param b the packed pairs
     * @param p0 index of the panel's first pair
     * @param w the panel's width, a multiple of {@link #nrStep()}
     * @param c the output
     * @param c0 index of {@code C[0, 0]}
     * @param load start from the current contents of C instead of zero
     * @return false, touching nothing, if the kernel has no such path for this width
     */
    default boolean rowTimesPairedPanel(float[] a, int aOff, int k, int[] b, int p0, int w, float[] c, int c0, boolean load) {
        return false;
    }

    /**
     * Widens one bfloat16 panel ({@link PackedMatrix#packBfloat16}'s layout) into the float32 panel
     * layout: {@code dst[dOff + p * w + j] = B[p, j]} for {@code p < k}, {@code j < w}. Exact.
     *
     * @param src the packed pairs
     * @param sOff index of the panel's first pair
     * @param k the panel's rows
     * @param w the panel's width
     * @param dst the float32 panel
     * @param dOff where it starts
     */
    default void widenPairs(int[] src, int sOff, int k, int w, float[] dst, int dOff) {
        for (int p = 0; p < k; p++) {
            int row = sOff + p / 2 * w, out = dOff + p * w;
            boolean high = (p & 1) == 1;
            for (int j = 0; j < w; j++) {
                int v = src[row + j];
                dst[out + j] = Float.intBitsToFloat(high ? v & 0xffff0000 : v << 16);
            }
        }
    }

    /**
     * {@code C[r, 0:nr] (+)= A[r, :] B[:, j0 : j0+nr]} for {@code r < rows} and {@code nr = rowsNr()}, with A contiguous
     * ({@code A[r, p] = a[aOff + r * k + p]}) and B, which has unit column stride, read in place. The
     * same fused multiply-add chains as {@link #tile}.
     *
     * @param a the rows of A
     * @param aOff index of {@code A[0, 0]}
     * @param rows rows of A, 1 to 4
     * @param k the inner dimension
     * @param b the right operand, {@code colStride() == 1}, heap or segment
     * @param j0 first column; {@code j0 + rowsNr() <= b.cols()}
     * @param c the output
     * @param cOff index of {@code C[0, 0]} of this panel
     * @param ldc elements between consecutive rows of {@code c}
     * @param load start from the current contents of C instead of zero
     */
    default void rowsTimesB(float[] a, int aOff, int rows, int k, MatrixOperand b, int j0, float[] c, int cOff, int ldc,
                            boolean load) {
        throw new UnsupportedOperationException(name() + " has no direct small-row path");
    }
}
