package dev.lens4j.examples;

import dev.lens4j.hooks.ActNames;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.testing.LensModel;
import dev.lens4j.transformer.ForwardResult;
import dev.lens4j.transformer.HookedTransformer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Step 2: run the model with a cache and read activations from it, by full hook names or
 * TransformerLens shorthand; recompute an attention pattern from the cached queries and keys.
 */
class RunWithCacheTest {

    static final String TEXT = "apple river stone cloud tree apple river stone cloud tree";

    @LensModel("induction-2l")
    HookedTransformer model;

    @Test
    void cacheLookups() {
        // tag::run-with-cache[]
        int[][] tokens = {model.tokenizer().toTokens(TEXT)};          // [batch 1][pos 11]
        ForwardResult run = model.runWithCache(tokens);               // TransformerLens's run_with_cache
        Tensor logits = run.logits();                                 // [1, 11, 64]
        ActivationCache cache = run.cache();

        Tensor pattern = cache.get("pattern", 0);                     // cache["pattern", 0]: [1, 4, 11, 11]
        assertThat(pattern).isSameAs(cache.get("blocks.0.attn.hook_pattern"));
        assertThat(cache.get("resid_post", -1)).isSameAs(cache.get("blocks.1.hook_resid_post"));
        assertThat(cache.get("q", 0).shape()).containsExactly(1, 11, 4, 16);   // [batch, pos, head_index, d_head]
        assertThat(cache.get("scale").shape()).containsExactly(1, 11, 1);      // ln_final.hook_scale
        assertThat(cache.stack("pattern").shape()).containsExactly(2, 1, 4, 11, 11);
        assertThat(logits.shape()).containsExactly(1, 11, 64);
        // end::run-with-cache[]

        // tag::act-names[]
        assertThat(ActNames.of("pattern", 0)).isEqualTo("blocks.0.attn.hook_pattern");   // utils.get_act_name
        assertThat(ActNames.of("k", 1, "a")).isEqualTo("blocks.1.attn.hook_k");
        assertThat(ActNames.of("scale0ln1")).isEqualTo("blocks.0.ln1.hook_scale");
        assertThat(ActNames.of("resid_pre", 1)).isEqualTo("blocks.1.hook_resid_pre");
        // end::act-names[]
    }

    @Test
    void aFilteredCacheHoldsOnlyWhatItWasAskedFor() {
        int[][] tokens = {model.tokenizer().toTokens(TEXT)};
        // tag::cache-filter[]
        ActivationCache patterns = model.runWithCache(tokens, name -> name.endsWith("hook_pattern")).cache();
        assertThat(patterns.names()).containsExactly("blocks.0.attn.hook_pattern", "blocks.1.attn.hook_pattern");
        assertThatThrownBy(() -> patterns.get("q", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("activation cache has no 'blocks.0.attn.hook_q'");
        // end::cache-filter[]
        // tag::remove-batch-dim[]
        ActivationCache one = patterns.removeBatchDim();              // remove_batch_dim(): [n_heads, pos, pos]
        assertThat(one.get("pattern", 1).shape()).containsExactly(4, 11, 11);
        // end::remove-batch-dim[]
    }

    @Test
    void whatACacheCosts() {
        int[][] tokens = dev.lens4j.analysis.heads.RepeatedTokens.forModel(model).tokens();   // [16][47]
        // tag::cache-memory[]
        ActivationCache all = model.runWithCache(tokens).cache();
        ActivationCache patterns = model.runWithCache(tokens, name -> name.endsWith("hook_pattern")).cache();
        long allBytes = 0, patternBytes = 0;
        for (Tensor t : all.asMap().values()) {
            allBytes += 4L * t.size();                             // float32, no views of larger buffers
        }
        for (Tensor t : patterns.asMap().values()) {
            patternBytes += 4L * t.size();
        }
        assertThat(all.size()).isEqualTo(26);
        assertThat(patternBytes).isEqualTo(2 * 16 * 4 * 47 * 47 * 4);    // [n_layers][batch, n_heads, pos, pos] floats
        assertThat(allBytes).isLessThan(6_000_000);                   // 5.9 MB for 16 x 47 tokens
        // end::cache-memory[]
    }

    @Test
    void closingACacheLetsTheNextPassReuseItsArrays() {
        List<String> texts = List.of(TEXT, "tree cloud stone river apple tree cloud stone river apple",
                "stone apple tree river cloud stone apple tree river cloud");
        // tag::cache-close[]
        float[] toPrevious = new float[texts.size()];
        ActivationCache last = null;
        for (int i = 0; i < texts.size(); i++) {
            int[][] tokens = {model.tokenizer().toTokens(texts.get(i))};
            try (ActivationCache cache = model.runWithCache(tokens).cache()) {
                toPrevious[i] = cache.get("pattern", 0).get(0, 1, 6, 5);   // read what you need inside the block
                last = cache;
            }                                                   // closed: the next pass writes into its arrays
        }
        ActivationCache closed = last;
        assertThatThrownBy(() -> closed.get("pattern", 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed ActivationCache");
        // end::cache-close[]
        for (int i = 0; i < texts.size(); i++) {
            int[][] tokens = {model.tokenizer().toTokens(texts.get(i))};
            assertThat(toPrevious[i]).isEqualTo(model.runWithCache(tokens).cache().get("pattern", 0).get(0, 1, 6, 5));
        }
    }

    @Test
    void patternsAreSoftmaxedScaledDotProducts() {
        int[][] tokens = {model.tokenizer().toTokens(TEXT)};
        ActivationCache cache = model.runWithCache(tokens).cache();
        // tag::verify-pattern[]
        Tensor q = cache.get("q", 0).select(0, 0).permute(1, 0, 2);  // [head_index, query_pos, d_head]
        Tensor k = cache.get("k", 0).select(0, 0).permute(1, 2, 0);  // [head_index, d_head, key_pos]
        int pos = tokens[0].length;
        Tensor scores = q.matmul(k).div((float) Math.sqrt(model.config().dHead()));   // [head_index, query_pos, key_pos]
        Tensor mine = scores.maskedFill(Tensor.causalMask(pos, pos), Float.NEGATIVE_INFINITY).softmax(-1);
        assertThat(mine.maxAbsDiff(cache.get("pattern", 0).select(0, 0))).isLessThan(1e-5f);
        // end::verify-pattern[]
        Tensor cachedScores = cache.get("attn_scores", 0).select(0, 0);   // -inf above the diagonal
        Tensor mask = Tensor.causalMask(pos, pos);
        assertThat(cachedScores.maskedFill(mask, 0f).maxAbsDiff(scores.maskedFill(mask, 0f))).isLessThan(1e-4f);
        assertThat(cachedScores.get(0, 0, 1)).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void theResidualStreamIsTheSumOfWhatWasWrittenToIt() {
        int[][] tokens = {model.tokenizer().toTokens(TEXT)};
        ActivationCache cache = model.runWithCache(tokens).cache();
        // tag::residual-sum[]
        Tensor sum = cache.get("embed").add(cache.get("pos_embed"))
                .add(cache.get("attn_out", 0)).add(cache.get("attn_out", 1));
        assertThat(sum.maxAbsDiff(cache.get("resid_post", 1))).isLessThan(1e-5f);
        // end::residual-sum[]
    }
}
