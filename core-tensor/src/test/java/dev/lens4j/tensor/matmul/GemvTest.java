package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.matmul.GemmFixtures.Layout;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static dev.lens4j.tensor.matmul.GemmFixtures.assertBitIdentical;
import static dev.lens4j.tensor.matmul.GemmFixtures.halfOperand;
import static dev.lens4j.tensor.matmul.GemmFixtures.operand;
import static dev.lens4j.tensor.matmul.GemmFixtures.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Gemv} against the scalar GEMM oracle: every output element is the same in-order fused
 * multiply-add chain, starting from the bias, so the GEMV must equal
 * {@code Gemm.multiplyScalar} on a C prefilled with the bias bit for bit, with both kernels, every
 * layout and storage of W, on odd sizes, on one and two threads; a bfloat16 or half W equals the
 * float32 W of its widened values.
 */
class GemvTest {

    private static final int[] ODD = {1, 7, 13, 31, 207};

    private static List<GemvKernel> kernels() {
        return List.of(GemmKernels.panamaGemv(), GemmKernels.scalarGemv());
    }

    /** The GEMM oracle of a GEMV: C prefilled with the bias (or zeros), then C += x W. */
    private static float[] oracle(float[] x, int xOff, int ldx, int rows, MatrixOperand w, float[] bias, float[] out0,
                                  int outOff, int ldo) {
        float[] ref = out0.clone();
        int n = w.cols();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                ref[outOff + r * ldo + j] = bias == null ? 0f : bias[1 + j];
            }
        }
        Gemm.multiplyScalar(new MatrixOperand(x, null, xOff, rows, w.rows(), ldx, 1), w, ref, outOff, ldo, true);
        return ref;
    }

    /** Checks the GEMV of every row count with and without a bias, each kernel, serial and parallel. */
    private static void check(MatrixOperand w, MatrixOperand wide, String what) {
        int k = w.rows(), n = w.cols();
        SplittableRandom rnd = new SplittableRandom(k * 31L + n);
        float[] bias = random(rnd, n + 1);
        for (int rows = 1; rows <= Gemv.MAX_ROWS; rows++) {
            int ldx = k + 3, xOff = 2, ldo = n + 5, outOff = 1;
            float[] x = random(rnd, xOff + rows * ldx);
            float[] out0 = random(rnd, outOff + rows * ldo + 2);
            for (float[] b : new float[][] {null, bias}) {
                float[] ref = oracle(x, xOff, ldx, rows, wide, b, out0, outOff, ldo);
                for (GemvKernel kern : kernels()) {
                    for (boolean parallel : new boolean[] {false, true}) {
                        float[] out = out0.clone();
                        Gemv.multiplyWith(kern, x, xOff, ldx, rows, w, b, 1, out, outOff, ldo, parallel);
                        // includes the padding around out, which must be untouched
                        assertBitIdentical(out, ref, what + ", " + rows + " rows" + (b == null ? "" : " + bias") + ", "
                                + kern.name() + (parallel ? ", parallel" : ""));
                    }
                }
                float[] out = out0.clone();
                Gemv.multiply(x, xOff, ldx, rows, w, b, 1, out, outOff, ldo);
                assertBitIdentical(out, ref, what + " with Gemv.multiply");
            }
        }
    }

    @Test
    void oddSizesEqualTheGemmOracle() {
        SplittableRandom rnd = new SplittableRandom(51);
        for (int k : ODD) {
            for (int n : ODD) {
                for (Layout layout : new Layout[] {Layout.ROW_MAJOR, Layout.TRANSPOSED}) {
                    MatrixOperand w = operand(rnd, k, n, layout, null);
                    check(w, w, "[" + k + ", " + n + "] " + layout);
                }
            }
        }
    }

    @Test
    void everyLayoutAndNativeMemory() {
        SplittableRandom rnd = new SplittableRandom(53);
        try (Arena arena = Arena.ofShared()) {
            for (Layout layout : Layout.values()) {
                MatrixOperand heap = operand(rnd, 70, 1100, layout, null);
                check(heap, heap, "heap " + layout);
                MatrixOperand seg = operand(rnd, 45, 300, layout, arena);
                check(seg, seg, "segment " + layout);
            }
        }
    }

    @Test
    void sixteenBitWeightsEqualTheirWidenedFloat32() {
        SplittableRandom rnd = new SplittableRandom(55);
        try (Arena arena = Arena.ofShared()) {
            for (StorageType type : new StorageType[] {StorageType.BF16, StorageType.F16}) {
                for (Layout layout : new Layout[] {Layout.ROW_MAJOR, Layout.TRANSPOSED, Layout.WINDOW}) {
                    for (int[] kn : new int[][] {{13, 31}, {207, 1025}, {33, 17}, {64, 48}, {96, 33}}) {
                        MatrixOperand[] heap = halfOperand(rnd, kn[0], kn[1], layout, type, null);
                        check(heap[0], heap[1], type + " heap " + layout + " [" + kn[0] + ", " + kn[1] + "]");
                        MatrixOperand[] seg = halfOperand(rnd, kn[0], kn[1], layout, type, arena);
                        check(seg[0], seg[1], type + " segment " + layout + " [" + kn[0] + ", " + kn[1] + "]");
                    }
                }
            }
        }
    }

    @Test
    void everyFiniteHalfThroughAMappedTransposedWeight() {
        // [4096, 16] as a mapped [out, in] half-precision weight: column j holds the bit patterns j * 4096 + p,
        // every half but the NaNs (zeroed): subnormals, signed zeros, the largest, and one infinity in each of
        // columns 7 (+inf) and 15 (-inf), so that no column sums to NaN
        int k = 4096, n = 16;
        short[] bits = new short[k * n];
        float[] wide = new float[k * n];
        for (int i = 0; i < bits.length; i++) {
            boolean nan = (i & 0x7c00) == 0x7c00 && (i & 0x03ff) != 0;
            bits[i] = nan ? 0 : (short) i;
            wide[i] = StorageType.F16.widen(bits[i]);
        }
        try (Arena arena = Arena.ofConfined()) {
            java.lang.foreign.MemorySegment seg = arena.allocate(2L * bits.length, 64);
            java.lang.foreign.MemorySegment.copy(bits, 0, seg, GemmFixtures.S16_LE, 0, bits.length);
            MatrixOperand w = new MatrixOperand(null, seg, 0, k, n, 1, k, null, StorageType.F16);
            check(w, new MatrixOperand(wide, null, 0, k, n, 1, k), "every finite half, mapped [out, in]");
        }
        assertThat(StorageType.F16.widen((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
    }

    @Test
    void equalsTheGemmWithABiasEpilogue() {
        // the decoding step and the prompt's forward pass give the same bits
        SplittableRandom rnd = new SplittableRandom(57);
        MatrixOperand w = operand(rnd, 768, 700, Layout.ROW_MAJOR, null);
        float[] x = random(rnd, 3 * 768), bias = random(rnd, 700);
        float[] gemv = new float[3 * 700], gemm = new float[3 * 700];
        Gemv.multiply(x, 0, 768, 3, w, bias, 0, gemv, 0, 700);
        Gemm.multiply(MatrixOperand.rowMajor(x, 0, 3, 768), w, gemm, 0, 700, Epilogue.bias(bias, 0));
        assertBitIdentical(gemv, gemm, "GEMV against GEMM");
        Gemm.multiplyPacked(MatrixOperand.rowMajor(x, 0, 3, 768), PackedMatrix.pack(w), gemm, 0, 700, Epilogue.bias(bias, 0));
        assertBitIdentical(gemv, gemm, "GEMV against the packed GEMM");
    }

    @Test
    void sameResultOnOneAndTwoThreads() {
        SplittableRandom rnd = new SplittableRandom(59);
        int saved = Parallel.threads();
        try {
            for (Layout layout : new Layout[] {Layout.ROW_MAJOR, Layout.TRANSPOSED}) {
                MatrixOperand w = operand(rnd, 300, 1001, layout, null); // 1.2 MB: split between threads
                float[] x = random(rnd, 2 * 300);
                float[] one = new float[2 * 1001], two = new float[2 * 1001];
                Parallel.setThreads(1);
                Gemv.multiply(x, 0, 300, 2, w, null, 0, one, 0, 1001);
                Parallel.setThreads(2);
                Gemv.multiply(x, 0, 300, 2, w, null, 0, two, 0, 1001);
                assertBitIdentical(two, one, layout + " on 2 threads vs 1");
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void handComputed() {
        // [1, 2] x [[1, 2, 3], [4, 5, 6]] + [10, 20, 30] = [19, 32, 45]
        MatrixOperand w = MatrixOperand.rowMajor(new float[] {1, 2, 3, 4, 5, 6}, 0, 2, 3);
        float[] out = new float[3];
        Gemv.multiply(new float[] {1, 2}, 0, 2, 1, w, new float[] {10, 20, 30}, 0, out, 0, 3);
        assertThat(out).containsExactly(19, 32, 45);
        Gemv.multiply(new float[] {1, 2}, 0, 2, 1, w.transpose().transpose(), null, 0, out, 0, 3);
        assertThat(out).containsExactly(9, 12, 15);
    }

    @Test
    void badArgumentsAreNamed() {
        MatrixOperand w = MatrixOperand.rowMajor(new float[12], 0, 3, 4);
        float[] x = new float[15];
        assertThatThrownBy(() -> Gemv.multiply(x, 0, 3, 5, w, null, 0, new float[20], 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[5, 3] x [3, 4]")
                .hasMessageContaining("0 to 4");
        assertThatThrownBy(() -> Gemv.multiply(new float[2], 0, 3, 1, w, null, 0, new float[4], 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x (length 2)");
        assertThatThrownBy(() -> Gemv.multiply(x, 0, 3, 2, w, null, 0, new float[7], 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out (length 7)");
        assertThatThrownBy(() -> Gemv.multiply(x, 0, 3, 1, w, new float[3], 0, new float[4], 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bias (length 3)");
        assertThatThrownBy(() -> Gemv.multiply(x, 0, 3, 1, w, null, 0, x, 2, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out overlaps x");
        assertThatThrownBy(() -> Gemv.multiply(x, 0, 3, 1, MatrixOperand.rowMajor(new float[11], 0, 3, 4), null, 0,
                new float[4], 0, 4)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside its storage");
        assertThatThrownBy(() -> Gemv.multiply(null, 0, 3, 1, w, null, 0, new float[4], 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x is null");
    }
}
