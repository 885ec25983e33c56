package dev.lens4j.examples;

import dev.lens4j.analysis.circuits.CompositionScores;
import dev.lens4j.testing.Head;
import dev.lens4j.testing.LensModel;
import dev.lens4j.testing.Measurements;
import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.Test;

import static dev.lens4j.testing.LensAssertions.assertThatComposition;
import static dev.lens4j.testing.LensAssertions.assertThatHead;
import static dev.lens4j.testing.LensAssertions.assertThatModel;
import static dev.lens4j.testing.LensAssertions.atLeast;

/**
 * The lesson's conclusion as one test: every claim about the induction circuit of the shipped
 * model, each checked the way the earlier steps checked it.
 */
class InductionCircuitClaimsTest {

    @LensModel("induction-2l")
    HookedTransformer model;

    @Test
    void theInductionCircuit() {
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        Head prev = Head.parse(Measurements.previousTokenScores(model, probe).top(1).getFirst().label());
        Head induction = Head.parse(Measurements.directLogitAttribution(model, probe).heads().top(1).getFirst().label());
        // tag::claims-summary[]
        assertThatModel(model)                                         // the behaviour
                .hasRepeatedHalfLossLowerThanFirstHalfBy(atLeast(3.0))
                .hasHeadWithInductionScoreAbove(0.4);
        assertThatHead(model, prev)                                    // the previous-token head
                .hasPreviousTokenScoreAbove(0.4)
                .hasPositionalPreviousTokenScoreAbove(0.5)
                .whenAblated().raisesLossBy(atLeast(1.0));
        assertThatHead(model, induction)                               // the induction head
                .hasInductionScoreAbove(0.4)
                .hasCopyingScoreAbove(0.5)
                .logitAttributionRanksFirst();
        assertThatComposition(model, CompositionScores.Mode.K)         // how they connect
                .from(prev.layer(), prev.head()).to(induction.layer(), induction.head())
                .beatsRandomBaselineBy(1.5);
        // end::claims-summary[]
    }
}
