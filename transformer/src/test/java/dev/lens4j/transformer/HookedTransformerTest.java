package dev.lens4j.transformer;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookHandle;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Behaviour of the forward pass and its hooks, checked by identities and hand-computed values. */
class HookedTransformerTest {

    private static final TransformerConfig SMALL = RandomModels.small();

    // Two passes that do the same arithmetic give the same bits: the kernels compute exp and gelu from
    // FMAs and sum lanes in a fixed order on every JIT tier, and parallel tasks write disjoint outputs,
    // so the thread count does not matter either. Repeated passes of one computation are therefore
    // compared for bit equality (sameBits); a tolerance is kept only where two different computations
    // of the same value meet (a KV cache against a full pass, padding, split inputs, Tensor ops).

    /** Asserts identical shapes and identical float bits (NaN equal to NaN, -0 not equal to +0). */
    static void assertSameBits(String what, Tensor actual, Tensor expected) {
        assertThat(actual.shape()).as(what + " shape").containsExactly(expected.shape());
        float[] a = actual.toArray();
        float[] b = expected.toArray();
        int first = -1;
        for (int i = 0; i < a.length && first < 0; i++) {
            if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) {
                first = i;
            }
        }
        assertThat(first).as(what + ": first differing element " + first
                + (first < 0 ? "" : " is " + a[first] + ", expected " + b[first])).isEqualTo(-1);
    }

    @Test
    void zeroAttentionWeightsGiveUniformCausalPatterns() {
        TransformerConfig c = TransformerConfig.gpt2(1, 8, 2, 6, 11);
        TransformerWeights w = RandomModels.weights(c, 3, 0.5f);
        TransformerWeights zw = w.toBuilder(c).put("blocks.0.attn.W_Q", Tensor.zeros(2, 8, 4)).put("blocks.0.attn.W_K", Tensor.zeros(2, 8, 4))
                .put("blocks.0.attn.b_Q", Tensor.zeros(2, 4)).put("blocks.0.attn.b_K", Tensor.zeros(2, 4)).build();
        try (HookedTransformer model = HookedTransformer.of(c, zw, null, null)) {
            ActivationCache cache = model.runWithCache(new int[][] {{1, 2, 3, 4}}).cache();
            Tensor scores = cache.get("attn_scores", 0);
            Tensor pattern = cache.get("pattern", 0);
            for (int h = 0; h < 2; h++) {
                for (int q = 0; q < 4; q++) {
                    for (int k = 0; k < 4; k++) {
                        if (k <= q) {
                            assertThat(scores.get(0, h, q, k)).isZero();
                            assertThat(pattern.get(0, h, q, k)).isEqualTo(1f / (q + 1), org.assertj.core.api.Assertions.within(1e-6f));
                        } else {
                            assertThat(scores.get(0, h, q, k)).isEqualTo(Float.NEGATIVE_INFINITY);
                            assertThat(pattern.get(0, h, q, k)).isZero();
                        }
                    }
                }
            }
            // z is then the running mean of v over earlier positions
            Tensor v = cache.get("v", 0);
            Tensor z = cache.get("z", 0);
            for (int d = 0; d < 4; d++) {
                float mean = (v.get(0, 0, 1, d) + v.get(0, 1, 1, d) + v.get(0, 2, 1, d)) / 3;
                assertThat(z.get(0, 2, 1, d)).isEqualTo(mean, org.assertj.core.api.Assertions.within(1e-5f));
            }
        }
    }

    @Test
    void longSequencesMatchANaiveAttention() {
        // longer than the pass's query blocks (128 rows), so blocks of queries see different key ranges
        TransformerConfig c = TransformerConfig.gpt2(1, 8, 2, 300, 13);
        try (HookedTransformer model = RandomModels.model(c, 25)) {
            int[][] tokens = RandomModels.tokens(16, 2, 290, c.dVocab());
            ActivationCache cache = model.runWithCache(tokens).cache();
            Tensor q = cache.get("q", 0), k = cache.get("k", 0), v = cache.get("v", 0); // [2, 290, 2, 4]
            // scores[b, h, i, j] = q[b, i, h] . k[b, j, h] / 2, causal
            Tensor scores = q.permute(0, 2, 1, 3).matmul(k.permute(0, 2, 3, 1)).div(2f)
                    .maskedFill(Tensor.causalMask(290, 290), Float.NEGATIVE_INFINITY);
            Tensor pattern = scores.softmax(-1);
            Tensor z = pattern.matmul(v.permute(0, 2, 1, 3)).permute(0, 2, 1, 3);
            assertThat(cache.get("attn_scores", 0).allClose(scores, 1e-5f, 1e-5f)).isTrue();
            assertThat(cache.get("pattern", 0).allClose(pattern, 1e-5f, 1e-6f)).isTrue();
            assertThat(cache.get("z", 0).allClose(z, 1e-5f, 1e-5f)).isTrue();
            // a pattern hook that looks into the future is obeyed: every query attends to the last key
            Tensor last = Tensor.zeros(2, 2, 290, 290);
            last.select(3, 289).copyFrom(Tensor.scalar(1f));
            ActivationCache hooked = model.run(tokens, ForwardOptions.builder()
                    .hooks(HookSpec.of("blocks.0.attn.hook_pattern", Hook.replaceWith(last))).cache(n -> n.endsWith("hook_z")).build()).cache();
            Tensor lastV = v.select(1, 289).unsqueeze(1).broadcastTo(2, 290, 2, 4);
            assertThat(hooked.get("z", 0).allClose(lastV, 1e-6f, 1e-6f)).isTrue();
            // and KV-cached passes over the long sequence give the full pass's logits
            Tensor full = model.forward(tokens);
            KvCache kv = model.newKvCache(2);
            ForwardOptions o = ForwardOptions.builder().kvCache(kv).build();
            Tensor a = model.run(new int[][] {java.util.Arrays.copyOf(tokens[0], 140), java.util.Arrays.copyOf(tokens[1], 140)}, o).logits();
            Tensor b = model.run(new int[][] {java.util.Arrays.copyOfRange(tokens[0], 140, 290), java.util.Arrays.copyOfRange(tokens[1], 140, 290)}, o).logits();
            assertThat(Tensor.concat(1, a, b).allClose(full, 1e-5f, 1e-5f)).isTrue();
        }
    }

    @Test
    void patternRowsSumToOneAndLayerNormIsCentredAndScaled() {
        try (HookedTransformer model = RandomModels.model(SMALL, 5)) {
            ActivationCache cache = model.runWithCache(RandomModels.tokens(1, 3, 7, SMALL.dVocab())).cache();
            Tensor sums = cache.get("pattern", 1).sum(-1, false);
            assertThat(sums.allClose(Tensor.ones(3, 4, 7), 1e-5f, 1e-5f)).isTrue();
            // scale = sqrt(mean((x - mean x)^2) + eps) of the residual stream
            Tensor x = cache.get("resid_mid", 0);
            Tensor centred = x.sub(x.mean(-1, true));
            Tensor scale = centred.mul(centred).mean(-1, true).add(SMALL.eps()).sqrt();
            assertThat(cache.get("scale", 0, "ln2").allClose(scale, 1e-5f, 1e-6f)).isTrue();
            // the final residual stream is the sum of its parts
            Tensor sum = cache.get("embed").add(cache.get("pos_embed"));
            for (int l = 0; l < 2; l++) {
                sum = sum.add(cache.get("attn_out", l)).add(cache.get("mlp_out", l));
            }
            assertThat(sum.allClose(cache.get("resid_post", 1), 1e-5f, 1e-5f)).isTrue();
        }
    }

    @Test
    void layerNormPreNormalisedIsCentredOverScale() {
        TransformerConfig c = SMALL.withNormalization(Normalization.LN_PRE);
        try (HookedTransformer model = RandomModels.model(c, 6)) {
            ActivationCache cache = model.runWithCache(RandomModels.tokens(2, 2, 5, c.dVocab())).cache();
            Tensor x = cache.get("resid_pre", 1);
            Tensor expected = x.sub(x.mean(-1, true)).div(cache.get("scale", 1, "ln1"));
            assertThat(cache.get("normalized", 1, "ln1").allClose(expected, 1e-5f, 1e-5f)).isTrue();
        }
    }

    @Test
    void reluAndGeluActivations() {
        for (String act : new String[] {"relu", "gelu"}) {
            TransformerConfig c = TransformerConfig.builder().nLayers(1).dModel(8).nHeads(2).dHead(4).dMlp(32).nCtx(6).dVocab(11).actFn(Activation.fromTlName(act)).normalization(Normalization.LN).modelName(act).build();
            try (HookedTransformer model = RandomModels.model(c, 7)) {
                ActivationCache cache = model.runWithCache(new int[][] {{1, 2, 3}}).cache();
                float[] pre = cache.get("pre", 0).toArray();
                float[] post = cache.get("post", 0).toArray();
                for (int i = 0; i < pre.length; i++) {
                    double x = pre[i];
                    double expected = act.equals("relu") ? Math.max(0, x) : 0.5 * x * (1 + erfReference(x / Math.sqrt(2)));
                    assertThat((double) post[i]).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-6));
                }
            }
        }
    }

    /** erf by its Taylor series, fine for the small arguments of this test. */
    private static double erfReference(double x) {
        double sum = 0, term = x;
        for (int n = 0; n < 60; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @Test
    void aReplacementFlowsIntoTheRestOfThePass() {
        try (HookedTransformer model = RandomModels.model(SMALL, 8)) {
            int[][] tokens = RandomModels.tokens(3, 2, 6, SMALL.dVocab());
            // zero every head's output in layer 0: attn_out is then b_O at every position
            ForwardResult r = model.run(tokens, ForwardOptions.builder()
                    .hooks(HookSpec.of("blocks.0.attn.hook_z", (z, p) -> Tensor.zeros(z.shape())))
                    .cache(n -> n.startsWith("blocks.0.")).build());
            Tensor bO = model.weights().layers().get(0).bO();
            assertThat(r.cache().get("attn_out", 0).allClose(bO.broadcastTo(2, 6, 16), 1e-6f, 1e-6f)).isTrue();
            assertThat(r.cache().get("z", 0).max()).isZero();
            // and the logits changed
            assertThat(r.logits().allClose(model.forward(tokens), 1e-3f, 1e-3f)).isFalse();
        }
    }

    @Test
    void replacingTheResidualStreamWithAnotherPromptsGivesThatPromptsLogits() {
        try (HookedTransformer model = RandomModels.model(SMALL, 9)) {
            int[][] a = RandomModels.tokens(4, 1, 6, SMALL.dVocab());
            int[][] b = RandomModels.tokens(5, 1, 6, SMALL.dVocab());
            Tensor residB = model.runWithCache(b, n -> n.equals("blocks.1.hook_resid_pre")).cache().get("resid_pre", 1);
            Tensor patched = model.runWithHooks(a, HookSpec.of("blocks.1.hook_resid_pre", Hook.replaceWith(residB)));
            assertSameBits("a's logits with b's resid_pre 1", patched, model.forward(b));
        }
    }

    @Test
    void inPlaceChangesByAHookAreSeen() {
        try (HookedTransformer model = RandomModels.model(SMALL, 10)) {
            int[][] tokens = RandomModels.tokens(6, 1, 5, SMALL.dVocab());
            Tensor replaced = model.runWithHooks(tokens, HookSpec.of("blocks.0.attn.hook_pattern", (p, pt) -> Tensor.zeros(p.shape())));
            Tensor inPlace = model.runWithHooks(tokens, HookSpec.of("blocks.0.attn.hook_pattern", (p, pt) -> {
                p.copyFrom(Tensor.scalar(0f));
                return null;
            }));
            assertSameBits("pattern zeroed in place vs replaced", inPlace, replaced);
            // q is a view of the fused q|k|v buffer; writing into it reaches the scores
            Tensor viaQ = model.runWithHooks(tokens, HookSpec.of("blocks.0.attn.hook_q", (q, pt) -> {
                q.copyFrom(Tensor.scalar(0f));
                return q;
            }));
            Tensor zeroQ = model.runWithHooks(tokens, HookSpec.of("blocks.0.attn.hook_q", (q, pt) -> Tensor.zeros(q.shape())));
            assertSameBits("q zeroed in place vs replaced", viaQ, zeroQ);
        }
    }

    @Test
    void aScaleChangedInPlaceDividesTheRowsLikeAReturnedCopy() {
        try (HookedTransformer model = RandomModels.model(SMALL, 27)) {
            int[][] tokens = RandomModels.tokens(16, 2, 6, SMALL.dVocab());
            Tensor baseline = model.forward(tokens);
            for (String name : List.of("blocks.0.ln1.hook_scale", "blocks.1.ln2.hook_scale", "ln_final.hook_scale")) {
                // double the scale of position 2 of sequence 1, in place or as a new tensor
                Hook inPlace = (scale, p) -> {
                    scale.set(2 * scale.get(1, 2, 0), 1, 2, 0);
                    return scale;
                };
                Hook copy = (scale, p) -> {
                    Tensor out = scale.copy();
                    out.set(2 * scale.get(1, 2, 0), 1, 2, 0);
                    return out;
                };
                Tensor a = model.runWithHooks(tokens, HookSpec.of(name, inPlace));
                Tensor b = model.runWithHooks(tokens, HookSpec.of(name, copy));
                assertSameBits(name + " doubled in place vs returned", a, b);
                assertThat(a.allClose(baseline, 1e-3f, 1e-3f)).as(name + " changed the logits").isFalse();
                // positions that neither see nor are position 2 of sequence 1 keep their logits
                assertSameBits(name + ": sequence 0", a.select(0, 0), baseline.select(0, 0));
                assertSameBits(name + ": sequence 1 before position 2", a.select(0, 1).slice(0, 0, 2), baseline.select(0, 1).slice(0, 0, 2));
            }
            // and the final LayerNorm output is (x - mean) / (2 scale) * w + b there, as in TransformerLens
            ActivationCache c = model.run(tokens, ForwardOptions.builder()
                    .hooks(HookSpec.of("ln_final.hook_scale", (scale, p) -> {
                        scale.set(2 * scale.get(1, 2, 0), 1, 2, 0);
                        return null;
                    }))
                    .cache(n -> n.startsWith("ln_final") || n.equals("blocks.1.hook_resid_post")).build()).cache();
            Tensor x = c.get("resid_post", 1).select(0, 1).select(0, 2);
            Tensor centred = x.sub(x.mean(-1, true));
            float scale = centred.mul(centred).mean() + SMALL.eps();
            Tensor expected = centred.div(2 * (float) Math.sqrt(scale)).mul(model.weights().lnFinalW()).add(model.weights().lnFinalB());
            assertThat(c.get("ln_final.hook_scale").get(1, 2, 0)).isCloseTo(2 * (float) Math.sqrt(scale), org.assertj.core.api.Assertions.within(1e-5f));
            assertThat(c.get("ln_final.hook_normalized").select(0, 1).select(0, 2).allClose(expected, 1e-5f, 1e-5f)).isTrue();
        }
    }

    @Test
    void scoresWrittenInPlaceAboveTheDiagonalAreUsedLikeAReturnedCopy() {
        // T = 200 > 128: two blocks of queries, and scores beyond the causal limit of both
        TransformerConfig c = TransformerConfig.gpt2(1, 8, 2, 300, 13);
        try (HookedTransformer model = RandomModels.model(c, 28)) {
            int[][] tokens = RandomModels.tokens(17, 1, 200, c.dVocab());
            // every query also sees the last key, with score 0
            Hook inPlace = (scores, p) -> {
                scores.select(3, 199).copyFrom(Tensor.scalar(0f));
                return null;
            };
            Hook copy = (scores, p) -> {
                Tensor out = scores.copy();
                out.select(3, 199).copyFrom(Tensor.scalar(0f));
                return out;
            };
            ForwardResult a = model.run(tokens, ForwardOptions.builder().hooks(HookSpec.of("blocks.0.attn.hook_attn_scores", inPlace))
                    .cache(n -> n.startsWith("blocks.0.attn.")).build());
            ForwardResult b = model.run(tokens, ForwardOptions.builder().hooks(HookSpec.of("blocks.0.attn.hook_attn_scores", copy))
                    .cache(n -> n.startsWith("blocks.0.attn.")).build());
            assertSameBits("logits, scores changed in place vs returned", a.logits(), b.logits());
            assertSameBits("pattern, scores changed in place vs returned", a.cache().get("pattern", 0), b.cache().get("pattern", 0));
            // TransformerLens: pattern = softmax over every key of the hooked scores, z = pattern v
            Tensor scores = a.cache().get("attn_scores", 0); // [1, 2, 200, 200]
            assertThat(scores.get(0, 1, 5, 199)).isZero();
            assertThat(scores.get(0, 1, 5, 198)).isEqualTo(Float.NEGATIVE_INFINITY);
            Tensor pattern = scores.softmax(-1);
            Tensor z = pattern.matmul(a.cache().get("v", 0).permute(0, 2, 1, 3)).permute(0, 2, 1, 3);
            assertThat(a.cache().get("pattern", 0).allClose(pattern, 1e-5f, 1e-6f)).isTrue();
            assertThat(a.cache().get("pattern", 0).get(0, 0, 3, 199)).isGreaterThan(0f);
            assertThat(a.cache().get("z", 0).allClose(z, 1e-5f, 1e-5f)).isTrue();
        }
    }

    @Test
    void aPatternWrittenInPlaceAboveTheDiagonalIsUsedLikeAReturnedCopy() {
        // T = 200 > 128, so the first block of 128 queries must reach keys beyond its causal limit
        TransformerConfig c = TransformerConfig.gpt2(1, 8, 2, 300, 13);
        try (HookedTransformer model = RandomModels.model(c, 29)) {
            int[][] tokens = RandomModels.tokens(18, 2, 200, c.dVocab());
            // every query attends to the last key only
            Hook inPlace = (pattern, p) -> {
                pattern.copyFrom(Tensor.scalar(0f));
                pattern.select(3, 199).copyFrom(Tensor.scalar(1f));
                return pattern;
            };
            Hook copy = (pattern, p) -> {
                Tensor out = Tensor.zeros(pattern.shape());
                out.select(3, 199).copyFrom(Tensor.scalar(1f));
                return out;
            };
            ForwardResult a = model.run(tokens, ForwardOptions.builder().hooks(HookSpec.of("blocks.0.attn.hook_pattern", inPlace))
                    .cache(n -> n.equals("blocks.0.attn.hook_z") || n.equals("blocks.0.attn.hook_v")).build());
            ForwardResult b = model.run(tokens, ForwardOptions.builder().hooks(HookSpec.of("blocks.0.attn.hook_pattern", copy))
                    .cache(n -> n.equals("blocks.0.attn.hook_z")).build());
            assertSameBits("logits, pattern written in place vs returned", a.logits(), b.logits());
            assertSameBits("z, pattern written in place vs returned", a.cache().get("z", 0), b.cache().get("z", 0));
            // z[b, t, h] = v[b, 199, h] exactly: every other weight is zero
            Tensor lastV = a.cache().get("v", 0).select(1, 199).unsqueeze(1).broadcastTo(2, 200, 2, 4);
            assertSameBits("z = v of the last key", a.cache().get("z", 0), lastV);
        }
    }

    @Test
    void wrongShapeReplacementNamesTheHookAndBothShapes() {
        try (HookedTransformer model = RandomModels.model(SMALL, 11)) {
            assertThatThrownBy(() -> model.runWithHooks(new int[][] {{1, 2, 3}},
                    HookSpec.of("blocks.1.mlp.hook_post", Hook.replaceWith(Tensor.zeros(1, 3, 63)))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blocks.1.mlp.hook_post").hasMessageContaining("[1, 3, 63]").hasMessageContaining("[1, 3, 64]");
        }
    }

    @Test
    void callHooksNeverOutliveTheCallEvenWhenItThrows() {
        try (HookedTransformer model = RandomModels.model(SMALL, 12)) {
            int[][] tokens = RandomModels.tokens(7, 1, 4, SMALL.dVocab());
            Tensor baseline = model.forward(tokens);
            assertThatThrownBy(() -> model.runWithHooks(tokens, HookSpec.of("blocks.0.hook_attn_out", (a, p) -> {
                throw new IllegalStateException("hook failed");
            }))).hasMessage("hook failed");
            assertThatThrownBy(() -> model.run(tokens, ForwardOptions.builder().cache(n -> true)
                    .hooks(HookSpec.matching(n -> n.endsWith("hook_pattern"), (a, p) -> {
                        throw new IllegalStateException("cache run failed");
                    })).build())).hasMessage("cache run failed");
            assertThat(model.hooks().isEmpty()).isTrue();
            assertSameBits("forward after failed hooked calls", model.forward(tokens), baseline);
        }
    }

    @Test
    void modelHooksFireOnEveryPassUntilClosed() {
        try (HookedTransformer model = RandomModels.model(SMALL, 13)) {
            int[][] tokens = RandomModels.tokens(8, 1, 4, SMALL.dVocab());
            AtomicInteger calls = new AtomicInteger();
            List<String> order = new ArrayList<>();
            try (HookHandle _ = model.hooks().add(n -> n.endsWith("hook_resid_pre"), Hook.observe((t, p) -> {
                calls.incrementAndGet();
                order.add("model:" + p.name());
            }))) {
                model.forward(tokens);
                assertThat(calls.get()).isEqualTo(2);
                model.runWithHooks(tokens, HookSpec.of("blocks.0.hook_resid_pre", Hook.observe((t, p) -> order.add("call:" + p.name()))));
                assertThat(order).containsSubsequence("model:blocks.0.hook_resid_pre", "call:blocks.0.hook_resid_pre");
            }
            model.forward(tokens);
            assertThat(calls.get()).isEqualTo(4);
            model.hooks().addPermanent("hook_embed", Hook.observe(t -> calls.incrementAndGet()));
            model.hooks().reset();
            model.forward(tokens);
            assertThat(calls.get()).isEqualTo(5);
            model.hooks().resetAll();
            assertThatThrownBy(() -> model.hooks().add("blocks.0.hook_mlp_output", (a, p) -> a))
                    .hasMessageContaining("blocks.0.hook_mlp_out");
        }
    }

    @Test
    void unknownHookNamesAreRefused() {
        try (HookedTransformer model = RandomModels.model(SMALL, 14)) {
            assertThatThrownBy(() -> model.runWithHooks(new int[][] {{1}}, HookSpec.of("blocks.0.attn.hook_result", (a, p) -> a)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blocks.0.attn.hook_result");
        }
    }

    @Test
    void twoThreadsRunDifferentAblationsOnOneModel() throws Exception {
        try (HookedTransformer model = RandomModels.model(SMALL, 15)) {
            int[][] tokens = RandomModels.tokens(9, 2, 10, SMALL.dVocab());
            HookSpec ablateHead1 = HookSpec.of("blocks.0.attn.hook_z", (z, p) -> {
                Tensor out = z.copy();
                out.select(2, 1).copyFrom(Tensor.scalar(0f));
                return out;
            });
            HookSpec ablateMlp = HookSpec.of("blocks.1.hook_mlp_out", (m, p) -> Tensor.zeros(m.shape()));
            Tensor expectedA = model.runWithHooks(tokens, ablateHead1);
            Tensor expectedB = model.runWithHooks(tokens, ablateMlp);
            assertThat(expectedA.allClose(expectedB, 1e-3f, 1e-3f)).isFalse();
            Tensor[] gotA = new Tensor[1];
            Tensor[] gotB = new Tensor[1];
            Throwable[] failure = new Throwable[1];
            java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(2);
            Thread a = new Thread(() -> {
                try {
                    barrier.await();
                    for (int i = 0; i < 20; i++) {
                        Tensor r = model.runWithHooks(tokens, ablateHead1);
                        if (!java.util.Arrays.equals(r.toArray(), expectedA.toArray())) {
                            throw new AssertionError("thread A saw another result at run " + i);
                        }
                        gotA[0] = r;
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            Thread b = new Thread(() -> {
                try {
                    barrier.await();
                    for (int i = 0; i < 20; i++) {
                        ForwardResult r = model.runWithCache(tokens, n -> n.endsWith("hook_mlp_out"));
                        Tensor lr = model.runWithHooks(tokens, ablateMlp);
                        if (!java.util.Arrays.equals(lr.toArray(), expectedB.toArray()) || r.cache().size() != 2) {
                            throw new AssertionError("thread B saw another result at run " + i);
                        }
                        gotB[0] = lr;
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            a.start();
            b.start();
            a.join();
            b.join();
            assertThat(failure[0]).isNull();
            // the same bits as the passes run alone before: nothing of one thread's hooks reached the other
            assertSameBits("thread A", gotA[0], expectedA);
            assertSameBits("thread B", gotB[0], expectedB);
        }
    }

    @Test
    void stopAtLayerReturnsTheResidualStreamAndStartAtLayerContinuesFromIt() {
        try (HookedTransformer model = RandomModels.model(SMALL, 16)) {
            int[][] tokens = RandomModels.tokens(10, 2, 6, SMALL.dVocab());
            ForwardResult full = model.runWithCache(tokens, n -> n.equals("blocks.1.hook_resid_pre"));
            ForwardResult stopped = model.run(tokens, ForwardOptions.builder().stopAtLayer(1).build());
            assertThat(stopped.stoppedEarly()).isTrue();
            assertSameBits("resid_pre 1 of a stopped pass", stopped.output(), full.cache().get("resid_pre", 1));
            assertThatThrownBy(stopped::logits).isInstanceOf(IllegalStateException.class);
            ForwardResult resumed = model.runFromResidual(stopped.output(), ForwardOptions.builder().startAtLayer(1).build());
            assertSameBits("logits resumed at layer 1", resumed.logits(), full.logits());
            // a negative stop counts from the end; stopping at 0 returns embed + pos_embed
            assertSameBits("stopAtLayer(-1)", model.run(tokens, ForwardOptions.builder().stopAtLayer(-1).build()).output(),
                    stopped.output());
            ActivationCache c = model.runWithCache(tokens).cache();
            assertSameBits("stopAtLayer(0)", model.run(tokens, ForwardOptions.builder().stopAtLayer(0).build()).output(),
                    c.get("embed").add(c.get("pos_embed")));
        }
    }

    @Test
    void paddingNeverChangesRealTokensLeftOrRight() {
        try (HookedTransformer model = RandomModels.model(SMALL, 17)) {
            int[] shortSeq = {3, 7, 1, 9};
            int[] longSeq = {5, 2, 8, 8, 4, 6, 11};
            Tensor aloneShort = model.forward(new int[][] {shortSeq});
            Tensor aloneLong = model.forward(new int[][] {longSeq});
            int pad = 0;
            int[][] right = {{3, 7, 1, 9, pad, pad, pad}, longSeq};
            int[][] rightMask = {{1, 1, 1, 1, 0, 0, 0}, {1, 1, 1, 1, 1, 1, 1}};
            int[][] left = {{pad, pad, pad, 3, 7, 1, 9}, longSeq};
            int[][] leftMask = {{0, 0, 0, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1}};
            Tensor r = model.run(right, ForwardOptions.builder().attentionMask(rightMask).build()).logits();
            Tensor l = model.run(left, ForwardOptions.builder().attentionMask(leftMask).build()).logits();
            assertThat(r.select(0, 0).slice(0, 0, 4).allClose(aloneShort.select(0, 0), 1e-5f, 1e-5f)).isTrue();
            assertThat(l.select(0, 0).slice(0, 3, 7).allClose(aloneShort.select(0, 0), 1e-5f, 1e-5f)).isTrue();
            assertThat(r.select(0, 1).allClose(aloneLong.select(0, 0), 1e-5f, 1e-5f)).isTrue();
            assertThat(l.select(0, 1).allClose(aloneLong.select(0, 0), 1e-5f, 1e-5f)).isTrue();
        }
    }

    @Test
    void splitQkvInputAndAttnInGiveTheSameValuesAsThePlainModel() {
        TransformerWeights w = RandomModels.weights(SMALL, 18, 0.3f);
        int[][] tokens = RandomModels.tokens(11, 2, 5, SMALL.dVocab());
        try (HookedTransformer plain = HookedTransformer.of(SMALL, w, null, null);
             HookedTransformer split = HookedTransformer.of(SMALL.withHookSwitches(true, true, true, false), w, null, null);
             HookedTransformer attnIn = HookedTransformer.of(SMALL.withHookSwitches(false, false, false, true), w, null, null)) {
            ActivationCache base = plain.runWithCache(tokens).cache();
            for (HookedTransformer m : List.of(split, attnIn)) {
                ForwardResult r = m.runWithCache(tokens);
                assertThat(r.logits().allClose(plain.forward(tokens), 1e-5f, 1e-5f)).isTrue();
                for (String name : List.of("blocks.0.attn.hook_q", "blocks.1.attn.hook_k", "blocks.1.attn.hook_v", "blocks.1.attn.hook_pattern",
                        "blocks.1.hook_attn_out", "blocks.1.hook_resid_post")) {
                    assertThat(r.cache().get(name).allClose(base.get(name), 1e-5f, 1e-5f)).as(name).isTrue();
                }
                // the per-head LayerNorm scale is the plain one repeated over heads
                assertThat(r.cache().get("scale", 0, "ln1").allClose(base.get("scale", 0, "ln1").unsqueeze(2).broadcastTo(2, 5, 4, 1), 1e-6f, 1e-6f)).isTrue();
            }
            // per-head results sum to attn_out minus b_O
            ActivationCache sc = split.runWithCache(tokens).cache();
            Tensor summed = sc.get("result", 1).sum(2, false).add(w.layers().get(1).bO());
            assertThat(summed.allClose(sc.get("attn_out", 1), 1e-5f, 1e-5f)).isTrue();
        }
    }

    /**
     * A hook on a point that one of TransformerLens's switches adds, on a model with the switch off, is refused
     * with the switch's name and the view that has it; the view does. A point the model cannot have (an
     * attention-only model's MLP) gets the ordinary message.
     */
    @Test
    void aPointASwitchLeftOutIsRefusedNamingTheSwitch() {
        Map<String, String> pointSwitch = new LinkedHashMap<>();
        pointSwitch.put("blocks.1.attn.hook_result", "use_attn_result is on, which it is not in this model: "
                + "model.withHookSwitches(true, splitQkvInput, hookMlpIn, attnIn)");
        pointSwitch.put("blocks.0.hook_k_input", "use_split_qkv_input is on, which it is not in this model: "
                + "model.withHookSwitches(attnResult, true, hookMlpIn, attnIn)");
        pointSwitch.put("blocks.1.hook_mlp_in", "use_hook_mlp_in is on, which it is not in this model: "
                + "model.withHookSwitches(attnResult, splitQkvInput, true, attnIn)");
        pointSwitch.put("blocks.0.hook_attn_in", "use_attn_in is on, which it is not in this model: "
                + "model.withHookSwitches(attnResult, splitQkvInput, hookMlpIn, true)");
        int[][] tokens = RandomModels.tokens(13, 1, 4, SMALL.dVocab());
        try (HookedTransformer model = RandomModels.model(SMALL, 21)) {
            for (Map.Entry<String, String> e : pointSwitch.entrySet()) {
                String message = "no hook point named '" + e.getKey() + "'; it exists when " + e.getValue()
                        + " returns a view of the same weights that has it";
                assertThatThrownBy(() -> model.hooks().add(e.getKey(), (a, p) -> a)).hasMessage(message);
                assertThatThrownBy(() -> model.runWithHooks(tokens, HookSpec.of(e.getKey(), (a, p) -> a))).hasMessage(message);
            }
            // split Q/K/V inputs and the attention input cannot both be on (as in TransformerLens): a view each
            try (HookedTransformer a = model.withHookSwitches(true, true, true, false);
                 HookedTransformer b = model.withHookSwitches(false, false, false, true)) {
                for (String name : pointSwitch.keySet()) {
                    HookedTransformer view = name.endsWith("hook_attn_in") ? b : a;
                    int[] calls = {0};
                    view.runWithHooks(tokens, HookSpec.of(name, Hook.observe(x -> calls[0]++)));
                    assertThat(calls[0]).as(name).isEqualTo(1);
                }
            }
        }
        TransformerConfig attnOnly = TransformerConfig.builder().nLayers(2).dModel(16).nHeads(4).dHead(4).attnOnly(true).nCtx(12)
                .dVocab(23).normalization(Normalization.NONE).modelName("attn-only").build();
        try (HookedTransformer model = RandomModels.model(attnOnly, 22)) {
            assertThatThrownBy(() -> model.hooks().add("blocks.1.hook_mlp_in", (a, p) -> a))
                    .hasMessageStartingWith("no hook point named 'blocks.1.hook_mlp_in'").hasMessageNotContaining("use_hook_mlp_in");
        }
    }

    @Test
    void splitQkvInputLetsOneHeadsQueryInputChangeAlone() {
        TransformerConfig c = SMALL.withHookSwitches(false, true, false, false);
        try (HookedTransformer model = RandomModels.model(c, 19)) {
            int[][] tokens = RandomModels.tokens(12, 1, 5, c.dVocab());
            ActivationCache base = model.runWithCache(tokens, n -> n.startsWith("blocks.0.attn.")).cache();
            ActivationCache hooked = model.run(tokens, ForwardOptions.builder()
                    .hooks(HookSpec.of("blocks.0.hook_q_input", (x, p) -> {
                        Tensor out = x.copy();
                        out.select(2, 2).copyFrom(out.select(2, 2).mul(-1f).add(0.5f));
                        return out;
                    })).cache(n -> n.startsWith("blocks.0.attn.")).build()).cache();
            Tensor q0 = base.get("q", 0), q1 = hooked.get("q", 0);
            for (int h = 0; h < 4; h++) {
                boolean same = q0.select(2, h).allClose(q1.select(2, h), 0f, 0f);
                assertThat(same).as("head " + h).isEqualTo(h != 2);
            }
            assertThat(hooked.get("k", 0).allClose(base.get("k", 0), 0f, 0f)).isTrue();
            assertThat(hooked.get("v", 0).allClose(base.get("v", 0), 0f, 0f)).isTrue();
        }
    }

    @Test
    void attentionOnlyAndNormFreeModelsRun() {
        TransformerConfig attnOnly = TransformerConfig.builder().nLayers(2).dModel(16).nHeads(4).dHead(4).attnOnly(true).nCtx(12).dVocab(23).normalization(Normalization.NONE).modelName("attn-only").build();
        try (HookedTransformer model = RandomModels.model(attnOnly, 20)) {
            int[][] tokens = RandomModels.tokens(13, 2, 6, 23);
            ActivationCache c = model.runWithCache(tokens).cache();
            Tensor resid = c.get("embed").add(c.get("pos_embed")).add(c.get("attn_out", 0)).add(c.get("attn_out", 1));
            assertThat(resid.allClose(c.get("resid_post", 1), 1e-5f, 1e-5f)).isTrue();
            // no normalisation: logits = resid W_U + b_U
            TransformerWeights w = model.weights();
            Tensor logits = resid.matmul(w.wU()).add(w.bU());
            assertThat(model.forward(tokens).allClose(logits, 1e-4f, 1e-4f)).isTrue();
        }
    }

    @Test
    void lossIsTheMeanPerTokenCrossEntropy() {
        try (HookedTransformer model = RandomModels.model(SMALL, 21)) {
            int[][] tokens = RandomModels.tokens(14, 2, 6, SMALL.dVocab());
            Tensor logits = model.forward(tokens);
            Tensor per = model.perTokenLoss(tokens);
            assertThat(per.shape()).containsExactly(2, 5);
            Tensor logProbs = logits.logSoftmax(-1);
            assertThat(per.get(1, 3)).isCloseTo(-logProbs.get(1, 3, tokens[1][4]), org.assertj.core.api.Assertions.within(1e-5f));
            assertThat(model.loss(tokens)).isCloseTo(per.mean(), org.assertj.core.api.Assertions.within(1e-6f));
        }
    }

    @Test
    void badInputIsRefusedWithClearMessages() {
        try (HookedTransformer model = RandomModels.model(SMALL, 22)) {
            assertThatThrownBy(() -> model.forward(new int[][] {{1, 2}, {3, 23}}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("23").hasMessageContaining("[1, 1]");
            assertThatThrownBy(() -> model.forward(new int[][] {{1, -1}}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
            assertThatThrownBy(() -> model.forward(new int[][] {{1, 2}, {3}}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ragged");
            assertThatThrownBy(() -> model.forward(new int[0][]))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> model.forward(new int[][] {{}}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
            assertThatThrownBy(() -> model.forward(new int[][] {new int[13]}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("13").hasMessageContaining("n_ctx 12");
            assertThatThrownBy(() -> model.run(new int[][] {{1, 2}}, ForwardOptions.builder().attentionMask(new int[][] {{1}}).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mask");
            assertThatThrownBy(() -> model.run(new int[][] {{1, 2}}, ForwardOptions.builder().attentionMask(new int[][] {{1, 2}}).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 or 1");
            assertThatThrownBy(() -> model.run(new int[][] {{1, 2}}, ForwardOptions.builder().stopAtLayer(3).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stopAtLayer");
            assertThatThrownBy(() -> model.runFromResidual(Tensor.zeros(1, 2, 15), ForwardOptions.defaults()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 2, 15]");
            assertThatThrownBy(() -> model.perTokenLoss(new int[][] {{1}}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 positions");
        }
    }

    @Test
    void aClosedModelRefusesToRun() {
        HookedTransformer model = RandomModels.model(SMALL, 26);
        boolean[] ownerClosed = {false};
        HookedTransformer owned = HookedTransformer.of(SMALL, model.weights(), null, () -> ownerClosed[0] = true);
        owned.close();
        owned.close();
        assertThat(ownerClosed[0]).isTrue();
        assertThatThrownBy(() -> owned.forward(new int[][] {{1}})).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void weightsAreCheckedAgainstTheConfig() {
        TransformerWeights w = RandomModels.weights(SMALL, 23, 0.3f);
        TransformerConfig wider = TransformerConfig.gpt2(2, 20, 4, 12, 23);
        assertThatThrownBy(() -> HookedTransformer.of(wider, w, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("W_E");
        assertThat(RandomModels.model(SMALL, 1).hasTokenizer()).isFalse();
        assertThatThrownBy(() -> RandomModels.model(SMALL, 1).tokenizer()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void weightsSeenByTheModelAreTheOnesItUses() {
        try (HookedTransformer model = RandomModels.model(SMALL, 24)) {
            int[][] tokens = RandomModels.tokens(15, 1, 4, SMALL.dVocab());
            Tensor before = model.forward(tokens);
            // W_Q was re-laid out into the fused Q|K|V matrix; writing through weights() reaches the pass
            Tensor wq = model.weights().layers().get(0).wQ();
            wq.copyFrom(wq.mul(2f));
            assertThat(model.forward(tokens).allClose(before, 1e-4f, 1e-4f)).isFalse();
            wq.copyFrom(wq.mul(0.5f)); // exact: scaling by powers of two
            assertSameBits("W_Q doubled and halved", model.forward(tokens), before);
        }
    }
}
