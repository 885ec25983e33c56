package dev.lens4j.hooks;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Every example of TransformerLens's {@code get_act_name} docstring, plus aliases and edge cases. */
class ActNamesTest {

    @Test
    void transformerLensDocstringExamples() {
        assertThat(ActNames.of("k", 6, "a")).isEqualTo("blocks.6.attn.hook_k");
        assertThat(ActNames.of("pre", 2)).isEqualTo("blocks.2.mlp.hook_pre");
        assertThat(ActNames.of("embed")).isEqualTo("hook_embed");
        assertThat(ActNames.of("normalized", 27, "ln2")).isEqualTo("blocks.27.ln2.hook_normalized");
        assertThat(ActNames.of("k6")).isEqualTo("blocks.6.attn.hook_k");
        assertThat(ActNames.of("scale4ln1")).isEqualTo("blocks.4.ln1.hook_scale");
        assertThat(ActNames.of("pre5")).isEqualTo("blocks.5.mlp.hook_pre");
    }

    @Test
    void blockLevelNames() {
        assertThat(ActNames.of("pattern", 0)).isEqualTo("blocks.0.attn.hook_pattern");
        assertThat(ActNames.of("attn_scores", 1)).isEqualTo("blocks.1.attn.hook_attn_scores");
        assertThat(ActNames.of("resid_pre", 3)).isEqualTo("blocks.3.hook_resid_pre");
        assertThat(ActNames.of("resid_mid", 3)).isEqualTo("blocks.3.hook_resid_mid");
        assertThat(ActNames.of("resid_post", 11)).isEqualTo("blocks.11.hook_resid_post");
        assertThat(ActNames.of("attn_out", 0)).isEqualTo("blocks.0.hook_attn_out");
        assertThat(ActNames.of("mlp_out", 0)).isEqualTo("blocks.0.hook_mlp_out");
        assertThat(ActNames.of("mlp_in", 2)).isEqualTo("blocks.2.hook_mlp_in");
        assertThat(ActNames.of("attn_in", 2)).isEqualTo("blocks.2.hook_attn_in");
        assertThat(ActNames.of("q_input", 2)).isEqualTo("blocks.2.hook_q_input");
        assertThat(ActNames.of("result", 5)).isEqualTo("blocks.5.attn.hook_result");
        assertThat(ActNames.of("z", 5, "attn")).isEqualTo("blocks.5.attn.hook_z");
        assertThat(ActNames.of("post", 1, "m")).isEqualTo("blocks.1.mlp.hook_post");
        assertThat(ActNames.of("resid_pre", 1, "b")).isEqualTo("blocks.1.hook_resid_pre");
    }

    @Test
    void aliases() {
        assertThat(ActNames.of("attn", 0)).isEqualTo("blocks.0.attn.hook_pattern");
        assertThat(ActNames.of("attn_logits", 0)).isEqualTo("blocks.0.attn.hook_attn_scores");
        assertThat(ActNames.of("key", 1)).isEqualTo("blocks.1.attn.hook_k");
        assertThat(ActNames.of("query", 1)).isEqualTo("blocks.1.attn.hook_q");
        assertThat(ActNames.of("value", 1)).isEqualTo("blocks.1.attn.hook_v");
        assertThat(ActNames.of("mlp_pre", 1)).isEqualTo("blocks.1.mlp.hook_pre");
        assertThat(ActNames.of("mlp_post", 1)).isEqualTo("blocks.1.mlp.hook_post");
    }

    @Test
    void finalLayerNormAndGlobalNames() {
        assertThat(ActNames.of("scale")).isEqualTo("ln_final.hook_scale");
        assertThat(ActNames.of("normalized")).isEqualTo("ln_final.hook_normalized");
        assertThat(ActNames.of("pos_embed")).isEqualTo("hook_pos_embed");
        assertThat(ActNames.of("ln_final.hook_scale")).isEqualTo("ln_final.hook_scale");
    }

    @Test
    void fullNamesPassThroughUnlessALayerIsGiven() {
        assertThat(ActNames.of("blocks.0.attn.hook_pattern")).isEqualTo("blocks.0.attn.hook_pattern");
        assertThat(ActNames.of("hook_embed")).isEqualTo("hook_embed");
    }

    @Test
    void shorthandWithUnderscoreIsNotSplit() {
        // TL's regex needs letters directly followed by digits; "resid_pre5" does not match it
        assertThat(ActNames.of("resid_pre5")).isEqualTo("hook_resid_pre5");
        assertThat(ActNames.of("normalized3ln2")).isEqualTo("blocks.3.ln2.hook_normalized");
    }
}
