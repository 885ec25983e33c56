// tag::consumer-test[]
package com.example.induction;

import dev.lens4j.tensor.kernel.KernelProvider;
import dev.lens4j.testing.LensModel;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.Test;

import static dev.lens4j.testing.LensAssertions.assertThatModel;
import static dev.lens4j.testing.LensAssertions.atLeast;
import static org.assertj.core.api.Assertions.assertThat;

class InductionHeadsTest {

    @LensModel("induction-2l")   // loaded once for the whole test run, closed at the end
    HookedTransformer model;

    @Test
    void theModelPredictsTheRepeatedHalfWithAnInductionHead() {
        assertThatModel(model)
                .hasRepeatedHalfLossLowerThanFirstHalfBy(atLeast(3.0))
                .hasHeadWithInductionScoreAbove(0.4);
    }

    @Test
    void testsRunOnTheVectorApiKernels() {
        assertThat(KernelProvider.vectorized()).as("Surefire's argLine has --add-modules jdk.incubator.vector").isTrue();
    }
}
// end::consumer-test[]
