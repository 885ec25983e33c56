package dev.lens4j.analysis.induction;

import dev.lens4j.analysis.attribution.RandomModels;
import dev.lens4j.analysis.heads.InductionEvals;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.train.WordTokenizer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code InductionEvals.repeatedTokens(model, seqLen, batch)}: ARENA's {@code generate_repeated_tokens} argument order. */
class RepeatedTokensArenaOrderTest {

    @Test
    void bosThenABlockThenTheSameBlockFromTheWholeVocabularyButBos() {
        TransformerConfig cfg = RandomModels.config(1, 16, 2, 4, 0, 16, 64, true, "LNPre");
        try (HookedTransformer m = HookedTransformer.of(cfg, RandomModels.weights(cfg, 3), WordTokenizer.induction(), null)) {
            int[][] rep = InductionEvals.repeatedTokens(m, 10, 4);
            assertThat(rep).hasDimensions(4, 21);
            for (int[] row : rep) {
                assertThat(row[0]).isZero();                             // the word tokenizer's BOS
                for (int i = 1; i <= 10; i++) {
                    assertThat(row[10 + i]).isEqualTo(row[i]);
                    assertThat(row[i]).isBetween(1, 63);
                }
            }
            assertThat(InductionEvals.repeatedTokens(m, 10, 4)).as("seed 0 every time").isDeepEqualTo(rep);
            assertThat(rep).isDeepEqualTo(InductionEvals.repeatedTokens(4, 10, 0, 0, 64, 0));
            assertThat(InductionEvals.repeatedTokens(m, 10, 4, 1)).isNotEqualTo(rep);
        }
        try (HookedTransformer noTokenizer = HookedTransformer.of(cfg, RandomModels.weights(cfg, 3), null, null)) {
            assertThat(InductionEvals.repeatedTokens(noTokenizer, 5, 2)).as("no BOS without a tokenizer").hasDimensions(2, 10);
        }
    }
}
