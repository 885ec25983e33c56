package dev.lens4j.analysis.attribution;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URISyntaxException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The logit lens and {@code apply_ln_to_stack} against the real TransformerLens 2.18, on a tiny random
 * model with every LayerNorm weight and bias far from 1 and 0 (fixture: tools/reference/tl_logit_lens.py,
 * output in src/test/resources/reference/tl-logit-lens). TransformerLens 2.18 applies {@code ln_final}
 * to each accumulated stream of the final layer with that stream's own statistics and
 * {@code ln_final}'s weight and bias (its fix of TransformerLens issue 1076); dividing by the cached
 * scale, as 2.17 did, differs from the fixture by up to 3.6 here. Raw weights keep {@code ln_final}'s
 * weight and bias; processed ones fold them away (a LayerNormPre).
 */
class LogitLensReferenceTest {

    /** float32 against float32 through a few LayerNorms of values up to about 10. */
    private static final float TOLERANCE = 2e-5f;

    private static Path fixture(String name) {
        try {
            return Path.of(LogitLensReferenceTest.class.getResource("/reference/tl-logit-lens/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("the tl-logit-lens fixture is not on the test class path: " + name, e);
        }
    }

    private static HookedTransformer load(String variant) throws Exception {
        Path dir = fixture("config.json").getParent();
        return variant.equals("raw") ? Models.fromPretrainedNoProcessing(dir) : Models.fromPretrained(dir);
    }

    @ParameterizedTest
    @ValueSource(strings = {"raw", "processed"})
    void matchesTransformerLens218(String variant) throws Exception {
        try (HookedTransformer model = load(variant);
             SafetensorsFile ref = SafetensorsFile.open(fixture(variant + ".safetensors"))) {
            float[] flat = ref.readFloats("tokens");
            int batch = ref.info("tokens").shape()[0], pos = ref.info("tokens").shape()[1];
            int[][] tokens = new int[batch][pos];
            for (int b = 0; b < batch; b++) {
                for (int p = 0; p < pos; p++) {
                    tokens[b][p] = (int) flat[b * pos + p];
                }
            }
            ActivationCache cache = model.runWithCache(tokens).cache();
            ResidualStream stream = ResidualStream.of(model, cache);

            ComponentStack lens = stream.accumulatedResid(-1, true, false, true);
            assertThat(lens.labels()).containsExactly("0_pre", "0_mid", "1_pre", "1_mid", "final_post");
            assertClose(lens.values(), ref.tensor("accumulated_resid_final"), variant + " accumulated_resid(-1, apply_ln)");
            // the final stream through ln_final is what the model's own ln_final wrote
            assertClose(lens.get("final_post"), cache.get("ln_final.hook_normalized"), variant + " final_post");
            // before the last layer the cached scale of the LayerNorm reading that stream is used, as in 2.17
            assertClose(stream.accumulatedResid(1, false, false, true).values(), ref.tensor("accumulated_resid_1"),
                    variant + " accumulated_resid(1, apply_ln)");

            ComponentStack parts = stream.decomposeResid(-1, false, ResidualStream.Mode.ALL, false, true);
            assertClose(parts.values(), ref.tensor("decompose_resid"), variant + " decompose_resid");
            assertClose(stream.applyLnToStack(parts, -1, false, true).values(), ref.tensor("apply_ln_recompute"),
                    variant + " apply_ln_to_stack(recompute_ln=True)");
            assertClose(stream.applyLnToStack(parts, -1, false, false).values(), ref.tensor("apply_ln_cached"),
                    variant + " apply_ln_to_stack(recompute_ln=False)");
            assertClose(stream.applyLnToStack(parts, -1, false).values(), ref.tensor("apply_ln_cached"),
                    variant + " apply_ln_to_stack");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"raw"})
    void recomputingIsOnlyForTheFinalLayerNorm(String variant) throws Exception {
        try (HookedTransformer model = load(variant)) {
            ResidualStream stream = ResidualStream.of(model, model.runWithCache(new int[][] {{1, 2, 3}}).cache());
            ComponentStack parts = stream.decomposeResid(1, false, ResidualStream.Mode.ALL, false, true);
            assertThatThrownBy(() -> stream.applyLnToStack(parts, 1, false, true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("recomputeLn").hasMessageContaining("layer 1");
        }
    }

    private static void assertClose(Tensor actual, Tensor expected, String what) {
        assertThat(actual.shape()).as(what + " shape").containsExactly(expected.shape());
        float[] a = actual.contiguous().toArray();
        float[] e = expected.contiguous().toArray();
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - e[i]));
        }
        assertThat(max).as(what + ": largest difference from TransformerLens 2.18").isLessThan(TOLERANCE);
    }
}
