package dev.lens4j.tensor.matmul;

import dev.lens4j.tensor.matmul.GemmFixtures.Layout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static dev.lens4j.tensor.matmul.GemmFixtures.assertBitIdentical;
import static dev.lens4j.tensor.matmul.GemmFixtures.operand;
import static dev.lens4j.tensor.matmul.GemmFixtures.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Gemm#multiplyBatched} equals one {@link Gemm#multiplyScalar} per item. */
class GemmBatchedTest {

    /** Attention scores: per head q [pos, d_head] times k^T [d_head, pos], heads side by side in C. */
    @Test
    void attentionScoresPerHead() {
        int heads = 5, pos = 37, dHead = 16;
        SplittableRandom rnd = new SplittableRandom(1);
        // q and k as [pos, heads * d_head] row-major, like the output of a fused QKV projection
        float[] q = random(rnd, pos * heads * dHead), k = random(rnd, pos * heads * dHead);
        int ld = heads * dHead;
        float[] c = new float[heads * pos * pos], expected = new float[heads * pos * pos];
        for (boolean accumulate : new boolean[] {false, true}) {
            for (int h = 0; h < heads; h++) {
                Gemm.multiplyScalar(new MatrixOperand(q, null, h * dHead, pos, dHead, ld, 1),
                        new MatrixOperand(k, null, h * dHead, dHead, pos, 1, ld), expected, h * pos * pos, pos, accumulate);
            }
            Gemm.multiplyBatched(heads,
                    h -> new MatrixOperand(q, null, h * dHead, pos, dHead, ld, 1),
                    h -> new MatrixOperand(k, null, h * dHead, dHead, pos, 1, ld),
                    c, h -> h * pos * pos, pos, accumulate);
            assertBitIdentical(c, expected, "scores, accumulate " + accumulate);
        }
    }

    /**
     * Large items are split inside each product instead of across the batch; same result as one
     * {@link Gemm#multiply} per item (itself checked against the oracle in {@link GemmTest}).
     */
    @Test
    void largeItemsAndUnevenBatches() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (int batch : new int[] {1, 3}) {
            // 18 Mflop per item: above Gemm's small-item limit, so 3 items on 2 threads go one by one
            MatrixOperand[] as = new MatrixOperand[batch], bs = new MatrixOperand[batch];
            for (int t = 0; t < batch; t++) {
                as[t] = operand(rnd, 150, 300, Layout.ROW_MAJOR, null);
                bs[t] = operand(rnd, 300, 200, t % 2 == 0 ? Layout.ROW_MAJOR : Layout.TRANSPOSED, null);
            }
            int size = 150 * 200;
            float[] c = new float[batch * size], expected = new float[batch * size];
            for (int t = 0; t < batch; t++) {
                Gemm.multiply(as[t], bs[t], expected, t * size, 200, false);
            }
            Gemm.multiplyBatched(batch, t -> as[t], t -> bs[t], c, t -> t * size, 200, false);
            assertBitIdentical(c, expected, "batch of " + batch);
        }
    }

    @Test
    void emptyBatchDoesNothing() {
        float[] c = {1f};
        Gemm.multiplyBatched(0, t -> { throw new AssertionError(); }, t -> { throw new AssertionError(); }, c,
                t -> 0, 1, false);
        assertThat(c).containsExactly(1f);
    }

    @Test
    void aBadItemIsReportedBeforeAnythingIsWritten() {
        float[] a = {1, 2, 3, 4};
        float[] c = new float[8];
        assertThatThrownBy(() -> Gemm.multiplyBatched(2,
                t -> MatrixOperand.rowMajor(a, 0, 2, 2),
                t -> t == 0 ? MatrixOperand.rowMajor(a, 0, 2, 2) : MatrixOperand.rowMajor(a, 0, 1, 4),
                c, t -> 4 * t, 2, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch item 1")
                .hasMessageContaining("[2, 2] x [1, 4]");
        assertThat(c).containsOnly(0f);
        assertThatThrownBy(() -> Gemm.multiplyBatched(-1, t -> null, t -> null, c, t -> 0, 2, false))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
