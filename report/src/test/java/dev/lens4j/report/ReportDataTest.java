package dev.lens4j.report;

import dev.lens4j.transformer.ParameterCount;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ReportDataTest {

    static final ModelSummary MODEL = new ModelSummary("m", "word", 100, 2, 3, 16, 4, new ParameterCount(1000, false), true);

    @Test
    void edgeAttributionNamesOnlyItsGraphsNodesInRankOrder() {
        List<String> src = List.of("input", "L0H0"), dst = List.of("L0H0<q>", "L0H0<k>", "L0H0<v>", "logits");
        EdgeAttributionGraph.Edge a = new EdgeAttributionGraph.Edge("L0H0", "logits", -1, 1);
        EdgeAttributionGraph.Edge b = new EdgeAttributionGraph.Edge("input", "L0H0<k>", 0.5, 3);
        EdgeAttributionGraph g = new EdgeAttributionGraph("EAP-IG, 2 steps", null, null, 0, -1, src, dst, 5, List.of(a, b),
                List.of("L0H0->logits"), List.of());
        assertThat(g.corruption()).isEmpty();
        assertThat(a.name()).isEqualTo("L0H0->logits");
        assertThatThrownBy(() -> new EdgeAttributionGraph("m", "", "", 0, 0, src, dst, 5,
                List.of(new EdgeAttributionGraph.Edge("L1H0", "logits", 1, 1)), List.of(), List.of()))
                .hasMessageContaining("edge L1H0->logits names a node the graph lacks");
        assertThatThrownBy(() -> new EdgeAttributionGraph("m", "", "", 0, 0, src, dst, 5, List.of(b, a), List.of(), List.of()))
                .hasMessageContaining("edge L0H0->logits has rank 1 after rank 3");
        assertThatThrownBy(() -> new EdgeAttributionGraph("m", "", "", 0, 0, src, dst, 5, List.of(a), List.of("input->logits"), List.of()))
                .hasMessageContaining("route edge input->logits is not among the report's edges");
    }

    @Test
    void headLabelsParseAndPrint() {
        assertThat(HeadId.parse("L1H3")).isEqualTo(new HeadId(1, 3));
        assertThat(new HeadId(11, 0).label()).isEqualTo("L11H0");
        assertThat(HeadId.isLabel("embed")).isFalse();
        assertThatThrownBy(() -> HeadId.parse("H3L1")).hasMessageContaining("H3L1");
    }

    @Test
    void lossHalfMeansAreComputedFromPositions() {
        // first half [0, 2), then the boundary entry 2 in neither half, then the repeated half [3, 5)
        LossByPosition l = LossByPosition.of(new double[] {4, 6, 9, 1, 3}, 0, 3, 100, 8);
        assertThat(l.firstHalfMean()).isEqualTo(5.0);
        assertThat(l.repeatedHalfMean()).isEqualTo(2.0);
        assertThat(l.lnVocab()).isCloseTo(4.605170, within(1e-6));
        assertThatThrownBy(() -> LossByPosition.of(new double[] {1, 2, 3}, 1, 2, 100, 1))
                .hasMessageContaining("first half [1, 1)").hasMessageContaining("shape [3]");
        assertThatThrownBy(() -> LossByPosition.of(new double[] {1, 2, 3}, 0, 3, 100, 1)).hasMessageContaining("repeated half [3, 3)");
    }

    @Test
    void lossHalvesAreTheProbesAndEveryEntryNamesItsToken() {
        // BOS + 2 x 4 tokens: entries 0 .. 7 predict tokens 1 .. 8; the first half is entries 1 .. 3 (the first copy's tokens
        // 2 .. 4), the repeated half entries 5 .. 7 (the second copy's tokens 2 .. 4); entries 0 and 4 are in neither
        var probe = new dev.lens4j.analysis.heads.RepeatedTokens(3, 4, 1, 0, 1, 10);
        double[] loss = {9, 1, 2, 3, 9, 0.5, 0.25, 0.75};
        LossByPosition l = LossByPosition.of(loss, probe, 10);
        assertThat(l.firstStart()).isEqualTo(probe.firstHalfLossFrom()).isEqualTo(1);
        assertThat(l.repeatedStart()).isEqualTo(probe.repeatedLossFrom()).isEqualTo(5);
        assertThat(l.firstHalfMean()).isEqualTo(2.0);
        assertThat(l.repeatedHalfMean()).isEqualTo(0.5);
        assertThat(l.sequences()).isEqualTo(3);
        assertThat(l.predicted(0)).isEqualTo("token 1 (the first copy's token 1, in neither half)");
        assertThat(l.predicted(3)).isEqualTo("token 4 (the first copy's token 4, in the first half)");
        assertThat(l.predicted(4)).isEqualTo("token 5 (the second copy's token 1, in neither half)");
        assertThat(l.predicted(5)).isEqualTo("token 6 (the second copy's token 2, in the repeated half)");
        assertThatThrownBy(() -> LossByPosition.of(new double[7], probe, 10)).hasMessageContaining("has 8 entries, got 7");
    }

    @Test
    void sectionShapesMustMatchTheModel() {
        double[][] wrong = new double[2][4];
        assertThatThrownBy(() -> ReportData.builder("t", MODEL).headScores(new HeadDetectorScores(wrong, wrong, wrong, wrong, wrong, wrong))
                        .build())
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
        assertThat(data.headScores().inductionHead()).contains(FakeReports.INDUCTION);
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
        HeadDetectorScores s = new HeadDetectorScores(prev, dup, ind, prev, dup, ind);
        assertThat(s.previousTokenHead()).isEqualTo(new HeadId(0, 1));
        assertThat(s.topPreviousToken()).isEqualTo(new HeadId(2, 0));
        assertThat(s.hasInductionCandidates()).isTrue();
        assertThat(s.inductionHead()).contains(new HeadId(2, 2));
        assertThat(s.topInduction()).isEqualTo(new HeadId(0, 0));
        // every head after layer 0 at or above the bar (0.5 counts), layer-major; none when none reaches it
        assertThat(s.inductionHeads(0.5)).containsExactly(new HeadId(1, 1), new HeadId(2, 2));
        assertThat(s.inductionHeads(0.9)).isEmpty();
        // a one-layer model: its only layer holds the previous-token head, and no induction-head candidate however it scores
        HeadDetectorScores one = new HeadDetectorScores(new double[][] {{0.2, 0.6}}, new double[1][2], new double[][] {{0.99, 0.1}},
                new double[1][2], new double[1][2], new double[1][2]);
        assertThat(one.previousTokenHead()).isEqualTo(new HeadId(0, 1));
        assertThat(one.hasInductionCandidates()).isFalse();
        assertThat(one.inductionHead()).isEmpty();
        assertThat(one.inductionHeads(0.5)).isEmpty();
        double[][] empty = new double[0][0];
        HeadDetectorScores none = new HeadDetectorScores(empty, empty, empty, empty, empty, empty);
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
