package dev.lens4j.tensor.matmul;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Core-tensor's Surefire execution {@code avx2-code-path} runs the GEMM and GEMV tests in a JVM held to
 * AVX2 ({@code -XX:UseAVX=2}), so that the 8-lane code paths of an AVX2-only CPU are tested on any x86
 * CPU. This checks that the flag took: the preferred vectors are 8 lanes and the GEMM picked its 4 x 2
 * tile. Skipped in any other JVM, and on a CPU without AVX2 (where the JVM lowers the flag).
 */
class Avx2CodePathTest {

    @Test
    void theJvmHeldToAvx2UsesTheEightLaneTile() {
        assumeThat(System.getProperty("lens4j.test.execution")).isEqualTo("avx2-code-path");
        GemmMicroKernel k = GemmKernels.panama();
        assumeThat(k.nrStep()).as("vector lanes; fewer than 8 on a CPU without AVX2").isGreaterThanOrEqualTo(8);
        assertThat(k.nrStep()).as(k.name()).isEqualTo(8);
        assertThat(k.name()).isEqualTo("panama 4x16 (8 lanes)");
        assertThat(Gemm.kernelName()).isEqualTo(k.name());
    }
}
