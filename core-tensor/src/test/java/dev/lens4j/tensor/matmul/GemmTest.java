package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.matmul.GemmFixtures.Layout;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static dev.lens4j.tensor.matmul.GemmFixtures.assertBitIdentical;
import static dev.lens4j.tensor.matmul.GemmFixtures.assertClose;
import static dev.lens4j.tensor.matmul.GemmFixtures.magnitude;
import static dev.lens4j.tensor.matmul.GemmFixtures.operand;
import static dev.lens4j.tensor.matmul.GemmFixtures.random;
import static dev.lens4j.tensor.matmul.GemmFixtures.reference;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Gemm} against the scalar oracle {@link Gemm#multiplyScalar} and a double-precision
 * reference: odd sizes around the tile and block sizes, every operand layout, heap and native
 * memory, accumulation, both micro-kernels and both thread counts.
 *
 * <p>Both micro-kernels compute every element as the same in-order chain of fused multiply-adds as
 * the oracle, so they must agree with it bit for bit; the reference check bounds the rounding error
 * itself ({@code 1e-5 sqrt(k)} relative to {@code sum |a| |b|}).
 */
class GemmTest {

    private static final int[] ODD = {1, 7, 13, 31, 207};

    private static List<GemmMicroKernel> kernels() {
        // both Vector API tiles, whichever this machine prefers (8 x 3 vectors for AVX-512, 4 x 2 for AVX2)
        return List.of(GemmKernels.panama(), GemmKernels.panama(8, 3), GemmKernels.panama(4, 2), GemmKernels.scalar());
    }

    /** Runs one product with every kernel and checks it against the oracle and the reference. */
    private static void check(MatrixOperand a, MatrixOperand b, boolean accumulate, int extraLd, String what) {
        int m = a.rows(), n = b.cols(), k = a.cols();
        int ldc = n + extraLd, cOff = 2;
        SplittableRandom rnd = new SplittableRandom(m * 31L + n * 7L + k);
        float[] c0 = random(rnd, cOff + m * ldc + 3);
        float[] oracle = c0.clone();
        Gemm.multiplyScalar(a, b, oracle, cOff, ldc, accumulate);
        assertClose(oracle, cOff, ldc, reference(a, b, c0, cOff, ldc, accumulate), magnitude(a, b), c0, accumulate,
                m, n, k, what + " (oracle)");
        for (GemmMicroKernel kern : kernels()) {
            for (boolean parallel : new boolean[] {false, true}) {
                float[] c = c0.clone();
                Gemm.multiplyWith(kern, a, b, c, cOff, ldc, accumulate, parallel);
                // includes the padding around C, which must be untouched
                assertBitIdentical(c, oracle, what + " with " + kern.name() + (parallel ? ", parallel" : ""));
            }
        }
        float[] c = c0.clone();
        Gemm.multiply(a, b, c, cOff, ldc, accumulate);
        assertBitIdentical(c, oracle, what + " with Gemm.multiply");
    }

    static Stream<Arguments> oddSizes() {
        List<Arguments> args = new ArrayList<>();
        for (int m : ODD) {
            for (int n : ODD) {
                args.add(Arguments.of(m, n));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "[{0}, k] x [k, {1}]")
    @MethodSource("oddSizes")
    void oddSizesAgreeWithTheOracle(int m, int n) {
        SplittableRandom rnd = new SplittableRandom(m * 1000L + n);
        for (int k : new int[] {0, 1, 13, 207}) {
            MatrixOperand a = operand(rnd, m, k, Layout.ROW_MAJOR, null);
            MatrixOperand b = operand(rnd, k, n, Layout.ROW_MAJOR, null);
            check(a, b, false, 0, "[" + m + ", " + k + "] x [" + k + ", " + n + "]");
        }
    }

    @Test
    void theTileFollowsTheVectorRegisters() {
        GemmMicroKernel k = GemmKernels.panama();
        int lanes = k.nrStep();
        // 16 lanes (AVX-512, 32 registers): 8 x 3 vectors; fewer (AVX2, 16 registers): 4 x 2
        assertThat(k.mr()).as(k.name()).isEqualTo(lanes >= 16 ? 8 : 4);
        assertThat(k.nr()).as(k.name()).isEqualTo((lanes >= 16 ? 3 : 2) * lanes);
        assertThat(k.rowsNr()).as(k.name()).isEqualTo(3 * lanes);
        assertThat(GemmKernels.panama(4, 2).name()).startsWith("panama 4x" + 2 * lanes);
    }

    @Test
    void sizesAcrossTheCacheBlocks() {
        // k = 702 and 1025 span several KC blocks (256), m = 1025 several MC blocks, n = 702 several panels
        SplittableRandom rnd = new SplittableRandom(7);
        check(operand(rnd, 31, 702, Layout.ROW_MAJOR, null), operand(rnd, 702, 207, Layout.ROW_MAJOR, null),
                false, 3, "[31, 702] x [702, 207]");
        check(operand(rnd, 1025, 13, Layout.ROW_MAJOR, null), operand(rnd, 13, 702, Layout.ROW_MAJOR, null),
                true, 0, "[1025, 13] x [13, 702]");
        check(operand(rnd, 7, 1025, Layout.ROW_MAJOR, null), operand(rnd, 1025, 31, Layout.TRANSPOSED, null),
                false, 0, "[7, 1025] x [1025, 31]^T");
    }

    /**
     * A deep row-major B (the unembedding's backward pass multiplies by W_E: 50,257 rows of 768) runs
     * in chunks of k, each adding to C, with the bits of one product: one A block and several (the
     * shared column blocks made small to cross them), overwriting and accumulating. Deep enough (5,001
     * rows) to be split with the AVX2 tile's 16-float panels too, not only with the 48-float ones.
     */
    @Test
    void deepRowMajorBRunsInChunksOfKWithTheBitsOfOneProduct() {
        SplittableRandom rnd = new SplittableRandom(29);
        GemmBlocking bl = GemmBlocking.of(GemmKernels.panama());
        MatrixOperand deep = operand(rnd, 5001, 400, Layout.ROW_MAJOR, null);
        assertThat(BlockedGemm.depthChunk(GemmKernels.panama(), bl, deep, 20, 5001, 400)).isLessThan(5001);
        check(operand(rnd, 20, 5001, Layout.ROW_MAJOR, null), deep, false, 1, "[20, 5001] x [5001, 400]");
        check(operand(rnd, 9, 5001, Layout.TRANSPOSED, null), deep, true, 0, "[9, 5001]^T x [5001, 400], accumulating");
        int saved = BlockedGemm.bBlockFloats;
        BlockedGemm.bBlockFloats = 60_000;
        try {
            assertThat(BlockedGemm.depthChunk(GemmKernels.panama(), bl, deep, 600, 5001, 400)).isLessThan(5001);
            check(operand(rnd, 600, 5001, Layout.ROW_MAJOR, null), deep, true, 2, "[600, 5001] x [5001, 400], several A blocks");
        } finally {
            BlockedGemm.bBlockFloats = saved;
        }
        // a B whose rows are read whole, or in runs of 8 panels and more, is packed in one piece
        assertThat(BlockedGemm.depthChunk(GemmKernels.panama(), bl, operand(rnd, 768, 2304, Layout.ROW_MAJOR, null), 128, 768, 2304))
                .isEqualTo(768);
    }

    @Test
    void wideOutputLikeTheUnembedding() {
        // n = 50257 (GPT-2's vocabulary) crosses many NC blocks and ends in a 1-column panel
        SplittableRandom rnd = new SplittableRandom(11);
        check(operand(rnd, 3, 37, Layout.ROW_MAJOR, null), operand(rnd, 37, 50257, Layout.TRANSPOSED, null),
                false, 0, "[3, 37] x [37, 50257]^T");
    }

    @Test
    void fewRowsOfA() {
        // m < 8 with a row-major B takes the direct path that reads B in place (decoding one token)
        SplittableRandom rnd = new SplittableRandom(19);
        try (Arena arena = Arena.ofConfined()) {
            for (int m = 1; m <= 7; m++) {
                check(operand(rnd, m, 45, Layout.ROW_MAJOR, null), operand(rnd, 45, 101, Layout.WINDOW, null),
                        m % 2 == 0, 1, "[" + m + ", 45] x [45, 101], heap");
                check(operand(rnd, m, 45, Layout.TRANSPOSED, null), operand(rnd, 45, 150, Layout.ROW_MAJOR, arena),
                        m % 2 == 1, 0, "[" + m + ", 45] x [45, 150], segment");
            }
        }
    }

    @Test
    void fewRowsTimesATransposedBLikeADecodingStepsAttentionScores() {
        // q [m <= 4, d_head] times k^T: B is a transposed view of the cached keys, rows d_model apart, which
        // the GEMV reads through its register transposes; every k and n around its 16-lane groups
        SplittableRandom rnd = new SplittableRandom(29);
        int width = 96; // the keys' row stride: several heads side by side
        for (int m = 1; m <= 5; m++) {
            for (int k : new int[] {1, 15, 16, 33, 64}) {
                for (int n : new int[] {1, 16, 17, 47, 300}) {
                    float[] keys = random(rnd, n * width + 5);
                    MatrixOperand kT = new MatrixOperand(keys, null, 5 + (m % 2) * 16, k, n, 1, width);
                    check(operand(rnd, m, k, Layout.ROW_MAJOR, null), kT, false, m % 3,
                            "[" + m + ", " + k + "] x k^T [" + k + ", " + n + "]");
                }
            }
        }
        // big enough for the GEMV to split the columns between threads (more than 256 KB of B)
        float[] keys = random(rnd, 1200 * width);
        check(operand(rnd, 3, 64, Layout.TRANSPOSED, null), new MatrixOperand(keys, null, 0, 64, 1200, 1, width), false, 0,
                "[3, 64] x k^T [64, 1200]");
        check(operand(rnd, 1, 64, Layout.ROW_MAJOR, null), new MatrixOperand(keys, null, 0, 64, 1200, 1, width), true, 0,
                "[1, 64] x k^T [64, 1200], accumulating");
    }

    @Test
    void smallProductsReadBothOperandsInPlace() {
        // attention's per-(batch, head) products: both operands within BlockedGemm.DIRECT_FLOATS take the
        // kernel's direct path (no packing) when B has unit column stride and whole vectors of columns
        SplittableRandom rnd = new SplittableRandom(23);
        int lanes = GemmKernels.panama().nrStep();
        float[] c = new float[48 * 16];
        MatrixOperand a48 = operand(rnd, 48, 48, Layout.ROW_MAJOR, null), b16 = operand(rnd, 48, 16, Layout.ROW_MAJOR, null);
        assertThat(GemmKernels.panama().direct(a48, b16, c, 0, 16, false)).as("the Vector API kernel's direct path").isTrue();
        assertThat(GemmKernels.scalar().direct(a48, b16, c, 0, 16, false)).as("the scalar kernel has none").isFalse();
        for (Layout la : Layout.values()) {
            for (int m : new int[] {8, 13, 48}) {
                for (int n : new int[] {lanes, 2 * lanes, 4 * lanes, 3 * lanes + 1}) {
                    for (int k : new int[] {1, 16, 48}) {
                        check(operand(rnd, m, k, la, null), operand(rnd, k, n, Layout.ROW_MAJOR, null), (m + k) % 2 == 0, 3,
                                "[" + m + ", " + k + "] x [" + k + ", " + n + "], A " + la);
                    }
                }
            }
        }
    }

    @Test
    void everyLayoutOnEitherSide() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (Layout la : Layout.values()) {
            for (Layout lb : Layout.values()) {
                MatrixOperand a = operand(rnd, 37, 29, la, null);
                MatrixOperand b = operand(rnd, 29, 53, lb, null);
                check(a, b, false, 1, "A " + la + ", B " + lb);
            }
        }
    }

    @Test
    void transposeViewsOfTheSameMatrix() {
        // X X^T and X^T X from one row-major X: the attention-score and Gram-matrix patterns
        SplittableRandom rnd = new SplittableRandom(5);
        MatrixOperand x = operand(rnd, 67, 45, Layout.ROW_MAJOR, null);
        check(x, x.transpose(), false, 0, "X X^T");
        check(x.transpose(), x, false, 0, "X^T X");
    }

    @Test
    void nativeSegmentOperands() {
        SplittableRandom rnd = new SplittableRandom(9);
        try (Arena arena = Arena.ofConfined()) {
            for (Layout la : Layout.values()) {
                for (Layout lb : Layout.values()) {
                    MatrixOperand a = operand(rnd, 41, 70, la, arena);
                    MatrixOperand b = operand(rnd, 70, 50, lb, arena);
                    check(a, b, false, 0, "segment A " + la + ", segment B " + lb);
                }
            }
            // one heap, one native
            check(operand(rnd, 20, 33, Layout.ROW_MAJOR, null), operand(rnd, 33, 97, Layout.ROW_MAJOR, arena),
                    true, 0, "heap A, segment B");
        }
    }

    /** A transposed segment B over several k blocks (a mapped Hugging Face {@code [out, in]} weight), on any thread. */
    @Test
    void transposedSegmentBOverSeveralKBlocks() {
        SplittableRandom rnd = new SplittableRandom(11);
        try (Arena arena = Arena.ofShared()) {
            check(operand(rnd, 37, 1301, Layout.ROW_MAJOR, null), operand(rnd, 1301, 101, Layout.TRANSPOSED, arena),
                    false, 0, "heap A, transposed segment B, k 1301");
        }
    }

    @Test
    void accumulateAddsToC() {
        SplittableRandom rnd = new SplittableRandom(13);
        for (int k : new int[] {0, 5, 300}) {
            check(operand(rnd, 19, k, Layout.ROW_MAJOR, null), operand(rnd, k, 61, Layout.ROW_MAJOR, null),
                    true, 2, "accumulate, k = " + k);
        }
    }

    @Test
    void handComputed() {
        // [[1, 2, 3], [4, 5, 6]] x [[7, 8], [9, 10], [11, 12]] = [[58, 64], [139, 154]]
        MatrixOperand a = MatrixOperand.rowMajor(new float[] {1, 2, 3, 4, 5, 6}, 0, 2, 3);
        MatrixOperand b = MatrixOperand.rowMajor(new float[] {7, 8, 9, 10, 11, 12}, 0, 3, 2);
        float[] c = {-1, -1, -1, -1, -1, -1, -1};
        // C at offset 1 with row stride 3: the elements in between stay untouched
        Gemm.multiply(a, b, c, 1, 3, false);
        assertThat(c).containsExactly(-1, 58, 64, -1, 139, 154, -1);
        Gemm.multiply(a, b, c, 1, 3, true);
        assertThat(c).containsExactly(-1, 116, 128, -1, 278, 308, -1);
        // k = 0 overwrites with zeros, or leaves C alone when accumulating
        MatrixOperand empty = MatrixOperand.rowMajor(new float[0], 0, 2, 0);
        MatrixOperand empty2 = MatrixOperand.rowMajor(new float[0], 0, 0, 2);
        Gemm.multiply(empty, empty2, c, 1, 3, true);
        assertThat(c).containsExactly(-1, 116, 128, -1, 278, 308, -1);
        Gemm.multiply(empty, empty2, c, 1, 3, false);
        assertThat(c).containsExactly(-1, 0, 0, -1, 0, 0, -1);
    }

    @Test
    void sameResultOnOneAndTwoThreads() {
        SplittableRandom rnd = new SplittableRandom(17);
        // big enough to be split (more than 4 Mflop), once by rows and once by columns
        MatrixOperand[][] cases = {
            {operand(rnd, 300, 257, Layout.ROW_MAJOR, null), operand(rnd, 257, 61, Layout.ROW_MAJOR, null)},
            {operand(rnd, 45, 257, Layout.ROW_MAJOR, null), operand(rnd, 257, 700, Layout.TRANSPOSED, null)},
            // few rows: B streamed in place, split by column panels
            {operand(rnd, 5, 257, Layout.ROW_MAJOR, null), operand(rnd, 257, 1000, Layout.ROW_MAJOR, null)},
        };
        int saved = Parallel.threads();
        try {
            for (MatrixOperand[] ab : cases) {
                int m = ab[0].rows(), n = ab[1].cols();
                float[] one = new float[m * n], two = new float[m * n];
                Parallel.setThreads(1);
                Gemm.multiply(ab[0], ab[1], one, 0, n, false);
                Parallel.setThreads(2);
                Gemm.multiply(ab[0], ab[1], two, 0, n, false);
                assertBitIdentical(two, one, "[" + m + ", 257] x [257, " + n + "] on 2 threads vs 1");
                float[] batchedOne = new float[2 * m * n], batchedTwo = new float[2 * m * n];
                Parallel.setThreads(1);
                Gemm.multiplyBatched(2, t -> ab[0], t -> ab[1], batchedOne, t -> t * m * n, n, false);
                Parallel.setThreads(2);
                Gemm.multiplyBatched(2, t -> ab[0], t -> ab[1], batchedTwo, t -> t * m * n, n, false);
                assertBitIdentical(batchedTwo, batchedOne, "batched on 2 threads vs 1");
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }
}
