package dev.lens4j.transformer;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ActivationCache#close()} on a model's cache: the next cached pass writes its activations
 * into the closed cache's arrays, with the same values as a pass that allocates new ones,
 * and nothing that is still open (or that a hook supplied) is ever written.
 */
class CacheReuseTest {

    private static final TransformerConfig CFG = RandomModels.small();

    /** Copies of every activation, by name. */
    private static Map<String, float[]> values(ActivationCache c) {
        Map<String, float[]> out = new LinkedHashMap<>();
        c.asMap().forEach((n, t) -> out.put(n, t.toArray()));
        return out;
    }

    /** The arrays behind the scores and patterns of every layer, a set by identity (not by contents). */
    private static Set<float[]> attentionArrays(ActivationCache c) {
        Set<float[]> s = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int l = 0; l < CFG.nLayers(); l++) {
            s.add(c.get("attn_scores", l).heapArray());
            s.add(c.get("pattern", l).heapArray());
        }
        return s;
    }

    /** The arrays behind every activation of a cache, by identity. */
    private static Set<float[]> allArrays(ActivationCache c) {
        Set<float[]> s = Collections.newSetFromMap(new IdentityHashMap<>());
        c.asMap().values().forEach(t -> s.add(t.heapArray()));
        return s;
    }

    /**
     * The activations whose arrays the model writes and the next pass reuses: all but the first resid_pre
     * (hook_q, hook_k and hook_v are gathered from the fused Q|K|V projection into reused arrays).
     */
    private static final List<String> REUSED = List.of("hook_embed", "hook_pos_embed", "blocks.0.ln1.hook_scale",
            "blocks.0.ln1.hook_normalized", "blocks.0.attn.hook_q", "blocks.0.attn.hook_k", "blocks.0.attn.hook_v",
            "blocks.1.attn.hook_q", "blocks.0.attn.hook_attn_scores", "blocks.0.attn.hook_pattern",
            "blocks.0.attn.hook_z", "blocks.0.hook_attn_out", "blocks.0.hook_resid_mid", "blocks.0.hook_mlp_out", "blocks.0.ln2.hook_scale", "blocks.0.mlp.hook_pre",
            "blocks.0.mlp.hook_post", "blocks.0.hook_resid_post", "blocks.1.hook_resid_pre", "blocks.1.hook_resid_post",
            "ln_final.hook_normalized", "ln_final.hook_scale");

    private static void assertSameValues(ActivationCache actual, Map<String, float[]> expected) {
        assertThat(actual.names()).containsExactlyElementsOf(expected.keySet());
        expected.forEach((n, v) -> assertThat(actual.get(n).toArray()).as(n).containsExactly(v));
    }

    @Test
    void theNextPassWritesIntoAClosedCachesArraysWithTheSameValues() {
        int[][] a = RandomModels.tokens(1, 2, 10, CFG.dVocab());
        int[][] b = RandomModels.tokens(2, 2, 10, CFG.dVocab());
        try (HookedTransformer model = RandomModels.model(CFG, 7);
             HookedTransformer reference = RandomModels.model(CFG, 7)) {
            Map<String, float[]> expected = values(reference.runWithCache(b).cache());
            ForwardResult first = model.runWithCache(a);
            Set<float[]> firstArrays = attentionArrays(first.cache());
            assertThat(firstArrays).hasSize(2 * CFG.nLayers());
            Set<float[]> everyFirst = allArrays(first.cache());
            first.cache().close();

            ForwardResult second = model.runWithCache(b);
            assertThat(firstArrays.containsAll(attentionArrays(second.cache()))).isTrue();   // every one reused (by identity)
            for (String name : REUSED) {
                assertThat(everyFirst.contains(second.cache().get(name).heapArray())).as(name).isTrue();
            }
            assertSameValues(second.cache(), expected);
            assertThat(second.output().toArray()).containsExactly(reference.forward(b).toArray());
        }
    }

    @Test
    void aCacheThatIsNotClosedIsNeverWritten() {
        int[][] a = RandomModels.tokens(3, 2, 10, CFG.dVocab());
        int[][] b = RandomModels.tokens(4, 2, 10, CFG.dVocab());
        try (HookedTransformer model = RandomModels.model(CFG, 7)) {
            ActivationCache first = model.runWithCache(a).cache();
            Map<String, float[]> before = values(first);
            ActivationCache closed = model.runWithCache(b).cache();
            closed.close();                                      // only this one's arrays may be reused
            ActivationCache third = model.runWithCache(a).cache();
            assertSameValues(first, before);
            assertSameValues(third, before);
            Set<float[]> firstArrays = allArrays(first);
            assertThat(allArrays(third)).noneMatch(firstArrays::contains);
        }
    }

    @Test
    void arraysAreKeptOnlyUntilTheNextCachedPass() {
        int[][] ten = RandomModels.tokens(5, 1, 10, CFG.dVocab());
        int[][] eight = RandomModels.tokens(6, 1, 8, CFG.dVocab());
        try (HookedTransformer model = RandomModels.model(CFG, 7)) {
            ActivationCache first = model.runWithCache(ten).cache();
            Set<float[]> firstArrays = allArrays(first);
            first.close();
            model.runWithCache(eight);            // another shape: takes nothing, and the model drops the arrays
            ActivationCache third = model.runWithCache(ten).cache();
            assertThat(allArrays(third)).noneMatch(firstArrays::contains);
        }
    }

    @Test
    void anArrayAHookSuppliedIsNotReused() {
        int[][] a = RandomModels.tokens(7, 1, 10, CFG.dVocab());
        int[][] b = RandomModels.tokens(8, 1, 10, CFG.dVocab());
        try (HookedTransformer model = RandomModels.model(CFG, 7)) {
            ActivationCache clean = model.runWithCache(a).cache();
            Tensor cleanPattern = clean.get("pattern", 1);
            float[] kept = cleanPattern.toArray();
            ActivationCache patched = model.run(b, ForwardOptions.builder()
                    .hooks(HookSpec.of("blocks.1.attn.hook_pattern", Hook.replaceWith(cleanPattern)))
                    .cache(n -> true).build()).cache();
            assertThat(patched.get("pattern", 1).heapArray()).isSameAs(cleanPattern.heapArray());
            patched.close();
            model.runWithCache(b);
            assertThat(clean.get("pattern", 1).toArray()).containsExactly(kept);
        }
    }

    /**
     * A tensor shown to a hook is never written afterwards: hooks that keep the q, k and v they are given
     * (views of the fused projection) and the MLP's pre and post activations (values that a pass without
     * such hooks computes into scratch arrays shared by every layer) still hold each layer's values after
     * the pass, which equal those a cache recorded.
     */
    @Test
    void theValuesAHookKeepsAreNotOverwrittenByLaterLayers() {
        int[][] a = RandomModels.tokens(15, 2, 10, CFG.dVocab());
        try (HookedTransformer model = RandomModels.model(CFG, 7)) {
            ActivationCache expected = model.runWithCache(a).cache();
            Map<String, Tensor> kept = new LinkedHashMap<>();
            List<HookSpec> keep = new java.util.ArrayList<>();
            for (int l = 0; l < CFG.nLayers(); l++) {
                for (String part : List.of("attn.hook_q", "attn.hook_k", "attn.hook_v", "mlp.hook_pre", "mlp.hook_post")) {
                    String name = "blocks." + l + "." + part;
                    keep.add(HookSpec.of(name, (t, point) -> {
                        kept.put(name, t);
                        return t;
                    }));
                }
            }
            model.run(a, ForwardOptions.builder().hooks(keep).build());
            model.forward(a);   // another pass, which may reuse its own scratch
            assertThat(kept).hasSize(5 * CFG.nLayers());
            kept.forEach((n, t) -> assertThat(t.toArray()).as(n).containsExactly(expected.get(n).toArray()));
        }
    }

    @Test
    void aCachedPassWithGradientsReusesArraysToo() {
        int[][] a = RandomModels.tokens(9, 2, 10, CFG.dVocab());
        int[][] b = RandomModels.tokens(10, 2, 10, CFG.dVocab());
        try (HookedTransformer model = RandomModels.model(CFG, 7);
             HookedTransformer reference = RandomModels.model(CFG, 7)) {
            ForwardResult expected = reference.runWithCache(b, LogitMetric.meanLoss(b));
            ActivationCache first = model.runWithCache(a, LogitMetric.meanLoss(a)).cache();
            Set<float[]> firstArrays = attentionArrays(first);
            first.close();
            ForwardResult second = model.runWithCache(b, LogitMetric.meanLoss(b));
            assertThat(firstArrays.containsAll(attentionArrays(second.cache()))).isTrue();
            assertThat(second.metric()).isEqualTo(expected.metric());
            assertSameValues(second.cache(), values(expected.cache()));
        }
    }

    @Test
    void paddedBatchesGetTheSameValuesFromReusedArrays() {
        // padding rows of hook_pos_embed stay zero in a new array; a reused one is zeroed first
        int[][] a = RandomModels.tokens(11, 2, 10, CFG.dVocab());
        int[][] b = RandomModels.tokens(12, 2, 10, CFG.dVocab());
        int[][] maskA = {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 1, 1, 1, 1, 1, 1, 1, 1}};
        int[][] maskB = {{0, 0, 0, 0, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}};
        try (HookedTransformer model = RandomModels.model(CFG, 7);
             HookedTransformer reference = RandomModels.model(CFG, 7)) {
            ForwardOptions all = ForwardOptions.builder().cache(n -> true).build();
            Map<String, float[]> expected = values(reference.run(b, all.toBuilder().attentionMask(maskB).build()).cache());
            model.run(a, all.toBuilder().attentionMask(maskA).build()).cache().close();
            ActivationCache second = model.run(b, all.toBuilder().attentionMask(maskB).build()).cache();
            assertSameValues(second, expected);
        }
    }

    @Test
    void theOutputOfAPassStoppedEarlyIsNotReused() {
        // stopped after block 0, the pass returns the residual it also cached as blocks.0.hook_resid_post
        int[][] a = RandomModels.tokens(13, 1, 10, CFG.dVocab());
        int[][] b = RandomModels.tokens(14, 1, 10, CFG.dVocab());
        try (HookedTransformer model = RandomModels.model(CFG, 7)) {
            ForwardOptions stopped = ForwardOptions.builder().stopAtLayer(1).cache(n -> true).build();
            ForwardResult first = model.run(a, stopped);
            float[] kept = first.output().toArray();
            assertThat(first.cache().get("blocks.0.hook_resid_post").heapArray()).isSameAs(first.output().heapArray());
            first.cache().close();
            model.run(b, stopped);
            assertThat(first.output().toArray()).containsExactly(kept);
        }
    }
}
