package dev.lens4j.transformer.train;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CorpusDataTest {

    /** 0, 1, 2, ...: a window's tokens say where it starts. */
    private static int[] counting(int n) {
        int[] s = new int[n];
        for (int i = 0; i < n; i++) {
            s[i] = i;
        }
        return s;
    }

    @Test
    void windowsAreBosThenConsecutiveTokensAndPredictTheNext() {
        TrainingBatch b = new CorpusData(counting(1000), 5000, 10).next(new SplittableRandom(1), 50);
        for (int r = 0; r < 50; r++) {
            int o = r * 10;
            assertThat(b.tokens()[o]).isEqualTo(5000);
            for (int t = 2; t < 10; t++) {
                assertThat(b.tokens()[o + t]).isEqualTo(b.tokens()[o + t - 1] + 1);
            }
            for (int t = 0; t < 9; t++) {
                assertThat(b.targets()[o + t]).isEqualTo(b.tokens()[o + t + 1]);
            }
            assertThat(b.targets()[o + 9]).isEqualTo(-1);
        }
        assertThat(b.repeated()).doesNotContain(true);
    }

    /** pos 12: BOS, a passage of 5, the same 5, one more token; targets 7..10 are the copy's second to last. */
    @Test
    void everyRepeatEveryThSequenceIsAPassageTwice() {
        TrainingBatch b = new CorpusData(counting(1000), 5000, 12, 3).next(new SplittableRandom(2), 9);
        for (int r = 0; r < 9; r++) {
            int o = r * 12;
            boolean copy = r % 3 == 2;
            for (int t = 1; t <= 5; t++) {
                if (copy) {
                    assertThat(b.tokens()[o + 5 + t]).as("row %d position %d", r, 5 + t).isEqualTo(b.tokens()[o + t]);
                } else {
                    assertThat(b.tokens()[o + 5 + t]).isEqualTo(b.tokens()[o + t] + 5);
                }
            }
            for (int t = 0; t < 12; t++) {
                assertThat(b.repeated()[o + t]).as("row %d position %d", r, t).isEqualTo(copy && t >= 6 && t <= 9);
            }
        }
    }

    @Test
    void heldOutWindowsCoverTheStreamInOrder() {
        List<TrainingBatch> w = CorpusData.windows(counting(100), 7, 11, 4); // 10 windows of 10 tokens
        assertThat(w).hasSize(3);
        assertThat(w.get(2).batch()).isEqualTo(2);
        assertThat(w.get(2).tokenRows()[1]).containsExactly(7, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99);
    }

    @Test
    void badSettingsAreRefusedWithTheirValues() {
        assertThatThrownBy(() -> new CorpusData(counting(5), 0, 10)).hasMessageContaining("at least 9 tokens of text, got 5");
        assertThatThrownBy(() -> new CorpusData(counting(50), 0, 10, -1)).hasMessageContaining("got -1");
    }
}
