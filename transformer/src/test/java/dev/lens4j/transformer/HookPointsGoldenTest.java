package dev.lens4j.transformer;

import dev.lens4j.hooks.ActivationCache;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Golden lists of hook point names and shapes, written by hand from REFERENCE.md and
 * TransformerLens's module tree (not copied from the output), in TransformerLens's firing order.
 * Every config here has d_model 16, 4 heads of d_head 4, d_mlp 64; batch 2, pos 5.
 */
class HookPointsGoldenTest {

    private static TransformerConfig base(int layers) {
        return TransformerConfig.gpt2(layers, 16, 4, 12, 23);
    }

    private static final String GPT2_TWO_LAYERS = """
            hook_embed [2, 5, 16]
            hook_pos_embed [2, 5, 16]
            blocks.0.hook_resid_pre [2, 5, 16]
            blocks.0.ln1.hook_scale [2, 5, 1]
            blocks.0.ln1.hook_normalized [2, 5, 16]
            blocks.0.attn.hook_q [2, 5, 4, 4]
            blocks.0.attn.hook_k [2, 5, 4, 4]
            blocks.0.attn.hook_v [2, 5, 4, 4]
            blocks.0.attn.hook_attn_scores [2, 4, 5, 5]
            blocks.0.attn.hook_pattern [2, 4, 5, 5]
            blocks.0.attn.hook_z [2, 5, 4, 4]
            blocks.0.hook_attn_out [2, 5, 16]
            blocks.0.hook_resid_mid [2, 5, 16]
            blocks.0.ln2.hook_scale [2, 5, 1]
            blocks.0.ln2.hook_normalized [2, 5, 16]
            blocks.0.mlp.hook_pre [2, 5, 64]
            blocks.0.mlp.hook_post [2, 5, 64]
            blocks.0.hook_mlp_out [2, 5, 16]
            blocks.0.hook_resid_post [2, 5, 16]
            blocks.1.hook_resid_pre [2, 5, 16]
            blocks.1.ln1.hook_scale [2, 5, 1]
            blocks.1.ln1.hook_normalized [2, 5, 16]
            blocks.1.attn.hook_q [2, 5, 4, 4]
            blocks.1.attn.hook_k [2, 5, 4, 4]
            blocks.1.attn.hook_v [2, 5, 4, 4]
            blocks.1.attn.hook_attn_scores [2, 4, 5, 5]
            blocks.1.attn.hook_pattern [2, 4, 5, 5]
            blocks.1.attn.hook_z [2, 5, 4, 4]
            blocks.1.hook_attn_out [2, 5, 16]
            blocks.1.hook_resid_mid [2, 5, 16]
            blocks.1.ln2.hook_scale [2, 5, 1]
            blocks.1.ln2.hook_normalized [2, 5, 16]
            blocks.1.mlp.hook_pre [2, 5, 64]
            blocks.1.mlp.hook_post [2, 5, 64]
            blocks.1.hook_mlp_out [2, 5, 16]
            blocks.1.hook_resid_post [2, 5, 16]
            ln_final.hook_scale [2, 5, 1]
            ln_final.hook_normalized [2, 5, 16]
            """;

    private static final String ATTN_ONLY_ONE_LAYER = """
            hook_embed [2, 5, 16]
            hook_pos_embed [2, 5, 16]
            blocks.0.hook_resid_pre [2, 5, 16]
            blocks.0.ln1.hook_scale [2, 5, 1]
            blocks.0.ln1.hook_normalized [2, 5, 16]
            blocks.0.attn.hook_q [2, 5, 4, 4]
            blocks.0.attn.hook_k [2, 5, 4, 4]
            blocks.0.attn.hook_v [2, 5, 4, 4]
            blocks.0.attn.hook_attn_scores [2, 4, 5, 5]
            blocks.0.attn.hook_pattern [2, 4, 5, 5]
            blocks.0.attn.hook_z [2, 5, 4, 4]
            blocks.0.hook_attn_out [2, 5, 16]
            blocks.0.hook_resid_post [2, 5, 16]
            ln_final.hook_scale [2, 5, 1]
            ln_final.hook_normalized [2, 5, 16]
            """;

    private static final String ATTN_RESULT_AND_MLP_IN_ONE_LAYER = """
            hook_embed [2, 5, 16]
            hook_pos_embed [2, 5, 16]
            blocks.0.hook_resid_pre [2, 5, 16]
            blocks.0.ln1.hook_scale [2, 5, 1]
            blocks.0.ln1.hook_normalized [2, 5, 16]
            blocks.0.attn.hook_q [2, 5, 4, 4]
            blocks.0.attn.hook_k [2, 5, 4, 4]
            blocks.0.attn.hook_v [2, 5, 4, 4]
            blocks.0.attn.hook_attn_scores [2, 4, 5, 5]
            blocks.0.attn.hook_pattern [2, 4, 5, 5]
            blocks.0.attn.hook_z [2, 5, 4, 4]
            blocks.0.attn.hook_result [2, 5, 4, 16]
            blocks.0.hook_attn_out [2, 5, 16]
            blocks.0.hook_resid_mid [2, 5, 16]
            blocks.0.hook_mlp_in [2, 5, 16]
            blocks.0.ln2.hook_scale [2, 5, 1]
            blocks.0.ln2.hook_normalized [2, 5, 16]
            blocks.0.mlp.hook_pre [2, 5, 64]
            blocks.0.mlp.hook_post [2, 5, 64]
            blocks.0.hook_mlp_out [2, 5, 16]
            blocks.0.hook_resid_post [2, 5, 16]
            ln_final.hook_scale [2, 5, 1]
            ln_final.hook_normalized [2, 5, 16]
            """;

    private static final String SPLIT_QKV_INPUT_ONE_LAYER = """
            hook_embed [2, 5, 16]
            hook_pos_embed [2, 5, 16]
            blocks.0.hook_resid_pre [2, 5, 16]
            blocks.0.hook_q_input [2, 5, 4, 16]
            blocks.0.hook_k_input [2, 5, 4, 16]
            blocks.0.hook_v_input [2, 5, 4, 16]
            blocks.0.ln1.hook_scale [2, 5, 4, 1]
            blocks.0.ln1.hook_normalized [2, 5, 4, 16]
            blocks.0.attn.hook_q [2, 5, 4, 4]
            blocks.0.attn.hook_k [2, 5, 4, 4]
            blocks.0.attn.hook_v [2, 5, 4, 4]
            blocks.0.attn.hook_attn_scores [2, 4, 5, 5]
            blocks.0.attn.hook_pattern [2, 4, 5, 5]
            blocks.0.attn.hook_z [2, 5, 4, 4]
            blocks.0.hook_attn_out [2, 5, 16]
            blocks.0.hook_resid_mid [2, 5, 16]
            blocks.0.ln2.hook_scale [2, 5, 1]
            blocks.0.ln2.hook_normalized [2, 5, 16]
            blocks.0.mlp.hook_pre [2, 5, 64]
            blocks.0.mlp.hook_post [2, 5, 64]
            blocks.0.hook_mlp_out [2, 5, 16]
            blocks.0.hook_resid_post [2, 5, 16]
            ln_final.hook_scale [2, 5, 1]
            ln_final.hook_normalized [2, 5, 16]
            """;

    private static final String ATTN_IN_ONE_LAYER = """
            hook_embed [2, 5, 16]
            hook_pos_embed [2, 5, 16]
            blocks.0.hook_resid_pre [2, 5, 16]
            blocks.0.hook_attn_in [2, 5, 4, 16]
            blocks.0.ln1.hook_scale [2, 5, 4, 1]
            blocks.0.ln1.hook_normalized [2, 5, 4, 16]
            blocks.0.attn.hook_q [2, 5, 4, 4]
            blocks.0.attn.hook_k [2, 5, 4, 4]
            blocks.0.attn.hook_v [2, 5, 4, 4]
            blocks.0.attn.hook_attn_scores [2, 4, 5, 5]
            blocks.0.attn.hook_pattern [2, 4, 5, 5]
            blocks.0.attn.hook_z [2, 5, 4, 4]
            blocks.0.hook_attn_out [2, 5, 16]
            blocks.0.hook_resid_mid [2, 5, 16]
            blocks.0.ln2.hook_scale [2, 5, 1]
            blocks.0.ln2.hook_normalized [2, 5, 16]
            blocks.0.mlp.hook_pre [2, 5, 64]
            blocks.0.mlp.hook_post [2, 5, 64]
            blocks.0.hook_mlp_out [2, 5, 16]
            blocks.0.hook_resid_post [2, 5, 16]
            ln_final.hook_scale [2, 5, 1]
            ln_final.hook_normalized [2, 5, 16]
            """;

    private static final String HOOK_TOKENS_ONE_LAYER = """
            hook_tokens [2, 5]
            hook_embed [2, 5, 16]
            hook_pos_embed [2, 5, 16]
            blocks.0.hook_resid_pre [2, 5, 16]
            blocks.0.ln1.hook_scale [2, 5, 1]
            blocks.0.ln1.hook_normalized [2, 5, 16]
            blocks.0.attn.hook_q [2, 5, 4, 4]
            blocks.0.attn.hook_k [2, 5, 4, 4]
            blocks.0.attn.hook_v [2, 5, 4, 4]
            blocks.0.attn.hook_attn_scores [2, 4, 5, 5]
            blocks.0.attn.hook_pattern [2, 4, 5, 5]
            blocks.0.attn.hook_z [2, 5, 4, 4]
            blocks.0.hook_attn_out [2, 5, 16]
            blocks.0.hook_resid_mid [2, 5, 16]
            blocks.0.ln2.hook_scale [2, 5, 1]
            blocks.0.ln2.hook_normalized [2, 5, 16]
            blocks.0.mlp.hook_pre [2, 5, 64]
            blocks.0.mlp.hook_post [2, 5, 64]
            blocks.0.hook_mlp_out [2, 5, 16]
            blocks.0.hook_resid_post [2, 5, 16]
            ln_final.hook_scale [2, 5, 1]
            ln_final.hook_normalized [2, 5, 16]
            """;

    private static final String NO_NORM_ATTN_ONLY_ONE_LAYER = """
            hook_embed [2, 5, 16]
            hook_pos_embed [2, 5, 16]
            blocks.0.hook_resid_pre [2, 5, 16]
            blocks.0.attn.hook_q [2, 5, 4, 4]
            blocks.0.attn.hook_k [2, 5, 4, 4]
            blocks.0.attn.hook_v [2, 5, 4, 4]
            blocks.0.attn.hook_attn_scores [2, 4, 5, 5]
            blocks.0.attn.hook_pattern [2, 4, 5, 5]
            blocks.0.attn.hook_z [2, 5, 4, 4]
            blocks.0.hook_attn_out [2, 5, 16]
            blocks.0.hook_resid_post [2, 5, 16]
            """;

    private static TransformerConfig attnOnly(TransformerConfig c) {
        return TransformerConfig.builder().nLayers(c.nLayers()).dModel(c.dModel()).nHeads(c.nHeads()).dHead(c.dHead()).attnOnly(true).nCtx(c.nCtx()).dVocab(c.dVocab()).normalization(c.normalization()).eps(c.eps()).useAttnResult(c.useAttnResult()).useSplitQkvInput(c.useSplitQkvInput()).useHookMlpIn(c.useHookMlpIn()).useAttnIn(c.useAttnIn()).useHookTokens(c.useHookTokens()).modelName("attn-only").build();
    }

    @Test
    void gpt2() {
        assertGolden(base(2), GPT2_TWO_LAYERS);
    }

    @Test
    void attentionOnly() {
        assertGolden(attnOnly(base(1)), ATTN_ONLY_ONE_LAYER);
    }

    @Test
    void attnResultAndMlpIn() {
        assertGolden(base(1).withHookSwitches(true, false, true, false), ATTN_RESULT_AND_MLP_IN_ONE_LAYER);
    }

    @Test
    void splitQkvInput() {
        assertGolden(base(1).withHookSwitches(false, true, false, false), SPLIT_QKV_INPUT_ONE_LAYER);
    }

    @Test
    void attnIn() {
        assertGolden(base(1).withHookSwitches(false, false, false, true), ATTN_IN_ONE_LAYER);
    }

    @Test
    void hookTokens() {
        assertGolden(base(1).withHookTokens(true), HOOK_TOKENS_ONE_LAYER);
    }

    @Test
    void noNormalisationAttentionOnly() {
        assertGolden(attnOnly(base(1)).withNormalization(Normalization.NONE), NO_NORM_ATTN_ONLY_ONE_LAYER);
    }

    @Test
    void processedModelsKeepTheLayerNormHooks() {
        assertGolden(base(2).withNormalization(Normalization.LN_PRE), GPT2_TWO_LAYERS);
    }

    /** The listed shapes, and what a forward pass actually caches, both equal the golden list. */
    private static void assertGolden(TransformerConfig c, String golden) {
        List<String> expected = golden.lines().toList();
        try (HookedTransformer model = RandomModels.model(c, 1)) {
            assertThat(model.hookPoints(2, 5)).extracting(HookShape::toString).containsExactlyElementsOf(expected);
            ActivationCache cache = model.runWithCache(RandomModels.tokens(2, 2, 5, c.dVocab())).cache();
            List<String> cached = cache.asMap().entrySet().stream()
                    .map(e -> e.getKey() + " " + dev.lens4j.tensor.Shapes.str(e.getValue().shape())).toList();
            assertThat(cached).containsExactlyElementsOf(expected);
        }
    }
}
