package dev.lens4j.report;

import dev.lens4j.analysis.gradients.AttributionGraph;
import dev.lens4j.analysis.gradients.EdgeScores;
import dev.lens4j.analysis.heads.RepeatedTokens;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The claims of the induction investigation, judged on its measurements: each with its verdict,
 * its numbers and its bar, written so that a perfect induction circuit reaches every bar and a model
 * without one gets "not supported" or "not applicable", never "supported". The bars are the
 * constants of {@link InductionInvestigation}.
 *
 * <p>Claims about "the induction heads" are about the set {@link HeadDetectorScores#inductionHeads}
 * picks; when it is empty there is nothing to attribute, ablate or analyse, so those claims are not
 * applicable, as are the claims about a previous-token head that the clue does not support. A
 * one-layer model has no induction-head candidate at all. Weight-level claims are not applicable
 * while the model runs with hooks of its own: the hooks change what it computes, which its weights
 * do not show.
 */
final class InductionClaims {

    /**
     * Everything the claims are judged on.
     *
     * @param probe the sequences of the activation-level measurements
     * @param loss loss by position on the probe
     * @param scores head-detector scores on the probe
     * @param dla {@code [n_layers * n_heads]} mean direct logit attribution of each head on the repeated half, layer-major
     * @param baseline repeated-half loss of the model as it runs
     * @param ablation {@code [n_layers * n_heads]} repeated-half loss rise when each head alone is zero-ablated
     * @param inductionAblation repeated-half loss rise when the induction heads are zero-ablated together (NaN when there are none)
     * @param edges the EAP-IG edge scores and the circuits of the largest edges (its scores null when the graph cannot be scored)
     * @param composition Q-, K- and V-composition scores and their random baseline
     * @param copying {@code [n_layers, n_heads]} OV copying scores
     * @param positional positional previous-token scores, or why the model has none (rotary positions)
     * @param hookedPoints the hook points the model's own hooks fire on, empty when it has none
     * @param perfectDetectInduction what TransformerLens's detect_head "mul" gives a perfect induction head on the
     *                               probe's tokens: the mean share of queries that have an induction target
     */
    record Evidence(RepeatedTokens probe, LossByPosition loss, HeadDetectorScores scores, float[] dla, float baseline,
                    float[] ablation, float inductionAblation, EdgeAttributionStep edges, CompositionScores composition,
                    double[][] copying, PositionalQk positional, List<String> hookedPoints, double perfectDetectInduction,
                    PatternBars bars, String qkNotTheScores) {}

    private final Evidence e;
    private final int heads;
    private final HeadId prev;
    private final boolean prevSupported;
    private final List<HeadId> induction;

    private InductionClaims(Evidence e) {
        this.e = e;
        this.heads = e.scores().previousToken()[0].length;
        this.prev = e.scores().previousTokenHead();
        this.prevSupported = at(e.scores().previousToken(), prev) >= e.bars().previousToken();
        this.induction = e.scores().inductionHeads(e.bars().induction());
    }

    /**
     * Judges every claim.
     *
     * @param e the measurements
     * @return the claims, clues first, then activation-level, then weight-level evidence
     */
    static List<Claim> judge(Evidence e) {
        InductionClaims c = new InductionClaims(e);
        return List.of(c.previousTokenHead(), c.inductionHeads(), c.lossCollapses(), c.directLogitAttribution(),
                c.ablatingTheInductionHeads(), c.ablatingThePreviousTokenHead(), c.edgeAttributionRoute(), c.kComposition(), c.copying(),
                c.positional());
    }

    // ------------------------------------------------------------------ clues

    private Claim previousTokenHead() {
        double score = at(e.scores().previousToken(), prev);
        return new Claim(prev.label() + " is a previous-token head", verdict(prevSupported),
                String.format(Locale.ROOT, "previous-token score %.2f, %s: the share of its attention%s on the previous token, "
                                + "over every query that has one; next best %s; TransformerLens detect_head mul %.2f",
                        score, e.bars().previousTokenText(), notBos(), runnerUp(), at(e.scores().detectHeadPreviousToken(), prev)),
                EvidenceTier.CLUE);
    }

    private String runnerUp() {
        double[][] s = e.scores().previousToken();
        HeadId best = null;
        for (int l = 0; l < e.scores().previousTokenLayerEnd(); l++) {
            for (int h = 0; h < heads; h++) {
                HeadId id = new HeadId(l, h);
                if (!id.equals(prev) && (best == null || s[l][h] > at(s, best))) {
                    best = id;
                }
            }
        }
        return best == null ? "none" : String.format(Locale.ROOT, "%s %.2f", best.label(), at(s, best));
    }

    private Claim inductionHeads() {
        String bar = String.format(Locale.ROOT, "%s: the share of attention%s on the token after an earlier copy of the "
                + "current token, over every query that has one", e.bars().inductionText(), notBos());
        if (!e.scores().hasInductionCandidates()) {
            HeadId top = e.scores().topInduction();
            return new Claim("The model has induction heads", Verdict.NOT_APPLICABLE,
                    String.format(Locale.ROOT, "a one-layer model has no induction-head candidate: an induction head's keys read which "
                            + "token came before, which only a head of an earlier layer writes into the residual stream (best score "
                            + "%s %.2f, %s; a head that attends a fixed distance back can reach it on this probe)",
                            top.label(), at(e.scores().induction(), top), bar), EvidenceTier.CLUE);
        }
        if (induction.isEmpty()) {
            HeadId best = e.scores().inductionHead().orElseThrow();
            return new Claim("Some head after layer 0 attends like an induction head", Verdict.NOT_SUPPORTED,
                    String.format(Locale.ROOT, "best induction score %s %.2f (%s); TransformerLens detect_head mul %.2f",
                            best.label(), at(e.scores().induction(), best), bar, at(e.scores().detectHeadInduction(), best)),
                    EvidenceTier.CLUE);
        }
        return new Claim(labels(induction) + (induction.size() == 1 ? " attends like an induction head" : " attend like induction heads"),
                Verdict.SUPPORTED,
                String.format(Locale.ROOT, "induction scores %s (%s); TransformerLens detect_head mul %s (it counts every query, so a "
                                + "perfect induction head scores %.2f on these sequences)",
                        values(induction, e.scores().induction()), bar, values(induction, e.scores().detectHeadInduction()),
                        e.perfectDetectInduction()),
                EvidenceTier.CLUE);
    }

    // ------------------------------------------------------------------ activations

    private Claim lossCollapses() {
        LossByPosition l = e.loss();
        return new Claim("Loss collapses on the repeated half of repeated random tokens",
                verdict(l.repeatedHalfMean() < l.firstHalfMean() - InductionInvestigation.LOSS_DROP_BAR),
                String.format(Locale.ROOT, "first half %.2f nats (ln d_vocab = %.2f), repeated half %.2f nats: the predictions of "
                                + "tokens 2 to %d of each copy, over %s; bar: the repeated half %.1f nat lower",
                        l.firstHalfMean(), l.lnVocab(), l.repeatedHalfMean(), e.probe().halfLength(), Plural.of(l.sequences(), "sequence"),
                        InductionInvestigation.LOSS_DROP_BAR),
                EvidenceTier.ACTIVATION);
    }

    private Claim directLogitAttribution() {
        String statement = "The induction heads write the correct next token directly: their direct logit attributions are "
                + "positive and the largest of all heads";
        if (induction.isEmpty()) {
            return notApplicable(statement, noInductionHeads(), EvidenceTier.ACTIVATION);
        }
        float minInd = Float.POSITIVE_INFINITY;
        float maxOther = Float.NEGATIVE_INFINITY;
        HeadId other = null;
        for (int i = 0; i < e.dla().length; i++) {
            HeadId id = new HeadId(i / heads, i % heads);
            if (induction.contains(id)) {
                minInd = Math.min(minInd, e.dla()[i]);
            } else if (e.dla()[i] > maxOther) {
                maxOther = e.dla()[i];
                other = id;
            }
        }
        // a tie is not "the largest", nor is an attribution of zero: an ablated head ties the others at 0
        boolean supported = minInd > 0 && minInd > maxOther;
        return new Claim(statement, verdict(supported),
                String.format(Locale.ROOT, "induction heads %s; largest other head %s; bar: each induction head above 0 and above every "
                                + "other head (mean over the repeated half, toward the correct next token, after ln_final's scale)",
                        values(induction, e.dla()), other == null ? "none" : String.format(Locale.ROOT, "%s %.2f", other.label(), maxOther)),
                EvidenceTier.ACTIVATION);
    }

    private Claim ablatingTheInductionHeads() {
        String statement = String.format(Locale.ROOT, "Ablating the induction heads breaks induction (repeated-half loss rises by more "
                + "than %.1f nat)", InductionInvestigation.ABLATION_BAR);
        if (induction.isEmpty()) {
            return notApplicable(statement, noInductionHeads(), EvidenceTier.ACTIVATION);
        }
        float rise = e.inductionAblation();
        return new Claim(statement, verdict(rise > InductionInvestigation.ABLATION_BAR),
                String.format(Locale.ROOT, "zero-ablating %s together: loss %.2f -> %.2f nats (%+.2f); one at a time: %s",
                        labels(induction), e.baseline(), e.baseline() + rise, rise, values(induction, e.ablation())),
                EvidenceTier.ACTIVATION);
    }

    private Claim ablatingThePreviousTokenHead() {
        String statement = String.format(Locale.ROOT, "Ablating the previous-token head %s also breaks induction (it feeds the "
                + "induction heads' keys; repeated-half loss rises by more than %.1f nat)", prev.label(), InductionInvestigation.ABLATION_BAR);
        if (!prevSupported) {
            return notApplicable(statement, notAPreviousTokenHead(), EvidenceTier.ACTIVATION);
        }
        if (induction.isEmpty()) {
            return notApplicable(statement, noInductionHeads() + ", so none for it to feed", EvidenceTier.ACTIVATION);
        }
        float rise = e.ablation()[index(prev)];
        return new Claim(statement, verdict(rise > InductionInvestigation.ABLATION_BAR),
                String.format(Locale.ROOT, "repeated-half loss %.2f -> %.2f nats (%+.2f); largest single-head rises: %s",
                        e.baseline(), e.baseline() + rise, rise, top(e.ablation(), 3)),
                EvidenceTier.ACTIVATION);
    }

    /**
     * EAP-IG's route: for every induction head in a layer after the previous-token head, the previous-token
     * head's edge into its keys is the largest edge into them, and its own edge into the logits is larger
     * than that of every node but the induction heads; both negative (corrupting either lowers the
     * repeated half's log-probability). A perfect circuit has no other edge into those keys and no other
     * writer of the logits, so its route clears the bar whatever the scale.
     */
    private Claim edgeAttributionRoute() {
        String statement = "EAP-IG finds the route " + prev.label() + " -> induction heads' keys -> logits";
        EdgeScores s = e.edges().scores();
        if (s == null) {
            return notApplicable(statement, "edge attribution does not apply: " + e.edges().unavailable(), EvidenceTier.ACTIVATION);
        }
        if (!prevSupported) {
            return notApplicable(statement, notAPreviousTokenHead(), EvidenceTier.ACTIVATION);
        }
        if (induction.isEmpty()) {
            return notApplicable(statement, noInductionHeads(), EvidenceTier.ACTIVATION);
        }
        List<HeadId> later = induction.stream().filter(h -> h.layer() > prev.layer()).toList();
        if (later.isEmpty()) {
            return notApplicable(statement, "no induction head is in a layer after " + prev.label() + "'s, where its output could reach "
                    + "their keys", EvidenceTier.ACTIVATION);
        }
        AttributionGraph g = s.graph();
        int from = g.sourceIndex(EdgeAttributionStep.analysisName(prev)), logits = g.destinationIndex("logits");
        boolean supported = true;
        List<String> keys = new ArrayList<>(), outs = new ArrayList<>();
        double otherKey = 0;
        String otherKeyName = "none";
        for (HeadId h : later) {
            int key = g.destinationIndex(EdgeAttributionStep.analysisName(h) + "<k>");
            double k = s.score(from, key);
            double best = 0;
            for (int src = 0; src < g.upstreamEnd(key); src++) {
                double v = s.score(src, key);
                if (src != from && Math.abs(v) >= Math.abs(best)) {
                    best = v;
                    if (Math.abs(v) >= Math.abs(otherKey)) {
                        otherKey = v;
                        otherKeyName = EdgeAttributionStep.reportName(g.sources().get(src)) + " -> " + h.label();
                    }
                }
            }
            double out = s.score(g.sourceIndex(EdgeAttributionStep.analysisName(h)), logits);
            supported &= k < 0 && Math.abs(k) > Math.abs(best) && out < 0;
            keys.add(String.format(Locale.ROOT, "%s %+.2f", h.label(), k));
            outs.add(String.format(Locale.ROOT, "%s %+.2f", h.label(), out));
        }
        double minOut = Double.POSITIVE_INFINITY;
        for (HeadId h : later) {
            minOut = Math.min(minOut, Math.abs(s.score(g.sourceIndex(EdgeAttributionStep.analysisName(h)), logits)));
        }
        double otherOut = 0;
        String otherOutName = "none";
        for (int src = 0; src < g.upstreamEnd(logits); src++) {
            String name = g.sources().get(src);
            boolean isInduction = later.stream().anyMatch(h -> EdgeAttributionStep.analysisName(h).equals(name));
            if (!isInduction && Math.abs(s.score(src, logits)) >= Math.abs(otherOut)) {
                otherOut = s.score(src, logits);
                otherOutName = EdgeAttributionStep.reportName(name);
            }
        }
        // a tie (every edge 0, as when the heads are ablated) is not "the largest"
        supported &= minOut > Math.abs(otherOut);
        return new Claim(statement, verdict(supported),
                String.format(Locale.ROOT, "EAP-IG, %d steps from the probe with its first copy redrawn (repeated-half log-probability "
                                + "%.2f) to the probe (%.2f), over %d edges: %s -> keys of %s (largest other edge into a key: %s %+.2f); "
                                + "%s -> logits (largest other node: %s %+.2f); bar: for each induction head, %s's edge the largest "
                                + "into its keys and its own edge into the logits above every other node's, both negative (corrupting "
                                + "them lowers the log-probability)%s",
                        InductionInvestigation.EAP_IG_STEPS, s.corruptedMetric(), s.cleanMetric(), g.edgeCount(), prev.label(),
                        String.join(", ", keys), otherKeyName, otherKey, String.join(", ", outs), otherOutName, otherOut, prev.label(),
                        circuitNote()),
                EvidenceTier.ACTIVATION);
    }

    /** The smallest reported circuit that recovers most of the metric, or the largest one. */
    private String circuitNote() {
        EdgeAttributionGraph g = e.edges().graph();
        if (g == null || g.circuits().isEmpty()) {
            return "";
        }
        EdgeAttributionGraph.CircuitResult pick = g.circuits().getLast();
        for (EdgeAttributionGraph.CircuitResult c : g.circuits()) {
            if (c.recovered() >= 0.9) {
                pick = c;
                break;
            }
        }
        return String.format(Locale.ROOT, "; the %d largest edges alone recover %.2f of the clean-corrupted difference", pick.topN(),
                pick.recovered());
    }

    // ------------------------------------------------------------------ weights

    private Claim kComposition() {
        String statement = "The induction heads read " + prev.label() + "'s output through their keys (K-composition above the random baseline)";
        if (!e.hookedPoints().isEmpty()) {
            return notApplicable(statement, hooked(), EvidenceTier.WEIGHT);
        }
        if (e.qkNotTheScores() != null) {
            return notApplicable(statement, e.qkNotTheScores() + "; composition scores of W_Q W_K^T say nothing sure about "
                    + "its heads, and the evidence for K-composition is then ablating the previous-token head", EvidenceTier.WEIGHT);
        }
        if (!prevSupported) {
            return notApplicable(statement, notAPreviousTokenHead(), EvidenceTier.WEIGHT);
        }
        if (induction.isEmpty()) {
            return notApplicable(statement, noInductionHeads(), EvidenceTier.WEIGHT);
        }
        List<HeadId> later = induction.stream().filter(h -> h.layer() > prev.layer()).toList();
        List<HeadId> same = induction.stream().filter(h -> h.layer() <= prev.layer()).toList();
        String skipped = same.isEmpty() ? "" : "; not " + labels(same) + ", in " + prev.label() + "'s layer or before it, where "
                + "composition does not exist";
        if (later.isEmpty()) {
            return notApplicable(statement, "composition goes from an earlier layer to a later one, and no induction head is in a "
                    + "layer after " + prev.label() + "'s" + skipped, EvidenceTier.WEIGHT);
        }
        CompositionScores c = e.composition();
        double min = Double.POSITIVE_INFINITY;
        StringBuilder text = new StringBuilder();
        for (HeadId h : later) {
            double k = c.k()[prev.layer()][prev.head()][h.layer()][h.head()];
            min = Math.min(min, k);
            text.append(text.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%s %.3f (Q %.3f, V %.3f)", h.label(), k,
                    c.q()[prev.layer()][prev.head()][h.layer()][h.head()], c.v()[prev.layer()][prev.head()][h.layer()][h.head()]));
        }
        double bar = InductionInvestigation.COMPOSITION_FACTOR * c.baseline();
        return new Claim(statement, verdict(min > bar),
                String.format(Locale.ROOT, "K-composition from %s: %s; bar %.1f x the random baseline %.3f = %.3f, for each head%s",
                        prev.label(), text, InductionInvestigation.COMPOSITION_FACTOR, c.baseline(), bar, skipped),
                EvidenceTier.WEIGHT);
    }

    private Claim copying() {
        String statement = "The induction heads' OV circuits copy the token they attend to";
        if (!e.hookedPoints().isEmpty()) {
            return notApplicable(statement, hooked(), EvidenceTier.WEIGHT);
        }
        if (induction.isEmpty()) {
            return notApplicable(statement, noInductionHeads(), EvidenceTier.WEIGHT);
        }
        double min = Double.POSITIVE_INFINITY;
        for (HeadId h : induction) {
            min = Math.min(min, at(e.copying(), h));
        }
        // NaN (an OV circuit of zero) fails the bar
        return new Claim(statement, verdict(min > InductionInvestigation.COPY_BAR),
                String.format(Locale.ROOT, "copying scores %s (Re(sum eigenvalues) / sum |eigenvalues| of W_E OV W_U; bar %.1f for each head)",
                        values(induction, e.copying()), InductionInvestigation.COPY_BAR),
                EvidenceTier.WEIGHT);
    }

    private Claim positional() {
        String statement = prev.label() + " finds the previous position from positional embeddings alone";
        if (!e.positional().applicable()) {
            return notApplicable(statement, e.positional().notApplicable() + "; the evidence for a previous-token head is then its "
                    + "attention pattern and its ablation, above", EvidenceTier.WEIGHT);
        }
        if (!e.hookedPoints().isEmpty()) {
            return notApplicable(statement, hooked(), EvidenceTier.WEIGHT);
        }
        if (!prevSupported) {
            return notApplicable(statement, notAPreviousTokenHead(), EvidenceTier.WEIGHT);
        }
        double p = at(e.positional().scores(), prev);
        return new Claim(statement, verdict(p >= InductionInvestigation.POSITIONAL_BAR),
                String.format(Locale.ROOT, "mean attention to position i-1 from (W_pos / ln1 scale) QK (W_pos / ln1 scale)^T over the %d "
                        + "positions of the probe: %.2f, bar %.1f", e.probe().length(), p, InductionInvestigation.POSITIONAL_BAR),
                EvidenceTier.WEIGHT);
    }

    // ------------------------------------------------------------------ helpers

    private String notBos() {
        return e.probe().lead() == 1 ? " outside BOS" : "";
    }

    private String noInductionHeads() {
        return e.scores().hasInductionCandidates()
                ? String.format(Locale.ROOT, "no head after layer 0 attends like an induction head (induction score %s or more)",
                        e.bars().inductionNumber())
                : "a one-layer model has no induction head";
    }

    private String notAPreviousTokenHead() {
        return String.format(Locale.ROOT, "%s is not a previous-token head (previous-token score %.2f, under %s)", prev.label(),
                at(e.scores().previousToken(), prev),
                e.bars().previousTokenNumber());
    }

    private String hooked() {
        List<String> points = e.hookedPoints();
        String shown = String.join(", ", points.subList(0, Math.min(4, points.size())))
                + (points.size() > 4 ? " and " + (points.size() - 4) + " more" : "");
        return "the model runs with hooks of its own on " + shown + ", which change what it computes in ways its weights do not show";
    }

    private static Claim notApplicable(String statement, String why, EvidenceTier tier) {
        return new Claim(statement, Verdict.NOT_APPLICABLE, why, tier);
    }

    private int index(HeadId h) {
        return h.layer() * heads + h.head();
    }

    private static double at(double[][] m, HeadId h) {
        return m[h.layer()][h.head()];
    }

    private static String labels(List<HeadId> ids) {
        return String.join(", ", ids.stream().map(HeadId::label).toList());
    }

    private static String values(List<HeadId> ids, double[][] m) {
        return String.join(", ", ids.stream().map(h -> String.format(Locale.ROOT, "%s %.2f", h.label(), at(m, h))).toList());
    }

    private String values(List<HeadId> ids, float[] flat) {
        return String.join(", ", ids.stream().map(h -> String.format(Locale.ROOT, "%s %.2f", h.label(), flat[index(h)])).toList());
    }

    /** The {@code k} largest values with their heads, largest first. */
    private String top(float[] values, int k) {
        Integer[] idx = new Integer[values.length];
        Arrays.setAll(idx, i -> i);
        Arrays.sort(idx, (a, b) -> Float.compare(values[b], values[a]));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.min(k, idx.length); i++) {
            out.add(String.format(Locale.ROOT, "%s %+.2f", new HeadId(idx[i] / heads, idx[i] % heads).label(), values[idx[i]]));
        }
        return String.join(", ", out);
    }

    private static Verdict verdict(boolean supported) {
        return supported ? Verdict.SUPPORTED : Verdict.NOT_SUPPORTED;
    }
}
