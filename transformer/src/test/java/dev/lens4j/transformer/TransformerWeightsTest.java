package dev.lens4j.transformer;

import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The weights' own helpers: the one list of names and shapes, checking, replacing, fusing Q, K and V, grouped heads. */
class TransformerWeightsTest {

    @Test
    void fuseQkvKeepsTheValuesAndViewsOneHuggingFaceLayoutArray() {
        TransformerConfig c = RandomModels.small();
        TransformerWeights w = RandomModels.weights(c, 42, 0.3f);
        Map<String, Tensor> sd = new LinkedHashMap<>(w.stateDict());
        TransformerWeights.fuseQkv(c, 0, sd);
        TransformerWeights.Layer x = w.layers().get(0);
        Tensor q = sd.get("blocks.0.attn.W_Q"), k = sd.get("blocks.0.attn.W_K"), v = sd.get("blocks.0.attn.W_V");
        assertThat(q.allClose(x.wQ(), 0f, 0f)).isTrue();
        assertThat(k.allClose(x.wK(), 0f, 0f)).isTrue();
        assertThat(v.allClose(x.wV(), 0f, 0f)).isTrue();
        assertThat(q.sharesStorageWith(k)).isTrue();
        assertThat(q.sharesStorageWith(v)).isTrue();
        assertThat(q.sharesStorageWith(x.wQ())).isFalse();
        // [d_model, 3 * n_heads * d_head] with d_model 16, n_heads 4, d_head 4, seen as [n_heads, d_model, d_head]
        assertThat(q.strides()).containsExactly(4, 48, 1);
        // K starts one third of a row after Q: each row of the fused array is Q | K | V
        assertThat(q.permute(1, 0, 2).view(16, 16).asMatrix().offset()).isEqualTo(0);
        assertThat(k.permute(1, 0, 2).view(16, 16).asMatrix().offset()).isEqualTo(16);
        assertThat(v.permute(1, 0, 2).view(16, 16).asMatrix().offset()).isEqualTo(32);
        assertThat(sd.get("blocks.0.attn.W_O")).isSameAs(x.wO());
    }

    @Test
    void withReplacesOneParameterAndSharesTheRest() {
        TransformerConfig c = RandomModels.small();
        TransformerWeights w = RandomModels.weights(c, 43, 0.3f);
        Tensor other = Tensor.zeros(4, 16, 4);
        TransformerWeights v = w.with("blocks.1.attn.W_Q", other);
        assertThat(v.layers().get(1).wQ()).isSameAs(other);
        assertThat(v.wE()).isSameAs(w.wE());
        assertThat(v.layers().get(0).wQ()).isSameAs(w.layers().get(0).wQ());
        assertThatThrownBy(() -> w.with("blocks.1.attn.W_Q", Tensor.zeros(4, 16, 5))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blocks.1.attn.W_Q").hasMessageContaining("[4, 16, 5]");
    }

    @Test
    void unexpectedAndMissingParametersAreNamed() {
        TransformerConfig c = RandomModels.small();
        Map<String, Tensor> sd = new LinkedHashMap<>(RandomModels.weights(c, 44, 0.3f).stateDict());
        sd.put("blocks.0.mlp.W_gate", Tensor.zeros(16, 64));
        assertThatThrownBy(() -> TransformerWeights.fromStateDict(c, sd, "f.safetensors")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("f.safetensors").hasMessageContaining("blocks.0.mlp.W_gate");
        sd.remove("blocks.0.mlp.W_gate");
        sd.remove("blocks.1.ln2.w");
        assertThatThrownBy(() -> TransformerWeights.fromStateDict(c, sd, "f.safetensors")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blocks.1.ln2.w");
        // biases may be left out: zeros, as in models without biases
        sd.put("blocks.1.ln2.w", Tensor.ones(16));
        sd.remove("blocks.0.attn.b_Q");
        assertThat(TransformerWeights.fromStateDict(c, sd, "f").layers().get(0).bQ().abs().max()).isZero();
    }

    @Test
    void groupedKeyAndValueHeadsAreRepeatedPerQueryHead() {
        TransformerConfig c = TransformerConfig.builder().nLayers(1).dModel(16).nHeads(4).nKeyValueHeads(2).dHead(4).dMlp(32)
                .nCtx(8).dVocab(10).normalization(Normalization.RMS).actFn(Activation.SILU).gatedMlp(true)
                .positionalEmbedding(PositionalEmbedding.ROTARY).build();
        Map<String, int[]> shapes = TransformerWeights.shapes(c);
        assertThat(shapes).containsKeys("blocks.0.attn._W_K", "blocks.0.attn._b_V", "blocks.0.mlp.W_gate", "ln_final.w")
                .doesNotContainKeys("blocks.0.attn.W_K", "pos_embed.W_pos", "ln_final.b");
        assertThat(shapes.get("blocks.0.attn._W_K")).containsExactly(2, 16, 4);
        TransformerWeights w = TransformerWeights.random(c, 1, 0.5);
        Tensor k = w.layers().get(0).wK();                       // [4, 16, 4]: heads 0, 1 share kv head 0
        assertThat(k.shape()).containsExactly(4, 16, 4);
        assertThat(k.select(0, 1).allClose(w.layers().get(0).groupedWK().select(0, 0), 0f, 0f)).isTrue();
        assertThat(k.select(0, 2).allClose(w.layers().get(0).groupedWK().select(0, 1), 0f, 0f)).isTrue();
    }
}
