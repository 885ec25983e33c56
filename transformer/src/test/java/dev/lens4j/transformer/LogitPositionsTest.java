package dev.lens4j.transformer;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.loading.FamilyGradientsHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ForwardOptions.Builder#logitPositions}: a pass that computes the logits at chosen positions
 * only gives them the bits of a full pass, NaN elsewhere, every hook point's activation unchanged, and,
 * with a metric that reads only those positions, the same metric and every gradient bit for bit, on
 * every family (Gemma 2's logit soft cap included).
 */
class LogitPositionsTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "gpt_neox", "llama", "gemma2"})
    void chosenLogitsAndEveryGradientAreTheBitsOfAFullPass(String family) throws Exception {
        try (HookedTransformer m = FamilyGradientsHelper.heapModel(family)) {
            int[][] one = FamilyGradientsHelper.tokens(family);
            int pos = one[0].length, vocab = m.config().dVocab();
            int[][] tokens = {one[0], one[0].clone()};
            tokens[1][0] = (tokens[1][0] + 1) % vocab;        // two different sequences: 2 x pos rows, more than 4
            LogitMetric diff = LogitMetric.logitDifference(new int[] {pos - 1, 1}, new int[] {3, 5}, new int[] {7, 2});
            assertThat(diff.positionsRead(2, pos)).isDeepEqualTo(new int[][] {{pos - 1}, {1}});
            // two rows (the matrix-vector path) and all rows but the last of each sequence (the GEMM's)
            for (LogitMetric metric : new LogitMetric[] {diff, LogitMetric.meanLoss(tokens)}) {
                check(m, tokens, metric, family);
            }
        }
    }

    private static void check(HookedTransformer m, int[][] tokens, LogitMetric diff, String family) {
        {
            int pos = tokens[0].length;
            int[][] read = diff.positionsRead(2, pos);

            ForwardResult full = m.run(tokens, ForwardOptions.builder().cache(n -> true).backward(diff).build());
            ForwardResult part = m.run(tokens, ForwardOptions.builder().cache(n -> true).backward(diff).logitPositions(read).build());
            Tensor a = full.logits(), b = part.logits();
            for (int s = 0; s < 2; s++) {
                for (int t = 0; t < pos; t++) {
                    float[] want = a.select(0, s).select(0, t).toArray(), got = b.select(0, s).select(0, t).toArray();
                    int tt = t;
                    if (java.util.Arrays.stream(read[s]).anyMatch(x -> x == tt)) {
                        assertThat(got).as("logits [" + s + ", " + t + "]").containsExactly(want);
                    } else {
                        assertThat(Float.isNaN(got[0]) && Float.isNaN(got[got.length - 1])).as("logits [" + s + ", " + t + "] not asked for").isTrue();
                    }
                }
            }
            assertThat(part.metric()).isEqualTo(full.metric());
            ActivationCache ca = full.cache(), cb = part.cache();
            assertThat(cb.names()).containsExactlyElementsOf(ca.names());
            for (String k : ca.names()) {
                assertThat(cb.get(k).toArray()).as(family + " " + k).containsExactly(ca.get(k).toArray());
            }
            assertThat(part.inputGradient().toArray()).containsExactly(full.inputGradient().toArray());
        }
    }

    @Test
    void aPassOfFewRowsLeavesTheOthersNaNToo() {
        try (HookedTransformer m = RandomModels.model(RandomModels.small(), 3)) {
            int[][] tokens = RandomModels.tokens(4, 1, 3, 23);
            Tensor full = m.forward(tokens);
            Tensor part = m.run(tokens, ForwardOptions.builder().logitPositions(new int[][] {{2, 0, 2}}).build()).logits();
            assertThat(part.select(0, 0).select(0, 0).toArray()).containsExactly(full.select(0, 0).select(0, 0).toArray());
            assertThat(part.select(0, 0).select(0, 2).toArray()).containsExactly(full.select(0, 0).select(0, 2).toArray());
            assertThat(Float.isNaN(part.get(0, 1, 0))).isTrue();
            Tensor none = m.run(tokens, ForwardOptions.builder().logitPositions(new int[][] {{}}).build()).logits();
            assertThat(Float.isNaN(none.get(0, 2, 5))).isTrue();
        }
    }

    @Test
    void badPositionsAreNamed() {
        try (HookedTransformer m = RandomModels.model(RandomModels.small(), 3)) {
            int[][] tokens = RandomModels.tokens(4, 2, 6, 23);
            assertThatThrownBy(() -> m.run(tokens, ForwardOptions.builder().logitPositions(new int[][] {{5}, {6}}).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logitPositions[1][0] is 6")
                    .hasMessageContaining("[0, 6)");
            assertThatThrownBy(() -> m.run(tokens, ForwardOptions.builder().logitPositions(new int[][] {{5}}).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logitPositions has 1 rows but the batch has 2");
            assertThatThrownBy(() -> m.run(tokens, ForwardOptions.builder().stopAtLayer(1).logitPositions(new int[][] {{5}, {5}}).build()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stopAtLayer");
            assertThatThrownBy(() -> ForwardOptions.builder().logitPositions(new int[][] {{5}, null}).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logitPositions[1] is null");
            assertThatThrownBy(() -> LogitMetric.logitDifference(new int[] {6, 0}, new int[] {1, 1}, new int[] {2, 2}).positionsRead(2, 6))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("position 6 of sequence 0");
            // the same when the metric reads logits: the position or token at fault, not a bare index
            Tensor logits = m.forward(tokens);
            assertThatThrownBy(() -> LogitMetric.logitDifference(new int[] {5, 6}, new int[] {1, 1}, new int[] {2, 2}).value(logits))
                    .hasMessageContaining("position 6 of sequence 1");
            int v = m.config().dVocab();
            assertThatThrownBy(() -> LogitMetric.logitDifference(new int[] {5, 5}, new int[] {1, v}, new int[] {2, 2}).gradient(logits))
                    .hasMessage("logitDifference compares token " + v + " in sequence 1, outside the vocabulary [0, " + v
                            + ") of the logits");
            // positions that leave out one the metric reads: refused, where the metric was NaN without a word
            LogitMetric loss = LogitMetric.meanLoss(tokens);
            assertThatThrownBy(() -> m.run(tokens, ForwardOptions.builder().backward(loss).logitPositions(new int[][] {{0}, {0}})
                    .build())).hasMessage("logitPositions leaves out position 1 of sequence 0, which the metric reads (its logits "
                    + "would be NaN, and so would the metric): give at least metric.positionsRead(2, 6)");
            assertThat(m.run(tokens, ForwardOptions.builder().backward(loss).logitPositions(loss.positionsRead(2, 6)).build())
                    .metric()).isFinite();
        }
    }

    @Test
    void theCrossEntropyReadsThePositionsWithATarget() {
        int[][] tokens = {{1, 2, 3, 4}};
        assertThat(LogitMetric.meanLoss(tokens).positionsRead(1, 4)).isDeepEqualTo(new int[][] {{0, 1, 2}});
        assertThat(LogitMetric.crossEntropy(new int[][] {{-1, 4, -1}}).positionsRead(1, 3)).isDeepEqualTo(new int[][] {{1}});
        assertThat(LogitMetric.meanLoss(tokens).positionsRead(2, 4)).isNull();
    }
}
