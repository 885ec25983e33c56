package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.tensor.matmul.GemmFixtures.Layout;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static dev.lens4j.tensor.matmul.GemmFixtures.assertBitIdentical;
import static dev.lens4j.tensor.matmul.GemmFixtures.operand;
import static dev.lens4j.tensor.matmul.GemmFixtures.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link PackedMatrix} and {@link Epilogue}: a product from a packed B is bit-identical to the scalar
 * oracle on the matrix B was packed from, for every kernel, thread count and layout; each fused
 * epilogue is bit-identical to the separate steps it replaces.
 */
class PackedGemmTest {

    private static final int[] ODD = {1, 7, 13, 31, 207};

    private static List<GemmMicroKernel> kernels() {
        return List.of(GemmKernels.panama(), GemmKernels.panama(8, 3), GemmKernels.panama(4, 2), GemmKernels.scalar());
    }

    /** Packs b for every kernel and checks the product against the oracle, serial and parallel. */
    private static void check(MatrixOperand a, MatrixOperand b, boolean accumulate, String what) {
        int m = a.rows(), n = b.cols();
        int ldc = n + 3, cOff = 1;
        float[] c0 = random(new SplittableRandom(m * 7L + n), cOff + m * ldc + 2);
        float[] oracle = c0.clone();
        Gemm.multiplyScalar(a, b, oracle, cOff, ldc, accumulate);
        for (GemmMicroKernel kern : kernels()) {
            PackedMatrix packed = PackedMatrix.pack(b, kern);
            assertThat(packed.rows()).isEqualTo(b.rows());
            assertThat(packed.cols()).isEqualTo(n);
            for (boolean parallel : new boolean[] {false, true}) {
                float[] c = c0.clone();
                Gemm.multiplyPackedWith(a, packed, c, cOff, ldc, accumulate, Epilogue.none(), parallel);
                assertBitIdentical(c, oracle, what + " packed for " + kern.name() + (parallel ? ", parallel" : ""));
            }
        }
        float[] c = c0.clone();
        Gemm.multiplyPacked(a, PackedMatrix.pack(b), c, cOff, ldc, accumulate);
        assertBitIdentical(c, oracle, what + " with Gemm.multiplyPacked");
    }

    @Test
    void packedBytesIsWhatPackingAllocates() {
        SplittableRandom rnd = new SplittableRandom(61);
        for (int[] kn : new int[][] {{1, 1}, {7, 50}, {33, 48}, {64, 97}, {65, 1000}, {768, 257}}) {
            for (StorageType type : new StorageType[] {StorageType.F32, StorageType.BF16, StorageType.F16}) {
                MatrixOperand b = type == StorageType.F32 ? operand(rnd, kn[0], kn[1], Layout.ROW_MAJOR, null)
                        : GemmFixtures.halfOperand(rnd, kn[0], kn[1], Layout.TRANSPOSED, type, null)[0];
                PackedMatrix p = type == StorageType.BF16 ? PackedMatrix.packBfloat16(b) : PackedMatrix.pack(b);
                assertThat(PackedMatrix.packedBytes(kn[0], kn[1], type)).as("%s [%d, %d]", type, kn[0], kn[1])
                        .isEqualTo(p.bytes());
            }
        }
        assertThatThrownBy(() -> PackedMatrix.packedBytes(-1, 3, StorageType.F32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[-1, 3]");
    }

    @Test
    void oddSizesAgreeWithTheOracle() {
        SplittableRandom rnd = new SplittableRandom(21);
        for (int m : ODD) {
            for (int n : ODD) {
                for (int k : new int[] {0, 1, 13, 207}) {
                    check(operand(rnd, m, k, Layout.ROW_MAJOR, null), operand(rnd, k, n, Layout.ROW_MAJOR, null),
                            (m + n) % 2 == 0, "[" + m + ", " + k + "] x [" + k + ", " + n + "]");
                }
            }
        }
    }

    /**
     * Fewer rows than a tile (a decoding step) stream the packed panels with the kernel's small-row path,
     * split between the threads once B is a few hundred KB, and the narrow last panel takes one GEMV pass
     * (1 to 4 rows) or the tile (5 to 7): the oracle's bits for 1 to 7 rows, overwriting and accumulating.
     */
    @Test
    void aFewRowsStreamThePanels() {
        SplittableRandom rnd = new SplittableRandom(27);
        MatrixOperand b = operand(rnd, 301, 350, Layout.ROW_MAJOR, null);   // 421 KB; 7 panels of 48 and one of 16
        for (int m = 1; m <= 7; m++) {
            check(operand(rnd, m, 301, m % 2 == 0 ? Layout.ROW_MAJOR : Layout.TRANSPOSED, null), b, m % 3 == 0,
                    "[" + m + ", 301] x [301, 350]");
        }
    }

    @Test
    void everyLayoutAndStorageOfB() {
        SplittableRandom rnd = new SplittableRandom(23);
        try (Arena arena = Arena.ofShared()) {
            for (Layout lb : Layout.values()) {
                check(operand(rnd, 37, 300, Layout.ROW_MAJOR, null), operand(rnd, 300, 101, lb, null), false, "heap B " + lb);
                check(operand(rnd, 9, 70, Layout.TRANSPOSED, null), operand(rnd, 70, 50, lb, arena), true, "segment B " + lb);
            }
        }
    }

    @Test
    void manyRowBlocksAndDepthBlocks() {
        // m = 600 spans several A blocks, k = 700 several depth blocks, n = 149 ends in a narrow panel
        SplittableRandom rnd = new SplittableRandom(25);
        check(operand(rnd, 600, 700, Layout.ROW_MAJOR, null), operand(rnd, 700, 149, Layout.TRANSPOSED, null), false,
                "[600, 700] x [700, 149]^T");
    }

    @Test
    void packedAndPerCallPackingGiveTheSameBitsOnOneAndTwoThreads() {
        SplittableRandom rnd = new SplittableRandom(27);
        MatrixOperand[][] cases = {
            {operand(rnd, 300, 257, Layout.ROW_MAJOR, null), operand(rnd, 257, 61, Layout.ROW_MAJOR, null)},
            {operand(rnd, 45, 257, Layout.ROW_MAJOR, null), operand(rnd, 257, 700, Layout.TRANSPOSED, null)},
        };
        int saved = Parallel.threads();
        try {
            for (MatrixOperand[] ab : cases) {
                int m = ab[0].rows(), n = ab[1].cols();
                PackedMatrix packed = PackedMatrix.pack(ab[1]);
                float[] ref = new float[m * n];
                Gemm.multiplyScalar(ab[0], ab[1], ref, 0, n, false);
                for (int threads : new int[] {1, 2}) {
                    Parallel.setThreads(threads);
                    float[] c = new float[m * n];
                    Gemm.multiplyPacked(ab[0], packed, c, 0, n, false);
                    assertBitIdentical(c, ref, "packed, " + threads + " threads");
                    float[] d = new float[m * n];
                    Gemm.multiply(ab[0], ab[1], d, 0, n, false);
                    assertBitIdentical(d, ref, "per call, " + threads + " threads");
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void perCallPackingAcrossColumnBlocks() {
        // shrink the column blocks of per-call packing so that a small product crosses several
        int saved = BlockedGemm.bBlockFloats;
        BlockedGemm.bBlockFloats = 40 * 100;
        try {
            SplittableRandom rnd = new SplittableRandom(29);
            MatrixOperand a = operand(rnd, 700, 40, Layout.ROW_MAJOR, null);
            for (Layout lb : new Layout[] {Layout.ROW_MAJOR, Layout.TRANSPOSED}) {
                MatrixOperand b = operand(rnd, 40, 333, lb, null);
                float[] ref = new float[700 * 333], c = new float[700 * 333];
                Gemm.multiplyScalar(a, b, ref, 0, 333, false);
                Gemm.multiply(a, b, c, 0, 333, false);
                assertBitIdentical(c, ref, "column blocks of 96 columns, B " + lb);
            }
        } finally {
            BlockedGemm.bBlockFloats = saved;
        }
    }

    @Test
    void fusedEpiloguesEqualTheSeparateSteps() {
        SplittableRandom rnd = new SplittableRandom(31);
        var kk = KernelProvider.kernels();
        // shapes for the GEMV's few rows (1 to 4), the small-row path (5 to 7), one tile block, several A
        // blocks; n with a narrow last panel; B row-major and transposed
        int[][] shapes = {{1, 33, 47}, {3, 64, 150}, {4, 17, 16}, {6, 64, 150}, {37, 200, 101}, {300, 77, 61}};
        for (int[] s : shapes) {
            for (Layout lb : new Layout[] {Layout.ROW_MAJOR, Layout.TRANSPOSED}) {
                int m = s[0], k = s[1], n = s[2];
                MatrixOperand a = operand(rnd, m, k, Layout.ROW_MAJOR, null);
                MatrixOperand b = operand(rnd, k, n, lb, null);
                float[] bias = random(rnd, n + 2);
                float[] resid = random(rnd, m * n + 5);
                // unfused: copy the bias into C, accumulate the product, then gelu_new / add the residual
                float[] withBias = new float[m * n];
                for (int i = 0; i < m; i++) {
                    System.arraycopy(bias, 2, withBias, i * n, n);
                }
                Gemm.multiplyScalar(a, b, withBias, 0, n, true);
                float[] gelu = withBias.clone();
                float[] added = withBias.clone();
                for (int i = 0; i < m; i++) {
                    kk.geluNew(gelu, i * n, gelu, i * n, n);
                    kk.add(resid, 5 + i * n, added, i * n, added, i * n, n);
                }
                String what = "[" + m + ", " + k + "] x [" + k + ", " + n + "], B " + lb;
                PackedMatrix packed = PackedMatrix.pack(b);
                float[] c = new float[m * n];
                Gemm.multiply(a, b, c, 0, n, Epilogue.bias(bias, 2));
                assertBitIdentical(c, withBias, what + ": bias");
                Gemm.multiplyPacked(a, packed, c, 0, n, Epilogue.bias(bias, 2));
                assertBitIdentical(c, withBias, what + ": bias, packed");
                Gemm.multiply(a, b, c, 0, n, Epilogue.biasGeluNew(bias, 2));
                assertBitIdentical(c, gelu, what + ": bias + gelu_new");
                Gemm.multiplyPacked(a, packed, c, 0, n, Epilogue.biasGeluNew(bias, 2));
                assertBitIdentical(c, gelu, what + ": bias + gelu_new, packed");
                Gemm.multiply(a, b, c, 0, n, Epilogue.biasResidual(bias, 2, resid, 5, n));
                assertBitIdentical(c, added, what + ": bias + residual");
                Gemm.multiplyPacked(a, packed, c, 0, n, Epilogue.biasResidual(bias, 2, resid, 5, n));
                assertBitIdentical(c, added, what + ": bias + residual, packed");
            }
        }
    }

    /**
     * A bfloat16 B packed as bfloat16 ({@link PackedMatrix#packBfloat16}) gives the oracle's bits on its
     * exactly widened values for every kernel, thread count, layout and storage: one row (eight or four
     * panels read at once, widened in registers, the rest widened into scratch), 2 to 7 rows (the small-row
     * path on widened panels), many rows (the tile on widened panels); k odd and even, a narrow last
     * panel (of 32 columns, as Llama's 512- and 2,048-column products end); with and without a bias; B row-major, transposed (a Hugging Face {@code [out, in]} weight),
     * a window and strided.
     */
    @Test
    void bfloat16PanelsGiveTheBitsOfTheWidenedMatrix() {
        SplittableRandom rnd = new SplittableRandom(35);
        try (Arena arena = Arena.ofShared()) {
            int[][] shapes = {{1, 301, 350}, {1, 300, 400}, {1, 63, 800}, {1, 7, 49}, {1, 64, 512}, {2, 301, 350}, {3, 130, 512}, {4, 64, 200}, {7, 13, 150}, {37, 201, 101}, {300, 77, 61}};
            for (int[] sh : shapes) {
                int m = sh[0], k = sh[1], n = sh[2];
                for (Layout lb : Layout.values()) {
                    for (Arena where : new Arena[] {null, arena}) {
                        MatrixOperand[] b = GemmFixtures.halfOperand(rnd, k, n, lb, StorageType.BF16, where);
                        MatrixOperand a = operand(rnd, m, k, m % 2 == 0 ? Layout.ROW_MAJOR : Layout.TRANSPOSED, null);
                        String what = "[" + m + ", " + k + "] x bfloat16 [" + k + ", " + n + "] " + lb
                                + (where == null ? " heap" : " segment");
                        float[] bias = random(rnd, n);
                        float[] ref = new float[m * n], refBias = new float[m * n];
                        Gemm.multiplyScalar(a, b[1], ref, 0, n, false);
                        for (int i = 0; i < m; i++) {
                            System.arraycopy(bias, 0, refBias, i * n, n);
                        }
                        Gemm.multiplyScalar(a, b[1], refBias, 0, n, true);
                        for (GemmMicroKernel kern : kernels()) {
                            PackedMatrix packed = PackedMatrix.packBfloat16(b[0], kern);
                            assertThat(packed.type()).isEqualTo(StorageType.BF16);
                            assertThat(packed.bytes()).isEqualTo(2L * ((k + 1) / 2 * 2) * BlockedGemm.paddedWidth(n, kern.nr(), kern.nrStep()));
                            for (boolean parallel : new boolean[] {false, true}) {
                                float[] c = new float[m * n];
                                Gemm.multiplyPackedWith(a, packed, c, 0, n, false, Epilogue.none(), parallel);
                                assertBitIdentical(c, ref, what + " packed for " + kern.name() + (parallel ? ", parallel" : ""));
                                Gemm.multiplyPackedWith(a, packed, c, 0, n, false, Epilogue.bias(bias, 0), parallel);
                                assertBitIdentical(c, refBias, what + " + bias packed for " + kern.name() + (parallel ? ", parallel" : ""));
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void onlyBfloat16PacksAsBfloat16() {
        SplittableRandom rnd = new SplittableRandom(37);
        MatrixOperand half = GemmFixtures.halfOperand(rnd, 4, 5, Layout.ROW_MAJOR, StorageType.F16, null)[0];
        assertThatThrownBy(() -> PackedMatrix.packBfloat16(half))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stored as F16, not BF16");
        assertThatThrownBy(() -> PackedMatrix.packBfloat16(operand(rnd, 4, 5, Layout.ROW_MAJOR, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stored as F32, not BF16");
        assertThatThrownBy(() -> PackedMatrix.packBfloat16(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null");
    }

    @Test
    void badPackedProductsAreNamed() {
        SplittableRandom rnd = new SplittableRandom(33);
        MatrixOperand a = operand(rnd, 4, 5, Layout.ROW_MAJOR, null);
        PackedMatrix b = PackedMatrix.pack(operand(rnd, 6, 3, Layout.ROW_MAJOR, null));
        assertThatThrownBy(() -> Gemm.multiplyPacked(a, b, new float[12], 0, 3, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[4, 5] x [6, 3]");
        PackedMatrix b5 = PackedMatrix.pack(operand(rnd, 5, 3, Layout.ROW_MAJOR, null));
        assertThatThrownBy(() -> Gemm.multiplyPacked(a, b5, new float[11], 0, 3, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("length 11");
        assertThatThrownBy(() -> Gemm.multiplyPacked(a, b5, new float[12], 0, 3, Epilogue.bias(new float[2], 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bias (length 2)");
        float[] c = new float[13];
        assertThatThrownBy(() -> Gemm.multiplyPacked(a, b5, c, 0, 3, Epilogue.biasResidual(null, 0, c, 1, 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("residual overlaps C");
        assertThatThrownBy(() -> Gemm.multiplyPacked(a, b5, c, 0, 3, Epilogue.biasResidual(null, 0, new float[10], 0, 3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("residual (length 10)");
        assertThatThrownBy(() -> Gemm.multiplyPackedWith(a, b5, c, 0, 3, true, Epilogue.bias(new float[3], 0), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot accumulate");
        assertThatThrownBy(() -> PackedMatrix.pack(new MatrixOperand(new float[5], null, 0, 2, 3, 3, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside its storage");
    }
}
