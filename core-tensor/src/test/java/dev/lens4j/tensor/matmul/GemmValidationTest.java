package dev.lens4j.tensor.matmul;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad arguments throw {@link IllegalArgumentException} naming the shapes, before anything is written. */
class GemmValidationTest {

    private static final MatrixOperand A23 = MatrixOperand.rowMajor(new float[6], 0, 2, 3);
    private static final MatrixOperand B34 = MatrixOperand.rowMajor(new float[12], 0, 3, 4);

    @Test
    void innerDimensionMismatch() {
        MatrixOperand b24 = MatrixOperand.rowMajor(new float[8], 0, 2, 4);
        assertThatThrownBy(() -> Gemm.multiply(A23, b24, new float[8], 0, 4, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("inner dimensions")
                .hasMessageContaining("[2, 3] x [2, 4]");
        assertThatThrownBy(() -> Gemm.multiplyScalar(A23, b24, new float[8], 0, 4, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3] x [2, 4]");
    }

    @Test
    void outputTooSmall() {
        assertThatThrownBy(() -> Gemm.multiply(A23, B34, new float[7], 0, 4, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 4]")
                .hasMessageContaining("length 7");
        assertThatThrownBy(() -> Gemm.multiply(A23, B34, new float[8], 1, 4, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("offset 1");
        assertThatThrownBy(() -> Gemm.multiply(A23, B34, new float[8], -1, 4, false))
                .isInstanceOf(IllegalArgumentException.class);
        // rows of C would overlap
        assertThatThrownBy(() -> Gemm.multiply(A23, B34, new float[8], 0, 3, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("row stride 3");
    }

    @Test
    void operandOutsideItsStorage() {
        MatrixOperand tooShort = new MatrixOperand(new float[5], null, 0, 2, 3, 3, 1);
        assertThatThrownBy(() -> Gemm.multiply(tooShort, B34, new float[8], 0, 4, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("A of [2, 3] x [3, 4]")
                .hasMessageContaining("outside its storage");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(11 * Float.BYTES);
            MatrixOperand b = MatrixOperand.rowMajor(seg, 0, 3, 4);
            assertThatThrownBy(() -> Gemm.multiply(A23, b, new float[8], 0, 4, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("B of [2, 3] x [3, 4]");
        }
    }

    @Test
    void outputOverlappingAnInput() {
        float[] shared = new float[20];
        MatrixOperand a = MatrixOperand.rowMajor(shared, 0, 2, 3);
        assertThatThrownBy(() -> Gemm.multiply(a, B34, shared, 4, 4, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("overlaps A");
    }

    @Test
    void operandWithNoOrBothStoragesNamesItsShape() {
        assertThatThrownBy(() -> new MatrixOperand(null, null, 0, 2, 3, 3, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]").hasMessageContaining("no storage");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(6 * Float.BYTES);
            assertThatThrownBy(() -> new MatrixOperand(new float[6], seg, 0, 2, 3, 3, 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[2, 3]").hasMessageContaining("length 6").hasMessageContaining("24 bytes");
        }
        assertThatThrownBy(() -> MatrixOperand.rowMajor(new float[6], 0, -2, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[-2, 3]");
    }

    @Test
    void nullOperandIsNamed() {
        assertThatThrownBy(() -> Gemm.multiply(null, B34, new float[8], 0, 4, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("A is null");
        assertThatThrownBy(() -> Gemm.multiply(A23, null, new float[8], 0, 4, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("B is null");
        assertThatThrownBy(() -> Gemm.multiply(A23, B34, null, 0, 4, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("C is null");
        assertThatThrownBy(() -> Gemm.multiplyBatched(2, t -> A23, t -> t == 1 ? null : B34, new float[16], t -> 8 * t, 4, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch item 1: B is null");
    }

    @Test
    void directRowsKernelNamesTheStridesOfAStridedB() {
        GemmMicroKernel kern = dev.lens4j.tensor.kernel.panama.PanamaGemmKernel.create();
        MatrixOperand bt = MatrixOperand.rowMajor(new float[4 * 64], 0, 64, 4).transpose();  // [4, 64], strides [1, 4]
        assertThatThrownBy(() -> kern.rowsTimesB(new float[4], 0, 1, 4, bt, 0, new float[64], 0, 64, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[4, 64]").hasMessageContaining("strides [1, 4]");
    }
}
