package dev.lens4j.transformer.train;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InductionDataTest {

    @Test
    void everySequenceHoldsOneCopiedBlockAtRandomPlaces() {
        int pos = 48, n = 16;
        InductionData data = new InductionData(64, 0, pos, n, n, false);
        TrainingBatch batch = data.next(new SplittableRandom(3), 400);
        boolean[] srcSeen = new boolean[pos];
        boolean[] gapSeen = new boolean[pos];
        for (int b = 0; b < batch.batch(); b++) {
            int o = b * pos;
            assertThat(batch.tokens()[o]).isZero();
            int first = -1, count = 0;
            for (int t = 0; t < pos; t++) {
                if (t > 0) {
                    assertThat(batch.tokens()[o + t]).isBetween(1, 63);
                }
                assertThat(batch.targets()[o + t]).isEqualTo(t + 1 < pos ? batch.tokens()[o + t + 1] : -1);
                if (batch.repeated()[o + t]) {
                    first = first < 0 ? t : first;
                    count++;
                }
            }
            // repeated targets are one run of n - 1 positions: dst .. dst + n - 2 predicting dst + 1 .. dst + n - 1
            assertThat(count).isEqualTo(n - 1);
            int dst = first;
            for (int t = dst; t <= dst + n - 2; t++) {
                assertThat(batch.repeated()[o + t]).isTrue();
            }
            // the block at dst is a copy of an earlier, non-overlapping block
            int src = -1;
            for (int s = 1; s + n <= dst && src < 0; s++) {
                boolean same = true;
                for (int k = 0; k < n && same; k++) {
                    same = batch.tokens()[o + s + k] == batch.tokens()[o + dst + k];
                }
                src = same ? s : -1;
            }
            assertThat(src).as("sequence %d has a copy at %d of an earlier block", b, dst).isPositive();
            srcSeen[src] = true;
            gapSeen[dst - src] = true;
        }
        // starts and offsets vary over their whole range (1 <= src, src + n <= dst <= pos - n)
        for (int s = 1; s <= pos - 2 * n; s++) {
            assertThat(srcSeen[s]).as("source start %d", s).isTrue();
        }
        for (int g = n; g <= pos - 1 - n; g++) {
            assertThat(gapSeen[g]).as("offset %d", g).isTrue();
        }
    }

    @Test
    void distinctTokensRecurOnlyInsideTheCopy() {
        int pos = 48;
        InductionData data = new InductionData(64, 0, pos, 4, 23, true);
        TrainingBatch batch = data.next(new SplittableRandom(4), 200);
        for (int b = 0; b < batch.batch(); b++) {
            int o = b * pos;
            int[] seen = new int[64];
            int dst = -1, n = 1;
            for (int t = 0; t < pos; t++) {
                if (batch.repeated()[o + t]) {
                    dst = dst < 0 ? t : dst;
                    n++;
                }
            }
            for (int t = 0; t < pos; t++) {
                if (t < dst || t >= dst + n) {
                    seen[batch.tokens()[o + t]]++;
                }
            }
            for (int id = 0; id < 64; id++) {
                assertThat(seen[id]).as("sequence %d, token %d outside the copy", b, id).isLessThanOrEqualTo(1);
            }
        }
        assertThatThrownBy(() -> new InductionData(20, 0, 48, 4, 23, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("distinct tokens");
    }

    @Test
    void sameSeedSameBatches() {
        InductionData data = new InductionData(64, 0, 48, 4, 23, false);
        TrainingBatch a = data.next(new SplittableRandom(9), 8);
        TrainingBatch b = data.next(new SplittableRandom(9), 8);
        assertThat(a.tokens()).isEqualTo(b.tokens());
        assertThat(a.repeated()).isEqualTo(b.repeated());
    }

    @Test
    void repeatedSequencesAreBosThenTheSameHalfTwice() {
        InductionData data = new InductionData(64, 5, 48, 16, 16, true);
        TrainingBatch r = data.repeatedSequences(new SplittableRandom(1), 3, 10);
        assertThat(r.pos()).isEqualTo(21);
        for (int b = 0; b < 3; b++) {
            int o = b * 21;
            assertThat(r.tokens()[o]).isEqualTo(5);
            for (int t = 1; t <= 10; t++) {
                assertThat(r.tokens()[o + t]).isNotEqualTo(5).isEqualTo(r.tokens()[o + t + 10]);
            }
            for (int t = 0; t < 21; t++) {
                assertThat(r.repeated()[o + t]).isEqualTo(t >= 11 && t <= 19);
            }
        }
    }

    @Test
    void rejectsBlocksThatDoNotFitTwice() {
        assertThatThrownBy(() -> new InductionData(64, 0, 48, 4, 24, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBlock 24");
    }
}
