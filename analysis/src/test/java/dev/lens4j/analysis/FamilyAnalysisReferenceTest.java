package dev.lens4j.analysis;

import dev.lens4j.analysis.attribution.ComponentStack;
import dev.lens4j.analysis.attribution.DirectLogitAttribution;
import dev.lens4j.analysis.attribution.ResidualStream;
import dev.lens4j.analysis.circuits.Circuits;
import dev.lens4j.analysis.circuits.CompositionScores;
import dev.lens4j.analysis.heads.HeadDetection;
import dev.lens4j.analysis.heads.HeadDetector;
import dev.lens4j.analysis.interventions.Ablation;
import dev.lens4j.analysis.interventions.ActivationPatching;
import dev.lens4j.analysis.interventions.Metrics;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.HookSpec;
import dev.lens4j.tensor.Functional;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.io.SafetensorsFile;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.LoadOptions;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * lens4j's analysis functions on other families against the real TransformerLens 2.18
 * ({@code tools/reference/make_family_analysis_fixtures.py}, output in
 * {@code src/test/resources/reference/family-analysis/}), on the transformer module's tiny random
 * Llama (rotary, grouped-query attention 4/2, RMSNorm), Gemma 2 (RMSNorm with 1 + w, norms after
 * attention and MLP, soft caps, a local layer, grouped-query attention) and GPT-NeoX (LayerNorm, a
 * parallel block, partial rotary) checkpoints, raw and processed: the residual stream's stacks and
 * decompositions with RMS scaling (no centring), the logit lens, direct logit attribution, QK/OV
 * norms, singular values and copying scores with shared key/value heads, composition scores, head
 * detectors, zero ablation of query heads and of shared value heads, and activation patching with
 * key/value heads. TransformerLens runs in float64; lens4j in float32, so each tensor is held to
 * {@value #REL} of its largest magnitude (at least 1); the largest relative difference of every key
 * is printed.
 *
 * <p>Where lens4j refuses what TransformerLens computes, the test checks the refusal: a parallel
 * block's "MLP input" ({@code mlp_input=True}), which TransformerLens builds by adding the block's own
 * attention output although GPT-NeoX's MLP never reads it.
 */
class FamilyAnalysisReferenceTest {

    /** float32 against float64 through a few norms and matrix products; the largest difference measured is 2.7e-6. */
    private static final double REL = 1e-5;
    private static final Path FAMILIES = Path.of("../transformer/src/test/resources/reference/families");
    private static final Path REFERENCE = Path.of("src/test/resources/reference/family-analysis");
    private static final List<String> DETECT_TEXTS = List.of("the cat sat on the mat. the cat sat on the mat.",
            "one two three four one two three four");
    /** Every key the script writes, to check that each is compared (or deliberately refused). */
    private static final TreeMap<String, Double> WORST = new TreeMap<>();
    private static final Set<String> UNCHECKED = new HashSet<>();

    static Stream<Arguments> cases() {
        return Stream.of("llama", "gemma2", "gpt_neox").flatMap(f -> Stream.of(Arguments.of(f, "raw"), Arguments.of(f, "processed")));
    }

    @BeforeAll
    static void clear() {
        WORST.clear();
    }

    @AfterAll
    static void printWorst() {
        StringBuilder b = new StringBuilder("largest |lens4j - TransformerLens 2.18| / max(|ref|, 1) per key:\n");
        WORST.forEach((k, v) -> b.append(String.format(Locale.ROOT, "  %-60s %.2e%n", k, v)));
        System.out.print(b);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesTransformerLens218(String family, String variant) throws IOException {
        LoadOptions options = variant.equals("raw") ? LoadOptions.noProcessing() : LoadOptions.defaults();
        try (HookedTransformer model = Models.fromPretrained(FAMILIES.resolve(family).resolve("hf"), options);
             SafetensorsFile ref = SafetensorsFile.open(REFERENCE.resolve(family).resolve(variant + ".safetensors"))) {
            Set<String> checked = new HashSet<>();
            Checker c = new Checker(family + " " + variant, ref, checked);
            int[][] tokens = ints(ref, "tokens");
            ActivationCache cache = model.runWithCache(tokens).cache();
            c.check("logits", model.forward(tokens));
            ResidualStream s = ResidualStream.of(model, cache);
            boolean parallel = model.config().parallelAttnMlp();

            // the residual stream
            if (parallel) {
                assertThatThrownBy(() -> s.accumulatedResid(-1, true, false, true)).hasMessageContaining("parallel_attn_mlp");
                assertThatThrownBy(() -> s.decomposeResid(1, true, ResidualStream.Mode.ALL, true, true))
                        .hasMessageContaining("parallel_attn_mlp").hasMessageContaining("reads resid_pre");
                checked.add("decompose_resid_1_mlp_ln");
            } else {
                c.check("accumulated_resid_final_mid_ln", s.accumulatedResid(-1, true, false, true).values());
                c.check("accumulated_resid_1_mlp_ln", s.accumulatedResid(1, false, true, true).values());
                c.check("decompose_resid_1_mlp_ln", s.decomposeResid(1, true, ResidualStream.Mode.ALL, true, true).values());
            }
            c.check("accumulated_resid_final_ln", s.accumulatedResid(-1, false, false, true).values());
            c.check("accumulated_resid_1_ln", s.accumulatedResid(1, false, false, true).values());
            ComponentStack decomp = s.decomposeResid(-1, false, ResidualStream.Mode.ALL, false, true);
            c.check("decompose_resid", decomp.values());
            c.check("decompose_resid_ln", s.decomposeResid(-1, false, ResidualStream.Mode.ALL, true, true).values());
            c.check("apply_ln_recompute", s.applyLnToStack(decomp, -1, false, true).values());
            c.check("apply_ln_cached_1", s.applyLnToStack(s.decomposeResid(1, false, ResidualStream.Mode.ALL, false, true), 1, false).values());
            ComponentStack heads = s.stackHeadResults(-1, false, false);
            c.check("stack_head_results_ln", s.stackHeadResults(-1, false, true).values());
            c.check("stack_head_results_1_remainder", s.stackHeadResults(1, true, false).values());
            c.check("stack_neuron_results_1_ln", s.stackNeuronResults(1, false, true).values());
            c.check("full_resid_decomposition_ln", s.fullResidDecomposition(-1, false, true, true).values());
            c.check("accumulated_bias_final", s.accumulatedBias(-1, false, true));

            // direct logit attribution, toward the next token (against another one for the heads)
            int[][] next = new int[tokens.length][], other = new int[tokens.length][];
            for (int b = 0; b < tokens.length; b++) {
                int n = tokens[b].length;
                next[b] = new int[n];
                other[b] = new int[n];
                for (int p = 0; p < n; p++) {
                    next[b][p] = tokens[b][(p + 1) % n];
                    other[b][p] = (next[b][p] + 7) % model.config().dVocab();
                }
            }
            DirectLogitAttribution dla = new DirectLogitAttribution(s);
            c.check("logit_attrs_heads", dla.logitAttrs(heads, next, other).values());
            c.check("logit_attrs_decompose", dla.logitAttrs(decomp, next, null).values());

            // circuits: shared key/value heads are repeated per query head, as TransformerLens's W_K / W_V
            Circuits circuits = new Circuits(model.config(), model.weights());
            c.check("qk_norm", circuits.qk().norm());
            c.check("ov_norm", circuits.ov().norm());
            c.check("qk_s", circuits.qk().s());
            c.check("ov_s", circuits.ov().s());
            c.check("ov_copying_scores", circuits.copyingScores());
            c.check("composition_q", CompositionScores.all(circuits, CompositionScores.Mode.Q));
            c.check("composition_k", CompositionScores.all(circuits, CompositionScores.Mode.K));
            c.check("composition_v", CompositionScores.all(circuits, CompositionScores.Mode.V));

            // head detectors on text, tokenised as TransformerLens's to_tokens
            for (String name : List.of("previous_token", "duplicate_token", "induction")) {
                String pattern = name + "_head";
                c.check("detect_" + name + "_mul", HeadDetection.detectHead(model, DETECT_TEXTS, pattern, false, false,
                        HeadDetector.ErrorMeasure.MUL));
                c.check("detect_" + name + "_mul_excl", HeadDetection.detectHead(model, DETECT_TEXTS, pattern, true, true,
                        HeadDetector.ErrorMeasure.MUL));
                c.check("detect_" + name + "_abs", HeadDetection.detectHead(model, DETECT_TEXTS, pattern, false, false,
                        HeadDetector.ErrorMeasure.ABS));
            }

            // zero ablation: each query head's hook_z, and each key/value head's hook_v (shared by its query heads)
            int layers = model.config().nLayers(), nHeads = model.config().nHeads(), nKv = model.config().nKvHeads();
            c.check("loss", Tensor.scalar(model.loss(tokens)));
            float[] z = new float[layers * nHeads], v = new float[layers * nKv];
            for (int l = 0; l < layers; l++) {
                for (int h = 0; h < nHeads; h++) {
                    z[l * nHeads + h] = lossWith(model, tokens, Ablation.head(l, h).zero());
                }
                for (int h = 0; h < nKv; h++) {
                    v[l * nKv + h] = lossWith(model, tokens, Ablation.component("v", l).ofHeads(h).zero());
                }
            }
            c.check("ablate_z_loss", Tensor.of(z, layers, nHeads));
            c.check("ablate_v_loss", Tensor.of(v, layers, nKv));

            // activation patching, with key and value hooks of n_key_value_heads heads
            int[][] corrupted = ints(ref, "corrupted_tokens");
            int[] correct = ints(ref, "patch_correct")[0], incorrect = ints(ref, "patch_incorrect")[0];
            checked.addAll(List.of("corrupted_tokens", "patch_correct", "patch_incorrect", "tokens"));
            ActivationPatching patching = ActivationPatching.of(model, tokens, corrupted, Metrics.logitDiff(-1, correct, incorrect));
            c.check("patch_clean_metric", Tensor.scalar(patching.cleanMetric()));
            c.check("patch_corrupted_metric", Tensor.scalar(patching.corruptedMetric()));
            c.check("patch_resid_pre", patching.residPre());
            c.check("patch_attn_out", patching.attnOut());
            c.check("patch_head_out_all_pos", patching.headOutAllPos());
            c.check("patch_head_k_all_pos", patching.headVectorAllPos("k"));
            c.check("patch_head_v_by_pos", patching.headVectorByPos("v"));
            c.check("patch_head_pattern_all_pos", patching.headPatternAllPos());
            c.check("patch_head_all_pos_every", patching.headAllPosEvery());

            assertThat(checked).as(family + " " + variant + ": every key of the fixture is compared")
                    .containsExactlyInAnyOrderElementsOf(ref.names());
        }
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"llama", "gemma2", "gpt_neox"})
    void positionalQkIsNotApplicableWithRotaryPositions(String family) throws IOException {
        try (HookedTransformer model = Models.fromPretrained(FAMILIES.resolve(family).resolve("hf"))) {
            Circuits circuits = new Circuits(model.config(), model.weights());
            assertThat(Circuits.positionalQkNotApplicable(model.config())).hasValueSatisfying(why ->
                    assertThat(why).contains("rotary positions").contains("no W_pos"));
            assertThatThrownBy(() -> circuits.positionalPreviousTokenScores(12))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not applicable").hasMessageContaining("rotary");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void headContributionsGoThroughTheNormAfterAttention(String family, String variant) throws IOException {
        LoadOptions options = variant.equals("raw") ? LoadOptions.noProcessing() : LoadOptions.defaults();
        try (HookedTransformer model = Models.fromPretrained(FAMILIES.resolve(family).resolve("hf"), options)) {
            int[][] tokens = {{2, 40, 41, 42, 40, 41, 42}, {2, 7, 8, 9, 7, 8, 9}};
            ActivationCache cache = model.runWithCache(tokens).cache();
            ResidualStream s = ResidualStream.of(model, cache);
            ComponentStack contributions = s.stackHeadContributions(-1, false, false);
            if (!model.config().useNormalizationBeforeAndAfter()) {
                assertThat(contributions.values().maxAbsDiff(s.stackHeadResults(-1, false, false).values())).isZero();
                return;
            }
            // Gemma 2 has no attention biases: each layer's heads add up to its hook_attn_out, which comes after ln1_post
            int heads = model.config().nHeads();
            for (int l = 0; l < model.config().nLayers(); l++) {
                Tensor sum = contributions.values().slice(0, l * heads, (l + 1) * heads).sum(0, false);
                Tensor attnOut = cache.get("attn_out", l);
                assertThat(sum.maxAbsDiff(attnOut)).as("layer " + l).isLessThan(1e-5f * Math.max(1f, attnOut.abs().max()));
                // TransformerLens's stack_head_results leaves ln1_post out: its heads do not add up to attn_out
                Tensor before = s.stackHeadResults(l + 1, false, false).values().slice(0, l * heads, (l + 1) * heads).sum(0, false);
                assertThat(before.maxAbsDiff(attnOut)).isGreaterThan(0.1f);
            }
        }
    }

    private static float lossWith(HookedTransformer model, int[][] tokens, HookSpec hook) {
        return Functional.perTokenLoss(model.runWithHooks(tokens, hook), tokens).mean();
    }

    private static int[][] ints(SafetensorsFile f, String name) throws IOException {
        int[] shape = f.info(name).shape();
        float[] flat = f.readFloats(name); // I64 token ids, exact in float below 2^24
        int rows = shape.length == 1 ? 1 : shape[0], cols = shape[shape.length - 1];
        int[][] out = new int[rows][cols];
        for (int i = 0; i < flat.length; i++) {
            out[i / cols][i % cols] = (int) flat[i];
        }
        return out;
    }

    /** Compares one lens4j tensor with one reference key and records the key as compared. */
    private record Checker(String label, SafetensorsFile ref, Set<String> checked) {
        void check(String key, Tensor actual) throws IOException {
            Tensor expected = Tensor.of(ref.readFloats(key), ref.info(key).shape());
            assertThat(actual.shape()).as(label + " " + key + " shape").containsExactly(expected.shape());
            float[] a = actual.contiguous().toArray(), e = expected.toArray();
            double scale = 1, worst = 0;
            for (float x : e) {
                scale = Math.max(scale, Math.abs(x));
            }
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, Math.abs((double) a[i] - e[i]) / scale);
            }
            synchronized (WORST) {
                WORST.merge(label + " " + key, worst, Math::max);
            }
            assertThat(worst).as(label + " " + key + ": largest |lens4j - TransformerLens| / max(|ref|, 1)").isLessThan(REL);
            checked.add(key);
        }
    }
}
