package dev.lens4j.transformer;

import dev.lens4j.tensor.io.Json;
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
    void jsonRoundTripsAndBadValuesAreNamed() {
        TransformerConfig c = TransformerConfig.gpt2(2, 64, 4, 32, 100).withHookSwitches(true, false, true, false);
        assertThat(TransformerConfig.fromJsonMap(Json.parseObject(c.toJson()), "test")).isEqualTo(c);
        assertThatThrownBy(() -> TransformerConfig.fromJsonMap(Json.parseObject("{\"n_layers\": 2}"), "cfg.json"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cfg.json").hasMessageContaining("d_model");
        assertThatThrownBy(() -> TransformerConfig.gpt2(2, 64, 5, 32, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n_heads 5");
    }
}
