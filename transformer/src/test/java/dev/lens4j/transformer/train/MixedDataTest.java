package dev.lens4j.transformer.train;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MixedDataTest {

    /**
     * A batch is the main source's rows, then the extra source's, each exactly as that source draws them
     * from the same generator in that order; the repeated marks travel with their rows.
     */
    @Test
    void aBatchIsTheMainRowsThenTheExtraRowsAsEachSourceDrawsThem() {
        int[] text = new int[500];
        for (int i = 0; i < text.length; i++) {
            text[i] = 100 + i % 37;
        }
        CorpusData main = new CorpusData(text, 99, 41, 0);
        InductionData extra = new InductionData(64, 0, 41, 8, 20, true);
        TrainingBatch mixed = new MixedData(main, extra, 4, "random").next(new SplittableRandom(3), 12);

        SplittableRandom rng = new SplittableRandom(3);
        TrainingBatch a = main.next(rng, 9);
        TrainingBatch b = extra.next(rng, 3);
        assertThat(mixed.batch()).isEqualTo(12);
        assertThat(Arrays.copyOfRange(mixed.tokens(), 0, 9 * 41)).isEqualTo(a.tokens());
        assertThat(Arrays.copyOfRange(mixed.tokens(), 9 * 41, 12 * 41)).isEqualTo(b.tokens());
        assertThat(Arrays.copyOfRange(mixed.targets(), 9 * 41, 12 * 41)).isEqualTo(b.targets());
        assertThat(Arrays.copyOfRange(mixed.repeated(), 0, 9 * 41)).doesNotContain(true);
        assertThat(Arrays.copyOfRange(mixed.repeated(), 9 * 41, 12 * 41)).isEqualTo(b.repeated()).contains(true);
        assertThat(new MixedData(main, extra, 4, "random").toJsonMap()).containsEntry("mixed_in", "random")
                .containsEntry("mixed_in_every", 4).containsEntry("data", "corpus windows");
    }

    @Test
    void refusesSourcesOfDifferentLengthsAndBatchesWithoutRoom() {
        CorpusData main = new CorpusData(new int[100], 99, 41, 0);
        assertThatThrownBy(() -> new MixedData(main, new InductionData(64, 0, 33, 8, 16, true), 2, "x"))
                .hasMessageContaining("41 and 33");
        assertThatThrownBy(() -> new MixedData(main, main, 1, "x")).hasMessageContaining("at least 2, got 1");
        assertThatThrownBy(() -> new MixedData(main, main, 4, "x").next(new SplittableRandom(1), 3))
                .hasMessageContaining("a batch of 3");
    }
}
