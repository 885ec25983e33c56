package dev.lens4j.testing;

import dev.lens4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ComponentScoresTest {

    static final ComponentScores DLA = ComponentScores.of("direct logit attribution on the repeated half", "",
            List.of("L1H0", "L1H1", "L1H2", "L1H3", "embed"), new float[] {4.02f, 1.0f, 2.31f, 3.15f, 0.5f});

    @Test
    void ranksHighestFirst() {
        assertThat(DLA.rank("L1H0")).isEqualTo(1);
        assertThat(DLA.rank("L1H3")).isEqualTo(2);
        assertThat(DLA.rank("L1H2")).isEqualTo(3);
        assertThat(DLA.rank("embed")).isEqualTo(5);
        assertThat(DLA.top(3)).extracting(ComponentScores.Score::label).containsExactly("L1H0", "L1H3", "L1H2");
        assertThat(DLA.top(3).get(2)).isEqualTo(new ComponentScores.Score("L1H2", 2.31f, 3));
        assertThat(DLA.top(10)).hasSize(5);
        assertThat(DLA.heads().labels()).containsExactly("L1H0", "L1H1", "L1H2", "L1H3");
    }

    @Test
    void tiesShareTheBetterRankAndNaNRanksLast() {
        ComponentScores s = ComponentScores.of("score", "", List.of("a", "b", "c", "d"), new float[] {1f, Float.NaN, 2f, 2f});
        assertThat(s.rank("c")).isEqualTo(1);
        assertThat(s.rank("d")).isEqualTo(1);
        assertThat(s.rank("a")).isEqualTo(3);
        assertThat(s.rank("b")).isEqualTo(4);
        assertThat(s.ranked()).extracting(ComponentScores.Score::label).containsExactly("c", "d", "a", "b");
    }

    @Test
    void headScoresAreLabelledLayerMajor() {
        ComponentScores s = ComponentScores.ofHeads("induction score", "on something", Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 2, 3));
        assertThat(s.labels()).containsExactly("L0H0", "L0H1", "L0H2", "L1H0", "L1H1", "L1H2");
        assertThat(s.value(1, 2)).isEqualTo(5f);
        assertThat(s.toString()).isEqualTo("induction score: L1H2 5.00, L1H1 4.00, L1H0 3.00, L0H2 2.00, L0H1 1.00, ... (6 components)");
    }

    @Test
    void describesTheTopAndWhereTheSubjectIs() {
        assertThat(DLA.describeTop("L1H2", 3, Messages::num)).isEqualTo("L1H0 4.02, L1H3 3.15, L1H2 2.31");
        assertThat(DLA.describeTop("embed", 2, Messages::num)).isEqualTo("L1H0 4.02, L1H3 3.15, ..., embed 0.500 (5th)");
        assertThat(DLA.describeTop(null, 2, Messages::signed)).isEqualTo("L1H0 +4.02, L1H3 +3.15");
    }

    @Test
    void badInputIsNamed() {
        assertThatThrownBy(() -> DLA.value("L9H9")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no component 'L9H9' among the 5 scored by direct logit attribution on the repeated half: "
                        + "[L1H0, L1H1, L1H2, L1H3, embed]");
        assertThatThrownBy(() -> ComponentScores.of("x", "", List.of("a", "a"), new float[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a' is null or appears twice");
        assertThatThrownBy(() -> ComponentScores.of("x", "", List.of("a"), new float[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("component scores need one value per label, got 1 labels and 2 values");
        assertThatThrownBy(() -> ComponentScores.ofHeads("x", "", Tensor.zeros(3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("head scores must be [n_layers, n_heads], got [3]");
    }
}
