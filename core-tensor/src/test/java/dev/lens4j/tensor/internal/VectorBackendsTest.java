package dev.lens4j.tensor.internal;

import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.tensor.matmul.Gemm;
import dev.lens4j.tensor.matmul.Gemv;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One choice for every kernel: in the suite's JVM (vector module present) the element-wise kernels,
 * the GEMM and the GEMV are all the Vector API ones, from the one backend. The scalar side of the same
 * choice is checked by the forced-scalar and without-vector-module executions.
 */
class VectorBackendsTest {

    @Test
    void theKernelsTheGemmAndTheGemvFollowOneChoice() {
        assertThat(KernelProvider.vectorModulePresent()).as("the suite runs with --add-modules jdk.incubator.vector").isTrue();
        assertThat(VectorBackends.chosen()).isPresent();
        assertThat(KernelProvider.vectorized()).isTrue();
        assertThat(KernelProvider.kernels().getClass().getName()).isEqualTo("dev.lens4j.tensor.kernel.panama.PanamaKernels");
        assertThat(Gemm.kernelName()).startsWith("panama");
        assertThat(Gemv.kernelName()).startsWith("panama");
        assertThat(VectorBackends.chosen().orElseThrow().getClass().getName()).isEqualTo(VectorBackend.IMPLEMENTATION);
    }

    @Test
    void loadingGivesAFreshBackendWithBothTiles() {
        VectorBackend backend = VectorBackends.load();
        assertThat(backend.gemm(8, 3).name()).startsWith("panama 8x");
        assertThat(backend.gemm(4, 2).name()).startsWith("panama 4x");
        assertThat(backend.gemv(null).name()).startsWith("panama");
    }
}
