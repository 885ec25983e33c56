package dev.lens4j.report;

import dev.lens4j.analysis.gradients.AttributionGraph;
import dev.lens4j.analysis.gradients.EdgeScores;
import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.transformer.AttentionType;
import dev.lens4j.transformer.TransformerConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The claims' rules on made-up measurements of a 3-layer, 2-head model, for the cases the models of
 * {@link InductionVerdictsTest} do not reach: composition within one layer, a tie at zero, an
 * attribution just below zero, a previous-token head under its bar.
 */
class InductionClaimsTest {

    static final int LAYERS = 3, HEADS = 2;
    static final RepeatedTokens PROBE = new RepeatedTokens(4, 10, 0, 0, 1, 50);

    /** Scores where L0H1 is the previous-token head and L2H0 the only induction head; everything else passes too. */
    static double[][] prev() {
        return new double[][] {{0.1, 0.9}, {0.2, 0.1}, {0.0, 0.0}};
    }

    static double[][] ind() {
        return new double[][] {{0.0, 0.0}, {0.1, 0.2}, {0.95, 0.1}};
    }

    static InductionClaims.Evidence evidence(double[][] prev, double[][] ind, float[] dla, List<String> hooks) {
        return evidence(PROBE, prev, ind, dla, hooks, edges(-1.0, -2.0, -0.3));
    }

    static InductionClaims.Evidence evidence(RepeatedTokens probe, double[][] prev, double[][] ind, float[] dla, List<String> hooks) {
        return evidence(probe, prev, ind, dla, hooks, edges(-1.0, -2.0, -0.3));
    }

    /**
     * EAP-IG scores over the graph of 3 layers of 2 heads: {@code key} on L0H1 -> L2H0's keys, {@code out}
     * on L2H0 -> logits, {@code other} on every other edge.
     */
    static EdgeAttributionStep edges(double key, double out, double other) {
        TransformerConfig cfg = TransformerConfig.builder().nLayers(LAYERS).dModel(8).nHeads(HEADS).dHead(4).attnOnly(true).nCtx(32)
                .dVocab(50).modelName("made-up").build();
        AttributionGraph g = AttributionGraph.of(cfg);
        double[] s = new double[g.sources().size() * g.destinations().size()];
        for (int src = 0; src < g.sources().size(); src++) {
            for (int d = 0; d < g.destinations().size(); d++) {
                s[src * g.destinations().size() + d] = g.isEdge(src, d) ? other : 0;
            }
        }
        s[g.sourceIndex("a0.h1") * g.destinations().size() + g.destinationIndex("a2.h0<k>")] = key;
        s[g.sourceIndex("a2.h0") * g.destinations().size() + g.destinationIndex("logits")] = out;
        return new EdgeAttributionStep(new EdgeScores(g, "EAP-IG (10 steps)", s, -0.5, -3.5, List.of()), null, "");
    }

    static InductionClaims.Evidence evidence(double[][] prev, double[][] ind, float[] dla, List<String> hooks, EdgeAttributionStep edges) {
        return evidence(PROBE, prev, ind, dla, hooks, edges);
    }

    static InductionClaims.Evidence evidence(RepeatedTokens probe, double[][] prev, double[][] ind, float[] dla, List<String> hooks,
                                             EdgeAttributionStep edges) {
        double[] loss = new double[probe.repeatedLossTo()];
        for (int i = 0; i < loss.length; i++) {
            loss[i] = i < probe.repeatedLossFrom() ? 3.9 : 0.3;
        }
        double[][][][] k = new double[LAYERS][HEADS][LAYERS][HEADS];
        for (double[][][] a : k) {
            for (double[][] b : a) {
                for (double[] c : b) {
                    java.util.Arrays.fill(c, 0.3);
                }
            }
        }
        float[] ablation = new float[LAYERS * HEADS];
        ablation[1] = 2f;   // L0H1
        double[][] copying = {{0, 0}, {0, 0}, {0.9, 0.9}};
        double[][] positional = {{0, 0.8}, {0, 0}, {0, 0}};
        double[][] zeros = new double[LAYERS][HEADS];
        return new InductionClaims.Evidence(probe, LossByPosition.of(loss, probe, 50),
                new HeadDetectorScores(prev, zeros, ind, prev, zeros, ind), dla, 0.3f, ablation, 3f, edges,
                new CompositionScores(k, k, k, 0.1), copying, new PositionalQk(positional, null), hooks, 0.48, PatternBars.DEFAULT,
                null);
    }

    static float[] dla(float inductionHead, float others) {
        float[] d = new float[LAYERS * HEADS];
        java.util.Arrays.fill(d, others);
        d[2 * HEADS] = inductionHead; // L2H0
        return d;
    }

    static List<Verdict> verdicts(InductionClaims.Evidence e) {
        return InductionClaims.judge(e).stream().map(Claim::verdict).toList();
    }

    private static final Verdict S = Verdict.SUPPORTED;
    private static final Verdict N = Verdict.NOT_SUPPORTED;
    private static final Verdict A = Verdict.NOT_APPLICABLE;

    /** Before: "over 1 sequences". */
    @Test
    void theLossClaimCountsOneSequenceInTheSingular() {
        RepeatedTokens one = new RepeatedTokens(1, 10, 0, 0, 1, 50);
        assertThat(InductionClaims.judge(evidence(one, prev(), ind(), dla(2f, 0.1f), List.of())).get(2).numbers())
                .contains("tokens 2 to 10 of each copy, over 1 sequence; bar:");
        assertThat(InductionClaims.judge(evidence(prev(), ind(), dla(2f, 0.1f), List.of())).get(2).numbers())
                .contains("tokens 2 to 10 of each copy, over 4 sequences; bar:");
    }

    @Test
    void aCircuitThatClearsEveryBarIsSupportedThroughout() {
        assertThat(verdicts(evidence(prev(), ind(), dla(2f, 0.1f), List.of()))).containsOnly(S);
    }

    /**
     * A sliding window of two tokens leaves each query itself and its predecessor: even attention scores 0.5 on
     * the previous token, so the bar rises halfway to 1 and a head at 0.52 (what a random model's heads score
     * there) is not a previous-token head, while the perfect one (1.0) still is. Causal attention over the
     * probe leaves both bars at 0.5.
     */
    @Test
    void aWindowThatAloneReachesTheBarRaisesIt() {
        RepeatedTokens probe = new RepeatedTokens(4, 10, 0, 0, 1, 50);
        int[][] tokens = probe.tokens();
        java.util.function.Function<int[], dev.lens4j.tensor.Tensor> previous =
                t -> dev.lens4j.analysis.heads.DetectionPatterns.previousToken(t.length);
        java.util.function.Function<int[], dev.lens4j.tensor.Tensor> induction = dev.lens4j.analysis.heads.DetectionPatterns::induction;
        TransformerConfig global = TransformerConfig.builder().nLayers(2).dModel(8).nHeads(2).dHead(4).dMlp(16).nCtx(32).dVocab(50)
                .modelName("global").build();
        PatternBars plain = PatternBars.of(global, tokens, previous, induction, true);
        assertThat(plain).isEqualTo(PatternBars.DEFAULT);
        TransformerConfig windowed = global.toBuilder().useLocalAttn(true)
                .attnTypes(List.of(AttentionType.LOCAL, AttentionType.GLOBAL)).windowSize(2).modelName("windowed").build();
        PatternBars raised = PatternBars.of(windowed, tokens, previous, induction, true);
        assertThat(raised.previousToken()).isCloseTo(0.75, within(1e-6));
        assertThat(raised.previousTokenText()).startsWith("bar 0.75 (raised from 0.5: attention spread evenly within layer 0's "
                + "window of 2 tokens has a previous-token score of 0.50");
        assertThat(raised.induction()).isEqualTo(InductionInvestigation.PATTERN_BAR); // the window hides every earlier copy
        InductionClaims.Evidence e = evidence(prev(), ind(), dla(2f, 0.1f), List.of());
        double[][] weak = new double[LAYERS][HEADS];
        weak[0][1] = 0.52;
        for (double[][] scores : List.of(weak, e.scores().previousToken())) {
            InductionClaims.Evidence w = new InductionClaims.Evidence(e.probe(), e.loss(),
                    new HeadDetectorScores(scores, e.scores().duplicateToken(), e.scores().induction(), scores,
                            e.scores().detectHeadDuplicateToken(), e.scores().detectHeadInduction()),
                    e.dla(), e.baseline(), e.ablation(), e.inductionAblation(), e.edges(), e.composition(), e.copying(),
                    e.positional(), e.hookedPoints(), e.perfectDetectInduction(), raised, null);
            Claim claim = InductionClaims.judge(w).getFirst();
            assertThat(claim.verdict()).as(claim.numbers()).isEqualTo(scores == weak ? N : S);
            assertThat(claim.numbers()).contains("bar 0.75 (raised from 0.5");
        }
    }

    /** On a model whose heads normalise queries and keys, W_Q W_K^T is not what they score with: no K-composition verdict. */
    @Test
    void theKCompositionClaimIsNotApplicableWhenQAndKAreNormalised() {
        InductionClaims.Evidence e = evidence(prev(), ind(), dla(2f, 0.1f), List.of());
        String why = "model m normalises each head's queries and keys (use_qk_norm): ...";
        InductionClaims.Evidence normed = new InductionClaims.Evidence(e.probe(), e.loss(), e.scores(), e.dla(), e.baseline(),
                e.ablation(), e.inductionAblation(), e.edges(), e.composition(), e.copying(), e.positional(), e.hookedPoints(),
                e.perfectDetectInduction(), e.bars(), why);
        Claim k = InductionClaims.judge(normed).stream().filter(c -> c.statement().contains("K-composition")).findFirst().orElseThrow();
        assertThat(k.verdict()).isEqualTo(A);
        assertThat(k.numbers()).startsWith(why).contains("ablating the previous-token head");
        assertThat(InductionClaims.judge(e).stream().filter(c -> c.statement().contains("K-composition")).findFirst().orElseThrow()
                .verdict()).isEqualTo(S);
    }

    @Test
    void thePositionalClaimIsNotApplicableWithoutLearnedPositions() {
        InductionClaims.Evidence e = evidence(prev(), ind(), dla(2f, 0.1f), List.of());
        InductionClaims.Evidence rotary = new InductionClaims.Evidence(e.probe(), e.loss(), e.scores(), e.dla(), e.baseline(),
                e.ablation(), e.inductionAblation(), e.edges(), e.composition(), e.copying(),
                new PositionalQk(null, "model m has rotary positions"), e.hookedPoints(), e.perfectDetectInduction(), e.bars(), null);
        List<Claim> claims = InductionClaims.judge(rotary);
        Claim positional = claims.stream().filter(c -> c.statement().contains("positional embeddings alone")).findFirst().orElseThrow();
        assertThat(positional.verdict()).isEqualTo(A);
        assertThat(positional.numbers()).startsWith("model m has rotary positions").contains("attention pattern and its ablation");
        // the other claims do not depend on positions
        assertThat(claims.subList(0, claims.size() - 1)).extracting(Claim::verdict).containsOnly(S);
    }

    @Test
    void aTieAtZeroIsNotTheLargestAttribution() {
        List<Claim> claims = InductionClaims.judge(evidence(prev(), ind(), dla(0f, 0f), List.of()));
        assertThat(claims.get(3).verdict()).isEqualTo(N);
        assertThat(claims.get(3).numbers()).contains("induction heads L2H0 0.00; largest other head L0H0 0.00");
        // nor is the largest of all heads when every head lowers the correct logit
        assertThat(verdicts(evidence(prev(), ind(), dla(-0.01f, -0.5f), List.of())).get(3)).isEqualTo(N);
    }

    /**
     * The route holds when the previous-token head's edge is the largest into the induction head's keys and
     * the induction head's the largest into the logits, both negative; not when either is beaten or ties,
     * or has the wrong sign; and has no subject when the graph could not be scored.
     */
    @Test
    void theRouteNeedsTheLargestEdgesBothNegative() {
        List<Claim> ok = InductionClaims.judge(evidence(prev(), ind(), dla(2f, 0.1f), List.of(), edges(-1.0, -2.0, -0.3)));
        assertThat(ok.get(6).statement()).isEqualTo("EAP-IG finds the route L0H1 -> induction heads' keys -> logits");
        assertThat(ok.get(6).verdict()).isEqualTo(S);
        assertThat(ok.get(6).numbers()).contains("L0H1 -> keys of L2H0 -1.00 (largest other edge into a key: L1H1 -> L2H0 -0.30)")
                .contains("L2H0 -2.00 -> logits (largest other node: ");
        assertThat(judgeRoute(edges(-0.3, -2.0, -0.3))).as("a tie into the keys").isEqualTo(N);
        assertThat(judgeRoute(edges(-1.0, -0.3, -0.3))).as("a tie into the logits").isEqualTo(N);
        assertThat(judgeRoute(edges(1.0, -2.0, -0.3))).as("a key edge that works against the metric").isEqualTo(N);
        assertThat(judgeRoute(edges(-1.0, 2.0, -0.3))).as("an output edge that works against the metric").isEqualTo(N);
        assertThat(judgeRoute(edges(0, 0, 0))).as("nothing at all").isEqualTo(N);
        List<Claim> refused = InductionClaims.judge(evidence(prev(), ind(), dla(2f, 0.1f), List.of(),
                new EdgeAttributionStep(null, null, "model x shares keys and values between groups of heads")));
        assertThat(refused.get(6).verdict()).isEqualTo(A);
        assertThat(refused.get(6).numbers()).isEqualTo("edge attribution does not apply: model x shares keys and values between groups of heads");
    }

    private static Verdict judgeRoute(EdgeAttributionStep edges) {
        return InductionClaims.judge(evidence(prev(), ind(), dla(2f, 0.1f), List.of(), edges)).get(6).verdict();
    }

    @Test
    void compositionWithinOneLayerIsNotApplicable() {
        // the best previous-token head sits in layer 1, the only induction head too
        double[][] prev = {{0.1, 0.2}, {0.9, 0.1}, {0.0, 0.0}};
        double[][] ind = {{0.0, 0.0}, {0.1, 0.95}, {0.1, 0.1}};
        List<Claim> claims = InductionClaims.judge(evidence(prev, ind, dla(0.1f, 0.1f), List.of()));
        assertThat(claims.get(0).statement()).isEqualTo("L1H0 is a previous-token head");
        assertThat(claims.get(7).verdict()).isEqualTo(A);
        assertThat(claims.get(7).numbers()).contains("no induction head is in a layer after L1H0's; not L1H1, in L1H0's layer");
        // nor can L1H0's output reach the keys of a head in its own layer
        assertThat(claims.get(6).verdict()).isEqualTo(A);
        assertThat(claims.get(6).numbers()).isEqualTo("no induction head is in a layer after L1H0's, where its output could reach their keys");
    }

    @Test
    void withoutAPreviousTokenHeadItsClaimsAreNotApplicable() {
        double[][] weak = {{0.1, 0.45}, {0.2, 0.1}, {0.0, 0.0}};
        List<Verdict> v = verdicts(evidence(weak, ind(), dla(2f, 0.1f), List.of()));
        // the previous-token head misses its bar; ablating it, its route, its K-composition and its positional score have no subject
        assertThat(v).containsExactly(N, S, S, S, S, A, A, A, S, A);
    }

    @Test
    void hooksOnTheModelMakeTheWeightLevelClaimsNotApplicable() {
        List<Claim> claims = InductionClaims.judge(evidence(prev(), ind(), dla(2f, 0.1f), List.of("blocks.2.attn.hook_z")));
        assertThat(claims.stream().map(Claim::verdict).toList()).containsExactly(S, S, S, S, S, S, S, A, A, A);
        assertThat(claims.get(9).numbers()).isEqualTo("the model runs with hooks of its own on blocks.2.attn.hook_z, which change "
                + "what it computes in ways its weights do not show");
    }
}
