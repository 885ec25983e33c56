package dev.lens4j.transformer.train;

import dev.lens4j.transformer.Normalization;
import dev.lens4j.transformer.TransformerConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AdamWTest {

    private static final TransformerConfig TINY = TransformerConfig.builder().nLayers(1).dModel(2).nHeads(1).dHead(2).attnOnly(true).nCtx(2).dVocab(3).normalization(Normalization.NONE).modelName("tiny").build();

    @Test
    void twoStepsMatchTheTorchFormulaComputedByHand() {
        ParameterLayout layout = new ParameterLayout(TINY);
        int w = layout.offset("unembed.W_U"); // decayed
        int b = layout.offset("unembed.b_U"); // not decayed
        float[] p = new float[layout.total()];
        float[] g = new float[layout.total()];
        p[w] = 1f;
        p[b] = 1f;
        AdamW opt = new AdamW(layout, 0.9f, 0.999f, 1e-8f, 0.1f);
        g[w] = 0.5f;
        g[b] = 0.5f;
        opt.step(p, g, 0.01f);
        // step 1: m = 0.05, v = 0.00025, m_hat = 0.5, sqrt(v_hat) = 0.5 -> update lr * 1
        assertThat((double) p[w]).isCloseTo(1 * (1 - 0.01 * 0.1) - 0.01, within(1e-6));
        assertThat((double) p[b]).isCloseTo(1 - 0.01, within(1e-6));
        g[w] = -1f;
        opt.step(p, g, 0.01f);
        double m = 0.9 * 0.05 + 0.1 * -1, v = 0.999 * 0.00025 + 0.001 * 1;
        double expected = (1 * (1 - 0.001) - 0.01) * (1 - 0.001) - 0.01 / (1 - 0.81) * m / (Math.sqrt(v) / Math.sqrt(1 - 0.998001) + 1e-8);
        assertThat((double) p[w]).isCloseTo(expected, within(1e-6));
        assertThat(opt.steps()).isEqualTo(2);
    }

    @Test
    void clippingScalesToTheMaximumNormOnlyWhenAbove() {
        float[] g = {3f, 4f};
        assertThat(AdamW.clipGradNorm(g, 10)).isEqualTo(5.0);
        assertThat(g).containsExactly(3f, 4f);
        assertThat(AdamW.clipGradNorm(g, 1)).isEqualTo(5.0);
        assertThat((double) g[0]).isCloseTo(0.6, within(1e-6));
        assertThat((double) g[1]).isCloseTo(0.8, within(1e-6));
        assertThat(AdamW.clipGradNorm(g, 0)).isCloseTo(1.0, within(1e-6));
    }
}
