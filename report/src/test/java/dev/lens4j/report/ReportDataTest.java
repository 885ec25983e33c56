package dev.lens4j.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ReportDataTest {

    static final ModelSummary MODEL = new ModelSummary("m", "word", 100, 2, 3, 16, 4, 1000, true);

    @Test
    void headLabelsParseAndPrint() {
        assertThat(HeadId.parse("L1H3")).isEqualTo(new HeadId(1, 3));
        assertThat(new HeadId(11, 0).label()).isEqualTo("L11H0");
        assertThat(HeadId.isLabel("embed")).isFalse();
        assertThatThrownBy(() -> HeadId.parse("H3L1")).hasMessageContaining("H3L1");
    }

    @Test
    void lossHalfMeansAreComputedFromPositions() {
        LossByPosition l = LossByPosition.of(new double[] {4, 6, 1, 2, 3}, 2, 100, 8);
        assertThat(l.firstHalfMean()).isEqualTo(5.0);
        assertThat(l.repeatedHalfMean()).isEqualTo(2.0);
        assertThat(l.lnVocab()).isCloseTo(4.605170, within(1e-6));
        assertThatThrownBy(() -> LossByPosition.of(new double[] {1, 2}, 2, 100, 1)).hasMessageContaining("(0, 2)");
    }

    @Test
    void sectionShapesMustMatchTheModel() {
        double[][] wrong = new double[2][4];
        assertThatThrownBy(() -> ReportData.builder("t", MODEL).headScores(new HeadDetectorScores(wrong, wrong, wrong)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("previous-token scores row 0 has 4 entries; expected [2, 3]");
        var pattern = new AttentionPatterns.HeadPattern(new HeadId(2, 0), new double[][] {{1}});
        assertThatThrownBy(() -> ReportData.builder("t", MODEL)
                .attention(new AttentionPatterns("", List.of("a"), List.of(pattern))).build())
                .hasMessageContaining("L2H0").hasMessageContaining("2 layers of 3 heads");
    }

    @Test
    void patternsMustMatchTheTokens() {
        var pattern = new AttentionPatterns.HeadPattern(new HeadId(0, 0), new double[][] {{1, 0}, {0.5, 0.5}});
        assertThatThrownBy(() -> new AttentionPatterns("", List.of("a", "b", "c"), List.of(pattern)))
                .hasMessageContaining("[2, 2] but there are 3 tokens");
        assertThatThrownBy(() -> new AttentionPatterns.HeadPattern(new HeadId(0, 0), new double[][] {{1, 0}}))
                .hasMessageContaining("expected [1, 1]");
    }

    @Test
    void topHeadsComeFromTheDetectorScores() {
        ReportData data = FakeReports.induction();
        assertThat(data.headScores().topPreviousToken()).isEqualTo(FakeReports.PREV);
        assertThat(data.headScores().topInduction()).isEqualTo(FakeReports.INDUCTION);
        assertThat(data.headScores().previousTokenHead()).isEqualTo(FakeReports.PREV);
        assertThat(data.headScores().inductionHead()).isEqualTo(FakeReports.INDUCTION);
        assertThat(data.headScores().topDuplicateToken()).isEqualTo(FakeReports.DUP);
        assertThat(ReportWriter.keyHeads(data)).containsExactly(FakeReports.PREV, FakeReports.INDUCTION);
    }

    @Test
    void detectedHeadsFollowTheCircuitsLayerOrder() {
        // 3 layers of 3 heads. The best previous-token score sits in the last layer, which cannot feed a
        // later one, and the best induction score in layer 0, which has no earlier head to read: both are skipped.
        double[][] prev = {{0.1, 0.7, 0.2}, {0.6, 0.1, 0.0}, {0.9, 0.0, 0.0}};
        double[][] dup = new double[3][3];
        double[][] ind = {{0.95, 0.0, 0.0}, {0.2, 0.5, 0.1}, {0.0, 0.3, 0.8}};
        HeadDetectorScores s = new HeadDetectorScores(prev, dup, ind);
        assertThat(s.previousTokenHead()).isEqualTo(new HeadId(0, 1));
        assertThat(s.topPreviousToken()).isEqualTo(new HeadId(2, 0));
        assertThat(s.inductionHead()).isEqualTo(new HeadId(2, 2));
        assertThat(s.topInduction()).isEqualTo(new HeadId(0, 0));
        // every head after layer 0 at or above the bar (0.5 counts), layer-major; the best one alone when none is
        assertThat(s.inductionHeads(0.5)).containsExactly(new HeadId(1, 1), new HeadId(2, 2));
        assertThat(s.inductionHeads(0.9)).containsExactly(new HeadId(2, 2));
        // a one-layer model: its only layer serves for both
        HeadDetectorScores one = new HeadDetectorScores(new double[][] {{0.2, 0.6}}, new double[1][2], new double[][] {{0.7, 0.1}});
        assertThat(one.previousTokenHead()).isEqualTo(new HeadId(0, 1));
        assertThat(one.inductionHeads(0.5)).containsExactly(new HeadId(0, 0));
        HeadDetectorScores none = new HeadDetectorScores(new double[0][0], new double[0][0], new double[0][0]);
        assertThatThrownBy(none::previousTokenHead).isInstanceOf(IllegalStateException.class).hasMessageContaining("no heads");
        assertThatThrownBy(none::topInduction).isInstanceOf(IllegalStateException.class).hasMessageContaining("no heads");
        // the range the investigation's "next best" previous-token head is also taken from
        assertThat(s.previousTokenLayerEnd()).isEqualTo(2);
        assertThat(one.previousTokenLayerEnd()).isEqualTo(1);
    }

    @Test
    void verdictsAndTiersReadBackFromText() {
        for (Verdict v : Verdict.values()) {
            assertThat(Verdict.fromText(v.text())).isEqualTo(v);
        }
        for (EvidenceTier t : EvidenceTier.values()) {
            assertThat(EvidenceTier.fromText(t.text())).isEqualTo(t);
        }
        assertThat(EvidenceTier.WEIGHT.text()).isEqualTo("weight-level evidence");
        assertThatThrownBy(() -> Verdict.fromText("maybe")).hasMessageContaining("maybe");
    }
}
