package dev.lens4j.transformer;

import dev.lens4j.tensor.internal.Json;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransformerConfigTest {

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
