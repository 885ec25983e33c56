package dev.lens4j.examples;

import dev.lens4j.analysis.heads.InductionEvals;
import dev.lens4j.analysis.interventions.Ablation;
import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookHandle;
import dev.lens4j.hooks.HookPoint;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Functional;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.testing.ComponentScores;
import dev.lens4j.testing.Head;
import dev.lens4j.testing.LensModel;
import dev.lens4j.testing.Measurements;
import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.lens4j.testing.LensAssertions.assertThatModel;
import static dev.lens4j.testing.LensAssertions.atLeast;
import static dev.lens4j.testing.LensAssertions.atMost;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Step 4: hooks. Observe activations as they are computed (the induction stripes, without caching
 * anything), and change them: zero-ablating a head shows which heads the repeated half depends on.
 */
class HooksTest {

    @LensModel("induction-2l")
    HookedTransformer model;

    @Test
    void recordInductionStripesWithAHook() {
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        int[][] tokens = probe.tokens();
        int n = probe.halfLength();
        // tag::observe-hook[]
        float[][] stripe = new float[model.config().nLayers()][model.config().nHeads()];
        Hook record = Hook.observe((Tensor pattern, HookPoint point) -> {     // pattern: [batch, head_index, query_pos, key_pos]
            int layer = Integer.parseInt(point.name().split("\\.")[1]);       // "blocks.1.attn.hook_pattern"
            for (int h = 0; h < pattern.dim(1); h++) {
                double sum = 0;
                for (int b = 0; b < pattern.dim(0); b++) {
                    for (int q = 1 + n; q < 1 + 2 * n; q++) {                 // queries in the second copy...
                        sum += pattern.get(b, h, q, q - n + 1);               // ...looking at the token after their first occurrence
                    }
                }
                stripe[layer][h] = (float) (sum / (pattern.dim(0) * n));
            }
        });
        model.runWithHooks(tokens, HookSpec.matching(name -> name.endsWith("hook_pattern"), record));
        // end::observe-hook[]
        Tensor expected = InductionEvals.inductionScores(model, tokens, n);
        for (int l = 0; l < stripe.length; l++) {
            for (int h = 0; h < stripe[l].length; h++) {
                assertThat(stripe[l][h]).isCloseTo(expected.get(l, h), within(1e-5f));
            }
        }
    }

    @Test
    void scopedModelHooks() {
        int[][] tokens = RepeatedTokens.forModel(model).tokens();
        // tag::scoped-hook[]
        List<int[]> shapes = new ArrayList<>();
        try (HookHandle _ = model.hooks().add("blocks.0.attn.hook_pattern", Hook.observe(p -> shapes.add(p.shape())))) {
            model.forward(tokens);                                           // the model's own hooks fire on every pass
            model.forward(tokens);
        }                                                                    // removed here, even if a pass throws
        assertThat(shapes).hasSize(2).allSatisfy(s -> assertThat(s).containsExactly(16, 4, 47, 47));
        assertThat(model.hooks().isEmpty()).isTrue();
        // end::scoped-hook[]
    }

    @Test
    void permanentHooksSurviveReset() {
        int[][] tokens = RepeatedTokens.forModel(model).withBatch(1).tokens();
        // tag::permanent-hook[]
        int[] passes = {0};
        HookHandle counter = model.hooks().addPermanent("hook_embed", Hook.observe(e -> passes[0]++));   // add_perma_hook
        HookHandle temporary = model.hooks().add("hook_embed", Hook.observe(e -> { }));                 // add_hook
        model.hooks().reset();                                   // reset_hooks(): removes the temporary hook only
        assertThat(temporary.isActive()).isFalse();
        model.forward(tokens);
        assertThat(passes[0]).isEqualTo(1);
        counter.close();                                         // a permanent hook still goes when its handle is closed
        assertThat(model.hooks().isEmpty()).isTrue();
        // end::permanent-hook[]
    }

    @Test
    void aThrowingHookLeavesNothingBehind() {
        int[][] tokens = RepeatedTokens.forModel(model).withBatch(1).tokens();
        // tag::hook-throws[]
        HookSpec broken = HookSpec.of("blocks.0.attn.hook_z", (z, point) -> {
            throw new IllegalStateException("bug in my hook");
        });
        assertThatThrownBy(() -> model.runWithHooks(tokens, broken))
                .isInstanceOf(IllegalStateException.class).hasMessage("bug in my hook");   // thrown as it is
        assertThat(model.hooks().isEmpty()).isTrue();             // per-call hooks never belong to the model
        assertThat(model.forward(tokens).shape()).containsExactly(1, 47, 64);
        // end::hook-throws[]
    }

    @Test
    void zeroAblatingAHead() {
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        int[][] tokens = probe.tokens();
        Head prevHead = Head.parse(Measurements.previousTokenScores(model, probe).top(1).getFirst().label());
        int layer = prevHead.layer(), head = prevHead.head();
        // tag::ablation-hook[]
        HookSpec zeroHead = HookSpec.of("blocks." + layer + ".attn.hook_z", (z, point) -> {  // z: [batch, pos, head_index, d_head]
            Tensor out = z.copy();
            out.select(2, head).copyFrom(Tensor.scalar(0f));
            return out;
        });
        Tensor clean = model.perTokenLoss(tokens);                                       // [batch, pos - 1]
        Tensor ablated = Functional.perTokenLoss(model.runWithHooks(tokens, zeroHead), tokens);
        int from = probe.repeatedLossFrom(), to = probe.repeatedLossTo();                // columns 24..45: the repeated half
        float cleanLoss = clean.slice(1, from, to).mean(), ablatedLoss = ablated.slice(1, from, to).mean();
        assertThat(ablatedLoss - cleanLoss).isGreaterThan(1.0f);
        // end::ablation-hook[]
        // tag::ablation-helper[]
        float viaHelper = Measurements.repeatedHalfLoss(model, probe, Ablation.head(layer, head).zero());
        // end::ablation-helper[]
        assertThat(viaHelper).isCloseTo(ablatedLoss, within(1e-5f));
    }

    @Test
    void ablationScoresOfEveryHead() {
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        // tag::ablation-scores[]
        ComponentScores rise = Measurements.headAblationLossIncreases(model, probe);   // one forward pass per head
        Head mostNeeded = Head.parse(rise.top(1).getFirst().label());
        // end::ablation-scores[]
        Head prevHead = Head.parse(Measurements.previousTokenScores(model, probe).top(1).getFirst().label());
        assertThat(mostNeeded).isEqualTo(prevHead);   // one previous-token head feeds every induction head
        // tag::claims-ablation[]
        assertThatModel(model).ablating(prevHead).raisesLossBy(atLeast(1.0));
        // end::claims-ablation[]
        // the induction heads back each other up: ablating any one of them costs little
        for (int h = 0; h < model.config().nHeads(); h++) {
            assertThatModel(model).ablating(new Head(1, h)).raisesLossBy(atMost(0.5));
        }
    }

    @Test
    void twoThreadsTwoAblationsOneModel() throws Exception {
        RepeatedTokens probe = RepeatedTokens.forModel(model);
        // tag::threads[]
        CompletableFuture<Float> a = CompletableFuture.supplyAsync(
                () -> Measurements.repeatedHalfLoss(model, probe, Ablation.head(0, 0).zero()));
        CompletableFuture<Float> b = CompletableFuture.supplyAsync(
                () -> Measurements.repeatedHalfLoss(model, probe, Ablation.head(1, 0).zero()));
        // each pass has its own hooks: the same numbers as one after the other
        assertThat(a.get()).isCloseTo(Measurements.repeatedHalfLoss(model, probe, Ablation.head(0, 0).zero()), within(1e-5f));
        assertThat(b.get()).isCloseTo(Measurements.repeatedHalfLoss(model, probe, Ablation.head(1, 0).zero()), within(1e-5f));
        // end::threads[]
    }
}
