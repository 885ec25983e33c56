package dev.lens4j.transformer.train;

import dev.lens4j.transformer.TransformerConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AdamWTest {

    @Test
    void twoStepsMatchTheTorchFormulaComputedByHand() {
        float[] w = {1f}, b = {1f};                                   // one decayed array, one not
        Parameters params = Parameters.ofGroups(java.util.List.of(new Parameters.Group(java.util.List.of("unembed.W_U"), w, true),
                new Parameters.Group(java.util.List.of("unembed.b_U"), b, false)));
        AdamW opt = new AdamW(params, 0.9f, 0.999f, 1e-8f, 0.1f);
        float[] gw = {0.5f}, gb = {0.5f};
        opt.step(java.util.List.of(gw, gb), 0.01f);
        // step 1: m = 0.05, v = 0.00025, m_hat = 0.5, sqrt(v_hat) = 0.5 -> update lr * 1
        assertThat((double) w[0]).isCloseTo(1 * (1 - 0.01 * 0.1) - 0.01, within(1e-6));
        assertThat((double) b[0]).isCloseTo(1 - 0.01, within(1e-6));
        gw[0] = -1f;
        opt.step(java.util.List.of(gw, gb), 0.01f);
        double m = 0.9 * 0.05 + 0.1 * -1, v = 0.999 * 0.00025 + 0.001 * 1;
        double expected = (1 * (1 - 0.001) - 0.01) * (1 - 0.001) - 0.01 / (1 - 0.81) * m / (Math.sqrt(v) / Math.sqrt(1 - 0.998001) + 1e-8);
        assertThat((double) w[0]).isCloseTo(expected, within(1e-6));
        assertThat(opt.steps()).isEqualTo(2);
    }

    @Test
    void decayAppliesToTheMatricesOfAModelButNotToEmbeddingsBiasesOrNorms() {
        TransformerConfig c = TransformerConfig.builder().nLayers(1).dModel(8).nHeads(2).nCtx(4).dVocab(5).modelName("t").build();
        try (dev.lens4j.transformer.HookedTransformer m = dev.lens4j.transformer.HookedTransformer.of(c,
                dev.lens4j.transformer.TransformerWeights.random(c, 1, 0.1), null, null)) {
            Parameters p = Parameters.of(m.weights());
            java.util.Map<String, Boolean> decay = new java.util.HashMap<>();
            for (Parameters.Group g : p.groups()) {
                g.names().forEach(n -> decay.put(n, g.decay()));
            }
            assertThat(decay).containsEntry("blocks.0.attn.W_Q", true).containsEntry("blocks.0.mlp.W_out", true)
                    .containsEntry("unembed.W_U", true).containsEntry("embed.W_E", false).containsEntry("pos_embed.W_pos", false)
                    .containsEntry("blocks.0.ln1.w", false).containsEntry("blocks.0.attn.b_Q", false);
            // W_Q, W_K and W_V are views of one fused array: one group
            assertThat(p.groups().stream().filter(g -> g.names().contains("blocks.0.attn.W_Q")).findFirst().orElseThrow().names())
                    .containsExactly("blocks.0.attn.W_Q", "blocks.0.attn.W_K", "blocks.0.attn.W_V");
        }
    }

    @Test
    void clippingScalesToTheMaximumNormOnlyWhenAbove() {
        float[] a = {3f}, b = {4f};
        java.util.List<float[]> g = java.util.List.of(a, b);
        assertThat(AdamW.clipGradNorm(g, 10)).isEqualTo(5.0);
        assertThat(a).containsExactly(3f);
        assertThat(AdamW.clipGradNorm(g, 1)).isEqualTo(5.0);
        assertThat((double) a[0]).isCloseTo(0.6, within(1e-6));
        assertThat((double) b[0]).isCloseTo(0.8, within(1e-6));
        assertThat(AdamW.clipGradNorm(g, 0)).isCloseTo(1.0, within(1e-6));
    }
}
