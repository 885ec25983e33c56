package dev.lens4j.tensor;

import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.tensor.kernel.Kernels;
import dev.lens4j.tensor.kernel.ScalarKernels;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.tensor.matmul.MatrixOperand;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The library works on a JVM started without {@code --add-modules jdk.incubator.vector}: the
 * provider falls back to the scalar kernels, and the kernels, GEMM (including its packed path) and
 * the tensor operations built on them compute correct results.
 *
 * <p>Runs only in core-tensor's Surefire execution {@code without-vector-module}, whose argLine
 * leaves the module out and sets the marker {@code lens4j.test.execution=without-vector-module};
 * in any other JVM the tests are skipped.
 */
class WithoutVectorModuleTest {

    @BeforeEach
    void onlyInTheExecutionWithoutTheModule() {
        assumeThat(System.getProperty("lens4j.test.execution")).isEqualTo("without-vector-module");
    }

    @Test
    void providerFallsBackToScalarKernels() {
        assertThat(KernelProvider.vectorModulePresent()).isFalse();
        assertThat(KernelProvider.vectorAllowed()).isTrue();
        assertThat(KernelProvider.kernels()).isSameAs(ScalarKernels.INSTANCE);
        assertThat(KernelProvider.vectorized()).isFalse();
    }

    @Test
    void kernelsWork() {
        Kernels k = KernelProvider.kernels();
        float[] p = new float[2];
        k.softmax(new float[] {0f, (float) Math.log(3)}, 0, p, 0, 2);
        assertThat(p).containsExactly(new float[] {0.25f, 0.75f}, within(1e-7f));

        float[] normalized = new float[3];
        float scale = k.layerNorm(new float[] {1f, 2f, 3f}, 0, null, 0, null, 0, 0f, normalized, 0, 3);
        assertThat(scale).isCloseTo((float) Math.sqrt(2.0 / 3), within(1e-7f));

        float[] g = new float[1];
        k.geluNew(new float[] {1f}, 0, g, 0, 1);
        assertThat(g[0]).isCloseTo(0.8411920f, within(2e-7f));

        assertThat(k.dot(new float[] {1, 2, 3}, 0, new float[] {4, 5, 6}, 0, 3)).isEqualTo(32f);
    }

    @Test
    void gemmWorks() {
        // [[1, 2, 3], [4, 5, 6]] x [[7, 8], [9, 10], [11, 12]] = [[58, 64], [139, 154]]
        MatrixOperand a = MatrixOperand.rowMajor(new float[] {1, 2, 3, 4, 5, 6}, 0, 2, 3);
        MatrixOperand b = MatrixOperand.rowMajor(new float[] {7, 8, 9, 10, 11, 12}, 0, 3, 2);
        float[] c = new float[4];
        Gemm.multiply(a, b, c, 0, 2, false);
        assertThat(c).containsExactly(58f, 64f, 139f, 154f);

        Gemm.multiply(a, b, c, 0, 2, true);
        assertThat(c).containsExactly(116f, 128f, 278f, 308f);

        // the transposed view: A^T A is [3, 3]
        float[] ata = new float[9];
        Gemm.multiply(a.transpose(), a, ata, 0, 3, false);
        assertThat(ata).containsExactly(17f, 22f, 27f, 22f, 29f, 36f, 27f, 36f, 45f);
    }

    @Test
    void tensorMatmulTakesThePackedScalarPath() {
        assertThat(Gemm.kernelName()).isEqualTo("scalar 4x4");
        assertThat(dev.lens4j.tensor.matmul.Gemv.kernelName()).startsWith("scalar");
        assertThat(dev.lens4j.tensor.internal.VectorBackends.chosen()).isEmpty();
        org.assertj.core.api.Assertions.assertThatThrownBy(dev.lens4j.tensor.internal.VectorBackends::load)
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("--add-modules jdk.incubator.vector");
        // 37 x 29 x 53: packed panels with edge tiles on both sides (neither 37 nor 53 is a multiple of 4)
        int m = 37, k = 29, n = 53;
        Tensor a = Tensor.randn(1, m, k);
        Tensor b = Tensor.randn(2, n, k).transpose(0, 1);   // [k, n], transposed storage
        Tensor c = a.matmul(b);
        assertThat(c.shape()).containsExactly(m, n);
        float[] reference = new float[m * n];
        Gemm.multiplyScalar(a.asMatrix(), b.asMatrix(), reference, 0, n, false);
        assertThat(c.toArray()).as("the blocked product is the same fma chain as the triple loop").containsExactly(reference);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) {
                    double t = (double) a.get(i, p) * b.get(p, j);
                    s += t;
                    abs += Math.abs(t);
                }
                assertThat((double) c.get(i, j)).as("C[%d, %d]", i, j).isCloseTo(s, within(k * 0x1p-24 * abs));
            }
        }
    }

    @Test
    void tensorSoftmaxLayerNormAndGeluWork() {
        float ln3 = (float) Math.log(3);
        Tensor scores = Tensor.of(new float[] {0, ln3, 7, 0, 0, 0}, 2, 3);
        assertThat(scores.softmax(-1, Tensor.of(new float[] {1, 1, 0}, 3)).toArray())
                .containsExactly(new float[] {0.25f, 0.75f, 0, 0.5f, 0.5f, 0}, within(1e-7f));
        assertThat(Tensor.zeros(3, 3).softmax(-1, Tensor.causalKeepMask(3, 3)).toArray())
                .containsExactly(new float[] {1, 0, 0, 0.5f, 0.5f, 0, 1 / 3f, 1 / 3f, 1 / 3f}, within(1e-7f));
        assertThat(scores.softmax(0).get(0, 1)).isCloseTo(0.75f, within(1e-7f));
        assertThat(scores.logSoftmax(-1).exp().sum(-1, false).toArray()).containsExactly(new float[] {1, 1}, within(1e-6f));

        // mean 2, variance 2/3 for [1, 2, 3]; weight 2, bias 1
        var ln = Functional.layerNorm(Tensor.of(new float[] {1, 2, 3, 3, 2, 1}, 2, 3), Tensor.full(2f, 3), Tensor.full(1f, 3), 0f);
        float s = (float) Math.sqrt(2.0 / 3);
        assertThat(ln.scale().toArray()).containsExactly(new float[] {s, s}, within(1e-7f));
        assertThat(ln.normalized().toArray())
                .containsExactly(new float[] {1 - 2 / s, 1, 1 + 2 / s, 1 + 2 / s, 1, 1 - 2 / s}, within(1e-6f));

        // gelu_new(1) = 0.5 (1 + tanh(sqrt(2/pi) 1.044715)); gelu_new(-x) = gelu_new(x) - x
        Tensor g = Functional.geluNew(Tensor.of(new float[] {1, -1, 0, 3}, 2, 2));
        assertThat(g.toArray()).containsExactly(new float[] {0.8411920f, 0.8411920f - 1, 0, 2.9963627f}, within(1e-6f));
    }
}
