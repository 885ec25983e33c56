package dev.lens4j.analysis.circuits;

import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CompositionScoresTest {

    /** The definition, computed densely. */
    private static float dense(FactoredMatrix wa, FactoredMatrix wb) {
        return wa.ab().matmul(wb.ab()).norm() / (wa.ab().norm() * wb.ab().norm());
    }

    @Test
    void matchesTheDenseDefinition() {
        for (long seed = 0; seed < 4; seed++) {
            FactoredMatrix wa = FactoredMatrix.of(Tensor.randn(seed, 24, 4), Tensor.randn(seed + 10, 4, 24));
            FactoredMatrix wb = FactoredMatrix.of(Tensor.randn(seed + 20, 24, 4), Tensor.randn(seed + 30, 4, 24));
            float expected = dense(wa, wb);
            assertThat(CompositionScores.score(wa, wb).item()).isCloseTo(expected, within(expected * 1e-3f));
        }
    }

    @Test
    void orthogonalSubspacesScoreZeroAndIdenticalProjectionsScoreOne() {
        // W_A writes only into dims 0..1, W_B reads only from dims 2..3: no composition
        Tensor writeA = Tensor.zeros(2, 6);
        writeA.set(1f, 0, 0);
        writeA.set(1f, 1, 1);
        Tensor readB = Tensor.zeros(6, 2);
        readB.set(1f, 2, 0);
        readB.set(1f, 3, 1);
        FactoredMatrix wa = FactoredMatrix.of(Tensor.randn(1, 6, 2), writeA);
        FactoredMatrix wb = FactoredMatrix.of(readB, Tensor.randn(2, 2, 6));
        assertThat(CompositionScores.score(wa, wb).item()).isCloseTo(0f, within(1e-6f));
        // a rank-1 projection composed with itself: ||P P|| / (||P|| ||P||) = 1
        Tensor e0 = Tensor.zeros(6, 1);
        e0.set(1f, 0, 0);
        FactoredMatrix p = FactoredMatrix.of(e0, e0.mT());
        assertThat(CompositionScores.score(p, p).item()).isCloseTo(1f, within(1e-6f));
    }

    @Test
    void randomBaselineIsSmallAndReproducible() {
        float b1 = CompositionScores.randomBaseline(64, 16, 50, 7);
        float b2 = CompositionScores.randomBaseline(64, 16, 50, 7);
        assertThat(b1).isEqualTo(b2);
        // for independent random rank-16 maps in 64 dimensions the score concentrates well below 1
        assertThat(b1).isBetween(0.05f, 0.5f);
    }
}
