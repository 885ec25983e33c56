package dev.lens4j.testing;

import dev.lens4j.analysis.circuits.CompositionScores;
import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.PositionalEmbedding;
import org.junit.jupiter.api.Test;

import static dev.lens4j.testing.LensAssertions.assertThatComposition;
import static dev.lens4j.testing.LensAssertions.assertThatHead;
import static dev.lens4j.testing.LensAssertions.assertThatModel;
import static dev.lens4j.testing.LensAssertions.atMost;
import static dev.lens4j.testing.LensAssertions.head;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link LensModel} on Hugging Face folders of other families (the transformer module's tiny random
 * checkpoints with their tokenizers) and the assertions on them: grouped-query attention, rotary
 * positions, RMSNorm, Gemma 2's post norms and local layer. Random weights hold no induction circuit,
 * so the claims that need one fail with their numbers, the others pass, and what a family cannot
 * have (a positional QK circuit without learned positions) is refused with the reason.
 */
class FamilyModelsTest {

    private static final String FAMILIES = "../transformer/src/test/resources/reference/families/";

    @LensModel(dir = FAMILIES + "llama/hf", scope = LensModel.Scope.CLASS)
    HookedTransformer llama;

    @Test
    void aFolderOfAnotherFamilyIsInjectedWithItsTokenizer(@LensModel(dir = FAMILIES + "gemma2/hf", processing = false,
            scope = LensModel.Scope.CLASS) HookedTransformer gemma2) {
        assertThat(llama.config().nKvHeads()).isEqualTo(2);
        assertThat(llama.config().positionalEmbedding()).isEqualTo(PositionalEmbedding.ROTARY);
        assertThat(llama.toTokens("Hello")[0]).isEqualTo(502);                      // <|begin_of_text|>
        assertThat(gemma2.config().useNormalizationBeforeAndAfter()).isTrue();
        assertThat(gemma2.weights().layers().getFirst().ln1PostW()).isNotNull();    // raw: the norms keep their weights
        assertThat(gemma2.toTokens("Hello")[0]).isEqualTo(2);                       // <bos>
    }

    @Test
    void claimsThatNeedACircuitFailWithTheirNumbers() {
        RepeatedTokens probe = RepeatedTokens.forModel(llama);
        assertThat(probe.bos()).isEqualTo(502);
        assertThatThrownBy(() -> assertThatModel(llama).hasHeadWithInductionScoreAbove(0.5))
                .isInstanceOf(AssertionError.class).hasMessageContaining("induction score").hasMessageContaining("L1H");
        assertThatThrownBy(() -> assertThatModel(llama).hasRepeatedHalfLossBelow(1.0))
                .isInstanceOf(AssertionError.class).hasMessageContaining("repeated half");
        assertThatThrownBy(() -> assertThatHead(llama, 1, 2).hasCopyingScoreAbove(0.5)).isInstanceOf(AssertionError.class);
    }

    @Test
    void claimsAboutGroupedHeadsHoldWhereTheyShouldOnRandomWeights() {
        // the heads of a key/value group (L1H0 and L1H1 share one) are scored each on its own pattern
        assertThatHead(llama, 1, 0).hasInductionScoreBelow(0.5);
        assertThatHead(llama, 1, 1).hasInductionScoreBelow(0.5).hasPreviousTokenScoreBelow(0.5);
        assertThatModel(llama).ablating(head(1, 1)).raisesLossBy(atMost(0.5));
        assertThatModel(llama).ablatingHeads(head(1, 0), head(1, 1)).raisesLossBy(atMost(0.5));
        assertThatComposition(llama, CompositionScores.Mode.K).from(0, 0).to(1, 1).hasScoreAbove(0);
    }

    @Test
    void thePositionalQkCircuitOfRotaryPositionsIsRefusedWithTheReason() {
        assertThatThrownBy(() -> assertThatHead(llama, 0, 1).hasPositionalPreviousTokenScoreAbove(0.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("positional previous-token scores are not applicable")
                .hasMessageContaining("rotary positions (positional_embedding_type rotary)")
                .hasMessageContaining("attention patterns' previous-token scores and ablation instead");
    }
}
