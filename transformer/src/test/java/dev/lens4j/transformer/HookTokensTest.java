package dev.lens4j.transformer;

import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.generation.GenerationConfig;
import dev.lens4j.transformer.generation.GenerationResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.lens4j.transformer.HookedTransformerTest.assertSameBits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code hook_tokens} (TransformerLens's {@code use_hook_tokens}): the token ids {@code [batch, pos]}
 * as floats, before the embedding, observed or replaced by other ids.
 */
class HookTokensTest {

    private static final TransformerConfig WITH = RandomModels.small().withHookTokens(true);

    @Test
    void theCacheHoldsTheInputIdsFirst() {
        try (HookedTransformer model = RandomModels.model(WITH, 40)) {
            int[][] tokens = RandomModels.tokens(1, 2, 5, WITH.dVocab());
            ForwardResult run = model.runWithCache(tokens);
            Tensor ids = run.cache().get("hook_tokens"); // [batch, pos]
            assertThat(ids.shape()).containsExactly(2, 5);
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < 5; t++) {
                    assertThat(ids.get(b, t)).as("[%d, %d]", b, t).isEqualTo((float) tokens[b][t]);
                }
            }
            assertThat(run.cache().names().getFirst()).isEqualTo("hook_tokens");
            // observing changes nothing: the logits are those of the model without the switch
            try (HookedTransformer plain = RandomModels.model(RandomModels.small(), 40)) {
                assertSameBits("logits with hook_tokens cached", run.logits(), plain.forward(tokens));
            }
        }
    }

    @Test
    void replacedIdsAreEmbeddedLikeTheTokensThemselves() {
        try (HookedTransformer model = RandomModels.model(WITH, 41)) {
            int[][] tokens = RandomModels.tokens(2, 2, 6, WITH.dVocab());
            int[][] other = RandomModels.tokens(3, 2, 6, WITH.dVocab());
            Tensor replacement = Tensor.zeros(2, 6);
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < 6; t++) {
                    replacement.set(other[b][t], b, t);
                }
            }
            Tensor expected = model.forward(other);
            assertThat(expected.allClose(model.forward(tokens), 1e-3f, 1e-3f)).as("the two prompts differ").isFalse();
            assertSameBits("logits with replaced ids",
                    model.runWithHooks(tokens, HookSpec.of("hook_tokens", Hook.replaceWith(replacement))), expected);
            // changed in place, one position: the same as running that token there
            int[][] oneChanged = {tokens[0].clone(), tokens[1].clone()};
            oneChanged[1][3] = (tokens[1][3] + 1) % WITH.dVocab();
            assertSameBits("logits with one id changed in place",
                    model.runWithHooks(tokens, HookSpec.of("hook_tokens", Hook.observe(ids -> ids.set(ids.get(1, 3) + 1 == WITH.dVocab()
                            ? 0f : ids.get(1, 3) + 1, 1, 3)))),
                    model.forward(oneChanged));
            // the cache records the ids that were embedded
            ForwardResult cached = model.run(tokens, ForwardOptions.builder().cache(n -> true)
                    .hooks(HookSpec.of("hook_tokens", Hook.replaceWith(replacement))).build());
            assertSameBits("cached hook_tokens", cached.cache().get("hook_tokens"), replacement);
            assertSameBits("cached hook_embed", cached.cache().get("hook_embed"), model.runWithCache(other).cache().get("hook_embed"));
        }
    }

    @Test
    void idsThatAreNotTokensAreRefusedNamingTheHookThePositionAndTheValue() {
        try (HookedTransformer model = RandomModels.model(WITH, 42)) {
            int[][] tokens = {{1, 2, 3}, {4, 5, 6}};
            assertThatThrownBy(() -> model.runWithHooks(tokens, setAt(1, 2, 3.5f)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("hook_tokens").hasMessageContaining("[1, 2]").hasMessageContaining("3.5")
                    .hasMessageContaining("not an integral token id");
            assertThatThrownBy(() -> model.runWithHooks(tokens, setAt(0, 1, Float.NaN)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("hook_tokens").hasMessageContaining("[0, 1]").hasMessageContaining("NaN");
            assertThatThrownBy(() -> model.runWithHooks(tokens, setAt(0, 0, WITH.dVocab())))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("hook_tokens").hasMessageContaining("[0, 0]").hasMessageContaining("23.0")
                    .hasMessageContaining("outside the vocabulary [0, 23)");
            assertThatThrownBy(() -> model.runWithHooks(tokens, setAt(1, 0, -1f)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("hook_tokens").hasMessageContaining("[1, 0]").hasMessageContaining("-1.0");
            assertThatThrownBy(() -> model.runWithHooks(tokens, HookSpec.of("hook_tokens", Hook.replaceWith(Tensor.zeros(2, 4)))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("hook_tokens").hasMessageContaining("[2, 4]").hasMessageContaining("[2, 3]");
            assertThatThrownBy(() -> model.runWithHooks(tokens, HookSpec.of("hook_tokens", Hook.replaceWith(Tensor.zeros(2, 3, 1)))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("hook_tokens").hasMessageContaining("[2, 3, 1]");
            assertThat(model.hooks().isEmpty()).isTrue();
        }
    }

    @Test
    void withoutTheSwitchThereIsNoHookTokens() {
        try (HookedTransformer model = RandomModels.model(RandomModels.small(), 43)) {
            assertThat(model.hookPointNames()).doesNotContain("hook_tokens").startsWith("hook_embed");
            assertThat(model.hookPoints(1, 3)).extracting(HookShape::name).doesNotContain("hook_tokens");
            assertThat(model.runWithCache(new int[][] {{1, 2}}).cache().names()).doesNotContain("hook_tokens");
            // refused as an unknown name, saying which switch would add it and how
            String why = "no hook point named 'hook_tokens'; it exists when use_hook_tokens is on, which it is not in this "
                    + "model: model.withHookTokens(true) returns a view of the same weights that has it";
            assertThatThrownBy(() -> model.hooks().add("hook_tokens", (a, p) -> a))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(why);
            assertThatThrownBy(() -> model.runWithHooks(new int[][] {{1}}, HookSpec.of("hook_tokens", (a, p) -> a)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(why);
            assertThat(model.hooks().isEmpty()).isTrue();
            // the view it names has the point, over the same weights: its logits are the model's
            try (HookedTransformer view = model.withHookTokens(true)) {
                int[][] tokens = {{1, 2, 3}};
                List<Float> seen = new ArrayList<>();
                Tensor logits = view.runWithHooks(tokens, HookSpec.of("hook_tokens", Hook.observe(t -> seen.add(t.get(0, 2)))));
                assertThat(seen).containsExactly(3f);
                assertSameBits("the view's logits", logits, model.forward(tokens));
            }
        }
    }

    @Test
    void itFiresWhenAPassStartsFromTokensOnly() {
        try (HookedTransformer model = RandomModels.model(WITH, 44)) {
            int[][] tokens = RandomModels.tokens(4, 1, 5, WITH.dVocab());
            List<int[]> seen = new ArrayList<>();
            HookSpec record = HookSpec.of("hook_tokens", Hook.observe(t -> seen.add(t.shape())));
            ForwardResult stopped = model.run(tokens, ForwardOptions.builder().stopAtLayer(1).hooks(record).build());
            assertThat(seen).hasSize(1);
            assertThat(seen.getFirst()).containsExactly(1, 5);
            // from a residual stream there are no tokens, so the hook does not fire
            ForwardResult resumed = model.runFromResidual(stopped.output(), ForwardOptions.builder().startAtLayer(1).hooks(record).build());
            assertThat(seen).hasSize(1);
            assertSameBits("logits resumed at layer 1", resumed.logits(), model.forward(tokens));
            assertThat(model.runFromResidual(stopped.output(), ForwardOptions.builder().startAtLayer(1).cache(n -> true).build())
                    .cache().names()).doesNotContain("hook_tokens", "hook_embed");
        }
    }

    @Test
    void whileGeneratingItSeesThePromptThenEachNewToken() {
        try (HookedTransformer model = RandomModels.model(WITH, 45)) {
            int[] prompt = {1, 2, 3};
            List<Tensor> seen = new ArrayList<>();
            GenerationResult g = model.generate(prompt, GenerationConfig.builder().maxNewTokens(4).build(),
                    HookSpec.of("hook_tokens", Hook.observe(t -> seen.add(t.copy()))));
            assertThat(seen).hasSize(4);
            assertThat(seen.get(0).toArray()).containsExactly(1f, 2f, 3f);
            for (int i = 1; i < 4; i++) { // with the KV cache, one new position per pass
                assertThat(seen.get(i).shape()).containsExactly(1, 1);
                assertThat(seen.get(i).item()).isEqualTo((float) g.tokens()[prompt.length + i - 1]);
            }
            // replacing the prompt's last id wherever a pass covers it generates what that prompt generates:
            // with the KV cache only the first pass does (later ones see one new position), without it every pass
            int[] changed = {1, 2, 7};
            HookSpec lastIsSeven = HookSpec.of("hook_tokens", (t, p) -> {
                if (t.dim(1) < prompt.length) {
                    return t;
                }
                Tensor out = t.copy();
                out.set(7f, 0, prompt.length - 1);
                return out;
            });
            for (boolean kv : new boolean[] {true, false}) {
                GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(4).useKvCache(kv).build();
                assertThat(model.generate(prompt, cfg, lastIsSeven).newTokens()).as("KV cache " + kv)
                        .containsExactly(model.generate(changed, cfg).newTokens())
                        .isNotEqualTo(g.newTokens());
            }
        }
    }

    /** A hook that sets the id at {@code [b, t]} to {@code value} in a copy. */
    private static HookSpec setAt(int b, int t, float value) {
        return HookSpec.of("hook_tokens", (ids, p) -> {
            Tensor out = ids.copy();
            out.set(value, b, t);
            return out;
        });
    }
}
