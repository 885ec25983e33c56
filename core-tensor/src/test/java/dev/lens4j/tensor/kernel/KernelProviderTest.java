package dev.lens4j.tensor.kernel;

import dev.lens4j.tensor.kernel.panama.PanamaKernels;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    /** Only 'auto' and 'scalar' are understood; anything else is refused by name instead of running the default. */
    @Test
    void aPropertyValueItDoesNotKnowIsRefused() {
        String before = System.getProperty("lens4j.kernels");
        try {
            System.setProperty("lens4j.kernels", "scalr");
            assertThatThrownBy(KernelProvider::vectorAllowed).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("system property lens4j.kernels must be 'auto' or 'scalar', got 'scalr'");
            System.setProperty("lens4j.kernels", " Scalar ");
            assertThat(KernelProvider.vectorAllowed()).isFalse();
            System.setProperty("lens4j.kernels", "AUTO");
            assertThat(KernelProvider.vectorAllowed()).isTrue();
            System.setProperty("lens4j.kernels", "");
            assertThat(KernelProvider.vectorAllowed()).isTrue();
        } finally {
            if (before == null) {
                System.clearProperty("lens4j.kernels");
            } else {
                System.setProperty("lens4j.kernels", before);
            }
        }
    }

    @Test
    void choosesOnce() {
        assertThat(KernelProvider.kernels()).isSameAs(KernelProvider.kernels());
    }
}
