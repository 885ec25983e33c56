package dev.lens4j.analysis.interventions;

import dev.lens4j.analysis.attribution.RandomModels;
import dev.lens4j.analysis.attribution.ResidualStream;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Two passes over the same numbers agree to about 1e-6 (not bit for bit) with the Vector API
 * kernels, whose float reductions may round differently once the JIT compiles them; comparisons
 * between runs allow for that.
 */
class AblationTest {

    static final int V = 20;

    /** One attention-only layer, no LayerNorm: the logits are linear in the head terms. */
    static HookedTransformer linearModel() {
        TransformerConfig cfg = RandomModels.config(1, 16, 4, 4, 0, 12, V, true, "none");
        return RandomModels.model(cfg, 31);
    }

    static float maxRelDiff(Tensor a, Tensor b) {
        return a.maxAbsDiff(b) / Math.max(1f, b.abs().max());
    }

    @Test
    void zeroAblatingAHeadRemovesExactlyItsTermFromTheLogits() {
        try (HookedTransformer m = linearModel()) {
            int[][] tokens = RandomModels.tokens(2, 8, V, 1);
            ForwardResult run = m.runWithCache(tokens);
            ResidualStream stream = ResidualStream.of(m, run.cache());
            for (int h = 0; h < 4; h++) {
                Tensor ablated = m.runWithHooks(tokens, Ablation.head(0, h).zero());
                // cache arithmetic: logits - result_h W_U
                Tensor term = stream.headResults(0).select(2, h).matmul(m.weights().wU()); // [batch, pos, d_vocab]
                Tensor expected = run.logits().sub(term);
                assertThat(maxRelDiff(ablated, expected)).as("head %d", h).isLessThan(1e-5f);
            }
            // two heads at once remove both terms
            Tensor both = m.runWithHooks(tokens, Ablation.heads(0, 1, 3).zero());
            Tensor terms = stream.headResults(0).select(2, 1).add(stream.headResults(0).select(2, 3)).matmul(m.weights().wU());
            assertThat(maxRelDiff(both, run.logits().sub(terms))).isLessThan(1e-5f);
            // a negative head counts from the end, as a negative position does
            assertThat(m.runWithHooks(tokens, Ablation.head(0, -1).zero()).maxAbsDiff(m.runWithHooks(tokens, Ablation.head(0, 3).zero())))
                    .isZero();
        }
    }

    @Test
    void zeroAblatingAComponentAtSomePositionsChangesOnlyThosePositions() {
        try (HookedTransformer m = linearModel()) {
            int[][] tokens = RandomModels.tokens(1, 8, V, 2);
            ForwardResult run = m.runWithCache(tokens);
            Tensor ablated = m.runWithHooks(tokens, Ablation.component("attn_out", 0).atPositions(2, -1).zero());
            Tensor attnTerm = run.cache().get("attn_out", 0).matmul(m.weights().wU());
            for (int p = 0; p < 8; p++) {
                Tensor got = ablated.select(1, p);
                Tensor clean = run.logits().select(1, p);
                if (p == 2 || p == 7) {
                    assertThat(maxRelDiff(got, clean.sub(attnTerm.select(1, p)))).isLessThan(1e-5f);
                } else {
                    assertThat(maxRelDiff(got, clean)).as("position %d", p).isLessThan(1e-6f);
                }
            }
        }
    }

    @Test
    void meanAblationOfIdenticalSequencesChangesNothing() {
        try (HookedTransformer m = RandomModels.small(4)) {
            int[] seq = RandomModels.tokens(1, 9, V, 3)[0];
            int[][] same = {seq, seq, seq};
            Tensor plain = m.forward(same);
            ActivationCache ref = m.runWithCache(new int[][] {seq, seq}).cache();
            HookSpec[] ablations = {
                    Ablation.head(1, 2).meanOverBatch(),
                    Ablation.heads(0, 0, 3).meanOverBatch(),
                    Ablation.component("mlp_out", 0).meanOverBatch(),
                    Ablation.component("resid_pre", 1).atPositions(4).meanOverBatch(),
                    Ablation.component("pattern", 1).ofHeads(1).meanOverBatch(),
                    Ablation.head(1, 2).mean(ref),
                    Ablation.component("attn_out", 1).mean(ref),
                    Ablation.head(0, 1).resample(ref, 9),
            };
            for (HookSpec a : ablations) {
                assertThat(maxRelDiff(m.runWithHooks(same, a), plain)).as(a.name()).isLessThan(1e-5f);
            }
        }
    }

    @Test
    void meanAblationUsesTheBatchMeanOfTheSelectedHeadOnly() {
        try (HookedTransformer m = RandomModels.small(4)) {
            int[][] tokens = RandomModels.tokens(3, 6, V, 8);
            Tensor z = m.runWithCache(tokens).cache().get("z", 1);
            Tensor[] seen = new Tensor[1];
            HookSpec spy = HookSpec.of("blocks.1.attn.hook_z", Hook.observe(t -> seen[0] = t));
            m.runWithHooks(tokens, Ablation.head(1, 2).meanOverBatch(), spy);
            Tensor got = seen[0];
            for (int b = 0; b < 3; b++) {
                for (int p = 0; p < 6; p++) {
                    for (int d = 0; d < 4; d++) {
                        float mean = (z.get(0, p, 2, d) + z.get(1, p, 2, d) + z.get(2, p, 2, d)) / 3;
                        assertThat(got.get(b, p, 2, d)).isCloseTo(mean, within(1e-6f));
                        assertThat(got.get(b, p, 1, d)).isCloseTo(z.get(b, p, 1, d), within(1e-6f));
                    }
                }
            }
        }
    }

    @Test
    void meanAblationOverAReferenceSetUsesTheReferenceMeanNotTheRun() {
        try (HookedTransformer m = RandomModels.small(4)) {
            int[][] tokens = RandomModels.tokens(2, 6, V, 8);
            int[][] refTokens = RandomModels.tokens(3, 6, V, 9);
            Tensor z = m.runWithCache(tokens).cache().get("z", 1);
            ActivationCache ref = m.runWithCache(refTokens).cache();
            Tensor refZ = ref.get("z", 1);
            Tensor refMlp = ref.get("mlp_out", 0);
            Tensor[] seenZ = new Tensor[1];
            Tensor[] seenMlp = new Tensor[1];
            m.runWithHooks(tokens, Ablation.head(1, 2).mean(ref), HookSpec.of("blocks.1.attn.hook_z", Hook.observe(t -> seenZ[0] = t)));
            m.runWithHooks(tokens, Ablation.component("mlp_out", 0).atPositions(3).mean(ref),
                    HookSpec.of("blocks.0.hook_mlp_out", Hook.observe(t -> seenMlp[0] = t)));
            for (int b = 0; b < 2; b++) {
                for (int p = 0; p < 6; p++) {
                    for (int d = 0; d < 4; d++) {
                        // the mean over the 3 reference sequences, position by position
                        float mean = (refZ.get(0, p, 2, d) + refZ.get(1, p, 2, d) + refZ.get(2, p, 2, d)) / 3;
                        assertThat(seenZ[0].get(b, p, 2, d)).isCloseTo(mean, within(1e-6f));
                        assertThat(seenZ[0].get(b, p, 0, d)).isCloseTo(z.get(b, p, 0, d), within(1e-6f));
                    }
                }
            }
            // a position-restricted mean: the reference mean at position 3, the run's own values elsewhere
            Tensor mlp = m.runWithCache(tokens).cache().get("mlp_out", 0);
            for (int b = 0; b < 2; b++) {
                for (int i = 0; i < mlp.dim(2); i++) {
                    float mean = (refMlp.get(0, 3, i) + refMlp.get(1, 3, i) + refMlp.get(2, 3, i)) / 3;
                    assertThat(seenMlp[0].get(b, 3, i)).isCloseTo(mean, within(1e-6f));
                    assertThat(seenMlp[0].get(b, 2, i)).isCloseTo(mlp.get(b, 2, i), within(1e-6f));
                }
            }
            // and the mean is not the run's: the two batches differ at the ablated head
            assertThat(seenZ[0].select(2, 2).maxAbsDiff(z.select(2, 2))).isGreaterThan(1e-3f);
        }
    }

    @Test
    void resampleAblationTakesSeededReferenceSequences() {
        try (HookedTransformer m = RandomModels.small(4)) {
            int[][] tokens = RandomModels.tokens(4, 6, V, 8);
            int[][] refTokens = RandomModels.tokens(3, 6, V, 9);
            ActivationCache ref = m.runWithCache(refTokens).cache();
            Tensor refZ = ref.get("z", 0);
            Tensor[] seen = new Tensor[1];
            HookSpec spy = HookSpec.of("blocks.0.attn.hook_z", Hook.observe(t -> seen[0] = t));
            Tensor first = m.runWithHooks(tokens, Ablation.head(0, 3).resample(ref, 123), spy);
            SplittableRandom rng = new SplittableRandom(123);
            for (int b = 0; b < 4; b++) {
                int r = rng.nextInt(3);
                assertThat(seen[0].select(0, b).select(1, 3).maxAbsDiff(refZ.select(0, r).select(1, 3))).isLessThan(1e-6f);
            }
            assertThat(maxRelDiff(m.runWithHooks(tokens, Ablation.head(0, 3).resample(ref, 123)), first)).isLessThan(1e-6f);

            // with one reference sequence, resampling is patching that sequence's head into every sequence
            int[][] one = {refTokens[1]};
            ActivationCache refOne = m.runWithCache(one).cache();
            int[][] single = {tokens[2]};
            Tensor resampled = m.runWithHooks(single, Ablation.head(0, 3).resample(refOne, 5));
            float patched = new ActivationPatching(m, single, refOne, logits -> logits.get(0, 5, 7))
                    .run(Patch.head("blocks.0.attn.hook_z", 3));
            assertThat(resampled.get(0, 5, 7)).isCloseTo(patched, within(1e-5f));
        }
    }

    @Test
    void badAblationsAreNamed() {
        try (HookedTransformer m = RandomModels.small(4)) {
            int[][] tokens = RandomModels.tokens(2, 6, V, 8);
            assertThatThrownBy(() -> Ablation.component("attn_out", 0).ofHeads(1)).hasMessageContaining("no head dimension");
            assertThatThrownBy(() -> m.runWithHooks(tokens, Ablation.head(0, 4).zero())).hasMessageContaining("head 4 is outside [0, 4)");
            assertThatThrownBy(() -> m.runWithHooks(tokens, Ablation.component("resid_pre", 0).atPositions(6).zero()))
                    .hasMessageContaining("position 6");
            ActivationCache shorter = m.runWithCache(RandomModels.tokens(2, 5, V, 1)).cache();
            assertThatThrownBy(() -> m.runWithHooks(tokens, Ablation.head(0, 1).mean(shorter)))
                    .hasMessageContaining("[2, 5, 4, 4]").hasMessageContaining("[2, 6, 4, 4]");
        }
    }
}
