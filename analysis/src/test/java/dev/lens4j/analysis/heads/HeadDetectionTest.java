package dev.lens4j.analysis.heads;

import dev.lens4j.analysis.attribution.RandomModels;
import dev.lens4j.hooks.HookHandle;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.TransformerConfig;
import dev.lens4j.transformer.train.WordTokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class HeadDetectionTest {

    static final int V = 64;

    static HookedTransformer model() {
        TransformerConfig cfg = RandomModels.config(2, 16, 3, 4, 0, 16, V, true, "LNPre");
        return HookedTransformer.of(cfg, RandomModels.weights(cfg, 7), WordTokenizer.induction(), null);
    }

    /** Makes head 0.1 attend exactly to the previous token (position 0 to itself). */
    static HookHandle forcePreviousTokenHead(HookedTransformer m) {
        return m.hooks().add("blocks.0.attn.hook_pattern", (p, point) -> {
            Tensor out = p.copy(); // [batch, head, query, key]
            int n = p.dim(2);
            Tensor prev = DetectionPatterns.previousToken(n);
            prev.set(1f, 0, 0);
            for (int b = 0; b < p.dim(0); b++) {
                out.select(0, b).select(0, 1).copyFrom(prev);
            }
            return out;
        });
    }

    @Test
    void scoresAreTheMeanOverSequencesOfEachSequencesScore() {
        try (HookedTransformer m = model()) {
            int[][] seqs = {RandomModels.tokens(1, 9, V, 1)[0], RandomModels.tokens(1, 6, V, 2)[0], RandomModels.tokens(1, 9, V, 3)[0]};
            seqs[1][4] = seqs[1][1]; // a repeat, so the induction pattern is not empty
            for (HeadDetector.ErrorMeasure measure : HeadDetector.ErrorMeasure.values()) {
                Tensor got = HeadDetection.detectHead(m, seqs, "induction_head", true, false, measure);
                Tensor expected = Tensor.zeros(2, 3);
                for (int[] s : seqs) {
                    Tensor patterns = m.runWithCache(new int[][] {s}).cache().stack("pattern").select(1, 0); // [layer, head, q, k]
                    expected = expected.add(HeadDetector.scores(patterns, DetectionPatterns.induction(s), true, false, measure));
                }
                expected = expected.div(3f);
                assertThat(got.shape()).containsExactly(2, 3);
                assertThat(got.maxAbsDiff(expected)).as("%s", measure).isLessThan(1e-6f);
            }
        }
    }

    @Test
    void aPerfectPreviousTokenHeadScoresAsComputedByHand() {
        try (HookedTransformer m = model(); HookHandle _ = forcePreviousTokenHead(m)) {
            int[][] seqs = {RandomModels.tokens(1, 5, V, 4)[0], RandomModels.tokens(1, 8, V, 5)[0]};
            // mul: row 0's attention is off target but counts in the denominator, (n - 1) / n per sequence
            Tensor mul = HeadDetection.detectHead(m, seqs, "previous_token_head", false, false, HeadDetector.ErrorMeasure.MUL);
            assertThat(mul.get(0, 1)).isCloseTo((4f / 5 + 7f / 8) / 2, within(1e-6f));
            // excluding BOS removes row 0's mass and row 1's target alike: (n - 2) / (n - 2)
            Tensor noBos = HeadDetection.detectHead(m, seqs, "previous_token", true, false, HeadDetector.ErrorMeasure.MUL);
            assertThat(noBos.get(0, 1)).isCloseTo(1f, within(1e-6f));
            // abs: sum |A - P| = 1 (row 0), so 1 - round(1 / n, 3)
            Tensor abs = HeadDetection.detectHead(m, seqs, "previous_token_head", false, false, HeadDetector.ErrorMeasure.ABS);
            assertThat(abs.get(0, 1)).isCloseTo((0.8f + 0.875f) / 2, within(1e-6f));
            assertThat(mul.get(0, 0)).isLessThan(0.9f);
        }
    }

    @Test
    void textsAreTokenisedWithBosAndCustomPatternsAreScored() {
        try (HookedTransformer m = model(); HookHandle _ = forcePreviousTokenHead(m)) {
            List<String> texts = List.of("apple river stone", "cloud tree house bread fire");
            int[][] tokens = {m.tokenizer().toTokens(texts.get(0)), m.tokenizer().toTokens(texts.get(1))};
            assertThat(tokens[0][0]).isZero();
            Tensor fromText = HeadDetection.detectHead(m, texts, "duplicate_token_head", false, true, HeadDetector.ErrorMeasure.ABS);
            assertThat(fromText.toArray()).containsExactly(
                    HeadDetection.detectHead(m, tokens, "duplicate_token", false, true, HeadDetector.ErrorMeasure.ABS).toArray());
            Tensor custom = HeadDetection.detectHead(m, tokens, t -> DetectionPatterns.previousToken(t.length), false, false,
                    HeadDetector.ErrorMeasure.MUL);
            assertThat(custom.get(0, 1)).isCloseTo((3f / 4 + 5f / 6) / 2, within(1e-6f));
            Tensor fixed = HeadDetection.detectHead(m, new int[][] {tokens[0]}, DetectionPatterns.previousToken(4), false, false,
                    HeadDetector.ErrorMeasure.MUL);
            assertThat(fixed.get(0, 1)).isCloseTo(3f / 4, within(1e-6f));
        }
    }

    @Test
    void targetScoresAreTheMeanOverSequencesWithATargetAndReadACachedRun() {
        try (HookedTransformer m = model(); HookHandle _ = forcePreviousTokenHead(m)) {
            int[][] seqs = {{0, 5, 6, 7, 5, 6, 7}, {0, 9, 8, 9, 8, 1, 2}, {0, 1, 2, 3, 4, 5, 6}};
            Tensor got = HeadDetection.targetScores(m, seqs, "induction_head", true);
            Tensor patterns = m.runWithCache(seqs).cache().stack("pattern"); // [layer, batch, head, q, k]
            Tensor expected = Tensor.zeros(2, 3);
            for (int b = 0; b < 2; b++) { // the third sequence has no repeat, so no target: left out of the mean
                expected = expected.add(HeadDetector.targetScores(patterns.select(1, b), DetectionPatterns.induction(seqs[b]), true));
            }
            assertThat(got.maxAbsDiff(expected.div(2f))).isLessThan(1e-6f);
            // the cache form reads the same run's patterns without running again
            var cache = m.runWithCache(seqs, n -> n.endsWith("hook_pattern")).cache();
            assertThat(HeadDetection.targetScores(cache, seqs, HeadDetection.pattern("induction"), true).maxAbsDiff(got)).isLessThan(1e-6f);
            assertThat(HeadDetection.detectHead(cache, seqs, HeadDetection.pattern("induction"), false, false, HeadDetector.ErrorMeasure.MUL)
                    .maxAbsDiff(HeadDetection.detectHead(m, seqs, "induction", false, false, HeadDetector.ErrorMeasure.MUL))).isLessThan(1e-6f);
            // the forced previous-token head is perfect on its target rows: 1 (detect_head gives it (n - 1) / n)
            assertThat(HeadDetection.targetScores(m, seqs, "previous_token", false).get(0, 1)).isCloseTo(1f, within(1e-6f));
            // several patterns from one run give each one's scores, bit for bit
            var both = HeadDetection.targetScores(m, seqs, java.util.List.of(new HeadDetection.Target(HeadDetection.pattern("induction"), true),
                    new HeadDetection.Target(HeadDetection.pattern("previous_token"), false)));
            assertThat(both.get(0).toArray()).containsExactly(got.toArray());
            assertThat(both.get(1).toArray()).containsExactly(HeadDetection.targetScores(m, seqs, "previous_token", false).toArray());
            assertThatThrownBy(() -> HeadDetection.targetScores(m, new int[][] {seqs[2]}, "induction", true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no query position of any sequence has a target");
            assertThatThrownBy(() -> HeadDetection.targetScores(cache, new int[][] {seqs[0]}, HeadDetection.pattern("induction"), true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 sequences");
        }
    }

    @Test
    void badInputIsNamed() {
        try (HookedTransformer m = model()) {
            int[][] seqs = {{0, 1, 2}};
            assertThatThrownBy(() -> HeadDetection.detectHead(m, seqs, "copying_head", false, false, HeadDetector.ErrorMeasure.MUL))
                    .hasMessageContaining("unknown detection pattern 'copying_head'");
            assertThatThrownBy(() -> HeadDetection.detectHead(m, seqs, Tensor.zeros(4, 4), false, false, HeadDetector.ErrorMeasure.MUL))
                    .hasMessageContaining("[4, 4], expected [3, 3]");
            assertThatThrownBy(() -> HeadDetection.detectHead(m, new int[0][], "induction", false, false, HeadDetector.ErrorMeasure.MUL))
                    .hasMessageContaining("at least one sequence");
            // a sequence with nothing left to score once BOS (and the current token) are left out: refused, not NaN
            int[][] oneTooShort = {{0, 5, 6, 7, 5, 6, 7}, {0}};
            assertThatThrownBy(() -> HeadDetection.detectHead(m, oneTooShort, "previous_token_head", true, false,
                    HeadDetector.ErrorMeasure.MUL)).hasMessage("sequence 1 has 1 token: detect_head without BOS needs at least 2, "
                    + "or no attention is left to score");
            assertThatThrownBy(() -> HeadDetection.detectHead(m, new int[][] {{0, 5}}, "previous_token_head", true, true,
                    HeadDetector.ErrorMeasure.ABS)).hasMessage("sequence 0 has 2 tokens: detect_head without BOS and without the "
                    + "current token needs at least 3, or no attention is left to score");
            // the shortest sequences that leave something give finite scores
            assertThat(HeadDetection.detectHead(m, new int[][] {{0, 5, 6}}, "previous_token_head", true, true,
                    HeadDetector.ErrorMeasure.MUL).toArray()).doesNotContain(Float.NaN);
            assertThat(HeadDetection.detectHead(m, new int[][] {{0, 5}}, "previous_token_head", true, false,
                    HeadDetector.ErrorMeasure.MUL).toArray()).doesNotContain(Float.NaN);
        }
    }
}
