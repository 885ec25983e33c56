package dev.lens4j.analysis.interventions;

import dev.lens4j.analysis.attribution.RandomModels;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class MetricsTest {

    /** logits [2, 2, 3]: batch 0 rows [1, 2, 3], [0, 0, 0]; batch 1 rows [3, 2, 1], [ln 1, ln 2, ln 5]. */
    static Tensor logits() {
        return Tensor.of(new float[] {1, 2, 3, 0, 0, 0, 3, 2, 1, 0, (float) Math.log(2), (float) Math.log(5)}, 2, 2, 3);
    }

    @Test
    void logitDifferenceAndProbabilityAverageOverTheBatch() {
        // position 0: batch 0 logit[2] - logit[0] = 2, batch 1 logit[0] - logit[1] = 1
        assertThat(Metrics.logitDiff(0, new int[] {2, 0}, new int[] {0, 1}).apply(logits())).isEqualTo(1.5f);
        assertThat(Metrics.logitDiff(new int[] {0, -1}, new int[] {2, 2}, new int[] {0, 0}).apply(logits()))
                .isCloseTo((2f + (float) Math.log(5)) / 2, within(1e-6f));
        // position 1: batch 0 uniform (1/3), batch 1 softmax [1, 2, 5] / 8
        assertThat(Metrics.probability(1, new int[] {0, 2}).apply(logits())).isCloseTo((1f / 3 + 5f / 8) / 2, within(1e-6f));
    }

    @Test
    void lossIsTheMeanPerTokenLossAndNormalisedMapsCleanToOne() {
        try (HookedTransformer m = RandomModels.small(2)) {
            int[][] tokens = RandomModels.tokens(2, 6, 20, 4);
            Tensor logits = m.forward(tokens);
            assertThat(Metrics.loss(tokens).apply(logits)).isCloseTo(m.loss(tokens), within(1e-6f));
            Tensor perToken = m.perTokenLoss(tokens);
            float expected = (perToken.get(0, 3) + perToken.get(0, 4) + perToken.get(1, 3) + perToken.get(1, 4)) / 4;
            assertThat(Metrics.loss(tokens, 3, 5).apply(logits)).isCloseTo(expected, within(1e-6f));
            assertThatThrownBy(() -> Metrics.loss(tokens, 3, 6).apply(logits)).hasMessageContaining("exceed the 5 predictions of 6 positions");
        }
        Metric constant = l -> 3f;
        assertThat(Metrics.normalised(constant, 3f, 1f).apply(null)).isEqualTo(1f);
        assertThat(Metrics.normalised(constant, 5f, 3f).apply(null)).isEqualTo(0f);
        assertThatThrownBy(() -> Metrics.normalised(constant, 2f, 2f)).hasMessageContaining("must differ");
        assertThatThrownBy(() -> Metrics.logitDiff(0, new int[] {1}, new int[] {0}).apply(logits())).hasMessageContaining("1 sequences");
        // a position outside the logits names the metric's position, the sequence and the logits' shape
        assertThatThrownBy(() -> Metrics.logitDiff(new int[] {0, 2}, new int[] {1, 1}, new int[] {0, 0}).apply(logits()))
                .hasMessage("the metric's position 2 (sequence 1) is outside the 2 positions of the logits [2, 2, 3] (negative "
                        + "positions count from the end)");
        assertThatThrownBy(() -> Metrics.probability(-3, new int[] {0, 0}).apply(logits())).hasMessageContaining("position -3");
    }
}
