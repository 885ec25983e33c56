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

    /**
     * Every family's folder through the extension and the assertions: injected with its tokenizer, a claim
     * that needs an induction circuit fails with its numbers on random weights, head scores, an ablation
     * and a composition score are measured, and the positional QK claim is measured for learned positions
     * (failing on random weights) and refused with the reason for rotary ones.
     */
    private static void everyAssertionRuns(HookedTransformer m, String family) {
        assertThat(m.hasTokenizer()).as(family).isTrue();
        assertThat(m.toTokens("Hello world")).as(family + ": tokens").hasSizeGreaterThanOrEqualTo(2);
        assertThatThrownBy(() -> assertThatModel(m).hasRepeatedHalfLossBelow(1.0)).as(family)
                .isInstanceOf(AssertionError.class).hasMessageContaining("repeated half");
        assertThatHead(m, 1, 0).hasInductionScoreBelow(0.5).hasPreviousTokenScoreBelow(0.5);
        assertThatModel(m).ablating(head(1, 1)).raisesLossBy(atMost(0.5));
        assertThatComposition(m, CompositionScores.Mode.K).from(0, 0).to(1, 1).hasScoreAbove(0);
        if (m.config().positionalEmbedding() == PositionalEmbedding.ROTARY) {
            assertThatThrownBy(() -> assertThatHead(m, 0, 1).hasPositionalPreviousTokenScoreAbove(0.5)).as(family)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not applicable");
        } else {
            assertThatThrownBy(() -> assertThatHead(m, 0, 1).hasPositionalPreviousTokenScoreAbove(0.5)).as(family)
                    .isInstanceOf(AssertionError.class).hasMessageContaining("positional");
        }
    }

    @Test
    void gpt2(@LensModel(dir = FAMILIES + "gpt2/hf") HookedTransformer m) {
        everyAssertionRuns(m, "gpt2");
    }

    @Test
    void gptNeox(@LensModel(dir = FAMILIES + "gpt_neox/hf") HookedTransformer m) {
        everyAssertionRuns(m, "gpt_neox");
    }

    @Test
    void llamaUntied(@LensModel(dir = FAMILIES + "llama-untied/hf") HookedTransformer m) {
        everyAssertionRuns(m, "llama-untied");
    }

    @Test
    void mistral(@LensModel(dir = FAMILIES + "mistral/hf") HookedTransformer m) {
        everyAssertionRuns(m, "mistral");
    }

    @Test
    void qwen2(@LensModel(dir = FAMILIES + "qwen2/hf") HookedTransformer m) {
        everyAssertionRuns(m, "qwen2");
    }

    @Test
    void qwen3(@LensModel(dir = FAMILIES + "qwen3/hf") HookedTransformer m) {
        everyAssertionRuns(m, "qwen3");
    }

    @Test
    void gemma(@LensModel(dir = FAMILIES + "gemma/hf") HookedTransformer m) {
        everyAssertionRuns(m, "gemma");
    }

    @Test
    void gemma2Processed(@LensModel(dir = FAMILIES + "gemma2/hf") HookedTransformer m) {
        everyAssertionRuns(m, "gemma2");
    }

    @Test
    void phi3(@LensModel(dir = FAMILIES + "phi3/hf") HookedTransformer m) {
        everyAssertionRuns(m, "phi3");
    }

    @Test
    void llamaAsAField() {
        everyAssertionRuns(llama, "llama");
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
