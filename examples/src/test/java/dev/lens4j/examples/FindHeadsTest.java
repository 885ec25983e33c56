package dev.lens4j.examples;

import dev.lens4j.analysis.heads.HeadDetection;
import dev.lens4j.analysis.heads.HeadDetector.ErrorMeasure;
import dev.lens4j.analysis.heads.InductionEvals;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.testing.ComponentScores;
import dev.lens4j.testing.Head;
import dev.lens4j.testing.LensModel;
import dev.lens4j.testing.Measurements;
import dev.lens4j.testing.RepeatedTokens;
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
        RepeatedTokens probe = RepeatedTokens.forModel(model);        // 8 sequences: BOS, 16 random words, the same 16 again
        int[][] tokens = probe.tokens();                              // [8][33]
        assertThat(tokens[0][1]).isEqualTo(tokens[0][17]);
        // end::repeated-tokens[]

        // tag::loss-by-position[]
        float[] loss = Measurements.lossByPosition(model, probe);     // [32]: loss of predicting token t + 1, mean over sequences
        float firstCopy = mean(loss, 1, 16);                          // predicting tokens 2..16 of the first copy
        float secondCopy = mean(loss, 17, 32);                        // predicting tokens 2..16 of the second copy
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
        // mean attention from each token of the second copy to the token after its first occurrence
        Tensor scores = InductionEvals.inductionScores(model, tokens, probe.halfLength());   // [n_layers, n_heads]
        List<Head> inductionHeads = ComponentScores.ofHeads("induction score", "", scores).ranked().stream()
                .filter(s -> s.value() > 0.4f).map(s -> Head.parse(s.label())).toList();
        assertThat(inductionHeads).isNotEmpty().allSatisfy(h -> assertThat(h.layer()).isEqualTo(1));
        // end::induction-scores[]
        assertThat(scores.select(0, 0).max()).isLessThan(0.2f);
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
