package dev.lens4j.analysis.attribution;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ResidualStreamTest {

    static final int B = 2, P = 7;

    private final HookedTransformer model = RandomModels.small(11);
    private final int[][] tokens = RandomModels.tokens(B, P, 20, 5);
    private final ActivationCache cache = model.runWithCache(tokens).cache();
    private final ResidualStream stream = ResidualStream.of(model, cache);

    /** Differences of order 1e-6 of values of order 1: float rounding, not a wrong term. */
    static void assertClose(Tensor got, Tensor expected) {
        assertThat(got.shape()).containsExactly(expected.shape());
        float scale = Math.max(1f, expected.abs().max());
        assertThat(got.maxAbsDiff(expected)).as("max |difference|").isLessThan(2e-5f * scale);
    }

    @Test
    void decompositionSumsToTheFinalResidualStream() {
        ComponentStack parts = stream.decomposeResid(-1, false, ResidualStream.Mode.ALL, false, true);
        assertThat(parts.labels()).containsExactly("embed", "pos_embed", "0_attn_out", "0_mlp_out", "1_attn_out", "1_mlp_out");
        assertThat(parts.values().shape()).containsExactly(6, B, P, 16);
        assertClose(parts.sum(), cache.get("resid_post", 1));
    }

    @Test
    void decompositionOfAnMlpInputSumsToResidMid() {
        ComponentStack parts = stream.decomposeResid(1, true, ResidualStream.Mode.ALL, false, true);
        assertThat(parts.labels()).containsExactly("embed", "pos_embed", "0_attn_out", "0_mlp_out", "1_attn_out");
        assertClose(parts.sum(), cache.get("resid_mid", 1));
        assertThat(stream.decomposeResid(-1, false, ResidualStream.Mode.ATTN, false, false).labels())
                .containsExactly("0_attn_out", "1_attn_out");
        assertThat(stream.decomposeResid(-1, false, ResidualStream.Mode.MLP, false, true).labels())
                .containsExactly("embed", "pos_embed", "0_mlp_out", "1_mlp_out");
    }

    @Test
    void fullDecompositionWithHeadsNeuronsEmbeddingsAndBiasIsExact() {
        Tensor target = cache.get("resid_post", 1);
        ComponentStack byNeuron = stream.fullResidDecomposition(-1, false, true, false);
        assertThat(byNeuron.size()).isEqualTo(2 * 4 + 2 * 24 + 3);
        assertThat(byNeuron.labels().subList(0, 5)).containsExactly("L0H0", "L0H1", "L0H2", "L0H3", "L1H0");
        assertThat(byNeuron.labels().get(8)).isEqualTo("L0N0");
        assertThat(byNeuron.labels().get(8 + 24)).isEqualTo("L1N0");
        assertThat(byNeuron.labels().subList(byNeuron.size() - 3, byNeuron.size())).containsExactly("embed", "pos_embed", "bias");
        assertClose(byNeuron.sum(), target);

        ComponentStack byMlp = stream.fullResidDecomposition(-1, false, false, false);
        assertThat(byMlp.labels()).contains("0_mlp_out", "1_mlp_out").doesNotContain("L0N0");
        assertClose(byMlp.sum(), target);
        // the bias row is sum of b_O only when the MLP outputs (which hold b_out) are kept whole
        TransformerWeights w = model.weights();
        assertClose(byMlp.get("bias").select(0, 1).select(0, 3), w.layers().get(0).bO().add(w.layers().get(1).bO()));
        assertClose(byNeuron.get("bias").select(0, 0).select(0, 0),
                w.layers().get(0).bO().add(w.layers().get(1).bO()).add(w.layers().get(0).bOut()).add(w.layers().get(1).bOut()));

        assertClose(stream.fullResidDecomposition(1, false, true, false).sum(), cache.get("resid_pre", 1));
        assertClose(stream.fullResidDecomposition(1, true, true, false).sum(), cache.get("resid_mid", 1));
        assertClose(stream.fullResidDecomposition(0, false, true, false).sum(), cache.get("resid_pre", 0));
    }

    @Test
    void headResultsSumToAttnOutLessTheOutputBias() {
        for (int l = 0; l < 2; l++) {
            Tensor heads = stream.headResults(l); // [batch, pos, head, d_model]
            assertThat(heads.shape()).containsExactly(B, P, 4, 16);
            Tensor attnOut = cache.get("attn_out", l);
            assertClose(heads.sum(2, false), attnOut.sub(model.weights().layers().get(l).bO()));
        }
    }

    @Test
    void headResultsFromZAgreeWithTheCachedHookResult() {
        TransformerConfig withResult = model.config().withHookSwitches(true, false, false, false);
        try (HookedTransformer m2 = HookedTransformer.of(withResult, model.weights(), null, null)) {
            ActivationCache c2 = m2.runWithCache(tokens).cache();
            assertThat(c2.contains("blocks.1.attn.hook_result")).isTrue();
            for (int l = 0; l < 2; l++) {
                assertClose(stream.headResults(l), c2.get("result", l));
                assertClose(ResidualStream.of(m2, c2).headResults(l), c2.get("result", l));
            }
        }
    }

    @Test
    void headStackWithRemainderSumsToTheStream() {
        ComponentStack heads = stream.stackHeadResults(-1, true, false);
        assertThat(heads.size()).isEqualTo(9);
        assertThat(heads.labels().get(8)).isEqualTo("remainder");
        assertClose(heads.sum(), cache.get("resid_post", 1));
        assertClose(heads.get("L1H2"), stream.headResults(1).select(2, 2));
        ComponentStack first = stream.stackHeadResults(1, true, false);
        assertThat(first.labels()).containsExactly("L0H0", "L0H1", "L0H2", "L0H3", "remainder");
        assertClose(first.sum(), cache.get("resid_pre", 1));
        ComponentStack none = stream.stackHeadResults(0, false, false);
        assertThat(none.values().shape()).containsExactly(0, B, P, 16);
    }

    @Test
    void neuronStackIsPostTimesWOut() {
        ComponentStack neurons = stream.stackNeuronResults(-1, true, false);
        assertThat(neurons.size()).isEqualTo(2 * 24 + 1);
        float post = cache.get("post", 1).get(1, 3, 5);
        Tensor expected = model.weights().layers().get(1).wOut().select(0, 5).mul(post);
        assertClose(neurons.get("L1N5").select(0, 1).select(0, 3), expected);
        assertClose(neurons.sum(), cache.get("resid_post", 1));
    }

    @Test
    void accumulatedResidStacksTheStreamAndAppliesTheFinalLayerNormToEach() {
        ComponentStack acc = stream.accumulatedResid(-1, true, false, false);
        assertThat(acc.labels()).containsExactly("0_pre", "0_mid", "1_pre", "1_mid", "final_post");
        assertThat(acc.get("1_mid").toArray()).containsExactly(cache.get("resid_mid", 1).toArray());
        assertThat(stream.accumulatedResid(1, false, false, false).labels()).containsExactly("0_pre", "1_pre");
        assertThat(stream.accumulatedResid(1, false, true, false).labels()).containsExactly("0_pre", "1_pre", "1_mid");

        // the logit lens (TransformerLens 2.18): ln_final on each stream, with its own mean and scale and
        // ln_final's weight and bias, by hand here
        ComponentStack lens = stream.accumulatedResid(-1, false, false, true);
        Tensor x = cache.get("resid_pre", 1);
        Tensor centred = x.sub(x.mean(-1, true));
        Tensor ownScale = centred.mul(centred).mean(-1, true).add(1e-5f).sqrt();
        Tensor expected = centred.div(ownScale).mul(model.weights().lnFinalW()).add(model.weights().lnFinalB());
        assertClose(lens.get("1_pre"), expected);
        // so the final stream comes out as the model's own ln_final output
        assertClose(lens.get("final_post"), cache.get("ln_final.hook_normalized"));
        // before the final layer the cached scale of the LayerNorm reading that stream divides every entry
        ComponentStack early = stream.accumulatedResid(1, false, false, true);
        Tensor e = cache.get("resid_pre", 0);
        assertClose(early.get("0_pre"), e.sub(e.mean(-1, true)).div(cache.get("scale", 1, "ln1")));
    }

    @Test
    void applyLnUsesTheScaleOfTheLayerNormReadingTheStream() {
        ComponentStack parts = stream.decomposeResid(1, false, ResidualStream.Mode.ALL, true, true);
        Tensor x = cache.get("hook_embed");
        assertClose(parts.get("embed"), x.sub(x.mean(-1, true)).div(cache.get("scale", 1, "ln1")));
        ComponentStack mid = stream.decomposeResid(1, true, ResidualStream.Mode.ALL, true, true);
        assertClose(mid.get("embed"), x.sub(x.mean(-1, true)).div(cache.get("scale", 1, "ln2")));
    }

    @Test
    void applyLnIsTheIdentityWithoutNormalisation() {
        TransformerConfig cfg = RandomModels.config(1, 8, 2, 4, 0, 8, 10, true, "none");
        try (HookedTransformer m = RandomModels.model(cfg, 3)) {
            ActivationCache c = m.runWithCache(RandomModels.tokens(1, 5, 10, 1)).cache();
            ResidualStream s = ResidualStream.of(m, c);
            ComponentStack raw = s.decomposeResid(-1, false, ResidualStream.Mode.ALL, false, true);
            ComponentStack scaled = s.applyLnToStack(raw, -1, false);
            assertThat(scaled.values().toArray()).containsExactly(raw.values().toArray());
            assertClose(s.fullResidDecomposition(-1, false, true, false).sum(), c.get("resid_post", 0));
            assertThatThrownBy(() -> s.stackNeuronResults(-1, false, false)).hasMessageContaining("attention-only");
            assertThatThrownBy(() -> s.decomposeResid(0, true, ResidualStream.Mode.ALL, false, true)).hasMessageContaining("needs MLPs");
        }
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> stream.decomposeResid(3, false, ResidualStream.Mode.ALL, false, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("layer 3 is outside [0, 2]");
        assertThatThrownBy(() -> stream.headResults(2)).hasMessageContaining("block 2");
        assertThatThrownBy(() -> stream.decomposeResid(2, true, ResidualStream.Mode.ALL, false, true)).hasMessageContaining("mlpInput");
        ActivationCache partial = model.runWithCache(tokens, n -> n.endsWith("hook_pattern")).cache();
        assertThatThrownBy(() -> ResidualStream.of(model, partial).decomposeResid(-1, false, ResidualStream.Mode.ALL, false, false))
                .hasMessageContaining("blocks.0.hook_attn_out");
        Tensor wrong = Tensor.zeros(2, B, P + 1, 16);
        assertThatThrownBy(() -> stream.applyLnToStack(wrong, -1, false)).hasMessageContaining("[2, 2, 8, 16]");
    }

    @Test
    void componentStackLooksUpLabelsAndJoinsStacks() {
        ComponentStack s = new ComponentStack(Tensor.arange(6).reshape(3, 2), List.of("a", "b", "c"));
        assertThat(s.get("b").toArray()).containsExactly(2f, 3f);
        assertThat(s.select("c", "a").values().toArray()).containsExactly(4f, 5f, 0f, 1f);
        assertThat(s.sum().toArray()).containsExactly(6f, 9f);
        ComponentStack t = s.concat(new ComponentStack(Tensor.ones(1, 2), List.of("d")));
        assertThat(t.labels()).containsExactly("a", "b", "c", "d");
        assertThatThrownBy(() -> s.get("x")).hasMessageContaining("no component 'x'").hasMessageContaining("[a, b, c]");
        assertThatThrownBy(() -> new ComponentStack(Tensor.zeros(2, 2), List.of("a", "a"))).hasMessageContaining("twice");
        assertThatThrownBy(() -> new ComponentStack(Tensor.zeros(2, 2), new ArrayList<>(List.of("a")))).hasMessageContaining("one label per component");
        assertThat(s.get(0).get(1)).isCloseTo(1f, within(0f));
    }
}
