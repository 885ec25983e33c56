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

    /**
     * On the counting stream a window's tokens rise by one, so a copied block shows as the one place
     * where they do not: every third sequence holds one block of 8 to 20 tokens copied to a later place,
     * at varying lengths and distances, and its second to last tokens are marked repeated.
     */
    @Test
    void everyRepeatEveryThSequenceRepeatsABlockAtRandomPlaces() {
        int pos = 41;
        TrainingBatch b = new CorpusData(counting(10_000), 50_000, pos, 3).next(new SplittableRandom(2), 300);
        java.util.Set<Integer> lengths = new java.util.HashSet<>(), distances = new java.util.HashSet<>();
        for (int r = 0; r < 300; r++) {
            int o = r * pos;
            int[] row = java.util.Arrays.copyOfRange(b.tokens(), o, o + pos);
            int dst = -1;
            for (int t = 2; t < pos; t++) {
                if (row[t] != row[t - 1] + 1) {
                    dst = t;
                    break;
                }
            }
            if (r % 3 != 2) {
                assertThat(dst).as("row %d is plain text", r).isEqualTo(-1);
                assertThat(java.util.Arrays.copyOfRange(b.repeated(), o, o + pos)).doesNotContain(true);
                continue;
            }
            assertThat(dst).as("row %d holds a copy", r).isGreaterThan(0);
            int src = row[dst] - row[1] + 1;   // where the copied block starts in the original window
            int n = 0;
            while (dst + n < pos && row[dst + n] == row[src + n]) {
                n++;
            }
            // the copy may run into text that continues it by chance only if the block ended the window
            assertThat(n).as("row %d block length", r).isBetween(CorpusData.MIN_BLOCK, (pos - 1) / 2);
            assertThat(src + n).as("the block precedes its copy").isLessThanOrEqualTo(dst);
            for (int t = 0; t < pos; t++) {
                assertThat(b.repeated()[o + t]).as("row %d position %d", r, t).isEqualTo(t >= dst && t <= dst + n - 2);
            }
            lengths.add(n);
            distances.add(dst - src);
        }
        assertThat(lengths).hasSizeGreaterThan(8);
        assertThat(distances).hasSizeGreaterThan(15);
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
        assertThatThrownBy(() -> new CorpusData(counting(50), 0, 10, -1)).hasMessageContaining("got -1 with 10");
    }
}
