package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.matmul.GemmFixtures.Layout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * GEMM on bfloat16 and half-precision operands: widening is exact, so a 16-bit matrix must multiply
 * to the same bits as the float32 matrix of its widened values, for every kernel, layout and
 * storage (heap {@code short[]}, native memory), packed per call or into a {@link PackedMatrix}.
 */
class HalfPrecisionGemmTest {

    private static final int[] ODD = {1, 7, 31, 207};

    private static List<GemmMicroKernel> kernels() {
        return List.of(GemmKernels.panama(), GemmKernels.panama(8, 3), GemmKernels.panama(4, 2), GemmKernels.scalar());
    }

    private static void check(MatrixOperand a, MatrixOperand half, MatrixOperand wide, String what) {
        int m = a.rows(), n = wide.cols();
        float[] ref = new float[m * n];
        Gemm.multiplyScalar(a, wide, ref, 0, n, false);
        float[] oracle = new float[m * n];
        Gemm.multiplyScalar(a, half, oracle, 0, n, false);
        assertBitIdentical(oracle, ref, what + ": scalar oracle on the 16-bit matrix");
        for (GemmMicroKernel kern : kernels()) {
            for (boolean parallel : new boolean[] {false, true}) {
                float[] c = new float[m * n];
                Gemm.multiplyWith(kern, a, half, c, 0, n, false, parallel);
                assertBitIdentical(c, ref, what + " with " + kern.name() + (parallel ? ", parallel" : ""));
            }
            float[] c = new float[m * n];
            Gemm.multiplyPackedWith(a, PackedMatrix.pack(half, kern), c, 0, n, false, Epilogue.none(), true);
            assertBitIdentical(c, ref, what + " packed for " + kern.name());
        }
    }

    @Test
    void sixteenBitBEqualsItsWidenedFloat32OnOddSizes() {
        SplittableRandom rnd = new SplittableRandom(41);
        try (Arena arena = Arena.ofShared()) {
            for (StorageType type : new StorageType[] {StorageType.BF16, StorageType.F16}) {
                for (int m : ODD) {
                    for (int n : ODD) {
                        int k = 3 + (m * n) % 70;
                        MatrixOperand a = operand(rnd, m, k, Layout.ROW_MAJOR, null);
                        MatrixOperand[] heap = halfOperand(rnd, k, n, Layout.ROW_MAJOR, type, null);
                        check(a, heap[0], heap[1], type + " heap [" + m + ", " + k + "] x [" + k + ", " + n + "]");
                        MatrixOperand[] mapped = halfOperand(rnd, k, n, Layout.ROW_MAJOR, type, arena);
                        check(a, mapped[0], mapped[1], type + " segment [" + m + ", " + k + "] x [" + k + ", " + n + "]");
                    }
                }
            }
        }
    }

    /**
     * A transposed B in a segment, as a Hugging Face {@code [out, in]} weight of a mapped checkpoint:
     * k long enough for several k blocks, so packing starts runs at {@code p0 > 0} (float32:
     * {@code GemmTest.nativeSegmentOperands}).
     */
    @Test
    void transposedSegmentBOverSeveralKBlocks() {
        SplittableRandom rnd = new SplittableRandom(47);
        try (Arena arena = Arena.ofShared()) {
            MatrixOperand a = operand(rnd, 37, 1301, Layout.ROW_MAJOR, null);
            for (StorageType type : new StorageType[] {StorageType.BF16, StorageType.F16}) {
                MatrixOperand[] b = halfOperand(rnd, 1301, 101, Layout.TRANSPOSED, type, arena);
                check(a, b[0], b[1], type + " transposed segment [37, 1301] x [1301, 101]");
            }
        }
    }

    @Test
    void everyLayoutOfA16BitB() {
        SplittableRandom rnd = new SplittableRandom(43);
        try (Arena arena = Arena.ofShared()) {
            for (StorageType type : new StorageType[] {StorageType.BF16, StorageType.F16}) {
                for (Layout lb : Layout.values()) {
                    MatrixOperand a = operand(rnd, 29, 130, Layout.ROW_MAJOR, null);
                    MatrixOperand[] b = halfOperand(rnd, 130, 67, lb, type, arena);
                    check(a, b[0], b[1], type + " " + lb);
                }
            }
        }
    }

    @Test
    void sixteenBitA() {
        SplittableRandom rnd = new SplittableRandom(45);
        MatrixOperand[] a = halfOperand(rnd, 19, 50, Layout.TRANSPOSED, StorageType.BF16, null);
        MatrixOperand b = operand(rnd, 50, 33, Layout.ROW_MAJOR, null);
        float[] ref = new float[19 * 33], c = new float[19 * 33];
        Gemm.multiplyScalar(a[1], b, ref, 0, 33, false);
        Gemm.multiply(a[0], b, c, 0, 33, false);
        assertBitIdentical(c, ref, "bf16 A");
    }

    @Test
    void everyHalfBitPatternWidensExactly() {
        // a [1, 65536] row of every F16 bit pattern, packed by the Vector API kernel's fast path
        short[] bits = new short[65536];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = (short) i;
        }
        for (StorageType type : new StorageType[] {StorageType.F16, StorageType.BF16}) {
            PackedMatrix p = PackedMatrix.pack(MatrixOperand.of(type, bits, 0, 1, bits.length), GemmKernels.panama(8, 3));
            int nr = p.nr();
            for (int j = 0; j < bits.length; j++) {
                float got = p.data[j / nr * nr + j % nr];
                float want = type.widen(bits[j]);
                if (Float.isNaN(want)) {
                    assertThat(got).as("%s bits %04x", type, j).isNaN();
                } else if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(want)) {
                    assertThat(got).as("%s bits %04x", type, j).isEqualTo(want);
                }
            }
        }
        // spot checks against hand-computed values
        assertThat(StorageType.F16.widen((short) 0x3c00)).isEqualTo(1f);
        assertThat(StorageType.F16.widen((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(StorageType.F16.widen((short) 0xfc00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(StorageType.BF16.widen((short) 0x3f80)).isEqualTo(1f);
        assertThat(StorageType.BF16.widen((short) 0xc049)).isEqualTo(-3.140625f);
    }

    @Test
    void storageMustSuitTheType() {
        assertThatThrownBy(() -> new MatrixOperand(new float[4], null, 0, 2, 2, 2, 1, null, StorageType.BF16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("float array holds F32");
        assertThatThrownBy(() -> MatrixOperand.of(StorageType.F32, new short[4], 0, 2, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("short array holds BF16 or F16");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = arena.allocate(6);
            // 3 bf16 elements: a [2, 2] view reaches one too far, and says so in elements of its type
            assertThatThrownBy(() -> Gemm.multiply(MatrixOperand.rowMajor(random(new SplittableRandom(1), 4), 0, 2, 2),
                    MatrixOperand.of(StorageType.BF16, seg, 0, 2, 2), new float[4], 0, 2, false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 BF16 elements");
        }
        assertThat(MatrixOperand.of(StorageType.BF16, new short[6], 0, 2, 3).storedBytes()).isEqualTo(12);
    }
}
