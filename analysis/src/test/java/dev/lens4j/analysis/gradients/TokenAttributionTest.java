package dev.lens4j.analysis.gradients;

import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Token attributions on the shipped model: completeness, their identities with one another, causality. */
class TokenAttributionTest {

    static HookedTransformer model;
    static RepeatedTokens probe;
    static int[][] clean, corrupted;

    @BeforeAll
    static void load() throws Exception {
        model = Models.fromPretrained("induction-2l");
        probe = RepeatedTokens.forModel(model).withBatch(4);
        clean = probe.tokens();
        corrupted = probe.corruptedTokens();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** The attributions sum to the metric's change from the baseline, ever more closely as the steps grow. */
    @Test
    void integratedGradientsAreComplete() {
        LogitMetric metric = LogitMetrics.logProb(clean, probe.repeatedLossFrom(), probe.repeatedLossTo());
        TokenAttribution.IntegratedGradients coarse = TokenAttribution.integratedGradients(model, clean, corrupted, metric, 4);
        TokenAttribution.IntegratedGradients fine = TokenAttribution.integratedGradients(model, clean, corrupted, metric, 64);
        double change = fine.metric() - fine.baselineMetric();
        assertThat(change).isGreaterThan(1);
        assertThat(Math.abs(fine.completenessGap())).isLessThan(0.02 * change);
        assertThat(Math.abs(fine.completenessGap())).isLessThan(Math.abs(coarse.completenessGap()));
        // the corruption redrew the first copy only: the second copy's embeddings are the baseline's, so they get nothing
        Tensor second = fine.attributions().slice(1, probe.lead() + probe.halfLength(), probe.length());
        assertThat(second.abs().max()).isZero();
        // the first copy carries it: what the repeated half copies
        assertThat(fine.attributions().slice(1, probe.lead(), probe.lead() + probe.halfLength()).sum()).isGreaterThan((float) (0.9 * change));
        TokenAttribution.IntegratedGradients zero = TokenAttribution.integratedGradients(model, clean, metric, 64);
        assertThat(Math.abs(zero.completenessGap())).isLessThan(0.02 * Math.abs(zero.metric() - zero.baselineMetric()) + 0.02);
    }

    /** One right-Riemann step from a zero embedding is gradient x input, exactly. */
    @Test
    void oneStepFromZeroIsGradientTimesInput() {
        LogitMetric metric = LogitMetrics.logitDiff(20, new int[] {1, 2, 3, 4}, new int[] {5, 6, 7, 8});
        Tensor gxi = TokenAttribution.gradientTimesInput(model, clean, metric);
        assertThat(gxi.shape()).containsExactly(4, probe.length());
        Tensor one = TokenAttribution.integratedGradients(model, clean, metric, 1).attributions();
        assertThat(one.maxAbsDiff(gxi)).isLessThan(1e-6f);
        // a metric at position 20 cannot see later tokens
        assertThat(gxi.slice(1, 21, probe.length()).abs().max()).isZero();
        assertThat(gxi.slice(1, 0, 21).abs().max()).isPositive();
    }

    @Test
    void badInputIsNamed() {
        LogitMetric metric = LogitMetrics.logProb(clean, 1, 3);
        assertThatThrownBy(() -> TokenAttribution.integratedGradients(model, clean, corrupted, metric, 0))
                .hasMessageContaining("at least 1 step");
        assertThatThrownBy(() -> TokenAttribution.integratedGradients(model, clean, new int[][] {{1, 2}}, metric, 3))
                .hasMessageContaining("same [batch][pos] shape");
        assertThatThrownBy(() -> TokenAttribution.gradientTimesInput(model, clean, null)).hasMessageContaining("needs a metric");
    }
}
