package dev.lens4j.tensor.matmul;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Copies blocks of strided operands into the contiguous micro-panel layouts that
 * {@link GemmMicroKernel} reads (see there). Any strides work; row-major and transposed (unit
 * column or unit row stride) operands, the only ones lens4j's tensors produce, take fast paths.
 * Padding rows and columns are written as zeros every time, because the buffers are reused.
 */
final class GemmPacking {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort S16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GemmPacking() {}

    /**
     * Packs {@code A[i0 : i0+mc, p0 : p0+kc]} as consecutive micro-panels of {@code mr} rows; panel
     * {@code q} starts at {@code dst[dOff + q * mr * kc]}. Whole panels of a row-major float32 heap A go
     * through the kernel's {@link GemmMicroKernel#packAPanel} when it has one, and the steps it leaves
     * through the element-by-element packing.
     */
    static void packA(GemmMicroKernel kern, MatrixOperand a, int i0, int mc, int p0, int kc, int mr, float[] dst,
                      int dOff) {
        for (int ip = 0; ip < mc; ip += mr) {
            int rows = Math.min(mr, mc - ip);
            int d = dOff + ip * kc;
            int done = rows == mr && a.array() != null && a.colStride() == 1 && a.type() == StorageType.F32
                    ? kern.packAPanel(a.array(), (int) (a.offset() + (i0 + ip) * a.rowStride() + p0),
                            (int) a.rowStride(), kc, dst, d)
                    : 0;
            if (done == kc) {
                continue;
            }
            if (a.array() != null) {
                packAPanelHeap(a, i0 + ip, rows, p0 + done, kc - done, mr, dst, d + done * mr);
            } else if (a.segment() != null && a.type() == StorageType.F32) {
                packAPanelSegment(a, i0 + ip, rows, p0, kc, mr, dst, d);
            } else {
                packAPanelGeneric(a, i0 + ip, rows, p0, kc, mr, dst, d);
            }
        }
    }

    /** Any storage and type (16-bit A: widened element by element). */
    private static void packAPanelGeneric(MatrixOperand a, int i, int rows, int p0, int kc, int mr, float[] dst, int d) {
        for (int r = 0; r < rows; r++) {
            for (int p = 0, o = d + r; p < kc; p++, o += mr) {
                dst[o] = a.get(i + r, p0 + p);
            }
        }
        zeroRows(rows, kc, mr, dst, d);
    }

    private static void packAPanelHeap(MatrixOperand a, int i, int rows, int p0, int kc, int mr, float[] dst, int d) {
        float[] src = a.array();
        long rs = a.rowStride(), cs = a.colStride();
        int base = (int) (a.offset() + i * rs + p0 * cs);
        if (cs == 1) {
            // row-major A: each row is a contiguous run along k, written with stride mr
            for (int r = 0; r < rows; r++) {
                int s = base + (int) (r * rs);
                for (int p = 0, o = d + r; p < kc; p++, o += mr) {
                    dst[o] = src[s + p];
                }
            }
        } else if (rs == 1) {
            // transposed A: the mr rows of one column are contiguous
            for (int p = 0; p < kc; p++) {
                System.arraycopy(src, base + (int) (p * cs), dst, d + p * mr, rows);
            }
        } else {
            for (int r = 0; r < rows; r++) {
                long s = base + r * rs;
                for (int p = 0, o = d + r; p < kc; p++, o += mr) {
                    dst[o] = src[(int) (s + p * cs)];
                }
            }
        }
        zeroRows(rows, kc, mr, dst, d);
    }

    private static void packAPanelSegment(MatrixOperand a, int i, int rows, int p0, int kc, int mr, float[] dst, int d) {
        MemorySegment src = a.segment();
        long rs = a.rowStride(), cs = a.colStride();
        long base = a.offset() + i * rs + p0 * cs;
        if (rs == 1) {
            for (int p = 0; p < kc; p++) {
                MemorySegment.copy(src, F32, (base + p * cs) * Float.BYTES, dst, d + p * mr, rows);
            }
        } else {
            for (int r = 0; r < rows; r++) {
                long s = base + r * rs;
                for (int p = 0, o = d + r; p < kc; p++, o += mr) {
                    dst[o] = src.getAtIndex(F32, s + p * cs);
                }
            }
        }
        zeroRows(rows, kc, mr, dst, d);
    }

    private static void zeroRows(int rows, int kc, int mr, float[] dst, int d) {
        if (rows < mr) {
            for (int p = 0; p < kc; p++) {
                Arrays.fill(dst, d + p * mr + rows, d + (p + 1) * mr, 0f);
            }
        }
    }

    /**
     * Packs {@code B[p0 : p0+kc, j0 : j0+nc]} as consecutive micro-panels: full panels of {@code nr}
     * columns, the last one {@link #panelWidth} wide; the panel of column {@code jp} starts at
     * {@code dst[dOff + jp * kc]}. 16-bit elements are widened to float32 on the way.
     */
    static void packB(MatrixOperand b, int p0, int kc, int j0, int nc, int nr, int step, float[] dst, int dOff) {
        if (b.colStride() == 1 && nr % step == 0) {
            // Row-major B: walk each row of the block once, left to right, and deal its pieces out to
            // the panels. Reading whole rows keeps the hardware prefetcher busy; a panel at a time
            // would touch a new page for every row of B.
            for (int p = 0; p < kc; p++) {
                for (int jp = 0; jp < nc; jp += nr) {
                    int cols = Math.min(nr, nc - jp);
                    int w = cols == nr ? nr : panelWidth(cols, step);
                    int d = dOff + jp * kc + p * w;
                    copyRow(b, p0 + p, j0 + jp, cols, dst, d);
                    if (cols < w) {
                        Arrays.fill(dst, d + cols, d + w, 0f);
                    }
                }
            }
            return;
        }
        for (int jp = 0; jp < nc; jp += nr) {
            int cols = Math.min(nr, nc - jp);
            int w = panelWidth(cols, step);
            int d = dOff + jp * kc;
            if (b.array() != null) {
                packBPanelHeap(b, p0, kc, j0 + jp, cols, w, dst, d);
            } else if (b.rowStride() == 1) {
                packBPanelTransposed(b, p0, kc, j0 + jp, cols, w, dst, d);
            } else {
                packBPanelGeneric(b, p0, kc, j0 + jp, cols, w, dst, d);
            }
            zeroColumns(kc, cols, w, dst, d);
        }
    }

    /** @return the width of a B micro-panel holding {@code cols} columns: {@code cols} rounded up to {@code step} */
    static int panelWidth(int cols, int step) {
        return (cols + step - 1) / step * step;
    }

    /** Copies {@code B[p, j : j+cols]} of a B with unit column stride to {@code dst[d ..]}, widened to float32. */
    static void copyRow(MatrixOperand b, int p, int j, int cols, float[] dst, int d) {
        long src = b.offset() + p * b.rowStride() + j;
        if (b.array() != null) {
            System.arraycopy(b.array(), (int) src, dst, d, cols);
        } else if (b.type() == StorageType.F32) {
            MemorySegment.copy(b.segment(), F32, src * Float.BYTES, dst, d, cols);
        } else if (b.halves() != null) {
            widen(b.type(), b.halves(), (int) src, dst, d, cols);
        } else {
            widen(b.type(), b.segment(), src * 2, dst, d, cols);
        }
    }

    /** {@code dst[d + i] = widen(src[s + i])} for {@code i < count}. */
    static void widen(StorageType type, short[] src, int s, float[] dst, int d, int count) {
        if (type == StorageType.BF16) {
            for (int i = 0; i < count; i++) {
                dst[d + i] = Float.intBitsToFloat(src[s + i] << 16);
            }
        } else {
            for (int i = 0; i < count; i++) {
                dst[d + i] = Float.float16ToFloat(src[s + i]);
            }
        }
    }

    /** {@code dst[d + i] = widen(element i)} of the little-endian 16-bit elements from byte {@code byteOff}. */
    static void widen(StorageType type, MemorySegment src, long byteOff, float[] dst, int d, int count) {
        if (type == StorageType.BF16) {
            for (int i = 0; i < count; i++) {
                dst[d + i] = Float.intBitsToFloat(src.get(S16, byteOff + 2L * i) << 16);
            }
        } else {
            for (int i = 0; i < count; i++) {
                dst[d + i] = Float.float16ToFloat(src.get(S16, byteOff + 2L * i));
            }
        }
    }

    private static void packBPanelHeap(MatrixOperand b, int p0, int kc, int j, int cols, int w, float[] dst, int d) {
        float[] src = b.array();
        long rs = b.rowStride(), cs = b.colStride();
        int base = (int) (b.offset() + p0 * rs + j * cs);
        if (rs == 1) {
            // transposed B: gather one packed row from the panel's columns (each a contiguous run
            // along k) at a time; the columns stay in L1 while the packed rows are written in order
            for (int p = 0, o = d; p < kc; p++, o += w) {
                int s = base + p;
                for (int jj = 0; jj < cols; jj++) {
                    dst[o + jj] = src[s + (int) (jj * cs)];
                }
            }
        } else {
            for (int p = 0; p < kc; p++) {
                long s = base + p * rs;
                for (int jj = 0, o = d + p * w; jj < cols; jj++, o++) {
                    dst[o] = src[(int) (s + jj * cs)];
                }
            }
        }
    }

    /**
     * A transposed B in a segment or 16-bit storage (unit row stride: each column a contiguous run
     * along k), e.g. a Hugging Face {@code nn.Linear} weight {@code [out, in]} of a memory-mapped
     * checkpoint used as {@code W [in, out]}: each column's run is widened into a scratch row in bulk,
     * then dealt out to the packed rows. Element by element through {@link MatrixOperand#get} this
     * was the slowest part of a Llama or Pythia product loaded without processing.
     */
    private static void packBPanelTransposed(MatrixOperand b, int p0, int kc, int j, int cols, int w, float[] dst, int d) {
        float[] run = new float[kc];
        for (int jj = 0; jj < cols; jj++) {
            long src = b.offset() + p0 + (j + jj) * b.colStride(); // element index of B[p0, j + jj]
            if (b.type() == StorageType.F32) {
                MemorySegment.copy(b.segment(), F32, src * Float.BYTES, run, 0, kc);
            } else if (b.halves() != null) {
                widen(b.type(), b.halves(), (int) src, run, 0, kc);
            } else {
                widen(b.type(), b.segment(), src * 2, run, 0, kc);
            }
            for (int p = 0, o = d + jj; p < kc; p++, o += w) {
                dst[o] = run[p];
            }
        }
    }

    /** Any storage and type, element by element (a segment or 16-bit B with neither stride 1). */
    private static void packBPanelGeneric(MatrixOperand b, int p0, int kc, int j, int cols, int w, float[] dst, int d) {
        for (int p = 0; p < kc; p++) {
            for (int jj = 0, o = d + p * w; jj < cols; jj++, o++) {
                dst[o] = b.get(p0 + p, j + jj);
            }
        }
    }

    private static void zeroColumns(int kc, int cols, int w, float[] dst, int d) {
        if (cols < w) {
            for (int p = 0; p < kc; p++) {
                Arrays.fill(dst, d + p * w + cols, d + (p + 1) * w, 0f);
            }
        }
    }
}
