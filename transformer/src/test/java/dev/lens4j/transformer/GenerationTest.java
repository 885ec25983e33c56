package dev.lens4j.transformer;

import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.generation.GenerationConfig;
import dev.lens4j.transformer.generation.GenerationResult;
import dev.lens4j.transformer.generation.Sampler;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GenerationTest {

    private static final TransformerConfig C = TransformerConfig.gpt2(2, 16, 4, 16, 23).withModelName("gen");

    @Test
    void kvCachedLogitsEqualFullForwardLogits() {
        try (HookedTransformer model = RandomModels.model(C, 30)) {
            int[][] tokens = RandomModels.tokens(1, 2, 11, C.dVocab());
            Tensor full = model.forward(tokens);
            KvCache kv = model.newKvCache(2);
            ForwardOptions o = ForwardOptions.builder().kvCache(kv).build();
            // a chunk of 4, then one position at a time, then a chunk of 3
            int[] chunks = {4, 1, 1, 1, 1, 3};
            int at = 0;
            for (int n : chunks) {
                int[][] part = new int[2][];
                for (int b = 0; b < 2; b++) {
                    part[b] = Arrays.copyOfRange(tokens[b], at, at + n);
                }
                Tensor logits = model.run(part, o).logits();
                assertThat(logits.allClose(full.slice(1, at, at + n), 1e-5f, 1e-5f)).as("positions " + at + ".." + (at + n)).isTrue();
                at += n;
                assertThat(kv.length()).isEqualTo(at);
            }
        }
    }

    @Test
    void kvCachedStepsSeeThePastInTheirAttentionShapes() {
        try (HookedTransformer model = RandomModels.model(C, 31)) {
            KvCache kv = model.newKvCache(1);
            ForwardOptions.Builder b = ForwardOptions.builder().kvCache(kv).cache(n -> true);
            model.run(new int[][] {{1, 2, 3}}, b.build());
            ForwardResult step = model.run(new int[][] {{4}}, b.build());
            assertThat(step.cache().get("pattern", 0).shape()).containsExactly(1, 4, 1, 4);
            assertThat(step.cache().get("k", 1).shape()).containsExactly(1, 1, 4, 4);
            assertThat(step.cache().get("pattern", 1).sum()).isCloseTo(4f, org.assertj.core.api.Assertions.within(1e-5f));
        }
    }

    @Test
    void hooksFireWhileGenerating() {
        try (HookedTransformer model = RandomModels.model(C, 32)) {
            List<int[]> shapes = new ArrayList<>();
            GenerationResult g = model.generate(new int[] {1, 2, 3}, GenerationConfig.builder().maxNewTokens(4).build(),
                    HookSpec.of("blocks.1.hook_resid_post", Hook.observe(t -> shapes.add(t.shape()))));
            assertThat(g.newTokens()).hasSize(4);
            assertThat(shapes).hasSize(4);
            assertThat(shapes.get(0)).containsExactly(1, 3, 16);
            assertThat(shapes.get(3)).containsExactly(1, 1, 16);
            // an intervention while generating changes what is generated, and a model hook fires too
            int[] calls = {0};
            try (var _ = model.hooks().add("hook_embed", Hook.observe(t -> calls[0]++))) {
                GenerationResult steered = model.generate(new int[] {1, 2, 3}, GenerationConfig.builder().maxNewTokens(4).build(),
                        HookSpec.of("blocks.1.hook_resid_post", (x, p) -> x.mul(-1f)));
                assertThat(calls[0]).isEqualTo(4);
                assertThat(steered.newTokens()).isNotEqualTo(g.newTokens());
            }
        }
    }

    @Test
    void greedyWithAndWithoutTheKvCacheAgree() {
        try (HookedTransformer model = RandomModels.model(C, 33)) {
            GenerationConfig cached = GenerationConfig.builder().maxNewTokens(8).keepLogits(true).build();
            GenerationConfig uncached = GenerationConfig.builder().maxNewTokens(8).keepLogits(true).useKvCache(false).build();
            GenerationResult a = model.generate(new int[] {5, 6}, cached);
            GenerationResult b = model.generate(new int[] {5, 6}, uncached);
            assertThat(a.tokens()).containsExactly(b.tokens());
            for (int i = 0; i < 8; i++) {
                assertThat(a.stepLogits().get(i).allClose(b.stepLogits().get(i), 1e-5f, 1e-5f)).isTrue();
                assertThat(a.tokens()[2 + i]).isEqualTo(Sampler.argmax(a.stepLogits().get(i).toArray()));
            }
        }
    }

    @Test
    void samplingIsReproducibleForASeedAndTopKOneIsGreedy() {
        try (HookedTransformer model = RandomModels.model(C, 34)) {
            int[] prompt = {1, 2};
            GenerationConfig s1 = GenerationConfig.builder().maxNewTokens(10).sample(1.5f).seed(7).build();
            assertThat(model.generate(prompt, s1).tokens()).containsExactly(model.generate(prompt, s1).tokens());
            GenerationConfig s2 = GenerationConfig.builder().maxNewTokens(10).sample(1.5f).seed(8).build();
            assertThat(model.generate(prompt, s2).tokens()).isNotEqualTo(model.generate(prompt, s1).tokens());
            int[] greedy = model.generate(prompt, GenerationConfig.builder().maxNewTokens(10).build()).tokens();
            assertThat(model.generate(prompt, GenerationConfig.builder().maxNewTokens(10).sample(1f).topK(1).seed(3).build()).tokens())
                    .containsExactly(greedy);
            assertThat(model.generate(prompt, GenerationConfig.builder().maxNewTokens(10).sample(0f).build()).tokens())
                    .containsExactly(greedy);
            assertThat(model.generate(prompt, GenerationConfig.builder().maxNewTokens(10).sample(1f).topP(1e-6f).seed(3).build()).tokens())
                    .containsExactly(greedy);
        }
    }

    @Test
    void topKAndTopPKeepOnlyTheLikelyTokens() {
        float[] logits = {0f, 3f, 2.9f, -1f, 1f};
        Sampler top2 = new Sampler(GenerationConfig.builder().sample(1f).topK(2).seed(1).build());
        // top_p 0.9: p = softmax = [.025, .48, .44, .009, .07]: 0.48 + 0.44 > 0.9, so tokens 1 and 2 remain
        Sampler nucleus = new Sampler(GenerationConfig.builder().sample(1f).topP(0.9f).seed(2).build());
        boolean[] seenK = new boolean[5];
        boolean[] seenP = new boolean[5];
        for (int i = 0; i < 400; i++) {
            seenK[top2.next(logits)] = true;
            seenP[nucleus.next(logits)] = true;
        }
        assertThat(seenK).containsExactly(false, true, true, false, false);
        assertThat(seenP).containsExactly(false, true, true, false, false);
    }

    @Test
    void stopsAtTheEndOfSequenceToken() {
        try (HookedTransformer model = RandomModels.model(C, 35)) {
            int[] free = model.generate(new int[] {4}, GenerationConfig.builder().maxNewTokens(6).build()).newTokens();
            int eos = free[2];
            int firstIndex = 0;
            while (free[firstIndex] != eos) {
                firstIndex++;
            }
            GenerationResult stopped = model.generate(new int[] {4},
                    GenerationConfig.builder().maxNewTokens(6).stopAtEos(true).eosTokenId(eos).build());
            assertThat(stopped.newTokens()).containsExactly(Arrays.copyOf(free, firstIndex + 1));
            assertThatThrownBy(() -> model.generate(new int[] {4}, GenerationConfig.builder().stopAtEos(true).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("end-of-sequence");
            // an end token the model can never produce, or a negative one other than -1, is refused, not ignored
            int v = model.config().dVocab();
            assertThatThrownBy(() -> model.generate(new int[] {4},
                    GenerationConfig.builder().maxNewTokens(2).stopAtEos(true).eosTokenId(v + 100).build()))
                    .hasMessage("eosTokenId " + (v + 100) + " is outside the vocabulary [0, " + v + "): generation could never "
                            + "stop at it");
            assertThatThrownBy(() -> GenerationConfig.builder().eosTokenId(-7).build())
                    .hasMessage("eosTokenId must be a token id, or -1 for the tokenizer's, got -7");
            assertThatThrownBy(() -> model.generate(new int[] {4}, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("needs a GenerationConfig");
        }
    }

    @Test
    void refusesToGoPastTheContext() {
        try (HookedTransformer model = RandomModels.model(C, 36)) {
            assertThatThrownBy(() -> model.generate(new int[10], GenerationConfig.builder().maxNewTokens(7).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("17").hasMessageContaining("n_ctx 16");
            assertThat(model.generate(new int[10], GenerationConfig.builder().maxNewTokens(6).build()).tokens()).hasSize(16);
            KvCache kv = model.newKvCache(1);
            model.run(new int[][] {new int[16]}, ForwardOptions.builder().kvCache(kv).build());
            assertThatThrownBy(() -> model.run(new int[][] {{1}}, ForwardOptions.builder().kvCache(kv).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n_ctx");
            assertThatThrownBy(() -> model.generate(new int[0], GenerationConfig.builder().build()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> model.run(new int[][] {{1}, {2}}, ForwardOptions.builder().kvCache(model.newKvCache(1)).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch");
        }
    }

    @Test
    void paddedKvCachedDecodingMatchesTheUnpaddedSequence() {
        try (HookedTransformer model = RandomModels.model(C, 37)) {
            int[] seq = {3, 4, 5, 6, 7};
            Tensor alone = model.forward(new int[][] {seq});
            // left-padded by two, then one token at a time with the mask growing
            KvCache kv = model.newKvCache(1);
            int[] mask = {0, 0, 1, 1, 1};
            Tensor first = model.run(new int[][] {{0, 0, 3, 4, 5}},
                    ForwardOptions.builder().kvCache(kv).attentionMask(new int[][] {mask}).build()).logits();
            assertThat(first.slice(1, 2, 5).allClose(alone.slice(1, 0, 3), 1e-5f, 1e-5f)).isTrue();
            Tensor step = model.run(new int[][] {{6}},
                    ForwardOptions.builder().kvCache(kv).attentionMask(new int[][] {{0, 0, 1, 1, 1, 1}}).build()).logits();
            assertThat(step.allClose(alone.slice(1, 3, 4), 1e-5f, 1e-5f)).isTrue();
        }
    }
}
