package dev.lens4j.transformer;

import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;

/** The matrix-vector paths of {@link Linear} (few rows) agree with a plain matmul, on every layout. */
class LinearTest {

    @Test
    void fewAndManyRowsOnRowMajorTransposedAndMappedWeights() {
        int k = 203, n = 157;
        Tensor w = Tensor.randn(1, k, n);
        Tensor wT = Tensor.randn(2, n, k).transpose(0, 1); // [k, n] with unit row stride
        Tensor bias = Tensor.randn(3, n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate((long) k * n * 4);
            float[] wa = w.toArray();
            for (int i = 0; i < wa.length; i++) {
                seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, wa[i]);
            }
            Tensor mapped = Tensor.wrap(seg, k, n);
            for (int rows : new int[] {1, 2, 3, 4, 5, 9}) {
                Tensor x = Tensor.randn(10 + rows, rows, k);
                for (Tensor weight : new Tensor[] {w, wT, mapped}) {
                    for (Tensor b : new Tensor[] {null, bias}) {
                        Tensor expected = x.matmul(weight);
                        if (b != null) {
                            expected = expected.add(b);
                        }
                        // write into a wider output (ldo > n) to check the strides
                        float[] out = new float[rows * (n + 3)];
                        Linear.apply(dev.lens4j.tensor.kernel.KernelProvider.kernels(), x.heapArray(), 0, k, rows, weight.asMatrix(), b == null ? null : b.heapArray(), 0, out, 0, n + 3);
                        Tensor got = Tensor.of(out, rows, n + 3).slice(1, 0, n);
                        assertThat(got.allClose(expected, 1e-5f, 1e-4f)).as(rows + " rows, " + (weight == wT ? "transposed" : weight == mapped ? "mapped" : "row-major")).isTrue();
                    }
                }
            }
        }
    }

    /**
     * A decoding step's few rows times a mapped 16-bit weight (row-major, and transposed as the tied
     * unembedding is) stream the weight through the matrix-vector product and give exactly the bits of
     * the GEMM of many rows, whose row r is the same sum: a KV-cached step equals a full pass.
     */
    @Test
    void fewRowsTimesSixteenBitWeightsEqualTheGemmBitForBit() {
        int k = 203, n = 157;
        float[] wa = Tensor.randn(1, k, n).toArray();
        Tensor bias = Tensor.randn(3, n);
        Tensor x = Tensor.randn(4, 9, k);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate((long) k * n * 2);
            for (int i = 0; i < wa.length; i++) {
                seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i,
                        dev.lens4j.tensor.io.Float16.f32ToBf16(wa[i]));
            }
            Tensor rowMajor = Tensor.wrap(dev.lens4j.tensor.matmul.StorageType.BF16, seg, k, n);
            Tensor transposed = Tensor.wrap(dev.lens4j.tensor.matmul.StorageType.BF16, seg, n, k).transpose(0, 1);
            for (Tensor weight : new Tensor[] {rowMajor, transposed}) {
                float[] many = new float[9 * n];
                Linear.apply(dev.lens4j.tensor.kernel.KernelProvider.kernels(), x.heapArray(), 0, k, 9, weight.asMatrix(),
                        bias.heapArray(), 0, many, 0, n);
                assertThat(Tensor.of(many, 9, n).allClose(x.matmul(weight.copy()).add(bias), 1e-5f, 1e-4f)).isTrue();
                for (int rows = 1; rows <= Linear.GEMV_MAX_ROWS; rows++) {
                    float[] few = new float[rows * n];
                    Linear.apply(dev.lens4j.tensor.kernel.KernelProvider.kernels(), x.heapArray(), 0, k, rows, weight.asMatrix(),
                            bias.heapArray(), 0, few, 0, n);
                    assertThat(few).as(rows + " rows").containsExactly(java.util.Arrays.copyOf(many, rows * n));
                }
            }
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        int k = 300, n = 200;
        Tensor w = Tensor.randn(4, k, n);
        Tensor x = Tensor.randn(5, 3, k);
        float[][] outs = new float[2][];
        int before = Parallel.threads();
        try {
            for (int t = 1; t <= 2; t++) {
                Parallel.setThreads(t);
                outs[t - 1] = new float[3 * n];
                Linear.apply(dev.lens4j.tensor.kernel.KernelProvider.kernels(), x.heapArray(), 0, k, 3, w.asMatrix(), null, 0, outs[t - 1], 0, n);
            }
        } finally {
            Parallel.setThreads(before);
        }
        assertThat(outs[1]).containsExactly(outs[0]);
    }

    /**
     * The input gradient skips the rows of dY that are all zero (a logit difference leaves all but one
     * row of the unembedding's gradient zero): the result is the bits of the whole product, on every
     * layout, overwriting and accumulating, with no row, some rows and every row zero.
     */
    @Test
    void backwardInputSkipsZeroRowsWithTheBitsOfTheWholeProduct() {
        int k = 97, n = 203, rows = 11;
        Tensor w = Tensor.randn(5, k, n);
        Tensor wT = Tensor.randn(6, n, k).transpose(0, 1);
        for (int[] zero : new int[][] {{}, {0, 3, 4, 10}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}) {
            float[] dy = Tensor.randn(7, rows, n).toArray();
            for (int r : zero) {
                java.util.Arrays.fill(dy, r * n, (r + 1) * n, 0f);
            }
            for (Tensor weight : new Tensor[] {w, wT}) {
                for (boolean accumulate : new boolean[] {false, true}) {
                    float[] start = Tensor.randn(8, rows, k + 2).toArray();
                    float[] expected = start.clone(), got = start.clone();
                    dev.lens4j.tensor.matmul.Gemm.multiply(new dev.lens4j.tensor.matmul.MatrixOperand(dy, null, 0, rows, n, n, 1),
                            weight.asMatrix().transpose(), expected, 0, k + 2, accumulate);
                    Linear.backwardInput(dy, 0, n, rows, weight.asMatrix(), got, 0, k + 2, accumulate);
                    assertThat(got).as(zero.length + " zero rows, " + (weight == wT ? "transposed" : "row-major")
                            + (accumulate ? ", accumulating" : "")).containsExactly(expected);
                }
            }
        }
        assertThat(Linear.nonzeroRows(new float[] {0, 0, 0, Float.NaN, 0, -0f, 1, 0}, 0, 2, 4, 2)).containsExactly(1, 3);
    }
}
