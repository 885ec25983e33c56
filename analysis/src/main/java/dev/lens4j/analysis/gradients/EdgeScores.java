package dev.lens4j.analysis.gradients;

import dev.lens4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A score for every edge of an {@link AttributionGraph}: an estimate of how much the metric changes
 * when that edge alone carries the corrupted run's value instead of the clean one (negative where the
 * edge helps a metric the corruption lowers).
 *
 * <pre>{@code
 * EdgeScores s = EdgeAttribution.eapIg(model, clean, corrupted, metric, 10);
 * double k = s.score("a0.h2->a1.h0<k>");
 * for (EdgeScores.Edge e : s.top(5)) System.out.println(e);     // largest |score| first
 * Tensor all = s.tensor();                                      // [n_sources, n_destinations], 0 where there is no edge
 * }</pre>
 *
 * @param graph the graph
 * @param method how the scores were computed, e.g. {@code "EAP-IG (10 steps)"}
 * @param scores {@code [n_sources * n_destinations]} row-major; 0 where the graph has no edge
 * @param cleanMetric the metric on the clean tokens
 * @param corruptedMetric the metric on the corrupted tokens
 * @param zeroGradient the destinations at which the metric's gradient, summed over the steps, was zero everywhere
 *                     (in practice: in every step): the metric does not depend on them, so the scores of their edges are 0
 *                     for that reason; empty for scores not made from gradients
 */
public record EdgeScores(AttributionGraph graph, String method, double[] scores, double cleanMetric, double corruptedMetric,
                         List<String> zeroGradient) {

    /** Copies the arrays and checks the size. */
    public EdgeScores {
        if (scores.length != graph.sources().size() * graph.destinations().size()) {
            throw new IllegalArgumentException("scores hold " + scores.length + " values; the graph has " + graph.sources().size()
                    + " x " + graph.destinations().size());
        }
        scores = scores.clone();
        zeroGradient = List.copyOf(zeroGradient);
    }

    /**
     * One edge and its score.
     *
     * @param name e.g. {@code "a0.h2->a1.h0<k>"}
     * @param source its source index
     * @param destination its destination index
     * @param score its score
     */
    public record Edge(String name, int source, int destination, double score) {

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%s %+.4f", name, score);
        }
    }

    /**
     * Returns a copy of the scores.
     *
     * @return {@code [n_sources * n_destinations]} row-major
     */
    @Override
    public double[] scores() {
        return scores.clone();
    }

    /**
     * Returns one edge's score.
     *
     * @param source a source index
     * @param destination a destination index
     * @return the score, 0 where the graph has no such edge
     */
    public double score(int source, int destination) {
        graph.isEdge(source, destination); // checks the indices
        return scores[source * graph.destinations().size() + destination];
    }

    /**
     * Returns one edge's score.
     *
     * @param edgeName e.g. {@code "a0.h2->a1.h0<k>"}
     * @return the score
     * @throws IllegalArgumentException if the graph has no such edge
     */
    public double score(String edgeName) {
        int arrow = edgeName.indexOf("->");
        if (arrow < 0) {
            throw new IllegalArgumentException("an edge name is source->destination, e.g. a0.h2->a1.h0<k>; got '" + edgeName + "'");
        }
        int s = graph.sourceIndex(edgeName.substring(0, arrow));
        int d = graph.destinationIndex(edgeName.substring(arrow + 2));
        if (!graph.isEdge(s, d)) {
            throw new IllegalArgumentException("the graph has no edge " + edgeName + ": " + graph.sources().get(s)
                    + " does not come before " + graph.destinations().get(d));
        }
        return score(s, d);
    }

    /**
     * Returns every edge, largest |score| first (ties in graph order).
     *
     * @return every edge, largest |score| first
     */
    public List<Edge> edges() {
        List<Edge> out = edgesInGraphOrder();
        out.sort(Comparator.comparingDouble((Edge e) -> -Math.abs(e.score())));
        return out;
    }

    private List<Edge> edgesInGraphOrder() {
        List<Edge> out = new ArrayList<>();
        int nDst = graph.destinations().size();
        for (int s = 0; s < graph.sources().size(); s++) {
            for (int d = 0; d < nDst; d++) {
                if (graph.isEdge(s, d)) {
                    out.add(new Edge(graph.edgeName(s, d), s, d, scores[s * nDst + d]));
                }
            }
        }
        return out;
    }

    /**
     * Returns the {@code k} edges of largest |score|.
     *
     * @param k how many
     * @return the edges, largest |score| first
     */
    public List<Edge> top(int k) {
        List<Edge> all = edges();
        return all.subList(0, Math.min(k, all.size()));
    }

    /**
     * How well these scores agree with others over the graph's edges (not the empty entries of the
     * matrix), e.g. EAP-IG with {@link EdgeAttribution#exact}.
     *
     * @param measured the other scores, of the same graph
     * @param k how many largest-magnitude edges to compare
     * @return the agreement
     * @throws IllegalArgumentException if the graphs differ
     */
    public Agreement agreementWith(EdgeScores measured, int k) {
        if (!measured.graph().sources().equals(graph.sources()) || !measured.graph().destinations().equals(graph.destinations())) {
            throw new IllegalArgumentException("cannot compare scores over " + graph + " with scores over " + measured.graph());
        }
        List<Edge> mine = edgesInGraphOrder(), theirs = measured.edgesInGraphOrder();
        float[] x = new float[mine.size()], y = new float[mine.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) mine.get(i).score();
            y[i] = (float) theirs.get(i).score();
        }
        return Agreement.of(Tensor.of(x, x.length), Tensor.of(y, y.length), k);
    }

    /**
     * Returns the scores as a tensor.
     *
     * @return {@code [n_sources, n_destinations]}, 0 where the graph has no edge
     */
    public Tensor tensor() {
        float[] f = new float[scores.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) scores[i];
        }
        return Tensor.of(f, graph.sources().size(), graph.destinations().size());
    }

    @Override
    public String toString() {
        return "EdgeScores[" + method + ", " + graph + ", clean " + cleanMetric + ", corrupted " + corruptedMetric + "]";
    }
}
