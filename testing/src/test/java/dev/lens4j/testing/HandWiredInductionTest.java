package dev.lens4j.testing;

import dev.lens4j.analysis.circuits.CompositionScores;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@link Measurements} on the hand-wired model, against what its wiring implies: exact values for
 * the heads with zero weights (uniform attention, no output) and for the weight-based scores,
 * bounds for the heads that do the work (their attention is split where a random token repeats).
 */
class HandWiredInductionTest {

    static HookedTransformer model;
    static RepeatedTokens probe;

    @BeforeAll
    static void load() {
        model = HandWiredInduction.model();
        probe = RepeatedTokens.forModel(model);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Mean over the second copy's queries q of 1/(q + 1): what a head attending uniformly puts on any one earlier key. */
    static double uniformInductionScore(RepeatedTokens p) {
        double sum = 0;
        for (int i = 0; i < p.halfLength(); i++) {
            sum += 1.0 / (p.lead() + p.halfLength() + i + 1);
        }
        return sum / p.halfLength();
    }

    /** detect_head "mul" of a uniform head against the previous-token pattern: sum over rows i >= 1 of 1/(i + 1), over pos rows. */
    static double uniformPreviousTokenScore(int pos) {
        double sum = 0;
        for (int i = 1; i < pos; i++) {
            sum += 1.0 / (i + 1);
        }
        return sum / pos;
    }

    @Test
    void defaultProbeFitsTheContext() {
        // BOS + 2 x 11 random tokens: 11 = (n_ctx 24 - BOS) / 2; tokens from the whole vocabulary of 32
        assertThat(probe).isEqualTo(new RepeatedTokens(8, 11, 0, 0, 0, 32));
        assertThat(probe.length()).isEqualTo(23);
        assertThat(probe.repeatedLossFrom()).isEqualTo(12);
        assertThat(probe.repeatedLossTo()).isEqualTo(22);
        int[][] t = probe.tokens();
        assertThat(t).hasDimensions(8, 23);
        for (int[] row : t) {
            assertThat(row[0]).isZero();
            for (int i = 1; i <= 11; i++) {
                assertThat(row[i]).isBetween(1, 31).isEqualTo(row[i + 11]);
            }
        }
        assertThat(probe.toString()).isEqualTo("8 sequences of BOS + 2 x 11 random tokens, seed 0");
    }

    @Test
    void inductionScores() {
        ComponentScores s = Measurements.inductionScores(model, probe);
        assertThat(s.labels()).containsExactly("L0H0", "L0H1", "L1H0", "L1H1");
        assertThat(s.value("L1H0")).isGreaterThan(0.8f);
        assertThat(s.value("L0H0")).isLessThan(1e-3f);
        assertThat((double) s.value("L0H1")).isCloseTo(uniformInductionScore(probe), within(1e-6));
        assertThat((double) s.value("L1H1")).isCloseTo(uniformInductionScore(probe), within(1e-6));
    }

    @Test
    void previousTokenScores() {
        ComponentScores s = Measurements.previousTokenScores(model, probe);
        assertThat(s.value("L0H0")).isGreaterThan(0.95f).isLessThanOrEqualTo(22f / 23f);
        assertThat((double) s.value("L0H1")).isCloseTo(uniformPreviousTokenScore(23), within(1e-6));
    }

    @Test
    void repeatedHalfLossIsTheMeanOfTheRightColumns() {
        int[][] tokens = probe.tokens();
        Tensor perToken = model.perTokenLoss(tokens); // [8, 22]
        double sum = 0;
        for (int b = 0; b < 8; b++) {
            for (int t = 12; t < 22; t++) {
                sum += perToken.get(b, t);
            }
        }
        assertThat((double) Measurements.repeatedHalfLoss(model, probe)).isCloseTo(sum / 80, within(1e-5));
        assertThat(Measurements.repeatedHalfLoss(model, probe)).isLessThan(1f);
        assertThat(Measurements.firstHalfLoss(model, probe)).isGreaterThan(4f);
        assertThat(Measurements.lossByPosition(model, probe)).hasSize(22);
    }

    @Test
    void onlyTheCircuitsHeadsMatterWhenAblated() {
        ComponentScores s = Measurements.headAblationLossIncreases(model, probe);
        assertThat(s.value("L0H1")).isZero();
        assertThat(s.value("L1H1")).isZero();
        assertThat(s.value("L0H0")).isGreaterThan(2f);
        assertThat(s.value("L1H0")).isGreaterThan(2f);
    }

    @Test
    void onlyTheInductionHeadWritesTheLogits() {
        ComponentScores s = Measurements.directLogitAttribution(model, probe);
        assertThat(s.labels()).containsExactly("L0H0", "L0H1", "L1H0", "L1H1", "embed", "pos_embed", "bias");
        assertThat(s.value("L1H0")).isGreaterThan(5f).isLessThanOrEqualTo(HandWiredInduction.UNEMBED);
        for (String other : new String[] {"L0H0", "L0H1", "L1H1", "embed", "pos_embed", "bias"}) {
            assertThat(s.value(other)).as(other).isZero();
        }
        assertThat(s.heads().labels()).containsExactly("L0H0", "L0H1", "L1H0", "L1H1");
    }

    @Test
    void weightScores() {
        // W_E OV W_U of L1H0 is 10 I: every eigenvalue is positive and real
        assertThat(Measurements.copyingScores(model).value("L1H0")).isCloseTo(1f, within(1e-5f));
        assertThat(Measurements.copyingScores(model).value("L0H0")).isNaN(); // its full OV circuit is zero
        assertThat(Measurements.positionalPreviousTokenScores(model, probe).value("L0H0")).isGreaterThan(0.99f);
        assertThat((double) Measurements.positionalPreviousTokenScores(model, probe).value("L1H1"))
                .isCloseTo(uniformPreviousTokenScore(23) * 23 / 22, within(1e-6));
        // OV(L0H0) QK(L1H0)^T = 60 * I on the token subspace: score 1 / sqrt(32)
        ComponentScores k = Measurements.compositionInto(model, CompositionScores.Mode.K, 1, 0);
        assertThat(k.labels()).containsExactly("L0H0", "L0H1");
        assertThat((double) k.value("L0H0")).isCloseTo(1 / Math.sqrt(32), within(1e-5));
        assertThat(k.value("L0H1")).isZero();
        assertThat(Measurements.compositionInto(model, CompositionScores.Mode.Q, 1, 0).value("L0H0")).isCloseTo(0f, within(1e-6f));
        assertThat(Measurements.compositionInto(model, CompositionScores.Mode.V, 1, 0).value("L0H0")).isCloseTo(0f, within(1e-6f));
        float baseline = Measurements.compositionBaseline(model);
        assertThat(baseline).isBetween(0.01f, 0.15f).isEqualTo(CompositionScores.randomBaseline(120, 32, 200, 0));
    }
}
