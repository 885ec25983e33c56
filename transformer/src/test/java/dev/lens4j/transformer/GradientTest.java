package dev.lens4j.transformer;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookHandle;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.loading.FamilyGradientsHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The backward pass beyond the TransformerLens fixtures: weight gradients against finite differences
 * of the loss, on every family; backward hooks that observe and replace; forward hooks that replace
 * an activation stop the gradient there; results independent of the thread count; refusals.
 */
class GradientTest {

    /**
     * The directional derivative of the loss along the full weight gradient g is |g|^2: central
     * differences {@code (L(w + e g) - L(w - e g)) / 2e} in double-precision sums of float32 passes.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt_neox", "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3"})
    void weightGradientsMatchFiniteDifferencesOfTheLoss(String family) throws Exception {
        try (HookedTransformer m = FamilyGradientsHelper.heapModel(family)) {
            int[][] tokens = FamilyGradientsHelper.tokens(family);
            LogitMetric loss = LogitMetric.meanLoss(tokens);
            ForwardResult r = m.run(tokens, ForwardOptions.builder().backward(loss).weightGradients(true).build());
            Map<String, Tensor> g = r.weightGradients();
            assertThat(g.keySet()).containsExactlyElementsOf(m.weights().stateDict().keySet());
            double norm2 = 0;
            for (Tensor t : g.values()) {
                float n = t.norm();
                norm2 += (double) n * n;
            }
            assertThat(norm2).isPositive();
            double eps = 1e-3 / Math.sqrt(norm2);
            double plus = lossAfterStep(m, g, eps, tokens), minus = lossAfterStep(m, g, -eps, tokens);
            lossAfterStep(m, g, 0, tokens); // restores the weights
            double fd = (plus - minus) / (2 * eps);
            assertThat(fd).as(family + ": directional derivative along the gradient vs |g|^2").isCloseTo(norm2,
                    org.assertj.core.data.Offset.offset(2e-2 * norm2));
            assertThat((double) m.loss(tokens)).isCloseTo(r.metric(), org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    /** Sets every weight to {@code w0 + step g} (the weights are heap tensors the model reads in place) and returns the loss. */
    private static double lossAfterStep(HookedTransformer m, Map<String, Tensor> g, double step, int[][] tokens) {
        Map<String, Tensor> w = m.weights().stateDict();
        Map<String, Tensor> base = FamilyGradientsHelper.original(m);
        for (Map.Entry<String, Tensor> e : w.entrySet()) {
            Tensor target = base.get(e.getKey()).add(g.get(e.getKey()).mul((float) step));
            e.getValue().copyFrom(target);
        }
        return LogitMetric.meanLoss(tokens).value(m.forward(tokens));
    }

    @Test
    void gradientsDoNotDependOnTheThreadCount() throws Exception {
        int saved = Parallel.threads();
        try (HookedTransformer m = FamilyGradientsHelper.heapModel("llama")) {
            int[][] tokens = FamilyGradientsHelper.tokens("llama");
            ForwardOptions o = ForwardOptions.builder().cache(n -> true).backward(LogitMetric.meanLoss(tokens)).weightGradients(true).build();
            Parallel.setThreads(1);
            ForwardResult one = m.run(tokens, o);
            Parallel.setThreads(2);
            ForwardResult two = m.run(tokens, o);
            for (String n : one.cache().names()) {
                assertThat(two.cache().get(n).toArray()).as(n).containsExactly(one.cache().get(n).toArray());
            }
            for (String n : one.weightGradients().keySet()) {
                assertThat(two.weightGradients().get(n).toArray()).as(n).containsExactly(one.weightGradients().get(n).toArray());
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void backwardHooksSeeAndReplaceTheGradient() throws Exception {
        try (HookedTransformer m = FamilyGradientsHelper.heapModel("gpt2")) {
            int[][] tokens = FamilyGradientsHelper.tokens("gpt2");
            LogitMetric loss = LogitMetric.meanLoss(tokens);
            ActivationCache plain = m.run(tokens, ForwardOptions.builder().cache(n -> true).backward(loss).build()).cache();
            // an observing hook sees what the cache records
            Tensor[] seen = new Tensor[1];
            m.run(tokens, ForwardOptions.builder().backward(loss)
                    .hooks(HookSpec.backward("blocks.1.hook_resid_pre", (g, p) -> { seen[0] = g.copy(); return g; })).build());
            assertThat(seen[0].toArray()).containsExactly(plain.get("blocks.1.hook_resid_pre_grad").toArray());
            // zeroing the gradient leaving the last block stops everything upstream
            ActivationCache cut = m.run(tokens, ForwardOptions.builder().cache(n -> true).backward(loss)
                    .hooks(HookSpec.backward("blocks.1.hook_resid_post", (g, p) -> Tensor.zeros(g.shape()))).build()).cache();
            assertThat(cut.get("blocks.0.attn.hook_z_grad").abs().max()).isZero();
            assertThat(cut.get("hook_embed_grad").abs().max()).isZero();
            assertThat(cut.get("ln_final.hook_normalized_grad").maxAbsDiff(plain.get("ln_final.hook_normalized_grad"))).isZero();
            // doubling the gradient at one point doubles every gradient upstream of it
            ActivationCache doubled = m.run(tokens, ForwardOptions.builder().cache(n -> true).backward(loss)
                    .hooks(HookSpec.backward("blocks.1.hook_resid_pre", (g, p) -> g.mul(2f))).build()).cache();
            Tensor a = doubled.get("hook_embed_grad"), b = plain.get("hook_embed_grad").mul(2f);
            assertThat(a.maxAbsDiff(b)).isLessThanOrEqualTo(1e-6f * b.abs().max());
            // a hook of the wrong shape is named
            assertThatThrownBy(() -> m.run(tokens, ForwardOptions.builder().backward(loss)
                    .hooks(HookSpec.backward("blocks.0.attn.hook_z", (g, p) -> Tensor.zeros(1, 2))).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("backward hook on blocks.0.attn.hook_z")
                    .hasMessageContaining("[1, 2]");
        }
    }

    @Test
    void aForwardHookThatReplacesAnActivationStopsItsGradient() throws Exception {
        try (HookedTransformer m = FamilyGradientsHelper.heapModel("llama")) {
            int[][] tokens = FamilyGradientsHelper.tokens("llama");
            LogitMetric loss = LogitMetric.meanLoss(tokens);
            // zero-ablate head 1 of layer 0's z: hook_z_grad is still reported for it (the gradient of the
            // hook's output), but nothing reaches that head's pattern or values
            ActivationCache c = m.run(tokens, ForwardOptions.builder().cache(n -> true).backward(loss)
                    .hooks(HookSpec.of("blocks.0.attn.hook_z", (z, p) -> {
                        Tensor out = z.copy();
                        out.select(2, 1).copyFrom(Tensor.scalar(0f));
                        return out;
                    })).build()).cache();
            assertThat(c.get("blocks.0.attn.hook_z_grad").select(2, 1).abs().max()).isPositive();
            assertThat(c.get("blocks.0.attn.hook_pattern_grad").select(1, 1).abs().max()).isZero();
            assertThat(c.get("blocks.0.attn.hook_pattern_grad").select(1, 0).abs().max()).isPositive();
            // the same gradients as the model whose W_O of that head is zero (z's head 1 never reaches the output)
            Map<String, Tensor> sd = new java.util.LinkedHashMap<>(m.weights().stateDict());
            Tensor wO = sd.get("blocks.0.attn.W_O").copy();
            wO.select(0, 1).copyFrom(Tensor.scalar(0f));
            try (HookedTransformer zeroed = HookedTransformer.of(m.config(), m.weights().with("blocks.0.attn.W_O", wO), null, null)) {
                ActivationCache z = zeroed.run(tokens, ForwardOptions.builder().cache(n -> true).backward(loss).build()).cache();
                Tensor a = c.get("hook_embed_grad"), b = z.get("hook_embed_grad");
                assertThat(a.maxAbsDiff(b)).isLessThanOrEqualTo(1e-5f * b.abs().max());
            }
        }
    }

    @Test
    void aKvCachedStepOrAnEarlyStopIsRefused() throws Exception {
        try (HookedTransformer m = FamilyGradientsHelper.heapModel("gpt2")) {
            int[][] tokens = FamilyGradientsHelper.tokens("gpt2");
            KvCache kv = m.newKvCache(tokens.length);
            assertThatThrownBy(() -> m.run(tokens, ForwardOptions.builder().kvCache(kv).backward(LogitMetric.meanLoss(tokens)).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("KV-cached step is not supported");
            assertThatThrownBy(() -> m.run(tokens, ForwardOptions.builder().stopAtLayer(1).backward(LogitMetric.meanLoss(tokens)).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stopAtLayer 1 stops before them");
            assertThatThrownBy(() -> ForwardOptions.builder().weightGradients(true).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a metric");
        }
    }

    /** A backward hook given to a pass without a metric would silently never run: refused, naming the hook point. */
    @Test
    void aBackwardHookWithoutAMetricIsRefused() throws Exception {
        Hook seen = Hook.observe(g -> { });
        assertThatThrownBy(() -> ForwardOptions.builder().hooks(HookSpec.backward("blocks.1.attn.hook_z", seen)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("backward hook on blocks.1.attn.hook_z would never run")
                .hasMessageContaining("set backward(metric)");
        assertThatThrownBy(() -> ForwardOptions.builder().hooks(HookSpec.backwardMatching(n -> true, seen)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("backward hook on a name filter");
        // with a metric, or as a forward hook, the same options are accepted
        try (HookedTransformer m = FamilyGradientsHelper.heapModel("gpt2")) {
            int[][] tokens = FamilyGradientsHelper.tokens("gpt2");
            int[] calls = {0};
            m.run(tokens, ForwardOptions.builder().hooks(HookSpec.backward("blocks.1.attn.hook_z", Hook.observe(g -> calls[0]++)))
                    .backward(LogitMetric.meanLoss(tokens)).build());
            assertThat(calls[0]).isEqualTo(1);
            // a backward hook the model holds waits for a pass with a metric instead of being refused
            try (HookHandle h = m.hooks().addBackward("blocks.1.attn.hook_z", Hook.observe(g -> calls[0]++))) {
                m.run(tokens, ForwardOptions.defaults());
                assertThat(calls[0]).isEqualTo(1);
            }
        }
    }
}
