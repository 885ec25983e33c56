package dev.lens4j.analysis.gradients;

import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.analysis.interventions.ActivationPatching;
import dev.lens4j.analysis.interventions.Patch;
import dev.lens4j.hooks.HookHandle;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.KvCache;
import dev.lens4j.transformer.LogitMetric;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Attribution patching on the shipped induction model, against real activation patching and finite
 * differences: patching the clean probe (BOS + A + A) into its corrupted twin (the first copy
 * redrawn), measured by the mean log-probability of the repeated half. The exact numbers against
 * TransformerLens autograd are in {@link EapIgReferenceTest}.
 */
class AttributionPatchingTest {

    static HookedTransformer model;
    static RepeatedTokens probe;
    static int[][] clean, corrupted;
    static LogitMetric metric;
    static AttributionPatching ap;

    @BeforeAll
    static void load() throws Exception {
        model = Models.fromPretrained("induction-2l");
        probe = RepeatedTokens.forModel(model);
        clean = probe.tokens();
        corrupted = probe.corruptedTokens();
        metric = LogitMetrics.logProb(clean, probe.repeatedLossFrom(), probe.repeatedLossTo());
        ap = AttributionPatching.of(model, clean, corrupted, metric);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /**
     * A linear estimate is good where a patch moves the model a little and poor where it flips an
     * attention pattern (patching one key of an induction head makes a query find it): on this probe
     * the head outputs and patterns agree with the real patches, keys, values and the residual stream by
     * position much less (docs/ATTRIBUTION.md has the whole table). The bars are what a correct estimate
     * reaches on an induction model; a wrong sign or a wrong sum breaks them.
     */
    @Test
    void theEstimatesAgreeWithRealPatchingWhereALinearEstimateShould() {
        ActivationPatching real = ActivationPatching.of(model, clean, corrupted, LogitMetrics.asMetric(metric));
        Map<String, Agreement> a = ap.compareWith(real);
        assertThat(a.keySet()).containsExactly("resid_pre", "attn_out", "z", "q", "k", "v", "pattern", "z by pos", "q by pos",
                "k by pos", "v by pos", "pattern by pos");
        assertThat(a.get("z").correlation()).as("z: %s", a.get("z")).isGreaterThan(0.6);
        assertThat(a.get("z").sharedTopK()).as("z: %s", a.get("z")).isGreaterThanOrEqualTo(2);
        assertThat(a.get("pattern").correlation()).as("pattern: %s", a.get("pattern")).isGreaterThan(0.8);
        assertThat(a.get("z by pos").correlation()).as("z by pos: %s", a.get("z by pos")).isGreaterThan(0.5);
        assertThat(a.get("z by pos").sharedTopK()).as("z by pos: %s", a.get("z by pos")).isGreaterThanOrEqualTo(5);
        assertThat(a.get("pattern by pos").correlation()).as("pattern by pos: %s", a.get("pattern by pos")).isGreaterThan(0.6);
        assertThat(a.get("pattern by pos").sharedTopK()).as("pattern by pos: %s", a.get("pattern by pos")).isGreaterThanOrEqualTo(5);
        // every estimate has the sign of what it estimates where the real effect is large: corrupting helps nothing here
        assertThat(ap.cleanMetric()).isCloseTo(real.cleanMetric(), within(1e-4));
        assertThat(ap.corruptedMetric()).isCloseTo(real.corruptedMetric(), within(1e-4));
    }

    /**
     * The estimate is the derivative of the real patch: patching {@code corrupted + e (clean - corrupted)}
     * changes the metric by {@code e} times the estimate as e goes to 0 (central differences, e = 1e-2).
     */
    @Test
    void theEstimateIsTheDerivativeOfAPartialPatch() {
        ActivationPatching real = ActivationPatching.of(model, clean, corrupted, LogitMetrics.asMetric(metric));
        checkDerivative(real, "blocks.1.attn.hook_z", ap.headOutAllPos().get(1, 0), 2, 0);
        checkDerivative(real, "blocks.0.attn.hook_z", ap.headOutAllPos().get(0, 2), 2, 2);
        checkDerivative(real, "blocks.1.attn.hook_pattern", ap.headPatternAllPos().get(1, 3), 1, 3);
        int pos = ap.residPre().select(0, 1).abs().argmax();
        checkDerivative(real, "blocks.1.hook_resid_pre", ap.residPre().get(1, pos), 1, pos);
    }

    private static void checkDerivative(ActivationPatching real, String name, float estimate, int axis, int index) {
        double e = 1e-2;
        double plus = real.run(partial(name, axis, index, e)), minus = real.run(partial(name, axis, index, -e));
        double slope = (plus - minus) / (2 * e);
        assertThat(slope).as(name + " [" + axis + "] = " + index).isCloseTo(estimate, within(2e-3 + 2e-2 * Math.abs(estimate)));
        assertThat(Math.abs(estimate)).as("a derivative worth checking").isGreaterThan(1e-3f);
    }

    private static Patch partial(String name, int axis, int index, double e) {
        return new Patch(name, (corr, cl) -> {
            Tensor out = corr.copy();
            Tensor slice = out.select(axis, index);
            slice.copyFrom(corr.select(axis, index).add(cl.select(axis, index).sub(corr.select(axis, index)).mul((float) e)));
            return out;
        });
    }

    @Test
    void sweepsAreSumsOfOneAnother() {
        Tensor byPos = ap.headVectorByPos("k");                  // [layer, pos, head]
        assertThat(byPos.sum(1, false).maxAbsDiff(ap.headVectorAllPos("k"))).isLessThan(1e-5f);
        assertThat(ap.allPositions("attn_out").maxAbsDiff(ap.attnOut().sum(1, false))).isLessThan(1e-5f);
        assertThat(ap.estimate("blocks.1.attn.hook_z").item()).isCloseTo(ap.headOutAllPos().select(0, 1).sum(), within(1e-5f));
        assertThat(ap.headPatternByPos().shape()).containsExactly(2, 4, probe.length());
        assertThat(ap.headAllPosEvery().shape()).containsExactly(5, 2, 4);
        // nothing before the corrupted positions differs, so nothing there can be patched
        assertThat(ap.residPre().select(1, 0).abs().max()).isZero();
    }

    /** A metric that cannot see a point: every entry of its gradient is zero, and the point is named. */
    @Test
    void aPointTheMetricDoesNotDependOnIsReportedAsSuch() {
        // zero-ablating every layer-1 head's output cuts the metric off from their queries, keys, values and patterns
        try (HookHandle _ = model.hooks().add("blocks.1.attn.hook_z", (z, p) -> Tensor.zeros(z.shape()))) {
            AttributionPatching cut = AttributionPatching.of(model, clean, corrupted, metric);
            assertThat(cut.zeroGradientPoints()).containsExactly("blocks.1.attn.hook_q", "blocks.1.attn.hook_k",
                    "blocks.1.attn.hook_v", "blocks.1.attn.hook_pattern");
            assertThat(cut.dependsOn("blocks.1.attn.hook_k")).isFalse();
            assertThat(cut.dependsOn("blocks.1.attn.hook_z")).isTrue(); // the hook's output still has its gradient
            assertThat(cut.headVectorAllPos("k").select(0, 1).abs().max()).isZero();
        }
        assertThat(ap.zeroGradientPoints()).isEmpty();
    }

    @Test
    void badInputIsNamed() {
        assertThatThrownBy(() -> ap.estimate("blocks.0.attn.hook_result"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blocks.0.attn.hook_result was not recorded")
                .hasMessageContaining("has no such hook point");
        assertThatThrownBy(() -> ap.estimate("blocks.0.ln1.hook_scale"))
                .hasMessageContaining("pass a names filter that accepts it");
        assertThatThrownBy(() -> ap.estimate("blocks.0.attn.hook_z", 0))
                .hasMessageContaining("must increase within [1, 4)");
        assertThatThrownBy(() -> ap.residMid()).hasMessageContaining("attention-only");
        int[][] shorter = RepeatedTokens.forModel(model).withHalfLength(5).tokens();
        assertThatThrownBy(() -> AttributionPatching.of(model, clean, shorter, metric))
                .hasMessageContaining("[16][47] and [16][11]");
        assertThatThrownBy(() -> ap.compareWith(ActivationPatching.of(model, corrupted, clean, LogitMetrics.asMetric(metric))))
                .hasMessageContaining("compare runs of the same tokens and metric");
    }

    /** A backward hook of the model's own that returns the wrong shape stops the attribution, named. */
    @Test
    void aBackwardHookOfTheWrongShapeIsNamed() {
        try (HookHandle _ = model.hooks().addBackward("blocks.0.hook_attn_out", (g, p) -> Tensor.zeros(3, 2))) {
            assertThatThrownBy(() -> AttributionPatching.of(model, clean, corrupted, metric))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("backward hook on blocks.0.hook_attn_out")
                    .hasMessageContaining("[3, 2]");
            assertThatThrownBy(() -> EdgeAttribution.eapIg(model, clean, corrupted, metric, 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("backward hook on blocks.0.hook_attn_out");
        }
    }

    /** Gradients on a KV-cached generation step are refused (docs/ATTRIBUTION.md says so); a full pass gives them. */
    @Test
    void gradientsOnAKvCachedStepAreRefused() {
        int[][] prompt = {java.util.Arrays.copyOf(clean[0], 10)};
        KvCache kv = model.newKvCache(1);
        model.run(prompt, ForwardOptions.builder().kvCache(kv).build());
        int[][] next = {{clean[0][10]}};
        LogitMetric step = LogitMetrics.logitDiff(0, new int[] {clean[0][11]}, new int[] {clean[0][12]});
        assertThatThrownBy(() -> model.run(next, ForwardOptions.builder().kvCache(kv).backward(step).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a KV-cached step is not supported");
    }
}
