package dev.lens4j.hooks;

import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ActivationCacheTest {

    /** A 3-layer cache with batch 1 and recognisable values. */
    private static ActivationCache cache() {
        ActivationCache.Builder b = ActivationCache.builder(3);
        b.put("hook_embed", Tensor.full(-1f, 1, 2, 4));
        for (int l = 0; l < 3; l++) {
            b.put("blocks." + l + ".hook_resid_pre", Tensor.full(l, 1, 2, 4));
            b.put("blocks." + l + ".ln1.hook_scale", Tensor.full(10 + l, 1, 2, 1));
            b.put("blocks." + l + ".attn.hook_pattern", Tensor.full(100 + l, 1, 2, 2, 2));
            b.put("blocks." + l + ".attn.hook_k", Tensor.full(200 + l, 1, 2, 2, 3));
        }
        b.put("ln_final.hook_scale", Tensor.full(7f, 1, 2, 1));
        return b.build();
    }

    @Test
    void lookupsByFullNameAndShorthand() {
        ActivationCache c = cache();
        assertThat(c.get("blocks.1.attn.hook_pattern").get(0, 0, 0, 0)).isEqualTo(101f);
        assertThat(c.get("pattern", 0).get(0, 0, 0, 0)).isEqualTo(100f);
        assertThat(c.get("k", 2, "a").get(0, 0, 0, 0)).isEqualTo(202f);
        assertThat(c.get("scale1ln1").get(0, 0, 0)).isEqualTo(11f);
        assertThat(c.get("scale", 2, "ln1").get(0, 0, 0)).isEqualTo(12f);
        assertThat(c.get("scale").get(0, 0, 0)).isEqualTo(7f);
        assertThat(c.get("ln_final.hook_scale").get(0, 0, 0)).isEqualTo(7f);
        assertThat(c.get("embed").get(0, 0, 0)).isEqualTo(-1f);
        assertThat(c.get("resid_pre", -1).get(0, 0, 0)).isEqualTo(2f);
        assertThat(c.contains("k1")).isTrue();
        assertThat(c.contains("q1")).isFalse();
    }

    @Test
    void namesKeepFiringOrder() {
        ActivationCache c = cache();
        assertThat(c.names()).startsWith("hook_embed", "blocks.0.hook_resid_pre", "blocks.0.ln1.hook_scale")
                .endsWith("ln_final.hook_scale").hasSize(14);
    }

    @Test
    void missingNameListsCloseNames() {
        ActivationCache c = cache();
        assertThatThrownBy(() -> c.get("q", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blocks.1.attn.hook_q")
                .hasMessageContaining("blocks.1.attn.hook_k");
        assertThatThrownBy(() -> c.get("resid_pre", -4)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-4");
    }

    @Test
    void stackOverLayers() {
        Tensor s = cache().stack("resid_pre");
        assertThat(s.shape()).containsExactly(3, 1, 2, 4);
        for (int l = 0; l < 3; l++) {
            assertThat(s.get(l, 0, 1, 3)).isEqualTo(l);
        }
        assertThat(cache().stack("scale", "ln1").shape()).containsExactly(3, 1, 2, 1);
        assertThatThrownBy(() -> cache().stack("q")).hasMessageContaining("blocks.0.attn.hook_q");
    }

    @Test
    void removeBatchDimForOneSequence() {
        ActivationCache c = cache().removeBatchDim();
        assertThat(c.hasBatchDim()).isFalse();
        assertThat(c.get("pattern", 1).shape()).containsExactly(2, 2, 2);
        assertThat(c.removeBatchDim()).isSameAs(c);
    }

    @Test
    void removeBatchDimRefusesBatchOfTwo() {
        ActivationCache c = ActivationCache.builder(1).put("hook_embed", Tensor.zeros(2, 3, 4)).build();
        assertThatThrownBy(c::removeBatchDim).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hook_embed").hasMessageContaining("[2, 3, 4]");
    }

    @Test
    void viewsAreCopiedCompactTensorsAreKept() {
        Tensor big = Tensor.arange(24).reshape(2, 3, 4);
        Tensor view = big.select(2, 1);
        Tensor whole = Tensor.zeros(2, 2);
        ActivationCache c = ActivationCache.builder(-1).put("a", view).put("b", whole).build();
        assertThat(c.get("a").sharesStorageWith(big)).isFalse();
        assertThat(c.get("a").toArray()).containsExactly(1, 5, 9, 13, 17, 21);
        assertThat(c.get("b")).isSameAs(whole);
    }

    @Test
    void repeatedNameKeepsItsPlaceAndTheLastValue() {
        ActivationCache c = ActivationCache.builder(-1).put("x", Tensor.scalar(1)).put("y", Tensor.scalar(2))
                .put("x", Tensor.scalar(3)).build();
        assertThat(c.names()).containsExactly("x", "y");
        assertThat(c.get("x").item()).isEqualTo(3f);
    }

    @Test
    void closingRunsTheGiveBackOnceAndEndsLookupsOnDerivedCachesToo() {
        int[] runs = new int[1];
        ActivationCache.Builder b = ActivationCache.builder(1);
        b.put("blocks.0.attn.hook_pattern", Tensor.full(3f, 1, 2, 2, 2));
        ActivationCache c = b.build(() -> runs[0]++);
        ActivationCache derived = c.removeBatchDim();
        assertThat(derived.get("pattern", 0).get(1, 1, 1)).isEqualTo(3f);
        assertThat(c.isClosed()).isFalse();

        derived.close();           // a derived cache shares the arrays, so it ends the origin's use too
        c.close();                 // idempotent: the give-back runs once
        assertThat(runs[0]).isEqualTo(1);
        assertThat(c.isClosed()).isTrue();
        assertThat(c.toString()).contains("closed");
        assertThatThrownBy(() -> c.get("pattern", 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed ActivationCache").hasMessageContaining("blocks.0.attn.hook_pattern");
        assertThatThrownBy(() -> c.get("blocks.0.attn.hook_pattern")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(c::asMap).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> c.stack("pattern")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(c::removeBatchDim).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> c.applySliceToBatchDim(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> derived.get("pattern", 0)).isInstanceOf(IllegalStateException.class);
        // what it holds is still listed
        assertThat(c.names()).containsExactly("blocks.0.attn.hook_pattern");
        assertThat(c.contains("pattern0")).isTrue();
    }

    @Test
    void aCacheBuiltWithoutAGiveBackClosesQuietly() {
        ActivationCache c = cache();
        c.close();
        assertThat(c.isClosed()).isTrue();
        assertThatThrownBy(() -> c.get("embed")).isInstanceOf(IllegalStateException.class);
        ActivationCache empty = ActivationCache.empty();
        empty.close();
        assertThat(empty.isClosed()).isTrue();
    }
}
