package dev.lens4j.transformer;

import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How a model lays out the weights it is given: no copy of a checkpoint's views, one copy otherwise. */
class PreparedWeightsTest {

    @Test
    void mappedHuggingFaceViewsAreUsedInPlace() {
        try (HookedTransformer model = TinyGpt2.rawModel(TinyGpt2.config())) {
            TransformerWeights w = model.weights();
            for (TransformerWeights.Layer l : w.layers()) {
                // Q, K, V stay views of the mapped c_attn; W_O, W_in, W_out of their mapped tensors
                assertThat(l.wQ().isHeap()).isFalse();
                assertThat(l.wQ().sharesStorageWith(l.wV())).isTrue();
                assertThat(l.wO().isHeap()).isFalse();
                assertThat(l.wIn().isHeap()).isFalse();
                assertThat(l.wOut().isHeap()).isFalse();
            }
            assertThat(w.wE().isHeap()).isFalse();
            assertThat(w.wU().sharesStorageWith(w.wE())).isTrue();
        }
    }

    @Test
    void transformerLensLayoutIsFusedOnceAndTheModelsWeightsViewTheFusedCopy() {
        TransformerConfig c = RandomModels.small();
        TransformerWeights given = RandomModels.weights(c, 40, 0.3f);
        try (HookedTransformer model = HookedTransformer.of(c, given, null, null)) {
            TransformerWeights.Layer l0 = model.weights().layers().get(0);
            TransformerWeights.Layer g0 = given.layers().get(0);
            assertThat(l0.wQ().sharesStorageWith(l0.wK())).isTrue();
            assertThat(l0.wQ().sharesStorageWith(g0.wQ())).isFalse();
            assertThat(l0.wQ().allClose(g0.wQ(), 0f, 0f)).isTrue();
            assertThat(l0.bV().allClose(g0.bV(), 0f, 0f)).isTrue();
            // already-usable tensors are kept as they are
            assertThat(l0.wIn()).isSameAs(g0.wIn());
            assertThat(model.weights().wE()).isSameAs(given.wE());
            // the fused layout is [d_model, 3, n_heads, d_head]: one fused array of 3 * d * d floats
            assertThat(l0.wQ().strides()).containsExactly(4, 48, 1);
        }
    }

    @Test
    void lnPreModelsIgnoreLayerNormParameters() {
        TransformerConfig c = RandomModels.small();
        TransformerWeights w = RandomModels.weights(c, 41, 0.3f);
        int[][] tokens = RandomModels.tokens(1, 1, 5, c.dVocab());
        TransformerWeights.Builder pre = w.toBuilder(c.withNormalization(Normalization.LN_PRE));
        for (String n : TransformerWeights.shapes(c).keySet()) {
            if (n.matches(".*ln(1|2|_final)\\.[wb]")) {
                pre.remove(n);
            }
        }
        try (HookedTransformer withLn = HookedTransformer.of(c.withNormalization(Normalization.LN_PRE), pre.build(), null, null)) {
            // LNPre means weight 1 and bias 0: the same as an LN model given those
            TransformerWeights.Builder pb = w.toBuilder(c);
            for (String n : TransformerWeights.shapes(c).keySet()) {
                if (n.endsWith("ln1.w") || n.endsWith("ln2.w") || n.equals("ln_final.w")) {
                    pb.put(n, Tensor.ones(16));
                } else if (n.endsWith("ln1.b") || n.endsWith("ln2.b") || n.equals("ln_final.b")) {
                    pb.put(n, Tensor.zeros(16));
                }
            }
            TransformerWeights plain = pb.build();
            try (HookedTransformer ln = HookedTransformer.of(c, plain, null, null)) {
                assertThat(withLn.forward(tokens).allClose(ln.forward(tokens), 1e-5f, 1e-5f)).isTrue();
            }
        }
    }
}
