package dev.lens4j.analysis.attribution;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class DirectLogitAttributionTest {

    static final int B = 2, P = 6, V = 20;

    /** Attributions of a complete decomposition add up to logit - b_U when the final LayerNorm has no weight and bias. */
    @Test
    void fullDecompositionAttributionsAddUpToTheLogitsOfAProcessedModel() {
        for (String norm : new String[] {"LNPre", "none"}) {
            TransformerConfig cfg = RandomModels.config(2, 16, 4, 4, 24, 12, V, false, norm);
            try (HookedTransformer m = RandomModels.model(cfg, 21)) {
                int[][] tokens = RandomModels.tokens(B, P, V, 2);
                ForwardResult run = m.runWithCache(tokens);
                DirectLogitAttribution dla = DirectLogitAttribution.of(m, run.cache());
                ComponentStack parts = ResidualStream.of(m, run.cache()).fullResidDecomposition(-1, false, true, false);
                int[][] target = RandomModels.tokens(B, P, V, 3);
                int[][] other = RandomModels.tokens(B, P, V, 4);
                ComponentStack attrs = dla.logitAttrs(parts, target, null);
                ComponentStack diffs = dla.logitAttrs(parts, target, other);
                assertThat(attrs.values().shape()).containsExactly(parts.size(), B, P);
                assertThat(attrs.labels()).isEqualTo(parts.labels());
                Tensor sum = attrs.sum();
                Tensor diffSum = diffs.sum();
                Tensor logits = run.logits();
                Tensor bU = m.weights().bU();
                for (int b = 0; b < B; b++) {
                    for (int p = 0; p < P; p++) {
                        float expected = logits.get(b, p, target[b][p]) - bU.get(target[b][p]);
                        assertThat(sum.get(b, p)).as("%s [%d, %d]", norm, b, p).isCloseTo(expected, within(1e-4f));
                        float expectedDiff = expected - (logits.get(b, p, other[b][p]) - bU.get(other[b][p]));
                        assertThat(diffSum.get(b, p)).isCloseTo(expectedDiff, within(1e-4f));
                    }
                }
            }
        }
    }

    @Test
    void oneHeadsAttributionIsItsScaledOutputDottedWithTheUnembedding() {
        try (HookedTransformer m = RandomModels.small(8)) {
            int[][] tokens = RandomModels.tokens(B, P, V, 9);
            ActivationCache cache = m.runWithCache(tokens).cache();
            ResidualStream stream = ResidualStream.of(m, cache);
            DirectLogitAttribution dla = new DirectLogitAttribution(stream);
            ComponentStack heads = stream.stackHeadResults(-1, false, false);
            int[] correct = {3, 7};
            int[] wrong = {5, 1};
            ComponentStack last = dla.logitAttrs(heads, -1, correct, wrong);
            assertThat(last.values().shape()).containsExactly(8, B);
            // independent arithmetic: centre, divide by the cached final scale, dot with W_U[:, c] - W_U[:, w]; no LN weight, no b_U
            Tensor x = stream.headResults(1).select(2, 2); // [batch, pos, d_model]
            for (int b = 0; b < B; b++) {
                Tensor row = x.select(0, b).select(0, P - 1);
                Tensor centred = row.sub(row.mean());
                float scale = cache.get("ln_final.hook_scale").get(b, P - 1, 0);
                Tensor dir = m.weights().wU().select(1, correct[b]).sub(m.weights().wU().select(1, wrong[b]));
                float expected = centred.mul(dir).sum() / scale;
                assertThat(last.get("L1H2").get(b)).isCloseTo(expected, within(1e-5f));
            }
            // the one-position form is the per-position form at that position
            int[][] c2 = new int[B][P];
            int[][] w2 = new int[B][P];
            for (int b = 0; b < B; b++) {
                java.util.Arrays.fill(c2[b], correct[b]);
                java.util.Arrays.fill(w2[b], wrong[b]);
            }
            Tensor all = dla.logitAttrs(heads, c2, w2).values();
            assertThat(all.select(2, P - 1).maxAbsDiff(last.values())).isLessThan(1e-6f);
            assertThat(dla.residualDirections(3, 7).select(0, 1).toArray()).containsExactly(m.weights().wU().select(1, 7).toArray());
        }
    }

    @Test
    void badInputIsNamed() {
        try (HookedTransformer m = RandomModels.small(8)) {
            int[][] tokens = RandomModels.tokens(B, P, V, 9);
            ActivationCache cache = m.runWithCache(tokens).cache();
            DirectLogitAttribution dla = DirectLogitAttribution.of(m, cache);
            ComponentStack heads = ResidualStream.of(m, cache).stackHeadResults(-1, false, false);
            assertThatThrownBy(() -> dla.logitAttrs(heads, -1, new int[] {1}, null)).hasMessageContaining("one token per sequence (2)");
            assertThatThrownBy(() -> dla.logitAttrs(heads, -1, new int[] {1, 99}, null)).hasMessageContaining("99");
            assertThatThrownBy(() -> dla.logitAttrs(heads, P, new int[] {1, 2}, null)).hasMessageContaining("position 6");
            assertThatThrownBy(() -> dla.logitAttrs(heads.atPosition(0), -1, new int[] {1, 2}, null)).hasMessageContaining("[component, batch, pos, 16]");
        }
    }
}
