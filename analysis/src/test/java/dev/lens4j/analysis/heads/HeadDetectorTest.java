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

    @Test
    void badPatternsAreRefused() {
        assertThatThrownBy(() -> HeadDetector.similarity(Tensor.zeros(3, 3), Tensor.zeros(4, 4), false, false, MUL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[4, 4]").hasMessageContaining("[3, 3]");
        Tensor upper = Tensor.zeros(3, 3);
        upper.set(1f, 0, 2);
        assertThatThrownBy(() -> HeadDetector.similarity(Tensor.zeros(3, 3), upper, false, false, MUL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lower-triangular");
    }
}
