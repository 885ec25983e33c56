package dev.lens4j.report;

import dev.lens4j.analysis.gradients.AttributionGraph;
import dev.lens4j.analysis.gradients.Circuit;
import dev.lens4j.analysis.gradients.EdgeAttribution;
import dev.lens4j.analysis.gradients.EdgeScores;
import dev.lens4j.analysis.gradients.LogitMetrics;
import dev.lens4j.analysis.heads.RepeatedTokens;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.LogitMetric;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The investigation's edge-attribution step: EAP-IG from the probe with its first copy redrawn
 * ({@link RepeatedTokens#corruptedTokens()}) to the probe, on the mean log-probability of the
 * repeated half, and the faithfulness of circuits of its largest edges.
 *
 * @param scores every edge's score, for the claims, or null when the model's graph cannot be scored
 * @param graph the report's view of them, or null likewise
 * @param unavailable why there are no scores (empty when there are)
 */
record EdgeAttributionStep(EdgeScores scores, EdgeAttributionGraph graph, String unavailable) {

    /**
     * Runs the step.
     *
     * @param model the model
     * @param probe the probe
     * @param tokens its tokens
     * @param steps EAP-IG's interpolation steps
     * @param circuitSizes how many of the largest edges the reported circuits keep (capped at the graph's edges)
     * @param prev the previous-token head the claims are about
     * @param induction the induction heads the claims are about
     * @return the step's results; a model whose graph edge attribution refuses (named in
     *     {@link #unavailable}) gives none
     */
    static EdgeAttributionStep run(HookedTransformer model, RepeatedTokens probe, int[][] tokens, int steps, int[] circuitSizes,
                                   HeadId prev, List<HeadId> induction) {
        AttributionGraph g;
        try {
            g = AttributionGraph.of(model.config());
        } catch (IllegalArgumentException e) {
            return new EdgeAttributionStep(null, null, e.getMessage());
        }
        int[][] corrupted = probe.corruptedTokens();
        LogitMetric metric = LogitMetrics.logProb(tokens, probe.repeatedLossFrom(), probe.repeatedLossTo());
        EdgeScores scores = EdgeAttribution.eapIg(model, tokens, corrupted, metric, steps);
        List<Integer> sizes = new ArrayList<>();
        List<Circuit> circuits = new ArrayList<>();
        for (int n : circuitSizes) {
            int kept = Math.min(n, g.edgeCount());
            if (!sizes.contains(kept)) {
                sizes.add(kept);
                circuits.add(Circuit.topN(scores, kept));
            }
        }
        List<Circuit.Faithfulness> f = Circuit.evaluate(model, tokens, corrupted, metric::value, circuits);
        List<EdgeAttributionGraph.CircuitResult> results = new ArrayList<>();
        for (int i = 0; i < circuits.size(); i++) {
            results.add(new EdgeAttributionGraph.CircuitResult(sizes.get(i), circuits.get(i).edgeCount(), circuits.get(i).nodeCount(),
                    f.get(i).circuit(), f.get(i).recovered()));
        }
        List<String> route = route(g, prev, induction);
        return new EdgeAttributionStep(scores, view(scores, route, results, probe, steps), "");
    }

    /** The edges of the claimed route: the previous-token head into each later induction head's keys, each into the logits. */
    static List<String> route(AttributionGraph g, HeadId prev, List<HeadId> induction) {
        List<String> out = new ArrayList<>();
        for (HeadId h : induction) {
            if (prev != null && h.layer() > prev.layer()) {
                out.add(analysisName(prev) + "->" + analysisName(h) + "<k>");
                out.add(analysisName(h) + "->logits");
            }
        }
        return out;
    }

    private static EdgeAttributionGraph view(EdgeScores scores, List<String> route, List<EdgeAttributionGraph.CircuitResult> circuits,
                                             RepeatedTokens probe, int steps) {
        AttributionGraph g = scores.graph();
        Set<String> onRoute = new HashSet<>(route);
        List<EdgeScores.Edge> all = scores.edges();
        int others = EdgeAttributionGraph.MAX_EDGES - onRoute.size();
        List<EdgeAttributionGraph.Edge> kept = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            EdgeScores.Edge e = all.get(i);
            boolean mine = onRoute.contains(e.name());
            if (mine || others > 0) {
                others -= mine ? 0 : 1;
                kept.add(new EdgeAttributionGraph.Edge(reportName(g.sources().get(e.source())), reportName(g.destinations().get(e.destination())),
                        e.score(), i + 1));
            }
        }
        return new EdgeAttributionGraph("EAP-IG, " + steps + " steps",
                "the probe's sequences with their first copy redrawn (" + probe.batch() + " sequences, each token of the first copy "
                        + "replaced by another random token)",
                String.format(Locale.ROOT, "the mean log-probability of the correct next token over the repeated half (columns %d to %d "
                        + "of the per-token predictions)", probe.repeatedLossFrom(), probe.repeatedLossTo() - 1),
                scores.cleanMetric(), scores.corruptedMetric(), g.sources().stream().map(EdgeAttributionStep::reportName).toList(),
                g.destinations().stream().map(EdgeAttributionStep::reportName).toList(), g.edgeCount(), kept,
                route.stream().map(EdgeAttributionStep::reportEdge).toList(), circuits);
    }

    /** {@code a1.h2} as the analysis names a head. */
    static String analysisName(HeadId h) {
        return "a" + h.layer() + ".h" + h.head();
    }

    /** The report's name of a graph node: {@code a1.h2<k>} is {@code L1H2<k>}, {@code m0} is {@code MLP0}. */
    static String reportName(String node) {
        if (node.startsWith("a")) {
            int dot = node.indexOf('.');
            return "L" + node.substring(1, dot) + "H" + node.substring(dot + 2);
        }
        if (node.startsWith("m")) {
            return "MLP" + node.substring(1);
        }
        return node;
    }

    private static String reportEdge(String edge) {
        int arrow = edge.indexOf("->");
        return reportName(edge.substring(0, arrow)) + "->" + reportName(edge.substring(arrow + 2));
    }
}
