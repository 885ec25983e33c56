package dev.lens4j.analysis.heads;

import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static dev.lens4j.analysis.heads.HeadDetector.ErrorMeasure.ABS;
import static dev.lens4j.analysis.heads.HeadDetector.ErrorMeasure.MUL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class HeadDetectorTest {

    @Test
    void detectionPatternsMatchTransformerLensDefinitions() {
        int[] tokens = {50, 7, 8, 7, 8};
        assertThat(DetectionPatterns.previousToken(3).toArray()).containsExactly(0, 0, 0, 1, 0, 0, 0, 1, 0);
        // duplicates: (3, 1) and (4, 2)
        Tensor dup = DetectionPatterns.duplicateToken(tokens);
        assertThat(dup.sum()).isEqualTo(2f);
        assertThat(dup.get(3, 1)).isEqualTo(1f);
        assertThat(dup.get(4, 2)).isEqualTo(1f);
        // induction: shifted one to the right: (3, 2) and (4, 3)
        Tensor ind = DetectionPatterns.induction(tokens);
        assertThat(ind.sum()).isEqualTo(2f);
        assertThat(ind.get(3, 2)).isEqualTo(1f);
        assertThat(ind.get(4, 3)).isEqualTo(1f);
    }

    @Test
    void mulAndAbsScoresOnHandComputedPatterns() {
        // a perfect previous-token head except row 0, which must attend to itself
        int n = 4;
        Tensor a = Tensor.zeros(n, n);
        a.set(1f, 0, 0);
        for (int i = 1; i < n; i++) {
            a.set(1f, i, i - 1);
        }
        Tensor prev = DetectionPatterns.previousToken(n);
        // mul: 3 of the 4 units of attention hit the sub-diagonal
        assertThat(HeadDetector.similarity(a, prev, false, false, MUL)).isCloseTo(0.75f, within(1e-6f));
        // excluding BOS zeroes column 0: row 0 and row 1's attention vanish -> 2 / 2
        assertThat(HeadDetector.similarity(a, prev, true, false, MUL)).isCloseTo(1f, within(1e-6f));
        // abs: sum |A - P| = 1 (entry [0,0]) -> 1 - 1/4
        assertThat(HeadDetector.similarity(a, prev, false, false, ABS)).isCloseTo(0.75f, within(1e-6f));
        // a uniform causal pattern scores the mean of 1/(i+1) over rows 1..3 against their row sums
        Tensor uni = Tensor.zeros(n, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                uni.set(1f / (i + 1), i, j);
            }
        }
        float expected = (1f / 2 + 1f / 3 + 1f / 4) / 4f;
        assertThat(HeadDetector.similarity(uni, prev, false, false, MUL)).isCloseTo(expected, within(1e-6f));
        Tensor stacked = Tensor.stack(0, Tensor.stack(0, a, uni));
        assertThat(HeadDetector.scores(stacked, prev, false, false, MUL).toArray())
                .containsExactly(new float[] {0.75f, expected}, within(1e-6f));
    }

    /**
     * A causal 4 x 4 pattern with exact binary fractions, so every score below is worked out by hand
     * from TransformerLens's {@code compute_head_attention_similarity_score}.
     */
    private static Tensor graded() {
        return Tensor.of(new float[] {
                1f, 0f, 0f, 0f,
                0.5f, 0.5f, 0f, 0f,
                0.25f, 0.25f, 0.5f, 0f,
                0.125f, 0.125f, 0.25f, 0.5f}, 4, 4);
    }

    @Test
    void mulExcludingTheCurrentTokenAsComputedByHand() {
        Tensor a = graded();
        Tensor prev = DetectionPatterns.previousToken(4); // ones at (1,0), (2,1), (3,2)
        // target mass A10 + A21 + A32 = 0.5 + 0.25 + 0.25 = 1; all mass 4
        assertThat(HeadDetector.similarity(a, prev, false, false, MUL)).isCloseTo(0.25f, within(1e-6f));
        // the diagonal (1 + 0.5 + 0.5 + 0.5 = 2.5) leaves the denominator only: 1 / 1.5
        assertThat(HeadDetector.similarity(a, prev, false, true, MUL)).isCloseTo(2f / 3f, within(1e-6f));
        // with BOS too: column 0 (1.875) and the diagonal go, A21 + A31 + A32 = 0.625 remain, 0.5 on target
        assertThat(HeadDetector.similarity(a, prev, true, true, MUL)).isCloseTo(0.8f, within(1e-6f));
        // tokens {bos, 7, 7, 7}: duplicates (2,1), (3,1), (3,2); induction shifts them right to (2,2), (3,2), (3,3),
        // two of them on the diagonal
        Tensor ind = DetectionPatterns.induction(new int[] {0, 7, 7, 7});
        assertThat(ind.toArray()).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1);
        // A22 + A32 + A33 = 1.25 of 4
        assertThat(HeadDetector.similarity(a, ind, false, false, MUL)).isCloseTo(0.3125f, within(1e-6f));
        // excluding the current token removes A22 and A33 from the numerator as well: A32 / 1.5 = 0.25 / 1.5
        assertThat(HeadDetector.similarity(a, ind, false, true, MUL)).isCloseTo(1f / 6f, within(1e-6f));
    }

    @Test
    void absExcludingTheCurrentTokenOrBosAsComputedByHand() {
        Tensor a = graded();
        Tensor prev = DetectionPatterns.previousToken(4);
        // |A - P| rows: [1,0,0,0] [0.5,0.5,0,0] [0.25,0.75,0.5,0] [0.125,0.125,0.75,0.5]: sum 5, 1 - 5/4
        assertThat(HeadDetector.similarity(a, prev, false, false, ABS)).isCloseTo(-0.25f, within(1e-6f));
        // without the diagonal (1 + 0.5 + 0.5 + 0.5): 1 - 2.5/4
        assertThat(HeadDetector.similarity(a, prev, false, true, ABS)).isCloseTo(0.375f, within(1e-6f));
        // without column 0 (1 + 0.5 + 0.25 + 0.125): 1 - round(3.125/4 = 0.78125, 3) = 1 - 0.781; the divisor stays 4
        assertThat(HeadDetector.similarity(a, prev, true, false, ABS)).isCloseTo(0.219f, within(1e-6f));
        // without both (3.375 in all): 1 - round(1.625/4 = 0.40625, 3) = 1 - 0.406
        assertThat(HeadDetector.similarity(a, prev, true, true, ABS)).isCloseTo(0.594f, within(1e-6f));
        // the induction pattern has diagonal targets: |A - P| sums to 4.5 (1 - 1.125); without the diagonal
        // (1 + 0.5 + 0.5 + 0.5) 2 remain: 1 - 0.5
        Tensor ind = DetectionPatterns.induction(new int[] {0, 7, 7, 7});
        assertThat(HeadDetector.similarity(a, ind, false, false, ABS)).isCloseTo(-0.125f, within(1e-6f));
        assertThat(HeadDetector.similarity(a, ind, false, true, ABS)).isCloseTo(0.5f, within(1e-6f));
    }

    @Test
    void absRoundsHalfToEvenAsPythonDoes() {
        // a previous-token head that puts 1/8 of the last row's attention on the current token
        Tensor a = Tensor.of(new float[] {
                1f, 0f, 0f, 0f,
                1f, 0f, 0f, 0f,
                0f, 1f, 0f, 0f,
                0f, 0f, 0.875f, 0.125f}, 4, 4);
        Tensor prev = DetectionPatterns.previousToken(4);
        // excluding BOS leaves |0.875 - 1| + 0.125 = 0.25; 0.25 / 4 = 0.0625 exactly, which Python's round(x, 3)
        // takes to 0.062 (half to even), so TransformerLens reports 0.938, not 0.937
        assertThat(HeadDetector.similarity(a, prev, true, false, ABS)).isCloseTo(0.938f, within(1e-6f));
        // with entry [0,0] (1) too: 1.25 / 4 = 0.3125 -> 0.312 -> 0.688
        assertThat(HeadDetector.similarity(a, prev, false, false, ABS)).isCloseTo(0.688f, within(1e-6f));
    }

    @Test
    void absRefusesANonCausalPattern() {
        Tensor a = Tensor.full(0.25f, 4, 4);
        assertThatThrownBy(() -> HeadDetector.similarity(a, DetectionPatterns.previousToken(4), false, false, ABS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("causal").hasMessageContaining("[0, 1]");
    }

    @Test
    void targetScoreCountsOnlyTheRowsThatHaveATarget() {
        Tensor a = graded();
        // tokens {bos, 7, 7, 7}: induction targets (2,2), (3,2), (3,3); rows 2 and 3 have one, rows 0 and 1 none
        Tensor ind = DetectionPatterns.induction(new int[] {0, 7, 7, 7});
        // rows 2 and 3: A22 + A32 + A33 = 1.25 on target of 2 in all (mul, over all 4 rows: 1.25 / 4)
        assertThat(HeadDetector.targetScore(a, ind, false)).isCloseTo(0.625f, within(1e-6f));
        // without column 0: rows 2 and 3 keep 0.75 + 0.875 = 1.625, the same 1.25 on target
        assertThat(HeadDetector.targetScore(a, ind, true)).isCloseTo(1.25f / 1.625f, within(1e-6f));
        // previous token: rows 1..3 have a target; A10 + A21 + A32 = 1 of 3
        Tensor prev = DetectionPatterns.previousToken(4);
        assertThat(HeadDetector.targetScore(a, prev, false)).isCloseTo(1f / 3f, within(1e-6f));
        // without column 0, row 1's only target (BOS) is gone: rows 2, 3 keep 0.75 + 0.875, A21 + A32 = 0.5 on target
        assertThat(HeadDetector.targetScore(a, prev, true)).isCloseTo(0.5f / 1.625f, within(1e-6f));
    }

    @Test
    void aPerfectHeadScoresOneWhereTheMulScoreCannot() {
        // BOS + 3 random tokens + the same 3: a perfect induction head puts everything on the targets of rows 4..6,
        // and rests on BOS elsewhere. TransformerLens's "mul" gives it n / (2n + 1) = 3 / 7.
        int[] tokens = {0, 5, 9, 2, 5, 9, 2};
        Tensor ind = DetectionPatterns.induction(tokens);
        Tensor a = Tensor.zeros(7, 7);
        for (int q = 0; q < 7; q++) {
            a.set(1f, q, q >= 4 ? q - 2 : 0);
        }
        assertThat(HeadDetector.similarity(a, ind, false, false, MUL)).isCloseTo(3f / 7f, within(1e-6f));
        assertThat(HeadDetector.targetScore(a, ind, false)).isEqualTo(1f);
        assertThat(HeadDetector.targetScore(a, ind, true)).isEqualTo(1f);
        // a head that splits every row evenly between BOS and the target: 0.5 counting BOS, 1 leaving it out
        Tensor half = Tensor.zeros(7, 7);
        for (int q = 0; q < 7; q++) {
            half.set(q >= 4 ? 0.5f : 1f, q, 0);
            if (q >= 4) {
                half.set(0.5f, q, q - 2);
            }
        }
        assertThat(HeadDetector.targetScore(half, ind, false)).isCloseTo(0.5f, within(1e-6f));
        assertThat(HeadDetector.targetScore(half, ind, true)).isEqualTo(1f);
        // a head that rests on BOS everywhere holds no attention outside it: 0, not 0 / 0
        Tensor bos = Tensor.zeros(7, 7);
        for (int q = 0; q < 7; q++) {
            bos.set(1f, q, 0);
        }
        assertThat(HeadDetector.targetScore(bos, ind, true)).isZero();
        // no repeat, no target: NaN
        assertThat(HeadDetector.targetScore(a, DetectionPatterns.induction(new int[] {0, 1, 2, 3, 4, 5, 6}), false)).isNaN();
        Tensor stacked = Tensor.stack(0, Tensor.stack(0, a, half));
        assertThat(HeadDetector.targetScores(stacked, ind, false).toArray()).containsExactly(new float[] {1f, 0.5f}, within(1e-6f));
    }

    @Test
    void badPatternsAreRefused() {
        assertThatThrownBy(() -> HeadDetector.similarity(Tensor.zeros(3, 3), Tensor.zeros(4, 4), false, false, MUL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[4, 4]").hasMessageContaining("[3, 3]");
        Tensor upper = Tensor.zeros(3, 3);
        upper.set(1f, 0, 2);
        assertThatThrownBy(() -> HeadDetector.similarity(Tensor.zeros(3, 3), upper, false, false, MUL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lower-triangular");
        assertThatThrownBy(() -> HeadDetector.targetScore(Tensor.zeros(3, 3), upper, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lower-triangular");
    }
}
