package dev.lens4j.report;

import dev.lens4j.analysis.heads.RepeatedTokens;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

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
        return evidence(PROBE, prev, ind, dla, hooks);
    }

    static InductionClaims.Evidence evidence(RepeatedTokens probe, double[][] prev, double[][] ind, float[] dla, List<String> hooks) {
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
                new HeadDetectorScores(prev, zeros, ind, prev, zeros, ind), dla, 0.3f, ablation, 3f,
                new CompositionScores(k, k, k, 0.1), copying, new PositionalQk(positional, null), hooks, 0.48);
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

    @Test
    void thePositionalClaimIsNotApplicableWithoutLearnedPositions() {
        InductionClaims.Evidence e = evidence(prev(), ind(), dla(2f, 0.1f), List.of());
        InductionClaims.Evidence rotary = new InductionClaims.Evidence(e.probe(), e.loss(), e.scores(), e.dla(), e.baseline(),
                e.ablation(), e.inductionAblation(), e.composition(), e.copying(),
                new PositionalQk(null, "model m has rotary positions"), e.hookedPoints(), e.perfectDetectInduction());
        List<Claim> claims = InductionClaims.judge(rotary);
        Claim positional = claims.getLast();
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

    @Test
    void compositionWithinOneLayerIsNotApplicable() {
        // the best previous-token head sits in layer 1, the only induction head too
        double[][] prev = {{0.1, 0.2}, {0.9, 0.1}, {0.0, 0.0}};
        double[][] ind = {{0.0, 0.0}, {0.1, 0.95}, {0.1, 0.1}};
        List<Claim> claims = InductionClaims.judge(evidence(prev, ind, dla(0.1f, 0.1f), List.of()));
        assertThat(claims.get(0).statement()).isEqualTo("L1H0 is a previous-token head");
        assertThat(claims.get(6).verdict()).isEqualTo(A);
        assertThat(claims.get(6).numbers()).contains("no induction head is in a layer after L1H0's; not L1H1, in L1H0's layer");
    }

    @Test
    void withoutAPreviousTokenHeadItsClaimsAreNotApplicable() {
        double[][] weak = {{0.1, 0.45}, {0.2, 0.1}, {0.0, 0.0}};
        List<Verdict> v = verdicts(evidence(weak, ind(), dla(2f, 0.1f), List.of()));
        // the previous-token head misses its bar; ablating it, its K-composition and its positional score have no subject
        assertThat(v).containsExactly(N, S, S, S, S, A, A, S, A);
    }

    @Test
    void hooksOnTheModelMakeTheWeightLevelClaimsNotApplicable() {
        List<Claim> claims = InductionClaims.judge(evidence(prev(), ind(), dla(2f, 0.1f), List.of("blocks.2.attn.hook_z")));
        assertThat(claims.stream().map(Claim::verdict).toList()).containsExactly(S, S, S, S, S, S, A, A, A);
        assertThat(claims.get(8).numbers()).isEqualTo("the model runs with hooks of its own on blocks.2.attn.hook_z, which change "
                + "what it computes in ways its weights do not show");
    }
}
