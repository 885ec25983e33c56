package dev.lens4j.transformer;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.hooks.Hook;
import dev.lens4j.hooks.HookHandle;
import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The cache estimate equals the bytes a real cache holds, and a cache that cannot fit in the heap is
 * refused before the pass starts, with the estimate, the limit and what to change.
 */
class CacheEstimateTest {

    /** Attention-only, 2 layers of 2 heads, d_model 16, a context of 4096 positions. */
    private static final TransformerConfig LONG = TransformerConfig.builder().nLayers(2).dModel(16).nHeads(2).dHead(8).attnOnly(true).nCtx(4096).dVocab(11).normalization(Normalization.LN).modelName("long").build();

    @Test
    void theEstimateIsWhatTheCacheHolds() {
        for (TransformerConfig cfg : new TransformerConfig[] {RandomModels.small(), LONG}) {
            try (HookedTransformer m = RandomModels.model(cfg, 5)) {
                int[][] tokens = RandomModels.tokens(1, 3, 7, cfg.dVocab());
                CacheEstimate e = CacheEstimate.of(m, 3, 7, n -> true);
                ActivationCache cache = m.runWithCache(tokens).cache();
                long held = 0;
                for (Tensor t : cache.asMap().values()) {
                    held += 4L * t.size();
                }
                assertThat(e.cacheBytes()).as(cfg.modelName()).isEqualTo(held);
                assertThat(e.hookPoints()).isEqualTo(cache.size());
                assertThat(e.logitsBytes()).isEqualTo(4L * 3 * 7 * cfg.dVocab());
            }
        }
        // by hand for the patterns of LONG: 2 layers x [batch 3, 2 heads, 7, 7] floats
        try (HookedTransformer m = RandomModels.model(LONG, 5)) {
            CacheEstimate p = CacheEstimate.of(m, 3, 7, n -> n.endsWith("hook_pattern"));
            assertThat(p.cacheBytes()).isEqualTo(2L * 3 * 2 * 7 * 7 * 4);
            assertThat(p.largest()).isEqualTo("blocks.0.attn.hook_pattern");
            assertThat(p.largestBytes()).isEqualTo(3L * 2 * 7 * 7 * 4);
        }
    }

    /** Before: the pass ran and died with an OutOfMemoryError once the patterns filled the heap. */
    @Test
    void aCacheThatCannotFitIsRefusedBeforeThePassRuns() {
        try (HookedTransformer m = RandomModels.model(LONG, 5)) {
            long perSequence = 2L * 2 * 4096 * 4096 * 4;           // the patterns of 2 layers of 2 heads: 256 MB
            int batch = (int) (Runtime.getRuntime().maxMemory() / perSequence) + 1;
            int[][] tokens = RandomModels.tokens(2, batch, 4096, LONG.dVocab());
            AtomicInteger fired = new AtomicInteger();
            try (HookHandle h = m.hooks().add("hook_embed", Hook.observe(t -> fired.incrementAndGet()))) {
                assertThatThrownBy(() -> m.runWithCache(tokens, n -> n.endsWith("hook_pattern")))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageStartingWith("caching 2 hook points for a batch of " + batch + " x 4096 positions needs about "
                                + CacheEstimate.bytes(batch * perSequence) + " (the largest, blocks.0.attn.hook_pattern, "
                                + CacheEstimate.bytes(batch * perSequence / 2) + "), plus ")
                        .hasMessageContaining("but the JVM's heap limit is " + CacheEstimate.bytes(Runtime.getRuntime().maxMemory()))
                        .hasMessageContaining("cache fewer hook points (a names filter")
                        .hasMessageContaining("run a smaller batch or fewer positions");
            }
            assertThat(fired).as("no pass started").hasValue(0);
        }
    }

    @Test
    void theLimitCountsTheWeightsOnTheHeap() {
        try (HookedTransformer m = RandomModels.model(RandomModels.small(), 5)) {
            CacheEstimate e = CacheEstimate.of(m, 2, 5, n -> true);
            long weights = CacheEstimate.heapWeightBytes(m);
            // at least W_E, W_pos and W_U: heap arrays of the random weights
            assertThat(weights).isGreaterThanOrEqualTo(4L * (23 * 16 + 12 * 16 + 16 * 23));
            long need = e.cacheBytes() + e.logitsBytes();
            e.requireFits(m, need + weights);
            assertThatThrownBy(() -> e.requireFits(m, need + weights - 1)).isInstanceOf(IllegalArgumentException.class);
            e.requireFits(m, Long.MAX_VALUE);
            // a pass of many positions packs the weight matrices: their copies count too
            m.forward(RandomModels.tokens(3, 1, 12, m.config().dVocab()));
            long packed = m.packedWeightBytes();
            assertThat(packed).isPositive();
            e.requireFits(m, need + weights + packed);
            assertThatThrownBy(() -> e.requireFits(m, need + weights + packed - 1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("the weights and their packed copies take " + CacheEstimate.bytes(weights + packed));
        }
        assertThat(CacheEstimate.bytes(80)).isEqualTo("80 bytes");
        assertThat(CacheEstimate.bytes(3 << 20)).isEqualTo("3.0 MB");
        assertThat(CacheEstimate.bytes(11_059_200_000L)).isEqualTo("10.3 GB");
    }
}
