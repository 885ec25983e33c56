package dev.lens4j.analysis.gradients;

import dev.lens4j.analysis.interventions.Metrics;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.LogitMetric;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The differentiable metrics: their values are the patching metrics', their gradients finite differences of them. */
class LogitMetricsTest {

    static final Tensor LOGITS = Tensor.randn(3, 2, 6, 11).mul(2f);   // [batch, pos, d_vocab]
    static final int[][] TOKENS = {{1, 4, 2, 9, 10, 0}, {3, 3, 5, 7, 1, 8}};

    @Test
    void valuesAreThePatchingMetrics() {
        LogitMetric diff = LogitMetrics.logitDiff(-1, new int[] {2, 5}, new int[] {7, 1});
        assertThat(diff.value(LOGITS)).isCloseTo(Metrics.logitDiff(-1, new int[] {2, 5}, new int[] {7, 1}).apply(LOGITS), within(1e-5));
        LogitMetric logProb = LogitMetrics.logProb(TOKENS, 1, 4);
        assertThat(logProb.value(LOGITS)).isCloseTo(-Metrics.loss(TOKENS, 1, 4).apply(LOGITS), within(1e-5));
        assertThat(LogitMetrics.asMetric(logProb).apply(LOGITS)).isEqualTo((float) logProb.value(LOGITS));
    }

    @Test
    void gradientsAreFiniteDifferences() {
        checkGradient(LogitMetrics.logitDiff(new int[] {3, -2}, new int[] {2, 5}, new int[] {7, 5}));
        checkGradient(LogitMetrics.logProb(TOKENS, 0, 5));
        checkGradient(LogitMetrics.logProb(TOKENS, 2, 3));
    }

    /** Central differences along random directions, in double sums of float logits. */
    private static void checkGradient(LogitMetric m) {
        Tensor g = m.gradient(LOGITS);
        assertThat(g.shape()).containsExactly(LOGITS.shape());
        for (long seed = 1; seed <= 3; seed++) {
            Tensor dir = Tensor.randn(seed, LOGITS.shape());
            double e = 1e-2;
            double fd = (m.value(LOGITS.add(dir.mul((float) e))) - m.value(LOGITS.sub(dir.mul((float) e)))) / (2 * e);
            double exact = g.mul(dir).sum();
            assertThat(fd).as(m + ", direction " + seed).isCloseTo(exact, within(1e-3 * Math.max(1, Math.abs(exact))));
        }
    }

    @Test
    void badInputIsNamed() {
        assertThatThrownBy(() -> LogitMetrics.logitDiff(new int[] {1}, new int[] {1, 2}, new int[] {3}))
                .hasMessageContaining("got 1, 2, 1");
        assertThatThrownBy(() -> LogitMetrics.logProb(TOKENS, 3, 6)).hasMessageContaining("outside the 5 predictions of 6 positions");
        assertThatThrownBy(() -> LogitMetrics.logitDiff(0, new int[] {40, 1}, new int[] {1, 2}).value(LOGITS))
                .hasMessageContaining("token 40 is outside the vocabulary [0, 11)");
        assertThatThrownBy(() -> LogitMetrics.logitDiff(9, new int[] {4, 1}, new int[] {1, 2}).gradient(LOGITS))
                .hasMessageContaining("position 9 is outside the 6 positions");
        assertThatThrownBy(() -> LogitMetrics.logProb(TOKENS, 1, 2).value(Tensor.zeros(2, 5, 11)))
                .hasMessageContaining("sequences of 6 tokens");
    }
}
