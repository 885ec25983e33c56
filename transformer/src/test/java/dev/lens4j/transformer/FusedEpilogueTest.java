package dev.lens4j.transformer;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Parallel;
import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The forward pass fuses work into the GEMM where nothing can see the difference: the biases start
 * the products ({@link Linear#apply}), and when no hook or cache asks for {@code hook_pre} of a
 * {@code gelu_new} MLP, the bias and {@code gelu_new} are the epilogue of the {@code W_in} product and
 * no {@code hook_pre} array exists. The fused pass must give exactly the bits of the unfused one,
 * which runs whenever {@code hook_pre} is cached, on any thread count.
 */
class FusedEpilogueTest {

    @Test
    void fusedMlpGivesTheUnfusedBitsAndHooksStillSeeHookPre() {
        TransformerConfig c = TransformerConfig.gpt2(2, 64, 4, 40, 97).withModelName("fused");
        int before = Parallel.threads();
        try (HookedTransformer m = RandomModels.model(c, 7)) {
            int[][] tokens = RandomModels.tokens(3, 2, 33, 97); // 66 rows: the GEMM path, not the few-row one
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                Tensor fused = m.forward(tokens);
                ForwardResult unfused = m.runWithCache(tokens, n -> n.endsWith("mlp.hook_pre") || n.endsWith("mlp.hook_post"));
                assertThat(fused.toArray()).as(threads + " threads").containsExactly(unfused.logits().toArray());
                ActivationCache cache = unfused.cache();
                // the cached hook_post is gelu_new(hook_pre), as it was before the fusion
                Tensor pre = cache.get("blocks.1.mlp.hook_pre");
                float[] expected = pre.toArray();
                dev.lens4j.tensor.kernel.KernelProvider.kernels().geluNew(expected, 0, expected, 0, expected.length);
                assertThat(cache.get("blocks.1.mlp.hook_post").toArray()).containsExactly(expected);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }
}
