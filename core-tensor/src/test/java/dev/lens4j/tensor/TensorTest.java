package dev.lens4j.tensor;

import dev.lens4j.tensor.matmul.StorageType;
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
    void sixteenBitSegmentsWidenWhereReadAndMultiplyInPlace() {
        // bf16 of 1.5, -2, 0.25, 3, 1 + 2^-7, 6 and f16 of the same values (all exact in both formats)
        float[] v = {1.5f, -2f, 0.25f, 3f, 1f + 0x1p-7f, 6f};
        try (Arena arena = Arena.ofConfined()) {
            for (StorageType type : new StorageType[] {StorageType.BF16, StorageType.F16}) {
                MemorySegment seg = arena.allocate(v.length * 2L);
                for (int i = 0; i < v.length; i++) {
                    short bits = type == StorageType.BF16 ? (short) (Float.floatToIntBits(v[i]) >>> 16) : Float.floatToFloat16(v[i]);
                    seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, bits);
                }
                Tensor x = Tensor.wrap(type, seg, 2, 3);
                assertThat(x.storageType()).isEqualTo(type);
                assertThat(x.get(1, 1)).isEqualTo(1f + 0x1p-7f);
                assertThat(x.toArray()).containsExactly(v);
                assertThat(x.transpose(0, 1).toArray()).containsExactly(1.5f, 3f, -2f, 1f + 0x1p-7f, 0.25f, 6f);
                assertThat(x.slice(1, 1, 3).copy().toArray()).containsExactly(-2f, 0.25f, 1f + 0x1p-7f, 6f);
                Tensor f32 = Tensor.of(v.clone(), 2, 3);
                // the product reads the 16-bit storage in place (asMatrix keeps the type) and equals the float32 one
                assertThat(x.asMatrix().type()).isEqualTo(type);
                assertThat(x.asMatrix().segment()).isNotNull();
                assertThat(x.matmul(x.transpose(0, 1)).toArray()).containsExactly(f32.matmul(f32.transpose(0, 1)).toArray());
                assertThat(f32.matmul(x.transpose(0, 1)).toArray()).containsExactly(f32.matmul(f32.transpose(0, 1)).toArray());
                assertThat(x.copy().storageType()).isEqualTo(StorageType.F32);
                assertThatThrownBy(() -> x.set(0f, 0, 0)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(type + ", read-only in place");
                assertThatThrownBy(() -> Tensor.wrap(type, seg, 2, 2)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("needs 8 bytes of " + type);
            }
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

    // ------------------------------------------------------------ keepdim and odd-sized reductions

    /** {@code x[i, j, k] = 12 i + 4 j + k}, shape [2, 3, 4]. */
    private static Tensor x234() {
        return Tensor.arange(24).reshape(2, 3, 4);
    }

    /** {@code y[i, j, k] = 7 (12 i + 4 j + k) mod 24}, shape [2, 3, 4]: a permutation of 0..23, so maxima are unique and scattered. */
    private static Tensor y234() {
        float[] d = new float[24];
        for (int n = 0; n < 24; n++) {
            d[n] = (7 * n) % 24;
        }
        return Tensor.of(d, 2, 3, 4);
    }

    private static void assertReduced(Tensor keep, Tensor drop, int[] keptShape, int[] droppedShape, float... expected) {
        assertThat(keep.shape()).containsExactly(keptShape);
        assertThat(drop.shape()).containsExactly(droppedShape);
        assertThat(keep.toArray()).containsExactly(expected, within(1e-5f));
        assertThat(drop.toArray()).containsExactly(expected, within(1e-5f));
    }

    private static float[] sqrt(float... squares) {
        float[] r = new float[squares.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) Math.sqrt(squares[i]);
        }
        return r;
    }

    @Test
    void sumAndMeanKeepdimAlongFirstMiddleAndLastAxis() {
        Tensor x = x234();
        // axis 0: x[0] + x[1] = 12 + 8 j + 2 k
        assertReduced(x.sum(0, true), x.sum(0, false), new int[] {1, 3, 4}, new int[] {3, 4},
                12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34);
        // axis 1: sum over j of 12 i + 4 j + k = 36 i + 12 + 3 k
        assertReduced(x.sum(1, true), x.sum(1, false), new int[] {2, 1, 4}, new int[] {2, 4},
                12, 15, 18, 21, 48, 51, 54, 57);
        // axis 2 (also as -1): 48 i + 16 j + 6
        assertReduced(x.sum(2, true), x.sum(-1, false), new int[] {2, 3, 1}, new int[] {2, 3},
                6, 22, 38, 54, 70, 86);
        assertReduced(x.mean(0, true), x.mean(0, false), new int[] {1, 3, 4}, new int[] {3, 4},
                6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17);
        assertReduced(x.mean(-2, true), x.mean(1, false), new int[] {2, 1, 4}, new int[] {2, 4},
                4, 5, 6, 7, 16, 17, 18, 19);
        assertReduced(x.mean(2, true), x.mean(2, false), new int[] {2, 3, 1}, new int[] {2, 3},
                1.5f, 5.5f, 9.5f, 13.5f, 17.5f, 21.5f);
        // keepdim results broadcast back against the input: centring along the middle axis
        Tensor centred = x.sub(x.mean(1, true));
        assertThat(centred.sum(1, false).toArray()).containsOnly(0f);
        assertThat(centred.get(1, 2, 3)).isEqualTo(23f - 19f);
    }

    @Test
    void maxArgmaxAndNormKeepdimAlongFirstMiddleAndLastAxis() {
        Tensor y = y234();
        // y = [[[0, 7, 14, 21], [4, 11, 18, 1], [8, 15, 22, 5]], [[12, 19, 2, 9], [16, 23, 6, 13], [20, 3, 10, 17]]]
        assertReduced(y.max(0, true), y.max(0, false), new int[] {1, 3, 4}, new int[] {3, 4},
                12, 19, 14, 21, 16, 23, 18, 13, 20, 15, 22, 17);
        assertReduced(y.argmax(0, true), y.argmax(0, false), new int[] {1, 3, 4}, new int[] {3, 4},
                1, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1);
        assertReduced(y.max(1, true), y.max(1, false), new int[] {2, 1, 4}, new int[] {2, 4},
                8, 15, 22, 21, 20, 23, 10, 17);
        assertReduced(y.argmax(1, true), y.argmax(1, false), new int[] {2, 1, 4}, new int[] {2, 4},
                2, 2, 2, 0, 2, 1, 2, 2);
        assertReduced(y.max(2, true), y.max(-1, false), new int[] {2, 3, 1}, new int[] {2, 3},
                21, 18, 22, 19, 23, 20);
        assertReduced(y.argmax(-1, true), y.argmax(2, false), new int[] {2, 3, 1}, new int[] {2, 3},
                3, 2, 2, 1, 1, 0);

        Tensor x = x234();
        // axis 0: v^2 + (v + 12)^2 with v = 4 j + k
        assertReduced(x.norm(0, true), x.norm(0, false), new int[] {1, 3, 4}, new int[] {3, 4},
                sqrt(144, 170, 200, 234, 272, 314, 360, 410, 464, 522, 584, 650));
        // axis 1: sum over j of (b + 4 j)^2 = 3 b^2 + 24 b + 80 with b = 12 i + k
        assertReduced(x.norm(1, true), x.norm(1, false), new int[] {2, 1, 4}, new int[] {2, 4},
                sqrt(80, 107, 140, 179, 800, 899, 1004, 1115));
        // axis 2: sum over k of (a + k)^2 = 4 a^2 + 12 a + 14 with a = 12 i + 4 j
        assertReduced(x.norm(2, true), x.norm(2, false), new int[] {2, 3, 1}, new int[] {2, 3},
                sqrt(14, 126, 366, 734, 1230, 1854));
    }

    @Test
    void reductionsOfAnOddSizedTensorMatchADoublePrecisionLoop() {
        int[] dims = {3, 207, 5};
        Tensor t = Tensor.randn(11, dims).add(0.25f);
        for (int axis = 0; axis < 3; axis++) {
            int n = dims[axis];
            // the two remaining axes, in order
            int[] rest = axis == 0 ? new int[] {1, 2} : axis == 1 ? new int[] {0, 2} : new int[] {0, 1};
            Tensor sum = t.sum(axis, true), mean = t.mean(axis, false), max = t.max(axis, true);
            Tensor argmax = t.argmax(axis, false), norm = t.norm(axis, true);
            for (int p = 0; p < dims[rest[0]]; p++) {
                for (int q = 0; q < dims[rest[1]]; q++) {
                    double s = 0, abs = 0, squares = 0, m = Double.NEGATIVE_INFINITY;
                    int am = -1;
                    int[] idx = new int[3];
                    idx[rest[0]] = p;
                    idx[rest[1]] = q;
                    for (int r = 0; r < n; r++) {
                        idx[axis] = r;
                        double v = t.get(idx);
                        s += v;
                        abs += Math.abs(v);
                        squares += v * v;
                        if (v > m) {
                            m = v;
                            am = r;
                        }
                    }
                    int[] kept = idx.clone();
                    kept[axis] = 0;
                    int[] dropped = {p, q};
                    String at = "axis " + axis + " at " + java.util.Arrays.toString(kept);
                    // a float sum of n terms: at most about n roundings of the running total
                    float tol = (float) (n * Math.ulp(1f) * abs);
                    assertThat(sum.get(kept)).as("sum " + at).isCloseTo((float) s, within(tol));
                    assertThat(mean.get(dropped)).as("mean " + at).isCloseTo((float) (s / n), within(tol / n));
                    assertThat(max.get(kept)).as("max " + at).isEqualTo((float) m);
                    assertThat(argmax.get(dropped)).as("argmax " + at).isEqualTo((float) am);
                    assertThat(norm.get(kept)).as("norm " + at)
                            .isCloseTo((float) Math.sqrt(squares), within((float) (n * Math.ulp(1f) * Math.sqrt(squares))));
                }
            }
        }
    }

    // ------------------------------------------------------------ masked softmax

    @Test
    void maskedSoftmaxGivesMaskedEntriesZeroAndFullyMaskedRowsZeros() {
        float ln3 = (float) Math.log(3);
        // row 0 keeps the first two entries: softmax(0, ln 3) = [1/4, 3/4]; row 1 keeps nothing (and
        // masks a NaN); row 2 masks an infinity and keeps two equal scores
        Tensor scores = Tensor.of(new float[] {0, ln3, 5, Float.NaN, 7, 9, Float.POSITIVE_INFINITY, 1, 1}, 3, 3);
        Tensor keep = Tensor.of(new float[] {1, 1, 0, 0, 0, 0, 0, 1, 1}, 3, 3);
        assertThat(scores.softmax(-1, keep).toArray())
                .containsExactly(new float[] {0.25f, 0.75f, 0, 0, 0, 0, 0, 0.5f, 0.5f}, within(1e-7f));
        float[] ls = scores.logSoftmax(1, keep).toArray();
        float ninf = Float.NEGATIVE_INFINITY;
        assertThat(ls).containsExactly(new float[] {(float) Math.log(0.25), (float) Math.log(0.75), ninf,
                ninf, ninf, ninf, ninf, (float) -Math.log(2), (float) -Math.log(2)}, within(1e-6f));
        // the input is not modified
        assertThat(scores.get(0, 2)).isEqualTo(5f);
    }

    @Test
    void maskedSoftmaxBroadcastsTheMaskAndWorksAlongAnyAxis() {
        float ln3 = (float) Math.log(3);
        Tensor x = Tensor.of(new float[] {0, ln3, 0, 0, 0, 0}, 2, 3);
        // a [3] mask shared by both rows: keep columns 0 and 1
        assertThat(x.softmax(-1, Tensor.of(new float[] {1, 1, 0}, 3)).toArray())
                .containsExactly(new float[] {0.25f, 0.75f, 0, 0.5f, 0.5f, 0}, within(1e-7f));
        // a [2, 1] mask: row 0 kept whole, row 1 masked out
        assertThat(x.softmax(-1, Tensor.of(new float[] {1, 0}, 2, 1)).toArray())
                .containsExactly(new float[] {0.2f, 0.6f, 0.2f, 0, 0, 0}, within(1e-7f));
        // along axis 0 (columns): column 1 is softmax(ln 3, 0) = [3/4, 1/4]; column 2 keeps only row 1
        Tensor keep = Tensor.of(new float[] {1, 1, 0, 1, 1, 1}, 2, 3);
        assertThat(x.softmax(0, keep).toArray())
                .containsExactly(new float[] {0.5f, 0.75f, 0, 0.5f, 0.25f, 1}, within(1e-7f));
        // a keep mask of [batch, 1, 1, key_pos] padding over scores [batch, head_index, query_pos, key_pos]
        Tensor scores = Tensor.zeros(2, 2, 2, 2);
        Tensor padding = Tensor.of(new float[] {1, 1, 0, 1}, 2, 1, 1, 2);  // sequence 1 has its first key padded
        Tensor p = scores.softmax(-1, padding);
        assertThat(p.select(0, 0).toArray()).containsOnly(0.5f);
        assertThat(p.select(0, 1).toArray()).containsExactly(0, 1, 0, 1, 0, 1, 0, 1);
    }

    @Test
    void causalKeepMaskIsTheComplementOfCausalMask() {
        assertThat(Tensor.causalKeepMask(3, 3).toArray()).containsExactly(1, 0, 0, 1, 1, 0, 1, 1, 1);
        // two new queries at positions 1 and 2 of 3 keys (a KV-cached step)
        assertThat(Tensor.causalKeepMask(2, 3).toArray()).containsExactly(1, 1, 0, 1, 1, 1);
        assertThat(Tensor.causalKeepMask(2, 3).add(Tensor.causalMask(2, 3)).toArray()).containsOnly(1f);
        assertThat(Tensor.causalMask(3, 3).toArray()).containsExactly(0, 1, 1, 0, 0, 1, 0, 0, 0);
        // the same attention pattern both ways
        Tensor scores = Tensor.randn(5, 2, 4, 4);
        Tensor viaKeep = scores.softmax(-1, Tensor.causalKeepMask(4, 4));
        Tensor viaFill = scores.maskedFill(Tensor.causalMask(4, 4), Float.NEGATIVE_INFINITY).softmax(-1);
        assertThat(viaKeep.toArray()).containsExactly(viaFill.toArray());
        assertThat(viaKeep.get(1, 0, 0)).isEqualTo(1f);
        assertThat(viaKeep.get(1, 0, 1)).isZero();
        assertThatThrownBy(() -> Tensor.causalKeepMask(4, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[4, 3]");
        assertThatThrownBy(() -> Tensor.causalMask(-1, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[-1, 3]");
    }

    @Test
    void aMaskThatDoesNotBroadcastNamesBothShapes() {
        Tensor x = t23();
        assertThatThrownBy(() -> x.softmax(-1, Tensor.ones(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("softmax").hasMessageContaining("[2]").hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> x.logSoftmax(0, Tensor.ones(1, 2, 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("logSoftmax").hasMessageContaining("[1, 2, 3]").hasMessageContaining("[2, 3]");
    }

    // ------------------------------------------------------------ messages that name what is wrong

    @Test
    void layoutAndAxisErrorsNameTheShapes() {
        Tensor x = t23();
        assertThatThrownBy(() -> x.transpose(0, 1).heapArray())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("[3, 2]").hasMessageContaining("strides [1, 3]").hasMessageContaining("[2, 1]");
        assertThatThrownBy(() -> x.slice(1, 0, 3, 2).heapOffset())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("[2, 2]").hasMessageContaining("strides [3, 2]");
        try (Arena arena = Arena.ofConfined()) {
            Tensor s = Tensor.wrap(arena.allocate(6 * 4), 3, 2);
            assertThatThrownBy(s::heapArray).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("[3, 2]").hasMessageContaining("memory segment");
            assertThat(s.contiguous().heapArray()).hasSize(6);
        }
        assertThatThrownBy(() -> x.sum(2, false)).hasMessageContaining("axis 2").hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> x.dim(-3)).hasMessageContaining("axis -3").hasMessageContaining("[2, 3]")
                .hasMessageContaining("-2 to 1");
        assertThatThrownBy(() -> x.unsqueeze(3)).hasMessageContaining("axis 3").hasMessageContaining("-3 to 2");
        assertThat(x.unsqueeze(2).shape()).containsExactly(2, 3, 1);
        assertThatThrownBy(() -> x.softmax(5)).hasMessageContaining("axis 5").hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> Tensor.concat(2, x, x)).hasMessageContaining("axis 2").hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> x.reshape(-1, -1)).hasMessageContaining("[2, 3]").hasMessageContaining("[-1, -1]");
        assertThatThrownBy(() -> x.reshape(-2, 3)).hasMessageContaining("[2, 3]").hasMessageContaining("[-2, 3]")
                .hasMessageContaining("dimension 0");
        assertThatThrownBy(() -> x.permute(1, 1)).hasMessageContaining("[1, 1]").hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> x.slice(1, 0, 3, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("slice [0:3:0] on axis 1 of shape [2, 3]: the step must be at least 1, got 0");
        assertThatThrownBy(() -> x.slice(1, 0, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0:4:1]").hasMessageContaining("out of range").hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> Tensor.arange(-2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("arange: the length must not be negative, got -2");
        assertThat(Tensor.arange(0).shape()).containsExactly(0);
        assertThatThrownBy(() -> Tensor.eye(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got -1");
        assertThatThrownBy(() -> Tensor.eye(46341)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 46341");
    }

    @Test
    void shapesAxisNormalisesAndNamesTheShape() {
        assertThat(Shapes.axis(-1, new int[] {2, 3})).isEqualTo(1);
        assertThat(Shapes.axis(-3, 3, new int[] {2, 3})).isZero();
        assertThatThrownBy(() -> Shapes.axis(2, new int[] {2, 3})).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("axis 2 is out of range for shape [2, 3] (valid: -2 to 1)");
        assertThatThrownBy(() -> Shapes.axis(-4, 3, new int[] {2, 3})).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("axis -4 is out of range for shape [2, 3] (valid: -3 to 2)");
    }

    @Test
    void writesToAReadOnlySegmentAndBadCopiesNameTheTensor() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(6 * 4);
            Tensor ro = Tensor.wrap(seg.asReadOnly(), 2, 3);
            assertThatThrownBy(() -> ro.set(1f, 1, 2)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("element [1, 2]").hasMessageContaining("[2, 3]").hasMessageContaining("read-only");
            assertThatThrownBy(() -> ro.slice(1, 0, 2).copyFrom(Tensor.ones(2, 2))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("copy into tensor [2, 2]").hasMessageContaining("read-only");
            assertThat(ro.get(1, 2)).isZero();
            Tensor rw = Tensor.wrap(seg, 2, 3);
            rw.set(5f, 1, 2);
            assertThat(ro.get(1, 2)).isEqualTo(5f);
        }
        assertThatThrownBy(() -> Tensor.zeros(2, 3).copyFrom(Tensor.ones(3, 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[3, 2]").hasMessageContaining("[2, 3]");
        assertThatThrownBy(() -> t23().set(1f, 0, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 3]").hasMessageContaining("[2, 3]");
    }
}
