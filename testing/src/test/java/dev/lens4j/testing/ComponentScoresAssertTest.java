package dev.lens4j.testing;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.lens4j.testing.LensAssertions.assertThatScores;
import static dev.lens4j.testing.LensAssertions.head;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The failure messages of claims about computed scores, on hand-made numbers. */
class ComponentScoresAssertTest {

    static final ComponentScores DLA = ComponentScoresTest.DLA;

    static final ComponentScores INDUCTION = ComponentScores.of("induction score", "mean attention on the induction stripe, on 4 sequences",
            List.of("L0H0", "L0H1", "L1H0", "L1H1", "L1H2", "L1H3"), new float[] {0.021f, 0.0321f, 0.912f, 0.701f, 0.85f, 0.4f});

    @Test
    void passingClaims() {
        assertThatScores(DLA).ranksFirst("L1H0").ranksAmongTop("L1H2", 3).hasValueAbove("L1H3", 3).hasValueBelow("embed", 0.6)
                .hasSomeValueAbove(4);
        assertThatScores(INDUCTION).ranksFirst(head(1, 0)).hasValueAbove(head(1, 2), 0.5).hasValueBelow(head(0, 1), 0.05)
                .ranksAmongTop(head(1, 1), 3);
    }

    @Test
    void ranksFirstFailureNamesTheRankAndTheTop() {
        assertThatThrownBy(() -> assertThatScores(DLA).ranksFirst("L1H2"))
                .isInstanceOf(AssertionError.class)
                .hasMessage("expected L1H2 to rank first by direct logit attribution on the repeated half, but it ranked 3rd with 2.31; "
                        + "top: L1H0 4.02, L1H3 3.15, L1H2 2.31");
    }

    @Test
    void rankFailureOutsideTheTopShowsTheSubjectToo() {
        assertThatThrownBy(() -> assertThatScores(DLA).ranksAmongTop("L1H1", 2))
                .isInstanceOf(AssertionError.class)
                .hasMessage("expected L1H1 to rank among the top 2 by direct logit attribution on the repeated half, but it ranked 4th "
                        + "with 1.00; top: L1H0 4.02, L1H3 3.15, L1H2 2.31, ..., L1H1 1.00 (4th)");
    }

    @Test
    void aTieIsNotTheLargest() {
        // heads that all write nothing: none of them is the largest, though they share rank 1
        ComponentScores silent = ComponentScores.of("direct logit attribution", "", List.of("L1H0", "L1H1", "L1H2"), new float[3]);
        assertThatThrownBy(() -> assertThatScores(silent).ranksFirst("L1H0"))
                .isInstanceOf(AssertionError.class)
                .hasMessage("expected L1H0 to rank first by direct logit attribution, but it tied with L1H1, L1H2 at 0.00 "
                        + "(2 other components as high or higher); top: L1H0 0.00, L1H1 0.00, L1H2 0.00");
        // among the top 3 it is, whatever the ties: only 2 others are as high
        assertThatScores(silent).ranksAmongTop("L1H0", 3);
        assertThatThrownBy(() -> assertThatScores(silent).ranksAmongTop("L1H2", 2)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("tied with L1H0, L1H1 at 0.00");
        ComponentScores nan = ComponentScores.of("copying score", "", List.of("L0H0", "L0H1"), new float[] {Float.NaN, -1f});
        assertThatThrownBy(() -> assertThatScores(nan).ranksFirst("L0H0")).isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("expected L0H0 to rank first by copying score, but it ranked 2nd with NaN");
    }

    @Test
    void aboveFailureSaysWhatWasMeasured() {
        assertThatThrownBy(() -> assertThatScores(INDUCTION).hasValueAbove(head(0, 1), 0.5))
                .isInstanceOf(AssertionError.class)
                .hasMessage("expected the induction score of L0H1 to be above 0.500, but it was 0.0321; "
                        + "top: L1H0 0.912, L1H2 0.850, L1H1 0.701, ..., L0H1 0.0321 (5th)\n"
                        + "(induction score: mean attention on the induction stripe, on 4 sequences)");
    }

    @Test
    void belowFailure() {
        assertThatThrownBy(() -> assertThatScores(INDUCTION).hasValueBelow("L1H2", 0.5))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("expected the induction score of L1H2 to be below 0.500, but it was 0.850; "
                        + "top: L1H0 0.912, L1H2 0.850, L1H1 0.701\n");
    }

    @Test
    void someAboveFailureNamesTheBest() {
        assertThatThrownBy(() -> assertThatScores(INDUCTION).hasSomeValueAbove(0.95))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("expected some component to have an induction score above 0.950, but the highest was L1H0 with 0.912; "
                        + "top: L1H0 0.912, L1H2 0.850, L1H1 0.701\n");
    }

    @Test
    void descriptionsArePrefixed() {
        assertThatThrownBy(() -> assertThatScores(DLA).as("layer 1").ranksFirst("L1H3"))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("[layer 1] expected L1H3 to rank first");
    }
}
