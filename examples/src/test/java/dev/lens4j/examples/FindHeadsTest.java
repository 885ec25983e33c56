package dev.lens4j.examples;

import dev.lens4j.analysis.heads.HeadDetection;
import dev.lens4j.analysis.heads.HeadDetector.ErrorMeasure;
import dev.lens4j.analysis.heads.InductionEvals;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.testing.ComponentScores;
import dev.lens4j.testing.Head;
import dev.lens4j.testing.LensModel;
import dev.lens4j.testing.Measurements;
import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.lens4j.testing.LensAssertions.assertThatHead;
import static dev.lens4j.testing.LensAssertions.assertThatModel;
import static dev.lens4j.testing.LensAssertions.atLeast;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Step 3: feed the model random tokens repeated twice; it cannot predict the first copy but
 * predicts the second almost perfectly. Attention patterns show why: a previous-token head in
 * layer 0 and induction heads in layer 1.
 */
class FindHeadsTest {

    @LensModel("induction-2l")
    HookedTransformer model;

    @Test
    void theSecondCopyIsPredicted() {
        // tag::repeated-tokens[]
        RepeatedTokens probe = RepeatedTokens.forModel(model);        // 16 sequences: BOS, 23 random words, the same 23 again
        int[][] tokens = probe.tokens();                              // [16][47]
        assertThat(tokens[0][1]).isEqualTo(tokens[0][24]);
        // end::repeated-tokens[]

        // tag::loss-by-position[]
        float[] loss = Measurements.lossByPosition(model, probe);     // [46]: loss of predicting token t + 1, mean over sequences
        float firstCopy = mean(loss, probe.firstHalfLossFrom(), probe.firstHalfLossTo());   // columns 1..22: tokens 2..23 of the first copy
        float secondCopy = mean(loss, probe.repeatedLossFrom(), probe.repeatedLossTo());    // columns 24..45: the same in the second copy
        assertThat(firstCopy).isGreaterThan(3.5f);                    // about ln(63) = 4.14: a random guess
        assertThat(secondCopy).isLessThan(1.0f);                      // the model has learned to look back
        // end::loss-by-position[]
        assertThat(secondCopy).isCloseTo(Measurements.repeatedHalfLoss(model, probe), org.assertj.core.api.Assertions.within(1e-5f));
    }

    @Test
    void previousTokenHeadsFromAttentionPatterns() {
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        int[][] tokens = probe.tokens();
        // tag::detect-head[]
        // TransformerLens's detect_head: the share of each head's attention on the sub-diagonal
        Tensor prev = HeadDetection.detectHead(model, tokens, "previous_token_head", false, false, ErrorMeasure.MUL);  // [n_layers, n_heads]
        ComponentScores scores = ComponentScores.ofHeads("previous-token score", "", prev);
        Head best = Head.parse(scores.top(1).getFirst().label());
        assertThat(best.layer()).isZero();                            // a layer-0 head: it can only use positions
        assertThat(scores.value(best.label())).isGreaterThan(0.4f);
        // end::detect-head[]
    }

    @Test
    void inductionHeadsFromAttentionPatterns() {
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        int[][] tokens = probe.tokens();
        // tag::induction-scores[]
        // the share of each head's attention outside BOS that goes to the token after an earlier copy of the
        // current token, over the queries that have one: 1 for a perfect induction head
        Tensor scores = HeadDetection.targetScores(model, tokens, "induction_head", true);   // [n_layers, n_heads]
        List<Head> inductionHeads = ComponentScores.ofHeads("induction score", "", scores).ranked().stream()
                .filter(s -> s.value() >= 0.5f).map(s -> Head.parse(s.label())).toList();
        assertThat(inductionHeads).isNotEmpty().allSatisfy(h -> assertThat(h.layer()).isEqualTo(1));
        // end::induction-scores[]
        assertThat(scores.select(0, 0).max()).isLessThan(0.2f);
        assertThat(scores.maxAbsDiff(Tensor.of(Measurements.inductionScores(model, probe).values(), 2, 4))).isLessThan(1e-6f);
        // ARENA's detector, the mean of the stripe's diagonal over the second copy, sees the same heads
        for (float arena : InductionEvals.inductionScores(model, tokens, probe.halfLength()).select(0, 1).toArray()) {
            assertThat(arena).isGreaterThan(0.4f);
        }
    }

    @Test
    void theSameFindingsAsClaims() {
        ComponentScores prev = Measurements.previousTokenScores(model, RepeatedTokens.forModel(model));
        ComponentScores induction = Measurements.inductionScores(model, RepeatedTokens.forModel(model));
        Head prevHead = Head.parse(prev.top(1).getFirst().label());
        Head inductionHead = Head.parse(induction.top(1).getFirst().label());
        // tag::claims-heads[]
        assertThatHead(model, prevHead).hasPreviousTokenScoreAbove(0.4).ranksFirstByPreviousTokenScore();
        assertThatHead(model, inductionHead).hasInductionScoreAbove(0.4).hasPreviousTokenScoreBelow(0.2);
        assertThatModel(model).hasRepeatedHalfLossLowerThanFirstHalfBy(atLeast(3.0));
        // end::claims-heads[]
    }

    static float mean(float[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return (float) (s / (to - from));
    }
}
