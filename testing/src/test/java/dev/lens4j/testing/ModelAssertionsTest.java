package dev.lens4j.testing;

import dev.lens4j.analysis.circuits.CompositionScores;
import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.analysis.interventions.Ablation;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.lens4j.testing.LensAssertions.assertThatComposition;
import static dev.lens4j.testing.LensAssertions.assertThatHead;
import static dev.lens4j.testing.LensAssertions.assertThatModel;
import static dev.lens4j.testing.LensAssertions.atLeast;
import static dev.lens4j.testing.LensAssertions.atMost;
import static dev.lens4j.testing.LensAssertions.between;
import static dev.lens4j.testing.LensAssertions.head;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Head, model, ablation and composition claims on the hand-wired induction model: the claims its
 * wiring makes true pass, the others fail with messages whose numbers are known in advance (heads
 * with zero weights attend uniformly and write nothing).
 */
class ModelAssertionsTest {

    static HookedTransformer model;
    static final String PROBE = "on 16 sequences of BOS + 2 x 11 random tokens, seed 1234";

    @BeforeAll
    static void load() {
        model = HandWiredInduction.model();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    // ------------------------------------------------------------------ heads

    @Test
    void theWiredHeadsPass() {
        assertThatHead(model, 0, 0).hasPreviousTokenScoreAbove(0.99).ranksFirstByPreviousTokenScore()
                .hasPositionalPreviousTokenScoreAbove(0.9).hasInductionScoreBelow(0.1);
        assertThatHead(model, 1, 0).hasInductionScoreAbove(0.99).ranksFirstByInductionScore().hasCopyingScoreAbove(0.99)
                .logitAttributionRanksFirst().hasPreviousTokenScoreBelow(0.2).hasDetectHeadScoreAbove("induction_head", 0.3);
        assertThatHead(model, head(1, 0)).on(RepeatedTokens.forModel(model).withSeed(5).withBatch(2)).hasInductionScoreAbove(0.8);
    }

    @Test
    void inductionScoreFailure() {
        String uniform = Messages.num(HandWiredInductionTest.uniformInductionScore(RepeatedTokens.forModel(model)));
        assertThatThrownBy(() -> assertThatHead(model, 1, 1).hasInductionScoreAbove(0.5))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("expected the induction score of L1H1 to be above 0.500, but it was " + uniform + "; top: L1H0 1.00")
                .hasMessageEndingWith(", L0H1 " + uniform + ", L1H1 " + uniform + "\n(induction score: share of the attention not on BOS "
                        + "that goes to the token after an earlier copy of the query's token, over the queries that have such a target, "
                        + PROBE + ")");
    }

    @Test
    void noLayerZeroHeadIsAnInductionHead() {
        // whatever the score and the bound: a layer-0 head cannot read which token came before
        assertThatThrownBy(() -> assertThatHead(model, 0, 1).hasInductionScoreAbove(0))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("expected L0H1 to have an induction score above 0.00, but it is in layer 0, so it cannot be an "
                        + "induction head");
        // a one-layer model whose head attends a fixed distance back scores like an induction head on a probe of that
        // block length (it misses only the targets of tokens that recur by chance in the first copy), and still has none
        try (HookedTransformer copier = HandWiredInduction.positionalCopier(11)) {
            RepeatedTokens probe = RepeatedTokens.forModel(copier);
            assertThat(probe.halfLength()).isEqualTo(11);
            assertThat(Measurements.inductionScores(copier, probe).value("L0H0")).isGreaterThan(0.9f);
            assertThatModel(copier).hasRepeatedHalfLossBelow(1.0);
            assertThatThrownBy(() -> assertThatHead(copier, 0, 0).ranksFirstByInductionScore())
                    .isInstanceOf(AssertionError.class).hasMessageContaining("it is in layer 0");
            assertThatThrownBy(() -> assertThatModel(copier).hasHeadWithInductionScoreAbove(0.5))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageStartingWith("expected some head of positional-copier-11 to have an induction score above 0.500, but it "
                            + "has one layer, so no head can be an induction head");
        }
    }

    @Test
    void previousTokenScoreFailure() {
        String uniform = Messages.num(HandWiredInductionTest.uniformPreviousTokenScore(23));
        assertThatThrownBy(() -> assertThatHead(model, 1, 1).hasPreviousTokenScoreAbove(0.5))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("expected the previous-token score of L1H1 to be above 0.500, but it was " + uniform
                        + "; top: L0H0 1.00")
                .hasMessageContaining(", L0H1 " + uniform + ", L1H1 " + uniform + "\n(previous-token score: share of the attention "
                        + "not on BOS that goes to the previous position, over the queries that have such a target, " + PROBE + ")");
    }

    @Test
    void logitAttributionFailure() {
        assertThatThrownBy(() -> assertThatHead(model, 0, 0).logitAttributionRanksFirst())
                .isInstanceOf(AssertionError.class)
                .hasMessageMatching("expected L0H0 to rank first by direct logit attribution on the repeated half, but it tied with "
                        + "L0H1, L1H1 at 0.00 \\(3 other components as high or higher\\); top: L1H0 [0-9.]+, L0H0 0.00, L0H1 0.00\n"
                        + "\\(direct logit attribution on the repeated half: mean attribution to the correct next token over the 10 "
                        + "predictable positions of the second copy, on 16 sequences of BOS \\+ 2 x 11 random tokens, seed 1234\\)");
    }

    @Test
    void copyingScoreFailureOfAHeadThatWritesNothing() {
        assertThatThrownBy(() -> assertThatHead(model, 0, 0).hasCopyingScoreAbove(0.5))
                .isInstanceOf(AssertionError.class)
                .hasMessage("expected the OV copying score of L0H0 to be above 0.500, but it was NaN; top: L1H0 1.00, L0H0 NaN, L0H1 NaN\n"
                        + "(OV copying score: Re(sum of eigenvalues) / sum |eigenvalues| of the full OV circuit W_E W_V W_O W_U)");
    }

    @Test
    void unknownHeadsAreRefused() {
        assertThatThrownBy(() -> assertThatHead(model, 2, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("head L2H0 does not exist in hand-wired-induction (2 layers of 2 heads)");
        assertThatThrownBy(() -> assertThatHead(null, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ------------------------------------------------------------------ model and ablation

    @Test
    void theModelDoesInduction() {
        assertThatModel(model).hasRepeatedHalfLossBelow(1.0).hasRepeatedHalfLossLowerThanFirstHalfBy(atLeast(3.0))
                .hasHeadWithInductionScoreAbove(0.99).hasHeadWithPreviousTokenScoreAbove(0.99);
        assertThatModel(model).head(1, 0).hasInductionScoreAbove(0.99);
    }

    @Test
    void ablatingTheCircuitRaisesTheLoss() {
        assertThatModel(model).ablating(head(0, 0)).raisesLossBy(atLeast(1.0));
        assertThatModel(model).ablating(head(1, 0)).raisesLossBy(atLeast(1.0));
        assertThatModel(model).ablating(head(1, 1)).raisesLossBy(between(-1e-5, 1e-5));
        assertThatHead(model, 1, 0).whenAblated().raisesLossBy(atLeast(1.0));
        // heads that write nothing: the loss changes only by rounding (the ablated pass takes another code path)
        assertThatModel(model).ablatingHeads(head(0, 1), head(1, 1)).raisesLossBy(between(-1e-5, 1e-5));
        assertThatModel(model).ablating("mean-ablating L1H0", Ablation.head(1, 0).meanOverBatch()).raisesLossBy(atLeast(1.0));
    }

    @Test
    void ablationFailureListsTheHeadsThatMatter() {
        assertThatThrownBy(() -> assertThatModel(model).ablating(head(0, 1)).raisesLossBy(atLeast(0.5)))
                .isInstanceOf(AssertionError.class)
                .hasMessageMatching("expected zero-ablating L0H1 to raise the loss on the repeated half by at least 0.500 nats, but it "
                        + "(rose|fell) by (0.00|[0-9.]+e-0[5-9]) \\(([0-9.]+) -> \\3\\); top: L1H0 \\+[0-9.]+, L0H0 \\+[0-9.]+, L0H1 [-+][0-9.e-]+\n"
                        + "\\(loss on the repeated half: mean per-token loss over the 10 predictable positions of the second copy, "
                        + "on 16 sequences of BOS \\+ 2 x 11 random tokens, seed 1234\\)");
    }

    @Test
    void ablationFailureWhenTheLossRisesTooMuch() {
        assertThatThrownBy(() -> assertThatModel(model).ablatingHeads(head(0, 0), head(1, 1)).raisesLossBy(atMost(0.1)))
                .isInstanceOf(AssertionError.class)
                .hasMessageMatching("(?s)expected zero-ablating L0H0, L1H1 to raise the loss on the repeated half by at most 0.100 nats, "
                        + "but it rose by [0-9.]+ \\([0-9.]+ -> [0-9.]+\\)\n\\(loss on the repeated half: .*");
    }

    @Test
    void lossFailures() {
        assertThatThrownBy(() -> assertThatModel(model).hasRepeatedHalfLossBelow(0.01))
                .isInstanceOf(AssertionError.class)
                .hasMessageMatching("(?s)expected the loss on the repeated half to be below 0.0100 nats, but it was [0-9.]+ \\(first half: [0-9.]+\\)\n.*");
        assertThatThrownBy(() -> assertThatModel(model).hasRepeatedHalfLossLowerThanFirstHalfBy(atLeast(10)))
                .isInstanceOf(AssertionError.class)
                .hasMessageMatching("(?s)expected the loss on the repeated half to be lower than on the first half by at least 10.0 nats, "
                        + "but it was lower by [0-9.]+ \\([0-9.]+ -> [0-9.]+\\)\n.*");
        assertThatThrownBy(() -> assertThatModel(model).hasHeadWithInductionScoreAbove(1.0))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("expected some component in layers 1 to 1 of hand-wired-induction to have an induction score "
                        + "above 1.00, but the highest was L1H0 with 1.00");
    }

    // ------------------------------------------------------------------ composition

    @Test
    void kCompositionOfThePreviousTokenHeadIntoTheInductionHead() {
        assertThatComposition(model, CompositionScores.Mode.K).from(0, 0).to(1, 0).beatsRandomBaselineBy(1.5).ranksFirst()
                .hasScoreAbove(0.17);
    }

    @Test
    void compositionFailures() {
        String baseline = Messages.num(Measurements.compositionBaseline(model));
        assertThatThrownBy(() -> assertThatComposition(model, CompositionScores.Mode.K).from(0, 1).to(1, 0).beatsRandomBaselineBy(1))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("expected the K-composition score of L0H1 into L1H0 to beat the random baseline " + baseline
                        + " by a factor of at least 1.00, but it was 0.00, 0.00x the baseline; top K-composition into L1H0: L0H0 0.177 (")
                .hasMessageContaining("x), L0H1 0.00 (0.00x)\n(K-composition score into L1H0: ||W_A W_B||_F / (||W_A||_F ||W_B||_F) "
                        + "with W_A the earlier head's OV and W_B the later head's QK^T; random baseline: mean over 200 pairs of random "
                        + "rank-32 matrices in d_model 120)");
        assertThatThrownBy(() -> assertThatComposition(model, CompositionScores.Mode.K).from(0, 1).to(1, 0).ranksFirst())
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("expected L0H1 to rank first by K-composition score into L1H0, but it ranked 2nd with 0.00; "
                        + "top: L0H0 0.177, L0H1 0.00\n(K-composition score into L1H0: ");
        // Q- and V-composition of the two are zero: the previous-token subspace is not read by queries or values
        assertThatThrownBy(() -> assertThatComposition(model, CompositionScores.Mode.Q).from(0, 0).to(1, 0).hasScoreAbove(0.01))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("expected the Q-composition score of L0H0 into L1H0 to be above 0.0100, but it was 0.00; top Q-composition into L1H0: ");
        assertThatThrownBy(() -> assertThatComposition(model, CompositionScores.Mode.K).from(1, 0).to(0, 0).ranksFirst())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("composition goes from an earlier layer to a later one, but L1H0 is not below L0H0");
        assertThatThrownBy(() -> assertThatComposition(model, CompositionScores.Mode.K).from(0, 0).ranksFirst())
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("say which heads");
    }
}
