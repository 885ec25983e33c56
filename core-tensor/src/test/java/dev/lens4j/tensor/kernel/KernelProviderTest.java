package dev.lens4j.tensor.kernel;

import dev.lens4j.tensor.kernel.panama.PanamaKernels;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * In the normal test JVM (started with {@code --add-modules jdk.incubator.vector} by the parent
 * pom's Surefire argLine) the provider picks the Vector API kernels.
 */
class KernelProviderTest {

    @Test
    void picksThePanamaKernelsWhenTheVectorModuleIsPresent() {
        assertThat(KernelProvider.vectorModulePresent()).isTrue();
        assertThat(KernelProvider.vectorAllowed()).isTrue();
        assertThat(KernelProvider.kernels()).isInstanceOf(PanamaKernels.class);
        assertThat(KernelProvider.vectorized()).isTrue();
        assertThat(KernelProvider.kernels().name()).matches("panama\\(\\d+-bit, \\d+ lanes\\)");
    }

    @Test
    void choosesOnce() {
        assertThat(KernelProvider.kernels()).isSameAs(KernelProvider.kernels());
    }
}
