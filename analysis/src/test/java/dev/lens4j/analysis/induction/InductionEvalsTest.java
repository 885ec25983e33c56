package dev.lens4j.analysis.induction;

import dev.lens4j.analysis.attribution.RandomModels;
import dev.lens4j.analysis.heads.InductionEvals;
import dev.lens4j.analysis.interventions.Ablation;
import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Functional;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.train.WordTokenizer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class InductionEvalsTest {

    static final int V = 64, N = 6;

    static HookedTransformer model() {
        TransformerConfig cfg = RandomModels.config(2, 16, 3, 4, 0, 16, V, true, "LNPre");
        return HookedTransformer.of(cfg, RandomModels.weights(cfg, 9), WordTokenizer.induction(), null);
    }

    @Test
    void inductionLossTokensAreTransformerLensStyleBosReplacesTheFirstToken() {
        int[][] t = InductionEvals.inductionLossTokens(3, N, 0, 0, V, 5);
        assertThat(t).hasDimensions(3, 2 * N);
        for (int[] row : t) {
            assertThat(row[0]).isZero();
            for (int i = 1; i < 2 * N; i++) {
                assertThat(row[i]).isBetween(1, V - 1); // never BOS
            }
            for (int i = 1; i < N; i++) {
                assertThat(row[N + i]).isEqualTo(row[i]);
            }
        }
        assertThat(InductionEvals.inductionLossTokens(3, N, 0, 0, V, 5)).isDeepEqualTo(t);
        assertThat(InductionEvals.inductionLossTokens(3, N, 0, 0, V, 6)).isNotEqualTo(t);
        int[][] noBos = InductionEvals.inductionLossTokens(1, N, -1, 100, 110, 1);
        assertThat(java.util.Arrays.stream(noBos[0]).allMatch(x -> x >= 100 && x < 110)).isTrue();
        assertThat(noBos[0][N]).isEqualTo(noBos[0][0]);

        int[][] rep = InductionEvals.repeatedTokens(2, N, 0, 0, V, 5);
        assertThat(rep).hasDimensions(2, 1 + 2 * N);
        for (int[] row : rep) {
            assertThat(row[0]).isZero();
            for (int i = 1; i <= N; i++) {
                assertThat(row[N + i]).isEqualTo(row[i]).isNotZero();
            }
        }
    }

    /** The corrupted twin of a probe: the first copy redrawn token by token, BOS and the second copy kept. */
    @Test
    void theCorruptedTwinRedrawsEveryTokenOfTheFirstCopyOnly() {
        dev.lens4j.analysis.heads.RepeatedTokens probe = new dev.lens4j.analysis.heads.RepeatedTokens(8, N, 3, 0, 0, V);
        int[][] clean = probe.tokens(), corrupted = probe.corruptedTokens();
        assertThat(probe.corruptedTokens()).isDeepEqualTo(corrupted);
        assertThat(corrupted).hasDimensions(8, 1 + 2 * N);
        for (int b = 0; b < 8; b++) {
            assertThat(corrupted[b][0]).isEqualTo(clean[b][0]).isZero();
            for (int i = 1; i <= N; i++) {
                assertThat(corrupted[b][i]).as("sequence %d, position %d", b, i).isNotEqualTo(clean[b][i]).isBetween(1, V - 1);
                assertThat(corrupted[b][N + i]).isEqualTo(clean[b][N + i]);
            }
        }
        assertThatThrownBy(() -> new dev.lens4j.analysis.heads.RepeatedTokens(1, N, 3, 0, 0, 2).corruptedTokens())
                .hasMessageContaining("one token only");
    }

    @Test
    void inductionLossIsTheMeanPerTokenLossOverTheRepeatedHalf() {
        try (HookedTransformer m = model()) {
            int[][] t = InductionEvals.inductionLossTokens(2, N, 0, 0, V, 3);
            Tensor perToken = m.perTokenLoss(t); // [2, 2N - 1]
            double sum = 0;
            int count = 0;
            for (int b = 0; b < 2; b++) {
                for (int c = N + 1; c < 2 * N - 1; c++) { // TransformerLens: correct_log_probs[:, subseq_len + 1:]
                    sum += perToken.get(b, c);
                    count++;
                }
            }
            assertThat(count).isEqualTo(2 * (N - 2));
            assertThat(InductionEvals.inductionLoss(m, t, N)).isCloseTo((float) (sum / count), within(1e-5f));
            assertThat(InductionEvals.inductionLoss(m, 2, N, 3)).isCloseTo((float) (sum / count), within(1e-5f));

            Tensor ablated = Functional.perTokenLoss(m.runWithHooks(t, Ablation.head(1, 2).zero()), t);
            assertThat(InductionEvals.inductionLoss(m, t, N, Ablation.head(1, 2).zero()))
                    .isCloseTo(ablated.slice(1, N + 1, 2 * N - 1).mean(), within(1e-5f));
            assertThatThrownBy(() -> InductionEvals.inductionLoss(m, t, N + 1)).hasMessageContaining("[batch][2 * 7]");
        }
    }

    @Test
    void inductionScoreIsTheMeanAttentionToTheTokenAfterTheEarlierOccurrence() {
        try (HookedTransformer m = model()) {
            int[][] t = InductionEvals.repeatedTokens(2, N, 0, 1, V, 8);
            Tensor scores = InductionEvals.inductionScores(m, t, N);
            ActivationCache cache = m.runWithCache(t).cache();
            for (int l = 0; l < 2; l++) {
                for (int h = 0; h < 3; h++) {
                    double sum = 0;
                    for (int b = 0; b < 2; b++) {
                        for (int q = N + 1; q <= 2 * N; q++) {
                            sum += cache.get("pattern", l).get(b, h, q, q - N + 1);
                        }
                    }
                    assertThat(scores.get(l, h)).isCloseTo((float) (sum / (2 * N)), within(1e-6f));
                }
            }
            assertThatThrownBy(() -> InductionEvals.inductionScores(m, new int[][] {{0, 1, 2, 3}}, 2)).hasMessageContaining("no position repeats");
        }
    }

    @Test
    void inContextLearningScoreNeedsALongContextOrExplicitPositions() {
        try (HookedTransformer m = model()) {
            int[][] t = RandomModels.tokens(2, 16, V, 4);
            assertThatThrownBy(() -> InductionEvals.inContextLearningScore(m, t))
                    .hasMessageContaining("n_ctx 16").hasMessageContaining("inContextLearningScore(model, tokens, late, early)");
            Tensor loss = m.perTokenLoss(t);
            float expected = (loss.get(0, 12) + loss.get(1, 12)) / 2 - (loss.get(0, 3) + loss.get(1, 3)) / 2;
            assertThat(InductionEvals.inContextLearningScore(m, t, 12, 3)).isCloseTo(expected, within(1e-5f));
            assertThatThrownBy(() -> InductionEvals.inContextLearningScore(m, t, 15, 3)).hasMessageContaining("at least 17 tokens");
        }
    }
}
