package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.Parallel;
import java.util.Arrays;

/**
 * The blocked GEMM driver around a {@link GemmMicroKernel}.
 *
 * <p>B is always multiplied from panels of {@code nr} columns, each a row-major {@code [k, w]}
 * block (the {@link PackedMatrix} layout): either a {@code PackedMatrix} made once, or panels packed
 * for this call. The loop nest over one thread's rows and panels:
 *
 * <pre>
 * for ic in rows, step MC          pack A[ic : ic+MC, 0 : k] (every depth block), kept in L2
 *   for q in panels                C strip [MC, nr] stays in L1/L2 while ...
 *     for pc in k, step KC         ... each depth block of the panel, [KC, nr], sits in L1 and ...
 *       for ir in MC, step MR      ... every A micro-panel [MR, KC] streams past it
 *         tile(C[ic+ir, q], A panel, B panel, load = pc > 0)
 *     epilogue on the finished strip
 * </pre>
 *
 * <p>The B depth block is sized to sit in L1 with room for the A panel ({@link GemmBlocking}); the
 * loop over pc inside a panel keeps the C strip in cache between depth blocks (with the classic
 * order, depth blocks outermost, every depth block reloaded all of C from L3 or memory: 16 % of the
 * time at 1024 x 768 x 3072 with KC = 128). A packs for all of k at once, so each panel sweeps one A
 * block.
 *
 * <p>Threads take disjoint row ranges or panel ranges of C (whichever wastes less packing and
 * balances better). Panels packed for the call are packed by all threads before any multiplies from
 * them, unless the rows fit one A block, in which case each thread packs its own panels just before
 * it uses them (they are then still in L2). Every element of C is one fused multiply-add chain along k
 * in increasing order (the kernel contract), so the result does not depend on the blocking or the
 * number of threads.
 */
final class BlockedGemm {

    /** Below this many flops a product runs on the calling thread. */
    static final double MIN_PARALLEL_FLOPS = 4e6;
    /** Below this many bytes of B a product of fewer rows than a tile runs on the calling thread. */
    static final double MIN_PARALLEL_BYTES = 256 * 1024;
    /**
     * A product whose A and B each hold at most this many floats (32 KB, an L1 cache) is offered to
     * the kernel's {@link GemmMicroKernel#direct} path first: packing would cost about as much as the
     * product (attention's 48 x 48 by 48 x 16 per (batch, head) pair).
     */
    static final int DIRECT_FLOATS = 8192;
    /** Rough cost of packing one element, in flops of the micro-kernel, for choosing a split. */
    private static final double PACK_COST_FLOPS = 64;
    /**
     * Panels packed for one call are packed in column blocks of at most this many floats (16 MB). Not
     * final only so that tests can cross block boundaries with small matrices.
     */
    static int bBlockFloats = 4 << 20;
    /** Panels packed on the fly are packed in groups of about this many floats (2 MB). */
    private static final int GROUP_FLOATS = 1 << 19;

    /** Per-thread packing buffers, grown on demand and reused. */
    private static final class Scratch {
        /** The packed A block, {@code [mc, k]} as depth blocks of micro-panels. */
        float[] a = new float[0];
        /** One panel packed on the fly, {@code [k, nr]}. */
        float[] panel = new float[0];
        /** Panels packed for a call, shared with the other threads while the call runs. */
        float[] block = new float[0];
        /** A scratch tile for edge tiles. */
        float[] tile = new float[0];
        /** One bfloat16 panel of a {@link PackedMatrix} widened to float32, {@code [k, nr]}. */
        float[] widened = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Where the panels of B come from. */
    private interface Panels {
        /**
         * Makes panel {@code q} available and says where.
         *
         * @return the array holding the panel; its offset is left in {@code off[0]}
         */
        float[] panel(int q, int[] off);
    }

    private BlockedGemm() {}

    /** @return the floats of B's panels: {@code n} rounded up to whole panels, the last one to whole vectors */
    static long paddedWidth(int n, int nr, int step) {
        int full = n / nr * nr;
        return full + GemmPacking.panelWidth(n - full, step);
    }

    /**
     * Packs the columns {@code [j0, j1)} of B (j0 a multiple of {@code nr} relative to the region's
     * start) as consecutive panels from {@code dst[dOff]}.
     */
    static void packPanels(GemmMicroKernel kern, MatrixOperand b, int j0, int j1, float[] dst, int dOff) {
        int k = b.rows();
        if (!kern.packB(b, 0, k, j0, j1 - j0, dst, dOff)) {
            GemmPacking.packB(b, 0, k, j0, j1 - j0, kern.nr(), kern.nrStep(), dst, dOff);
        }
    }

    /**
     * {@code C[m, n] (+)= A[m, k] B[k, n]} on validated arguments, B packed for this call.
     *
     * @param parallel split the work over {@link Parallel}'s threads when it is big enough
     */
    static void multiply(GemmMicroKernel kern, MatrixOperand a, MatrixOperand b, float[] c, int cOff, int ldc,
                         boolean accumulate, Epilogue ep, boolean parallel) {
        int m = a.rows(), n = b.cols(), k = a.cols();
        if (m == 0 || n == 0 || degenerate(k, c, cOff, ldc, m, n, accumulate, ep)) {
            return;
        }
        int threads = parallel && 2.0 * m * n * k >= MIN_PARALLEL_FLOPS ? Parallel.threads() : 1;
        if (threads == 1 && m >= kern.mr() && (long) m * k <= DIRECT_FLOATS && (long) k * n <= DIRECT_FLOATS
                && !ep.hasBias() && !ep.hasFinish() && kern.direct(a, b, c, cOff, ldc, accumulate)) {
            return;
        }
        if (m <= Gemv.MAX_ROWS && m < kern.mr() && !accumulate && b.type() == StorageType.F32 && b.array() != null
                && (b.colStride() == 1 || b.rowStride() == 1)) {
            // One to four rows times a float32 B on the heap: a decoding step's attention (q k^T, pattern v)
            // and the products of weights that have no packed copy. The GEMV streams B once, row-major in
            // long runs of each row and transposed through 16 x 16 register transposes, where the tile path
            // packs panels of B (all of a transposed B; the columns past the last whole panel of a row-major
            // one) and pads A to 8 rows: 1.1 to 3.8 times faster in probes, and the same chains, so the same bits.
            Gemv.run(kern == ScalarGemmKernel.INSTANCE ? GemmKernels.scalarGemv() : GemmKernels.preferredGemv(),
                    contiguousRows(a), 0, k, m, b, ep.biasArray(), ep.biasOffset(), c, cOff, ldc, parallel);
            if (ep.hasFinish()) {
                ep.finish(c, cOff, ldc, 0, m, 0, n);
            }
            return;
        }
        if (m < kern.mr() && kern.hasRowsTimesB() && n >= kern.rowsNr() && b.colStride() == 1
                && b.type() == StorageType.F32) {
            fewRows(kern, a, b, c, cOff, ldc, accumulate, ep, threads);
            return;
        }
        GemmBlocking bl = GemmBlocking.of(kern);
        int kChunk = depthChunk(kern, bl, b, m, k, n);
        if (kChunk < k && !ep.hasBias() && !ep.hasFinish()) {
            // one product per chunk of k, in order, each adding to C: every element's chain of fused
            // multiply-adds is the same, in the same order, so the bits are those of one product
            for (int k0 = 0; k0 < k; k0 += kChunk) {
                int kb = Math.min(kChunk, k - k0);
                multiply(kern, a.colRange(k0, kb), b.rowRange(k0, kb), c, cOff, ldc, accumulate || k0 > 0, ep, parallel);
            }
            return;
        }
        int nr = kern.nr();
        int mc = bl.mc(k, m);
        if (m <= mc) {
            // One A block: every thread packs the panels it multiplies just before it uses them.
            int panels = ceilDiv(n, nr);
            Parallel.forRange(panels, Math.max(1, panels / threads), (s, e) ->
                    compute(kern, bl, a, 0, m, onTheFly(kern, b, k, e), 0, n, s, e, c, cOff, ldc, accumulate, ep));
            return;
        }
        // Several A blocks: pack column blocks of B once, shared by the threads, then multiply from them.
        Scratch mine = SCRATCH.get();
        int blockCols = Math.max(nr, (int) Math.min(roundDown(n, nr) + nr, bBlockFloats / Math.max(1, k) / nr * nr));
        for (int jb = 0; jb < n; jb += blockCols) {
            int je = Math.min(n, jb + blockCols);
            int panels = ceilDiv(je - jb, nr);
            long floats = (long) k * paddedWidth(je - jb, nr, kern.nrStep());
            if (mine.block.length < floats) {
                mine.block = new float[(int) floats];
            }
            float[] block = mine.block;
            int base = jb;
            Parallel.forRange(panels, threads == 1 ? panels : Math.max(1, panels / (2 * threads)), (s, e) ->
                    packPanels(kern, b, base + s * nr, Math.min(je, base + e * nr), block, s * nr * k));
            split(kern, bl, a, packedPanels(block, nr, k), jb, je, panels, c, cOff, ldc, accumulate, ep, threads);
        }
    }

    /**
     * The depth of the chunks of k a product packed for the call runs in, or k for one chunk. Packing a
     * row-major B reads each of its k rows as runs of the panels packed together: a group packed on the
     * fly holds about {@link #GROUP_FLOATS} floats, a shared column block {@link #bBlockFloats}, so the
     * deeper B is, the fewer panels a run holds. With very many rows (the unembedding's backward pass
     * multiplies by {@code W_E}, k = 50,257 rows of 768) a run was one panel, 192 bytes of a 3 KB row,
     * a new page per row, which no prefetcher follows: packing took twice as long as multiplying.
     * Splitting k into chunks whose rows are read in runs of at least 16 panels (or whole rows) keeps
     * packing at memory speed; C is read and written once more per chunk.
     */
    static int depthChunk(GemmMicroKernel kern, GemmBlocking bl, MatrixOperand b, int m, int k, int n) {
        if (b.colStride() != 1 || k <= bl.kcMax()) {
            return k;
        }
        int nr = kern.nr();
        int panels = ceilDiv(n, nr);
        boolean oneBlock = m <= bl.mc(k, m);
        int run = oneBlock ? Math.min(GROUP_FLOATS / k / nr, 16) : bBlockFloats / k / nr;
        if (run >= Math.min(panels, 8)) {
            return k;
        }
        long rows = oneBlock ? GROUP_FLOATS / ((long) Math.min(panels, 16) * nr) : bBlockFloats / paddedWidth(n, nr, kern.nrStep());
        int kc = bl.kcMax();
        return (int) Math.min(k, Math.max(kc, rows / kc * kc));
    }

    /** {@code C[m, n] (+)= A[m, k] B[k, n]} on validated arguments, B packed beforehand. */
    static void multiplyPacked(GemmMicroKernel kern, MatrixOperand a, PackedMatrix b, float[] c, int cOff, int ldc,
                               boolean accumulate, Epilogue ep, boolean parallel) {
        int m = a.rows(), n = b.cols(), k = a.cols();
        if (m == 0 || n == 0 || degenerate(k, c, cOff, ldc, m, n, accumulate, ep)) {
            return;
        }
        // fewer rows than a tile (a decoding step): bound by streaming B, worth splitting once B is a few hundred KB
        boolean big = 2.0 * m * n * k >= MIN_PARALLEL_FLOPS || (m < kern.mr() && (double) k * n * Float.BYTES >= MIN_PARALLEL_BYTES);
        int threads = parallel && big ? Parallel.threads() : 1;
        int nr = b.nr();
        if (m < kern.mr() && kern.hasRowsTimesB() && n >= nr && (kern.rowsNr() == nr || m == 1)) {
            fewRowsPacked(kern, a, b, c, cOff, ldc, accumulate, ep, threads);
            return;
        }
        split(kern, GemmBlocking.of(kern), a, panelsOf(kern, b), 0, n, ceilDiv(n, nr), c, cOff, ldc, accumulate, ep, threads);
    }

    /** The chains' starting values in {@code C[0:m, j0:j1]}: the bias, else zero unless accumulating (C as it is). */
    private static void startChains(float[] c, int cOff, int ldc, int m, int j0, int j1, boolean accumulate, Epilogue ep) {
        if (ep.hasBias()) {
            ep.prefill(c, cOff, ldc, 0, m, j0, j1);
        } else if (!accumulate) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOff + i * ldc + j0, cOff + i * ldc + j1, 0f);
            }
        }
    }

    /** k = 0: C is the bias (or zero, or unchanged when accumulating), then the epilogue. @return true if k was 0 */
    private static boolean degenerate(int k, float[] c, int cOff, int ldc, int m, int n, boolean accumulate, Epilogue ep) {
        if (k > 0) {
            return false;
        }
        startChains(c, cOff, ldc, m, 0, n, accumulate, ep);
        if (ep.hasFinish()) {
            ep.finish(c, cOff, ldc, 0, m, 0, n);
        }
        return true;
    }

    /**
     * Panels of b packed on the fly into the calling thread's scratch, a group of consecutive panels
     * (up to {@code qEnd}) at a time, about 2 MB: packing one 48-column panel alone reads 192 bytes of
     * each row of B, a new page per row for a wide B, which no hardware prefetcher follows (the
     * unembedding {@code [768, 50257]} packed panel by panel spent as long packing as multiplying).
     */
    private static Panels onTheFly(GemmMicroKernel kern, MatrixOperand b, int k, int qEnd) {
        int n = b.cols(), nr = kern.nr();
        int group = Math.max(1, Math.min(GROUP_FLOATS / Math.max(1, k) / nr, 16));
        int[] first = {-1, -1}; // the group in the buffer: [first panel, end panel)
        return (q, off) -> {
            Scratch s = SCRATCH.get();
            if (q < first[0] || q >= first[1]) {
                int end = Math.min(qEnd, q + group);
                int size = k * nr * (end - q);
                if (s.panel.length < size) {
                    s.panel = new float[size];
                }
                packPanels(kern, b, q * nr, Math.min(n, end * nr), s.panel, 0);
                first[0] = q;
                first[1] = end;
            }
            off[0] = (q - first[0]) * nr * k;
            return s.panel;
        };
    }

    /**
     * Multiplies the columns {@code [j0, j1)} (panels {@code 0 .. panels-1} of {@code src}, panel q
     * holding columns from {@code j0 + q nr}) over all rows, split between {@code threads} by rows
     * or by panels, whichever the cost model prefers.
     */
    private static void split(GemmMicroKernel kern, GemmBlocking bl, MatrixOperand a, Panels src, int j0, int j1,
                              int panels, float[] c, int cOff, int ldc, boolean accumulate, Epilogue ep, int threads) {
        int m = a.rows(), k = a.cols(), mr = kern.mr();
        if (threads == 1) {
            compute(kern, bl, a, 0, m, src, j0, j1, 0, panels, c, cOff, ldc, accumulate, ep);
            return;
        }
        int unitsM = ceilDiv(m, mr);
        double perThread = 2.0 * m * (j1 - j0) * k / threads;
        // Splitting rows packs each row of A once; splitting panels makes every thread pack all of A.
        double byRows = perThread * imbalance(unitsM, threads) + PACK_COST_FLOPS * (double) m * k / threads;
        double byCols = perThread * imbalance(panels, threads) + PACK_COST_FLOPS * (double) m * k;
        if (byRows <= byCols) {
            Parallel.forRange(unitsM, Math.max(1, unitsM / threads), (s, e) ->
                    compute(kern, bl, a, s * mr, Math.min(m, e * mr), src, j0, j1, 0, panels, c, cOff, ldc, accumulate, ep));
        } else {
            Parallel.forRange(panels, Math.max(1, panels / threads), (s, e) ->
                    compute(kern, bl, a, 0, m, src, j0, j1, s, e, c, cOff, ldc, accumulate, ep));
        }
    }

    /**
     * Computes {@code C[i0:i1, columns of panels q0..q1-1]} on the calling thread; panel q holds the
     * columns {@code [j0 + q nr, min(j1, j0 + (q+1) nr))}.
     */
    private static void compute(GemmMicroKernel kern, GemmBlocking bl, MatrixOperand a, int i0, int i1, Panels src,
                                int j0, int j1, int q0, int q1, float[] c, int cOff, int ldc, boolean accumulate,
                                Epilogue ep) {
        int mr = kern.mr(), nr = kern.nr(), step = kern.nrStep();
        int k = a.cols();
        int kcMax = bl.kc(k);
        int mcMax = bl.mc(k, i1 - i0);
        Scratch s = SCRATCH.get();
        int aSize = roundUp(Math.min(mcMax, i1 - i0), mr) * k;
        if (s.a.length < aSize) {
            s.a = new float[aSize];
        }
        if (s.tile.length < mr * nr) {
            s.tile = new float[mr * nr];
        }
        float[] ap = s.a, tmp = s.tile;
        int[] off = new int[1];
        boolean prefill = ep.hasBias(), finish = ep.hasFinish();
        for (int ic = i0; ic < i1; ic += mcMax) {
            int mc = Math.min(mcMax, i1 - ic);
            int mcPad = roundUp(mc, mr);
            // the A block: depth block pc of micro-panel ir at ap[pc * mcPad + ir * kc]
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                GemmPacking.packA(kern, a, ic, mc, pc, kc, mr, ap, pc * mcPad);
            }
            for (int q = q0; q < q1; q++) {
                int j = j0 + q * nr;
                int cols = Math.min(nr, j1 - j);
                int w = GemmPacking.panelWidth(cols, step);
                float[] bp = src.panel(q, off);
                int bOff = off[0];
                int strip = cOff + ic * ldc + j;
                if (prefill) {
                    ep.prefill(c, cOff, ldc, ic, ic + mc, j, j + cols);
                }
                for (int pc = 0; pc < k; pc += kcMax) {
                    int kc = Math.min(kcMax, k - pc);
                    boolean load = accumulate || prefill || pc > 0;
                    int aBase = pc * mcPad, bBase = bOff + pc * w;
                    for (int ir = 0; ir < mc; ir += mr) {
                        int rows = Math.min(mr, mc - ir);
                        int t = strip + ir * ldc;
                        if (rows == mr && cols == w) {
                            kern.tile(ap, aBase + ir * kc, bp, bBase, w, kc, c, t, ldc, load);
                        } else {
                            edgeTile(kern, ap, aBase + ir * kc, bp, bBase, w, kc, c, t, ldc, rows, cols, load, tmp);
                        }
                    }
                }
                if (finish) {
                    ep.finish(c, cOff, ldc, ic, ic + mc, j, j + cols);
                }
            }
        }
    }

    /**
     * A with fewer rows than a tile (decoding one token at a time): packing B would cost more than the
     * product, and a full tile would waste most of its rows, so the kernel streams B in place, up to
     * 4 rows of A at a time, over panels of {@code rowsNr} columns split between the threads. B is read
     * from memory once per 4 rows of A. The columns after the last whole panel take the packed path.
     */
    private static void fewRows(GemmMicroKernel kern, MatrixOperand a, MatrixOperand b, float[] c, int cOff, int ldc,
                                boolean accumulate, Epilogue ep, int threads) {
        int m = a.rows(), n = b.cols(), k = a.cols(), nr = kern.rowsNr();
        float[] rows = contiguousRows(a);
        int panels = n / nr;
        if (ep.hasBias()) {
            ep.prefill(c, cOff, ldc, 0, m, 0, panels * nr);
        }
        boolean load = accumulate || ep.hasBias();
        // memory-bound: worth splitting once B is a few hundred KB
        boolean split = threads > 1 && (double) k * n * Float.BYTES >= MIN_PARALLEL_BYTES;
        Parallel.forRange(panels, split ? Math.max(1, panels / threads) : panels, (s, e) -> {
            for (int jp = s; jp < e; jp++) {
                for (int i = 0; i < m; i += 4) {
                    kern.rowsTimesB(rows, i * k, Math.min(4, m - i), k, b, jp * nr, c, cOff + i * ldc + jp * nr, ldc,
                            load);
                }
            }
        });
        if (ep.hasFinish()) {
            ep.finish(c, cOff, ldc, 0, m, 0, panels * nr);
        }
        if (panels * nr < n) {
            int j0 = panels * nr;
            GemmBlocking bl = GemmBlocking.of(kern);
            compute(kern, bl, a, 0, m, onTheFlyFrom(kern, b, j0, k), j0, n, 0, ceilDiv(n - j0, kern.nr()), c, cOff, ldc,
                    accumulate, ep);
        }
    }

    /**
     * {@link #fewRows} from panels packed beforehand: each full panel is a row-major {@code [k, nr]} block,
     * which the kernel's small-row path streams in one contiguous run with up to 4 rows of A at a time
     * (the tile's 8 rows would do 2 to 8 times the multiply-adds and, with them, keep too few loads in
     * flight to stream at memory speed). One row reads four panels at once, bfloat16 ones widened in
     * registers; a bfloat16 panel read any other way is widened into scratch first. The narrower last
     * panel, if any, takes one GEMV pass for up to four rows ({@link #narrowLastPanel}), else the tile.
     */
    private static void fewRowsPacked(GemmMicroKernel kern, MatrixOperand a, PackedMatrix b, float[] c, int cOff, int ldc,
                                      boolean accumulate, Epilogue ep, int threads) {
        int m = a.rows(), n = b.cols(), k = a.cols(), nr = b.nr(), kp = (k + 1) / 2;
        float[] rows = contiguousRows(a);
        int panels = n / nr;
        if (ep.hasBias()) {
            ep.prefill(c, cOff, ldc, 0, m, 0, panels * nr);
        }
        boolean load = accumulate || ep.hasBias();
        float[] data = b.data;
        int[] pairs = b.pairs;
        Panels src = panelsOf(kern, b);
        Parallel.forRange(panels, threads > 1 ? Math.max(1, panels / threads) : panels, (s, e) -> {
            int q = s;
            if (m == 1) {
                // one row (batch 1): four panels at a time, four streams of B in flight; bfloat16 ones eight at
                // a time where the kernel has the registers (fewer broadcasts and loop steps per byte)
                for (; pairs != null && q + 7 < e; q += 8) {
                    if (!kern.rowTimesEightPairedPanels(rows, 0, k, pairs, q * nr * kp, nr * kp, c, cOff + q * nr, load)) {
                        break;
                    }
                }
                for (; q + 3 < e; q += 4) {
                    boolean done = data != null
                            ? kern.rowTimesFourPanels(rows, 0, k, data, q * nr * k, nr * k, c, cOff + q * nr, load)
                            : kern.rowTimesFourPairedPanels(rows, 0, k, pairs, q * nr * kp, nr * kp, c, cOff + q * nr, load);
                    if (!done) {
                        break;
                    }
                }
            }
            if (q < e && kern.rowsNr() != nr) {
                // one row and panels narrower than the small-row path's (the 4 x 2 tile): the rest by the tile
                compute(kern, GemmBlocking.of(kern), a, 0, m, src, 0, n, q, e, c, cOff, ldc, load, Epilogue.none());
                return;
            }
            int[] off = new int[1];
            for (; q < e; q++) {
                float[] p = src.panel(q, off);
                MatrixOperand panel = new MatrixOperand(p, null, off[0], k, nr, nr, 1);
                for (int i = 0; i < m; i += 4) {
                    kern.rowsTimesB(rows, i * k, Math.min(4, m - i), k, panel, 0, c, cOff + i * ldc + q * nr, ldc, load);
                }
            }
        });
        if (ep.hasFinish()) {
            ep.finish(c, cOff, ldc, 0, m, 0, panels * nr);
        }
        if (panels * nr < n) {
            if (m <= Gemv.MAX_ROWS) {
                narrowLastPanel(kern, rows, m, k, b, src, panels, n, c, cOff, ldc, accumulate, ep);
            } else {
                compute(kern, GemmBlocking.of(kern), a, 0, m, src, 0, n, panels, panels + 1, c, cOff, ldc, accumulate, ep);
            }
        }
    }

    /**
     * The narrower last panel q of a packed B (Llama's 512- and 2,048-column products end in 32 columns)
     * for one to {@link Gemv#MAX_ROWS} rows of A, where the tile would multiply A padded to its 8 rows, 2 to
     * 8 times the work: one row times a bfloat16 panel read in place ({@link GemmMicroKernel#rowTimesPairedPanel}),
     * else one GEMV pass over the panel (a bfloat16 one widened first). The chains are the GEMM's (from the
     * bias or zero or C, in increasing p), so the bits are too.
     */
    private static void narrowLastPanel(GemmMicroKernel kern, float[] rows, int m, int k, PackedMatrix b, Panels src,
                                        int q, int n, float[] c, int cOff, int ldc, boolean accumulate, Epilogue ep) {
        int j = q * b.nr(), cols = n - j, w = GemmPacking.panelWidth(cols, kern.nrStep());
        startChains(c, cOff, ldc, m, j, n, accumulate, ep);
        boolean done = false;
        if (m == 1 && b.pairs != null) {
            // the kernel writes whole vectors: through a row of w floats, C's columns copied in and out
            float[] row = new float[w];
            System.arraycopy(c, cOff + j, row, 0, cols);
            done = kern.rowTimesPairedPanel(rows, 0, k, b.pairs, q * b.nr() * ((k + 1) / 2), w, row, 0, true);
            if (done) {
                System.arraycopy(row, 0, c, cOff + j, cols);
            }
        }
        if (!done) {
            int[] off = new int[1];
            float[] p = src.panel(q, off);
            MatrixOperand panel = new MatrixOperand(p, null, off[0], k, cols, w, 1);
            GemmKernels.preferredGemv().rowMajor(rows, 0, k, m, panel, 0, cols, c, cOff + j, ldc);
        }
        if (ep.hasFinish()) {
            ep.finish(c, cOff, ldc, 0, m, j, n);
        }
    }

    /** The rows of A copied into one contiguous row-major array, {@code A[i, p]} at {@code i k + p}. */
    private static float[] contiguousRows(MatrixOperand a) {
        int m = a.rows(), k = a.cols();
        float[] rows = new float[m * k];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                rows[i * k + p] = a.get(i, p);
            }
        }
        return rows;
    }

    /** Panels laid out as a {@link PackedMatrix}'s data: panel q from {@code q nr k}. */
    private static Panels packedPanels(float[] data, int nr, int k) {
        return (q, off) -> {
            off[0] = q * nr * k;
            return data;
        };
    }

    /**
     * The panels of a {@link PackedMatrix}: its float32 data as it is, or a bfloat16 panel widened into
     * the calling thread's scratch when asked for (valid until that thread asks for another).
     */
    private static Panels panelsOf(GemmMicroKernel kern, PackedMatrix b) {
        int k = b.rows(), n = b.cols(), nr = b.nr();
        if (b.data != null) {
            return packedPanels(b.data, nr, k);
        }
        int kp = (k + 1) / 2;
        return (q, off) -> {
            Scratch s = SCRATCH.get();
            if (s.widened.length < k * nr) {
                s.widened = new float[k * nr];
            }
            kern.widenPairs(b.pairs, q * nr * kp, k, GemmPacking.panelWidth(Math.min(nr, n - q * nr), kern.nrStep()),
                    s.widened, 0);
            off[0] = 0;
            return s.widened;
        };
    }

    /** Panels of the columns from {@code j0} of b packed on the fly: panel q holds columns {@code j0 + q nr ...}. */
    private static Panels onTheFlyFrom(GemmMicroKernel kern, MatrixOperand b, int j0, int k) {
        MatrixOperand rest = b.colRange(j0, b.cols() - j0);
        return onTheFly(kern, rest, k, ceilDiv(rest.cols(), kern.nr()));
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

    /** @return how much longer than ideal the slowest of {@code threads} takes with {@code units} equal pieces */
    private static double imbalance(int units, int threads) {
        return (double) ceilDiv(units, threads) * threads / units;
    }

    static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    static int roundUp(int x, int y) {
        return ceilDiv(x, y) * y;
    }

    static int roundDown(int x, int y) {
        return x / y * y;
    }
}
