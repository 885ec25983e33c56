package dev.lens4j.transformer;

import dev.lens4j.tensor.internal.Json;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransformerConfigTest {

    @Test
    void gpt2ParameterCountsMatchTheGpt2Family() {
        // REFERENCE.md: params with tied embeddings
        assertThat(TransformerConfig.gpt2Small().parameterCount()).isEqualTo(124_439_808L);
        assertThat(TransformerConfig.gpt2(24, 1024, 16, 1024, 50257).parameterCount()).isEqualTo(354_823_168L);
        assertThat(TransformerConfig.gpt2(36, 1280, 20, 1024, 50257).parameterCount()).isEqualTo(774_030_080L);
        assertThat(TransformerConfig.gpt2(48, 1600, 25, 1024, 50257).parameterCount()).isEqualTo(1_557_611_200L);
    }

    @Test
    void weightsCountEveryParameterAndATiedUnembeddingOnce() {
        TransformerConfig c = TransformerConfig.gpt2(1, 8, 2, 4, 10).withNormalization(Normalization.LN);
        java.util.Map<String, dev.lens4j.tensor.Tensor> sd = new java.util.LinkedHashMap<>();
        // W_Q, W_K and W_V as views of one fused matrix, as the Hugging Face loader builds them
        dev.lens4j.tensor.Tensor qkv = dev.lens4j.tensor.Tensor.zeros(8, 24);
        dev.lens4j.tensor.Tensor wE = dev.lens4j.tensor.Tensor.zeros(10, 8);
        for (String n : new String[] {"Q", "K", "V"}) {
            int i = "QKV".indexOf(n);
            sd.put("blocks.0.attn.W_" + n, qkv.slice(1, 8 * i, 8 * i + 8).reshape(8, 2, 4).permute(1, 0, 2));
            sd.put("blocks.0.attn.b_" + n, dev.lens4j.tensor.Tensor.zeros(2, 4));
        }
        sd.put("blocks.0.attn.W_O", dev.lens4j.tensor.Tensor.zeros(2, 4, 8));
        sd.put("blocks.0.attn.b_O", dev.lens4j.tensor.Tensor.zeros(8));
        for (String ln : new String[] {"blocks.0.ln1", "blocks.0.ln2", "ln_final"}) {
            sd.put(ln + ".w", dev.lens4j.tensor.Tensor.zeros(8));
            sd.put(ln + ".b", dev.lens4j.tensor.Tensor.zeros(8));
        }
        sd.put("blocks.0.mlp.W_in", dev.lens4j.tensor.Tensor.zeros(8, 32));
        sd.put("blocks.0.mlp.b_in", dev.lens4j.tensor.Tensor.zeros(32));
        sd.put("blocks.0.mlp.W_out", dev.lens4j.tensor.Tensor.zeros(32, 8));
        sd.put("blocks.0.mlp.b_out", dev.lens4j.tensor.Tensor.zeros(8));
        sd.put("embed.W_E", wE);
        sd.put("pos_embed.W_pos", dev.lens4j.tensor.Tensor.zeros(4, 8));
        sd.put("unembed.W_U", wE.mT());
        TransformerWeights tied = TransformerWeights.fromStateDict(c, sd, "test");
        // tied: exactly the Hugging Face count of the config (b_U is zero and not a GPT-2 parameter either)
        assertThat(tied.parameterCount()).isEqualTo(c.parameterCount() + 10);
        sd.put("unembed.W_U", dev.lens4j.tensor.Tensor.zeros(8, 10));
        assertThat(TransformerWeights.fromStateDict(c, sd, "test").parameterCount()).isEqualTo(c.parameterCount() + 80 + 10);
    }

    @Test
    void jsonRoundTripsAndBadValuesAreNamed() {
        TransformerConfig c = TransformerConfig.gpt2(2, 64, 4, 32, 100).withHookSwitches(true, false, true, false);
        assertThat(TransformerConfig.fromJsonMap(Json.parseObject(c.toJson()), "test")).isEqualTo(c);
        assertThatThrownBy(() -> TransformerConfig.fromJsonMap(Json.parseObject("{\"n_layers\": 2}"), "cfg.json"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cfg.json").hasMessageContaining("d_model");
        assertThatThrownBy(() -> TransformerConfig.gpt2(2, 64, 5, 32, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n_heads 5");
    }

    @Test
    void useHookTokensRoundTripsAndIsFalseWhenAbsent() {
        TransformerConfig off = TransformerConfig.gpt2(2, 64, 4, 32, 100);
        TransformerConfig on = off.withHookTokens(true);
        assertThat(off.useHookTokens()).isFalse();
        assertThat(on.useHookTokens()).isTrue();
        assertThat(on).isNotEqualTo(off).isEqualTo(off.withHookTokens(true));
        assertThat(on.toString()).contains("\"use_hook_tokens\":true");
        assertThat(on.withHookTokens(false)).isEqualTo(off);
        // written under TransformerLens's key when set; left out when not, so older config.json files stay byte for byte
        assertThat(on.toJsonMap()).containsEntry("use_hook_tokens", true);
        assertThat(off.toJsonMap()).doesNotContainKey("use_hook_tokens");
        assertThat(TransformerConfig.fromJsonMap(Json.parseObject(on.toJson()), "test")).isEqualTo(on);
        assertThat(TransformerConfig.fromJsonMap(Json.parseObject(off.toJson()), "test")).isEqualTo(off);
        java.util.Map<String, Object> explicitOff = Json.parseObject(on.toJson());
        explicitOff.put("use_hook_tokens", false);
        assertThat(TransformerConfig.fromJsonMap(explicitOff, "test")).isEqualTo(off);
        // the other switches are kept by withHookTokens, and withHookSwitches keeps it
        TransformerConfig both = off.withHookSwitches(true, false, true, false).withHookTokens(true);
        assertThat(both.useAttnResult()).isTrue();
        assertThat(both.withHookSwitches(false, false, false, false).useHookTokens()).isTrue();
        java.util.Map<String, Object> bad = Json.parseObject(on.toJson());
        bad.put("use_hook_tokens", "yes");
        assertThatThrownBy(() -> TransformerConfig.fromJsonMap(bad, "cfg.json"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cfg.json").hasMessageContaining("use_hook_tokens");
        assertThatThrownBy(() -> TransformerConfig.gpt2(1, 8, 2, 4, (1 << 24) + 1).withHookTokens(true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("use_hook_tokens").hasMessageContaining("2^24");
    }
}
