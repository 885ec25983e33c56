package dev.lens4j.transformer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The weights record's own helpers: fusing Q, K and V, and replacing the blocks. */
class TransformerWeightsTest {

    @Test
    void fusedQkvKeepsTheValuesAndViewsOneHuggingFaceLayoutArray() {
        TransformerConfig c = RandomModels.small();
        TransformerWeights.Layer x = RandomModels.weights(c, 42, 0.3f).layers().get(0);
        TransformerWeights.Layer f = x.withFusedQkv();
        assertThat(f.wQ().allClose(x.wQ(), 0f, 0f)).isTrue();
        assertThat(f.wK().allClose(x.wK(), 0f, 0f)).isTrue();
        assertThat(f.wV().allClose(x.wV(), 0f, 0f)).isTrue();
        assertThat(f.wQ().sharesStorageWith(f.wK())).isTrue();
        assertThat(f.wQ().sharesStorageWith(f.wV())).isTrue();
        assertThat(f.wQ().sharesStorageWith(x.wQ())).isFalse();
        // [d_model, 3, n_heads, d_head] with d_model 16, n_heads 4, d_head 4, seen as [n_heads, d_model, d_head]
        assertThat(f.wQ().strides()).containsExactly(4, 48, 1);
        // K starts one third of a row after Q: each row of the fused array is Q | K | V
        assertThat(f.wQ().permute(1, 0, 2).view(16, 16).asMatrix().offset()).isEqualTo(0);
        assertThat(f.wK().permute(1, 0, 2).view(16, 16).asMatrix().offset()).isEqualTo(16);
        assertThat(f.wV().permute(1, 0, 2).view(16, 16).asMatrix().offset()).isEqualTo(32);
        assertThat(f.wO()).isSameAs(x.wO());
        assertThat(f.bV()).isSameAs(x.bV());
        assertThat(f.wIn()).isSameAs(x.wIn());
    }

    @Test
    void withLayersReplacesOnlyTheBlocks() {
        TransformerConfig c = RandomModels.small();
        TransformerWeights w = RandomModels.weights(c, 43, 0.3f);
        TransformerWeights.Layer other = RandomModels.weights(c, 44, 0.3f).layers().get(0);
        TransformerWeights v = w.withLayers(List.of(other));
        assertThat(v.layers()).containsExactly(other);
        assertThat(v.wE()).isSameAs(w.wE());
        assertThat(v.wPos()).isSameAs(w.wPos());
        assertThat(v.lnFinalW()).isSameAs(w.lnFinalW());
        assertThat(v.lnFinalB()).isSameAs(w.lnFinalB());
        assertThat(v.wU()).isSameAs(w.wU());
        assertThat(v.bU()).isSameAs(w.bU());
    }
}
