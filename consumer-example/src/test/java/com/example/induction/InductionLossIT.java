package com.example.induction;

import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** Failsafe's JVM: the main class's measurement, on the Vector API kernels. */
class InductionLossIT {

    @Test
    void theSecondCopyIsPredictedFarBetterThanAGuess() throws IOException {
        assertThat(KernelProvider.vectorized()).as("Failsafe's argLine has --add-modules jdk.incubator.vector").isTrue();
        try (HookedTransformer model = Models.fromPretrained("induction-2l")) {
            assertThat(InductionLoss.of(model)).isLessThan(1.0f);   // a uniform guess: ln 64 = 4.16 nats
        }
    }
}
