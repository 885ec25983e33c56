package dev.lens4j.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TensorTest {

    private static Tensor t23() {
        return Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    }

    /** Naive reference matmul on row-major arrays. */
    private static float[] naive(float[] a, float[] b, int m, int k, int n) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[i * k + p] * b[p * n + j];
                }
                c[i * n + j] = (float) s;
            }
        }
        return c;
    }

    @Test
    void viewsShareStorageAndIndexCorrectly() {
        Tensor x = t23();
        Tensor t = x.transpose(0, 1);
        assertThat(t.shape()).containsExactly(3, 2);
        assertThat(t.get(2, 1)).isEqualTo(6f);
        assertThat(t.isContiguous()).isFalse();
        assertThat(t.toArray()).containsExactly(1, 4, 2, 5, 3, 6);
        assertThat(t.sharesStorageWith(x)).isTrue();
        x.set(60f, 1, 2);
        assertThat(t.get(2, 1)).isEqualTo(60f);

        Tensor s = x.slice(1, 1, 3);
        assertThat(s.shape()).containsExactly(2, 2);
        assertThat(s.toArray()).containsExactly(2, 3, 5, 60);
        assertThat(x.slice(1, 0, 3, 2).toArray()).containsExactly(1, 3, 4, 60);
        assertThat(x.select(0, 1).toArray()).containsExactly(4, 5, 60);
        assertThat(x.select(1, -1).toArray()).containsExactly(3, 60);
        assertThat(x.unsqueeze(0).shape()).containsExactly(1, 2, 3);
        assertThat(x.unsqueeze(-1).shape()).containsExactly(2, 3, 1);
        assertThat(x.unsqueeze(1).squeeze(1).toArray()).containsExactly(x.toArray());
        assertThat(x.indexSelect(1, 2, 0, 2).toArray()).containsExactly(3, 1, 3, 60, 4, 60);
    }

    @Test
    void reshapeIsAViewWhenPossibleAndACopyOtherwise() {
        Tensor x = Tensor.arange(24).reshape(2, 3, 4);
        Tensor v = x.reshape(6, -1);
        assertThat(v.shape()).containsExactly(6, 4);
        assertThat(v.sharesStorageWith(x)).isTrue();
        Tensor p = x.permute(0, 2, 1); // [2, 4, 3]
        assertThatThrownBy(() -> p.view(8, 3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 4, 3]");
        Tensor r = p.reshape(8, 3);
        assertThat(r.sharesStorageWith(x)).isFalse();
        assertThat(r.get(1, 0)).isEqualTo(1f); // p[0][1][0] = x[0][0][1]
        // merging the leading dims of a permuted tensor is still a view
        Tensor q = x.permute(1, 0, 2).slice(0, 1, 2).reshape(2, 4);
        assertThat(q.toArray()).containsExactly(4, 5, 6, 7, 16, 17, 18, 19);
        assertThatThrownBy(() -> x.reshape(5, -1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 3, 4]");
    }

    @Test
    void broadcastingFollowsNumpy() {
        Tensor x = t23();
        Tensor row = Tensor.of(new float[] {10, 20, 30}, 3);
        Tensor col = Tensor.of(new float[] {100, 200}, 2, 1);
        assertThat(x.add(row).toArray()).containsExactly(11, 22, 33, 14, 25, 36);
        assertThat(x.add(col).toArray()).containsExactly(101, 102, 103, 204, 205, 206);
        assertThat(col.mul(row).shape()).containsExactly(2, 3);
        assertThat(col.mul(row).toArray()).containsExactly(1000, 2000, 3000, 2000, 4000, 6000);
        assertThat(x.transpose(0, 1).sub(Tensor.of(new float[] {1, 1}, 2)).toArray()).containsExactly(0, 3, 1, 4, 2, 5);
        assertThat(x.div(2f).toArray()).containsExactly(0.5f, 1, 1.5f, 2, 2.5f, 3);
        assertThat(x.broadcastTo(4, 2, 3).get(3, 1, 2)).isEqualTo(6f);
        assertThatThrownBy(() -> x.add(Tensor.zeros(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[2, 3]").hasMessageContaining("[2]");
    }

    @Test
    void reductionsAlongAxes() {
        Tensor x = t23();
        assertThat(x.sum(0, false).toArray()).containsExactly(5, 7, 9);
        assertThat(x.sum(-1, true).shape()).containsExactly(2, 1);
        assertThat(x.sum(-1, true).toArray()).containsExactly(6, 15);
        assertThat(x.mean(1, false).toArray()).containsExactly(2, 5);
        assertThat(x.max(0, false).toArray()).containsExactly(4, 5, 6);
        assertThat(Tensor.of(new float[] {3, 9, 9, 1}, 2, 2).argmax(1, false).toArray()).containsExactly(1, 0);
        assertThat(Tensor.of(new float[] {3, 4}, 2).norm()).isEqualTo(5f);
        assertThat(x.norm(0, false).get(0)).isCloseTo((float) Math.sqrt(17), within(1e-6f));
        assertThat(x.min(1, false).toArray()).containsExactly(1, 4);
        assertThat(x.sum()).isEqualTo(21f);
        assertThat(x.argmax()).isEqualTo(5);
    }

    @Test
    void matmulMatchesNaiveWithTransposesAndBatches() {
        int m = 13, k = 31, n = 7;
        Tensor a = Tensor.randn(1, m, k);
        Tensor b = Tensor.randn(2, k, n);
        float[] ref = naive(a.toArray(), b.toArray(), m, k, n);
        assertThat(a.matmul(b).allClose(Tensor.of(ref, m, n), 1e-5f, 1e-5f)).isTrue();
        // the same product from transposed storage on either side
        Tensor at = a.transpose(0, 1).contiguous().transpose(0, 1);
        Tensor bt = b.transpose(0, 1).contiguous().transpose(0, 1);
        assertThat(at.matmul(bt).allClose(Tensor.of(ref, m, n), 1e-5f, 1e-5f)).isTrue();
        // batch broadcasting: [2, 1, m, k] x [3, k, n] -> [2, 3, m, n]
        Tensor ab = Tensor.randn(3, 2, 1, m, k);
        Tensor bb = Tensor.randn(4, 3, k, n);
        Tensor c = ab.matmul(bb);
        assertThat(c.shape()).containsExactly(2, 3, m, n);
        float[] ref12 = naive(ab.select(0, 1).select(0, 0).toArray(), bb.select(0, 2).toArray(), m, k, n);
        assertThat(c.select(0, 1).select(0, 2).allClose(Tensor.of(ref12, m, n), 1e-5f, 1e-5f)).isTrue();
        // vectors
        assertThat(Tensor.of(new float[] {1, 2}, 2).matmul(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2)).toArray()).containsExactly(7, 10);
        assertThat(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).matmul(Tensor.of(new float[] {1, 1}, 2)).toArray()).containsExactly(3, 7);
        assertThatThrownBy(() -> a.matmul(a))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[13, 31]");
    }

    @Test
    void segmentBackedTensorsReadAndMultiply() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(6 * 4);
            for (int i = 0; i < 6; i++) {
                seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, i + 1);
            }
            Tensor x = Tensor.wrap(seg, 2, 3);
            assertThat(x.isHeap()).isFalse();
            assertThat(x.transpose(0, 1).toArray()).containsExactly(1, 4, 2, 5, 3, 6);
            assertThat(x.matmul(x.transpose(0, 1)).toArray()).containsExactly(14, 32, 32, 77);
            assertThat(x.add(1f).toArray()).containsExactly(2, 3, 4, 5, 6, 7);
            assertThatThrownBy(() -> Tensor.wrap(seg, 2, 2)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 2]");
        }
    }

    @Test
    void asMatrixSharesStorageAndStrides() {
        Tensor x = Tensor.arange(12).reshape(3, 4);
        dev.lens4j.tensor.matmul.MatrixOperand t = x.slice(1, 1, 3).transpose(0, 1).asMatrix(); // [2, 3] view
        assertThat(t.array()).isSameAs(x.heapArray());
        assertThat(t.rows()).isEqualTo(2);
        assertThat(t.cols()).isEqualTo(3);
        assertThat(t.get(0, 0)).isEqualTo(1f);
        assertThat(t.get(1, 2)).isEqualTo(10f);
        assertThat(t.rowStride()).isEqualTo(1);
        assertThat(t.colStride()).isEqualTo(4);
        assertThatThrownBy(() -> x.reshape(12).asMatrix()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[12]");
    }

    @Test
    void softmaxWithCausalMask() {
        Tensor scores = Tensor.zeros(3, 3).maskedFill(Tensor.causalMask(3, 3), Float.NEGATIVE_INFINITY);
        Tensor p = scores.softmax(-1);
        assertThat(p.toArray()).containsExactly(new float[] {1, 0, 0, 0.5f, 0.5f, 0, 1 / 3f, 1 / 3f, 1 / 3f}, within(1e-6f));
        // along a non-last axis
        Tensor q = Tensor.of(new float[] {0, 0, (float) Math.log(3), 0}, 2, 2).softmax(0);
        assertThat(q.toArray()).containsExactly(new float[] {0.25f, 0.5f, 0.75f, 0.5f}, within(1e-6f));
        assertThat(Tensor.causalMask(1, 3).toArray()).containsExactly(0, 0, 0);
        Tensor ls = Tensor.of(new float[] {1, 2, 3}, 3).logSoftmax(0);
        assertThat(ls.exp().sum()).isCloseTo(1f, within(1e-6f));
    }

    @Test
    void layerNormGeluAndCrossEntropyMatchHandComputedValues() {
        var r = Functional.layerNorm(Tensor.of(new float[] {1, 2, 3}, 1, 3), null, null, 0f);
        float s = (float) Math.sqrt(2.0 / 3.0);
        assertThat(r.scale().shape()).containsExactly(1, 1);
        assertThat(r.scale().item()).isCloseTo(s, within(1e-6f));
        assertThat(r.normalized().toArray()).containsExactly(new float[] {-1 / s, 0, 1 / s}, within(1e-5f));
        var rw = Functional.layerNorm(Tensor.of(new float[] {1, 2, 3}, 3), Tensor.full(2f, 3), Tensor.full(1f, 3), 0f);
        assertThat(rw.normalized().toArray()).containsExactly(new float[] {1 - 2 / s, 1, 1 + 2 / s}, within(1e-5f));
        assertThat(Functional.geluNew(Tensor.of(new float[] {1f, 0f}, 2)).toArray()).containsExactly(new float[] {0.8411920f, 0f}, within(1e-6f));
        // uniform logits over 4 classes: loss ln 4
        Tensor loss = Functional.crossEntropy(Tensor.zeros(2, 4), new int[] {0, 3});
        assertThat(loss.toArray()).containsExactly(new float[] {(float) Math.log(4), (float) Math.log(4)}, within(1e-6f));
        Tensor logits = Tensor.zeros(1, 3, 5);
        logits.set(10f, 0, 0, 2);
        Tensor ptl = Functional.perTokenLoss(logits, new int[][] {{0, 2, 4}});
        assertThat(ptl.shape()).containsExactly(1, 2);
        assertThat(ptl.get(0, 1)).isCloseTo((float) Math.log(5), within(1e-5f));
        assertThatThrownBy(() -> Functional.crossEntropy(Tensor.zeros(1, 4), new int[] {4}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("target 4");
    }

    @Test
    void badIndicesAndShapesAreNamed() {
        Tensor x = t23();
        assertThatThrownBy(() -> x.get(2, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 0]").hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> x.select(1, 3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index 3");
        assertThatThrownBy(() -> x.slice(0, 0, 5)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> x.permute(0, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("repeats");
        assertThatThrownBy(() -> x.sum(2, false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("axis 2");
        assertThatThrownBy(() -> Tensor.of(new float[5], 2, 3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> x.requireShape("W_Q", 3, 2)).hasMessageContaining("W_Q has shape [2, 3], expected [3, 2]");
    }

    @Test
    void concatStackAndCopyFrom() {
        Tensor a = t23();
        Tensor c = Tensor.concat(1, a, a.slice(1, 0, 1));
        assertThat(c.shape()).containsExactly(2, 4);
        assertThat(c.toArray()).containsExactly(1, 2, 3, 1, 4, 5, 6, 4);
        assertThat(Tensor.stack(0, a, a).shape()).containsExactly(2, 2, 3);
        Tensor z = Tensor.zeros(2, 3);
        z.slice(1, 1, 2).copyFrom(Tensor.of(new float[] {7, 8}, 2, 1));
        assertThat(z.toArray()).containsExactly(0, 7, 0, 0, 8, 0);
    }
}
