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
 * provider falls back to the scalar kernels and the kernels and GEMM compute correct results.
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
}
