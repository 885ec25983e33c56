package dev.lens4j.tensor.kernel;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * {@code -Dlens4j.kernels=scalar} forces the scalar kernels even though the vector module is
 * present. Runs only in core-tensor's Surefire execution {@code forced-scalar}, which sets that
 * property and the marker {@code lens4j.test.execution=forced-scalar}; in any other JVM the test
 * is skipped, since the provider has already chosen there.
 */
class ForcedScalarKernelsTest {

    @Test
    void thePropertyForcesScalarKernels() {
        assumeThat(System.getProperty("lens4j.test.execution")).isEqualTo("forced-scalar");
        assertThat(KernelProvider.vectorModulePresent()).as("this execution keeps --add-modules").isTrue();
        assertThat(KernelProvider.vectorAllowed()).isFalse();
        assertThat(KernelProvider.kernels()).isSameAs(ScalarKernels.INSTANCE);
        assertThat(KernelProvider.vectorized()).isFalse();
        assertThat(KernelProvider.kernels().name()).isEqualTo("scalar");
        // the GEMM and the GEMV follow the same one choice
        assertThat(dev.lens4j.tensor.internal.VectorBackends.chosen()).isEmpty();
        assertThat(dev.lens4j.tensor.matmul.Gemm.kernelName()).startsWith("scalar");
        assertThat(dev.lens4j.tensor.matmul.Gemv.kernelName()).startsWith("scalar");

        float[] out = new float[2];
        KernelProvider.kernels().softmax(new float[] {0f, (float) Math.log(3)}, 0, out, 0, 2);
        assertThat(out[1]).isCloseTo(0.75f, within(1e-7f));
    }
}
