package dev.lens4j.transformer.processing;

import dev.lens4j.transformer.Normalization;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.TransformerWeights;
import dev.lens4j.transformer.loading.HfCheckpoint;
import dev.lens4j.transformer.loading.LoadOptions;
import dev.lens4j.transformer.loading.LoadedCheckpoint;
import dev.lens4j.transformer.loading.TinyGpt2;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Weight processing against the independent PyTorch reference ({@code tl-weights-processed.safetensors},
 * TransformerLens's formulas computed in float64), and the identities each step must keep.
 */
class WeightProcessingTest {

    /** Largest |lens4j - reference| over every processed tensor; the reference is float64 rounded once. */
    private static final float TOLERANCE = 1e-5f;

    @Test
    void processedWeightsEqualTheTransformerLensReference() throws IOException {
        Map<String, Tensor> expected = TinyGpt2.readAll("tl-weights-processed.safetensors");
        try (LoadedCheckpoint raw = HfCheckpoint.read(TinyGpt2.path("hf"), LoadOptions.noProcessing())) {
            WeightProcessing.Processed p = WeightProcessing.process(raw.config(), raw.weights(), ProcessingOptions.defaults());
            assertThat(p.config().normalization()).isEqualTo(Normalization.LN_PRE);
            Map<String, Tensor> actual = p.weights().stateDict();
            assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
            float worst = 0;
            for (Map.Entry<String, Tensor> e : expected.entrySet()) {
                float diff = actual.get(e.getKey()).maxAbsDiff(e.getValue());
                assertThat(diff).as(e.getKey()).isLessThanOrEqualTo(TOLERANCE);
                worst = Math.max(worst, diff);
            }
            System.out.printf("processed tiny-gpt2 weights: max |lens4j - TransformerLens reference| = %.3g%n", worst);
        }
    }

    @Test
    void processingDoesNotTouchItsInput() throws IOException {
        try (LoadedCheckpoint raw = HfCheckpoint.read(TinyGpt2.path("hf"), LoadOptions.noProcessing())) {
            Map<String, Tensor> before = copy(raw.weights().stateDict());
            WeightProcessing.process(raw.config(), raw.weights(),
                    ProcessingOptions.defaults().withRefactorFactoredAttnMatrices(true));
            before.forEach((name, t) -> assertThat(raw.weights().stateDict().get(name).maxAbsDiff(t)).as(name).isZero());
        }
    }

    @Test
    void noneIsTheIdentityAndSkippedStepsFollowTransformerLens() {
        TransformerConfig cfg = TransformerConfig.gpt2(1, 8, 2, 5, 7).withNormalization(Normalization.NONE);
        TransformerWeights w = RandomWeights.of(cfg, 1);
        WeightProcessing.Processed none = WeightProcessing.process(cfg, w, ProcessingOptions.none());
        assertThat(none.weights()).isSameAs(w);
        // Without LayerNorm, fold_ln and center_writing_weights are skipped (the mean matters), the rest apply.
        WeightProcessing.Processed p = WeightProcessing.process(cfg, w, ProcessingOptions.defaults());
        assertThat(p.config().normalization()).isEqualTo(Normalization.NONE);
        assertThat(p.weights().wE()).isSameAs(w.wE());
        assertThat(p.weights().wU().mean(-1, false).abs().max()).isLessThan(1e-6f);
        assertThat(p.weights().layers().get(0).bV().abs().max()).isZero();
    }

    @Test
    void foldLnNeedsLayerNormParameters() {
        TransformerConfig cfg = TransformerConfig.gpt2(1, 8, 2, 5, 7).withNormalization(Normalization.LN_PRE);
        TransformerWeights w = RandomWeights.of(cfg, 2);
        // process() skips fold_ln for an already folded model, as TransformerLens does.
        assertThat(WeightProcessing.process(cfg, w, ProcessingOptions.defaults()).config().normalization()).isEqualTo(Normalization.LN_PRE);
    }

    @Test
    void centeringStepsLeaveZeroMeans() {
        TransformerConfig cfg = TransformerConfig.gpt2(2, 12, 3, 6, 10);
        TransformerWeights w = RandomWeights.of(cfg, 3);
        TransformerWeights c = WeightProcessing.process(cfg, w, new ProcessingOptions(false, true, true, false, false)).weights();
        for (Tensor t : new Tensor[] {c.wE(), c.wPos(), c.layers().get(1).wO(), c.layers().get(1).bO(),
                c.layers().get(0).wOut(), c.layers().get(0).bOut(), c.wU(), c.bU()}) {
            assertThat(t.mean(-1, false).abs().max()).isLessThan(1e-6f);
        }
        // Centring subtracts a per-row constant: differences within a row are kept.
        float before = w.wE().get(3, 1) - w.wE().get(3, 7);
        assertThat(c.wE().get(3, 1) - c.wE().get(3, 7)).isCloseTo(before, org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void foldValueBiasesMovesTheirEffectIntoBO() {
        TransformerConfig cfg = TransformerConfig.gpt2(1, 12, 3, 6, 10);
        TransformerWeights w = RandomWeights.of(cfg, 4);
        TransformerWeights f = foldValueBiases(cfg, w);
        TransformerWeights.Layer a = w.layers().get(0), b = f.layers().get(0);
        assertThat(b.bV().abs().max()).isZero();
        // b_O' = b_O + sum_h b_V[h] @ W_O[h], computed here as one matmul over the flattened (head, d_head) axis.
        Tensor expected = a.bO().add(a.bV().reshape(1, 12).matmul(a.wO().reshape(12, 12)).reshape(12));
        assertThat(b.bO().maxAbsDiff(expected)).isLessThan(1e-5f);
    }

    @Test
    void refactoringKeepsEveryCircuitAndMakesWOOrthonormal() {
        TransformerConfig cfg = TransformerConfig.gpt2(2, 16, 4, 6, 10);
        TransformerWeights w = RandomWeights.of(cfg, 5);
        TransformerWeights r = WeightProcessing.process(cfg, w, ProcessingOptions.none().withRefactorFactoredAttnMatrices(true)).weights();
        for (int l = 0; l < 2; l++) {
            TransformerWeights.Layer a = w.layers().get(l), b = r.layers().get(l);
            for (int h = 0; h < 4; h++) {
                // The bilinear form (x W_Q + b_Q)(y W_K + b_K)^T with x, y extended by a constant 1.
                Tensor qkBefore = extended(a.wQ(), a.bQ(), h).matmul(extended(a.wK(), a.bK(), h).mT());
                Tensor qkAfter = extended(b.wQ(), b.bQ(), h).matmul(extended(b.wK(), b.bK(), h).mT());
                assertThat(qkAfter.maxAbsDiff(qkBefore)).as("QK of head %d.%d", l, h).isLessThan(1e-4f);
                Tensor ovBefore = a.wV().select(0, h).matmul(a.wO().select(0, h));
                Tensor ovAfter = b.wV().select(0, h).matmul(b.wO().select(0, h));
                assertThat(ovAfter.maxAbsDiff(ovBefore)).as("OV of head %d.%d", l, h).isLessThan(1e-4f);
                Tensor wo = b.wO().select(0, h);                                  // [d_head, d_model]
                assertThat(wo.matmul(wo.mT()).maxAbsDiff(Tensor.eye(4))).isLessThan(1e-5f);
                // Q and K factors are "even": column j of W_Q' and of W_K' (with biases) have equal norms.
                Tensor qn = extended(b.wQ(), b.bQ(), h).norm(0, false);
                Tensor kn = extended(b.wK(), b.bK(), h).norm(0, false);
                assertThat(qn.maxAbsDiff(kn)).isLessThan(1e-5f);
            }
            assertThat(b.bV().abs().max()).isZero();
            assertThat(b.bO().maxAbsDiff(foldValueBiases(cfg, w).layers().get(l).bO())).isLessThan(1e-5f);
        }
    }

    private static TransformerWeights foldValueBiases(TransformerConfig cfg, TransformerWeights w) {
        return WeightProcessing.process(cfg, w, new ProcessingOptions(false, false, false, true, false)).weights();
    }

    /** {@code [W[h]; b[h]]}: {@code [d_model + 1, d_head]}. */
    private static Tensor extended(Tensor weight, Tensor bias, int head) {
        return Tensor.concat(0, weight.select(0, head), bias.select(0, head).unsqueeze(0));
    }

    private static Map<String, Tensor> copy(Map<String, Tensor> sd) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        sd.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }
}
