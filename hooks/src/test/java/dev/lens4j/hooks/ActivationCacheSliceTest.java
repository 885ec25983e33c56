package dev.lens4j.hooks;

import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ActivationCache#applySliceToBatchDim}, TransformerLens's {@code apply_slice_to_batch_dim}. */
class ActivationCacheSliceTest {

    /** Three sequences whose values say which sequence, position and entry they are: 100 b + 10 p + i. */
    private static ActivationCache cache() {
        ActivationCache.Builder b = ActivationCache.builder(1);
        b.put("hook_embed", Tensor.arange(3 * 2 * 4).reshape(3, 2, 4).map(v -> 100 * Math.floor(v / 8) + 10 * Math.floor(v % 8 / 4) + v % 4));
        b.put("blocks.0.attn.hook_pattern", Tensor.arange(3 * 2 * 2 * 2).reshape(3, 2, 2, 2));
        b.put("ln_final.hook_scale", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2, 1));
        return b.build();
    }

    @Test
    void aRangeKeepsTheBatchDimensionAndTheOrder() {
        ActivationCache c = cache().applySliceToBatchDim(Slice.range(1, 3));
        assertThat(c.hasBatchDim()).isTrue();
        assertThat(c.names()).containsExactly("hook_embed", "blocks.0.attn.hook_pattern", "ln_final.hook_scale");
        assertThat(c.get("embed").shape()).containsExactly(2, 2, 4);
        assertThat(c.get("embed").get(0, 1, 3)).isEqualTo(113f);
        assertThat(c.get("embed").get(1, 0, 0)).isEqualTo(200f);
        assertThat(c.get("ln_final.hook_scale").toArray()).containsExactly(3, 4, 5, 6);
        assertThat(c.nLayers()).isEqualTo(1);
        assertThat(c.get("pattern", 0).isContiguous()).as("compact, like every cache's tensors").isTrue();
    }

    @Test
    void anIndexRemovesTheBatchDimensionLikeRemoveBatchDim() {
        ActivationCache c = cache().applySliceToBatchDim(-1);
        assertThat(c.hasBatchDim()).isFalse();
        assertThat(c.get("embed").shape()).containsExactly(2, 4);
        assertThat(c.get("embed").get(1, 2)).isEqualTo(212f);
        assertThatThrownBy(() -> c.applySliceToBatchDim(Slice.all())).hasMessageContaining("batch dimension was removed");
    }

    @Test
    void aListPicksSequencesInItsOrderAndAllIsTheSameCache() {
        ActivationCache c = cache().applySliceToBatchDim(Slice.list(2, 0, 2));
        assertThat(c.get("ln_final.hook_scale").toArray()).containsExactly(5, 6, 1, 2, 5, 6);
        ActivationCache all = cache().applySliceToBatchDim(Slice.all());
        assertThat(all.get("embed").toArray()).containsExactly(cache().get("embed").toArray());
    }

    @Test
    void aSequenceOutsideTheBatchNamesTheActivation() {
        assertThatThrownBy(() -> cache().applySliceToBatchDim(3))
                .hasMessageContaining("hook_embed of shape [3, 2, 4]").hasMessageContaining("index 3");
    }
}
