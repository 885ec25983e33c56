package dev.lens4j.testing;

import dev.lens4j.analysis.circuits.CompositionScores;
import dev.lens4j.analysis.heads.RepeatedTokens;
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

    /**
     * The induction score of a head that attends uniformly, worked out from the tokens alone: on a
     * query q with induction targets (the tokens right after each earlier copy of its token), it puts
     * 1/(q + 1) on each key, so its attention outside BOS is q/(q + 1) and on the targets
     * (number of targets)/(q + 1); the score of a sequence is the ratio of the sums over those
     * queries, and the score is the mean over the sequences.
     */
    static double uniformInductionScore(RepeatedTokens p) {
        double total = 0;
        for (int[] t : p.tokens()) {
            double onTarget = 0, notBos = 0;
            for (int q = 1; q < t.length; q++) {
                int targets = 0;
                for (int j = 0; j + 1 <= q; j++) {
                    if (t[j] == t[q] && j + 1 >= 1) { // the key after an earlier copy, never BOS
                        targets++;
                    }
                }
                if (targets > 0) {
                    onTarget += targets / (q + 1.0);
                    notBos += q / (q + 1.0);
                }
            }
            total += onTarget / notBos;
        }
        return total / p.batch();
    }

    /**
     * The previous-token score of a head that attends uniformly: every query q from 2 on has the
     * target q - 1 outside BOS, which gets 1/(q + 1) of the attention, against q/(q + 1) outside BOS.
     */
    static double uniformPreviousTokenScore(int pos) {
        double onTarget = 0, notBos = 0;
        for (int q = 2; q < pos; q++) {
            onTarget += 1.0 / (q + 1);
            notBos += q / (q + 1.0);
        }
        return onTarget / notBos;
    }

    @Test
    void defaultProbeFitsTheContext() {
        // BOS + 2 x 11 random tokens: 11 = (n_ctx 24 - BOS) / 2; tokens from the whole vocabulary of 32
        assertThat(probe).isEqualTo(new RepeatedTokens(16, 11, 1234, 0, 0, 32));
        assertThat(probe.length()).isEqualTo(23);
        assertThat(probe.repeatedLossFrom()).isEqualTo(12);
        assertThat(probe.repeatedLossTo()).isEqualTo(22);
        assertThat(probe.firstHalfLossFrom()).isEqualTo(1);
        assertThat(probe.firstHalfLossTo()).isEqualTo(11);
        int[][] t = probe.tokens();
        assertThat(t).hasDimensions(16, 23);
        for (int[] row : t) {
            assertThat(row[0]).isZero();
            for (int i = 1; i <= 11; i++) {
                assertThat(row[i]).isBetween(1, 31).isEqualTo(row[i + 11]);
            }
        }
        assertThat(probe.toString()).isEqualTo("16 sequences of BOS + 2 x 11 random tokens, seed 1234");
    }

    @Test
    void inductionScores() {
        ComponentScores s = Measurements.inductionScores(model, probe);
        assertThat(s.labels()).containsExactly("L0H0", "L0H1", "L1H0", "L1H1");
        // the wired induction head reaches the ideal 1 (where a token recurs it splits its attention between
        // the targets, all of which count); a softmax gap of 10.6 leaves about 1e-3 elsewhere
        assertThat(s.value("L1H0")).isGreaterThan(0.998f).isLessThanOrEqualTo(1f);
        // the previous-token head hits an induction target only where a token recurs two places later
        assertThat(s.value("L0H0")).isLessThan(0.1f);
        assertThat((double) s.value("L0H1")).isCloseTo(uniformInductionScore(probe), within(1e-6));
        assertThat((double) s.value("L1H1")).isCloseTo(uniformInductionScore(probe), within(1e-6));
        // TransformerLens's detect_head counts every row, so the same perfect head stays under one half plus chance
        assertThat(Measurements.detectHeadScores(model, probe, "induction_head").value("L1H0")).isBetween(0.4f, 0.6f);
    }

    @Test
    void previousTokenScores() {
        ComponentScores s = Measurements.previousTokenScores(model, probe);
        assertThat(s.value("L0H0")).isGreaterThan(0.998f).isLessThanOrEqualTo(1f);
        assertThat((double) s.value("L0H1")).isCloseTo(uniformPreviousTokenScore(23), within(1e-6));
        // detect_head "mul" keeps BOS's row, which has no previous token: at most 22 / 23
        assertThat(Measurements.detectHeadScores(model, probe, "previous_token_head").value("L0H0"))
                .isGreaterThan(0.95f).isLessThanOrEqualTo(22f / 23f);
    }

    @Test
    void repeatedHalfLossIsTheMeanOfTheRightColumns() {
        int[][] tokens = probe.tokens();
        Tensor perToken = model.perTokenLoss(tokens); // [16, 22]
        double sum = 0, first = 0;
        for (int b = 0; b < 16; b++) {
            for (int t = 12; t < 22; t++) {
                sum += perToken.get(b, t);   // predicting the second copy's tokens 2 .. 11
            }
            for (int t = 1; t < 11; t++) {
                first += perToken.get(b, t); // predicting the first copy's tokens 2 .. 11
            }
        }
        assertThat((double) Measurements.repeatedHalfLoss(model, probe)).isCloseTo(sum / 160, within(1e-5));
        assertThat((double) Measurements.firstHalfLoss(model, probe)).isCloseTo(first / 160, within(1e-5));
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
        // a uniform pattern puts 1 / (i + 1) on position i - 1; the score is the mean over i = 1 .. 22
        double uniform = 0;
        for (int i = 1; i < 23; i++) {
            uniform += 1.0 / (i + 1);
        }
        assertThat((double) Measurements.positionalPreviousTokenScores(model, probe).value("L1H1")).isCloseTo(uniform / 22, within(1e-6));
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
