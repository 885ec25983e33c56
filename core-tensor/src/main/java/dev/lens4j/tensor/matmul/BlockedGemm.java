package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.Parallel;
import java.util.Arrays;

/**
 * The blocked GEMM driver (the Goto/BLIS loop nest) around a {@link GemmMicroKernel}.
 *
 * <pre>
 * for jc in N, step NC          B block [KC, NC] lives in L3 (shared by the rows of the task)
 *   for pc in K, step KC        (sequential: the K dimension is never split across threads)
 *     pack B[pc, jc]
 *     for ic in M, step MC      A block [MC, KC] lives in L2
 *       pack A[ic, pc]
 *       for jr in NC, step NR   B micro-panel [KC, NR] (72 KB) stays in L2 while ...
 *         for ir in MC, step MR ... every A micro-panel of the block streams past it
 *           tile(C[ic+ir, jc+jr])
 * </pre>
 *
 * <p>Threads take disjoint row or column ranges of C (whichever wastes less packing and balances
 * better) and run the whole loop nest on their range with their own packing buffers. Every element
 * of C is one fused multiply-add chain along K in increasing order (the kernel contract), so the
 * result does not depend on the blocking or the number of threads.
 */
final class BlockedGemm {

    // Block sizes for a core with 32 KB L1d, 1 MB L2 and a shared L3 of tens of MB (Zen 4), chosen by
    // measurement at the GPT-2 shapes: KC = 384 beat 192 and 256 by 2-4 %, MC and NC were flat
    // within the noise between 96..256 and 1536..6144.
    /** Rows of an A block (rounded down to a multiple of the kernel's mr): 128 x 384 floats = 192 KB. */
    static final int MC = 128;
    /** Depth of a packed block along K. */
    static final int KC = 384;
    /** Columns of a B block (rounded down to a multiple of the kernel's nr): 384 x 3072 floats = 4.5 MB. */
    static final int NC = 3072;
    /** Below this many flops a product runs on the calling thread. */
    static final double MIN_PARALLEL_FLOPS = 4e6;
    /** Rough cost of packing one element, in flops of the micro-kernel, for choosing a split. */
    private static final double PACK_COST_FLOPS = 64;

    /** Per-thread packing buffers, grown on demand and reused. */
    private static final class Scratch {
        float[] a = new float[0];
        float[] b = new float[0];
        float[] tile = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private BlockedGemm() {}

    /**
     * {@code C[m, n] (+)= A[m, k] B[k, n]} on validated arguments.
     *
     * @param parallel split the work over {@link Parallel}'s threads when it is big enough
     */
    static void multiply(GemmMicroKernel kern, MatrixOperand a, MatrixOperand b, float[] c, int cOff, int ldc,
                         boolean accumulate, boolean parallel) {
        int m = a.rows(), n = b.cols(), k = a.cols();
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
            return;
        }
        int threads = parallel ? Parallel.threads() : 1;
        double flops = 2.0 * m * n * k;
        if (m < kern.mr() && kern.hasRowsTimesB() && n >= kern.rowsNr() && b.colStride() == 1) {
            fewRows(kern, a, b, c, cOff, ldc, accumulate, threads);
            return;
        }
        if (threads == 1 || flops < MIN_PARALLEL_FLOPS) {
            run(kern, a, b, c, cOff, ldc, accumulate, 0, m, 0, n);
            return;
        }
        int mr = kern.mr(), nr = kern.nr();
        int unitsM = ceilDiv(m, mr), unitsN = ceilDiv(n, nr);
        // Splitting rows makes every thread pack all of B; splitting columns makes every thread pack
        // all of A (once per NC block). Pick the cheaper, counting the imbalance of whole panels.
        double perThread = flops / threads;
        double byRows = perThread * imbalance(unitsM, threads)
                + PACK_COST_FLOPS * ((double) k * n + (double) m * k / threads);
        double byCols = perThread * imbalance(unitsN, threads)
                + PACK_COST_FLOPS * ((double) m * k * ceilDiv(ceilDiv(n, threads), NC) + (double) k * n / threads);
        if (byRows <= byCols) {
            Parallel.forRange(unitsM, Math.max(1, unitsM / threads),
                    (s, e) -> run(kern, a, b, c, cOff, ldc, accumulate, s * mr, Math.min(m, e * mr), 0, n));
        } else {
            Parallel.forRange(unitsN, Math.max(1, unitsN / threads),
                    (s, e) -> run(kern, a, b, c, cOff, ldc, accumulate, 0, m, s * nr, Math.min(n, e * nr)));
        }
    }

    /**
     * A with fewer rows than a tile (decoding one token at a time): packing B would cost more than the
     * product, and a full tile would waste most of its rows, so the kernel streams B in place, up to
     * 4 rows of A at a time, over panels of {@code nr} columns split between the threads. B is read
     * from memory once per 4 rows of A. The columns after the last whole panel take the packed path.
     */
    private static void fewRows(GemmMicroKernel kern, MatrixOperand a, MatrixOperand b, float[] c, int cOff, int ldc,
                                boolean accumulate, int threads) {
        int m = a.rows(), n = b.cols(), k = a.cols(), nr = kern.rowsNr();
        float[] rows = new float[m * k];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                rows[i * k + p] = a.get(i, p);
            }
        }
        int panels = n / nr;
        // memory-bound: worth splitting once B is a few hundred KB
        boolean split = threads > 1 && (double) k * n * Float.BYTES >= 256 * 1024;
        Parallel.forRange(panels, split ? Math.max(1, panels / threads) : panels, (s, e) -> {
            for (int jp = s; jp < e; jp++) {
                for (int i = 0; i < m; i += 4) {
                    kern.rowsTimesB(rows, i * k, Math.min(4, m - i), k, b, jp * nr, c, cOff + i * ldc + jp * nr, ldc,
                            accumulate);
                }
            }
        });
        if (panels * nr < n) {
            run(kern, a, b, c, cOff, ldc, accumulate, 0, m, panels * nr, n);
        }
    }

    /** @return how much longer than ideal the slowest of {@code threads} takes with {@code units} equal pieces */
    private static double imbalance(int units, int threads) {
        return (double) ceilDiv(units, threads) * threads / units;
    }

    /** Computes {@code C[i0:i1, j0:j1]} on the calling thread. */
    static void run(GemmMicroKernel kern, MatrixOperand a, MatrixOperand b, float[] c, int cOff, int ldc,
                    boolean accumulate, int i0, int i1, int j0, int j1) {
        int mr = kern.mr(), nr = kern.nr(), step = kern.nrStep();
        int k = a.cols();
        // Equal blocks instead of full blocks plus a sliver: k = 385 runs as 193 + 192, not 384 + 1.
        int kcMax = ceilDiv(k, ceilDiv(k, KC));
        int mcMax = roundUp(ceilDiv(i1 - i0, ceilDiv(i1 - i0, Math.max(mr, MC / mr * mr))), mr);
        int ncMax = roundUp(ceilDiv(j1 - j0, ceilDiv(j1 - j0, Math.max(nr, NC / nr * nr))), nr);
        Scratch s = SCRATCH.get();
        if (s.a.length < mcMax * kcMax) {
            s.a = new float[mcMax * kcMax];
        }
        if (s.b.length < ncMax * kcMax) {
            s.b = new float[ncMax * kcMax];
        }
        if (s.tile.length < mr * nr) {
            s.tile = new float[mr * nr];
        }
        float[] ap = s.a, bp = s.b;
        for (int jc = j0; jc < j1; jc += ncMax) {
            int nc = Math.min(ncMax, j1 - jc);
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                boolean load = accumulate || pc > 0;
                if (!kern.packB(b, pc, kc, jc, nc, bp)) {
                    GemmPacking.packB(b, pc, kc, jc, nc, nr, step, bp);
                }
                for (int ic = i0; ic < i1; ic += mcMax) {
                    int mc = Math.min(mcMax, i1 - ic);
                    GemmPacking.packA(a, ic, mc, pc, kc, mr, ap);
                    for (int jr = 0; jr < nc; jr += nr) {
                        int cols = Math.min(nr, nc - jr);
                        int w = GemmPacking.panelWidth(cols, step);
                        int cBase = cOff + ic * ldc + jc + jr;
                        for (int ir = 0; ir < mc; ir += mr) {
                            int rows = Math.min(mr, mc - ir);
                            int t = cBase + ir * ldc;
                            if (rows == mr && cols == w) {
                                kern.tile(ap, ir * kc, bp, jr * kc, w, kc, c, t, ldc, load);
                            } else {
                                edgeTile(kern, ap, ir * kc, bp, jr * kc, w, kc, c, t, ldc, rows, cols, load, s.tile);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * A tile at the bottom or right edge of C, with fewer than {@code mr} rows or fewer columns than
     * its panel: the kernel runs on a scratch tile (the packed panels are zero-padded, so the extra
     * lanes compute zeros) and the valid part is copied back. Edge tiles are a small part of any
     * large product, and this keeps the kernel down to whole vectors.
     */
    private static void edgeTile(GemmMicroKernel kern, float[] ap, int aOff, float[] bp, int bOff, int w, int kc,
                                 float[] c, int cOff, int ldc, int rows, int cols, boolean load, float[] tmp) {
        if (load) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(c, cOff + r * ldc, tmp, r * w, cols);
            }
        }
        kern.tile(ap, aOff, bp, bOff, w, kc, tmp, 0, w, load);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(tmp, r * w, c, cOff + r * ldc, cols);
        }
    }

    static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    static int roundUp(int x, int y) {
        return ceilDiv(x, y) * y;
    }
}
