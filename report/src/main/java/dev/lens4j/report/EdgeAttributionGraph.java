package dev.lens4j.report;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The edge attribution step: how much each edge of the model's graph (the token embedding, each head
 * and MLP writing into the residual stream; each head's query, key and value input, each MLP's
 * input and the logits reading it) carries of the metric, by EAP-IG, and how much of the metric
 * circuits of the largest edges recover.
 *
 * <p>Node names: {@code input} (the token embedding), heads {@code L1H2}, MLPs {@code MLP0},
 * {@code logits}; a head's inputs are {@code L1H2<q>}, {@code L1H2<k>}, {@code L1H2<v>}. An edge's
 * score estimates the change of the metric when that edge alone carries the corrupted run's value:
 * negative where the edge helps a metric the corruption lowers.
 *
 * @param method how the scores were computed, e.g. {@code "EAP-IG, 10 steps"}
 * @param corruption what the corrupted input is
 * @param metric what the metric is
 * @param cleanMetric the metric on the clean input
 * @param corruptedMetric the metric on the corrupted input
 * @param sources the graph's source nodes, in graph order
 * @param destinations the graph's destinations, in graph order
 * @param edgeCount how many edges the graph has
 * @param edges the largest edges by |score|, largest first: all of them, or the first {@link #MAX_EDGES} (the
 *              route's edges among them whatever their rank)
 * @param route the names of the edges the claims are about, highlighted (may be empty)
 * @param circuits the faithfulness of circuits of the largest edges, fewest edges first
 */
public record EdgeAttributionGraph(String method, String corruption, String metric, double cleanMetric, double corruptedMetric,
                                   List<String> sources, List<String> destinations, int edgeCount, List<Edge> edges,
                                   List<String> route, List<CircuitResult> circuits) {

    /** The most edges a report keeps. */
    public static final int MAX_EDGES = 200;

    /**
     * One scored edge.
     *
     * @param source a source node
     * @param destination a destination
     * @param score its score
     * @param rank its place among all the graph's edges by |score|, 1 for the largest
     */
    public record Edge(String source, String destination, double score, int rank) {

        /**
         * Returns the edge's name.
         *
         * @return e.g. {@code "L0H2->L1H0<k>"}
         */
        public String name() {
            return source + "->" + destination;
        }
    }

    /**
     * A circuit of the largest edges, and how much of the metric it recovers.
     *
     * @param topN the number of largest edges it was built from, before pruning
     * @param edges the edges it keeps after pruning
     * @param nodes the source nodes it keeps
     * @param metric the metric with only those edges carrying the clean run's values
     * @param recovered {@code (metric - corrupted) / (clean - corrupted)}
     */
    public record CircuitResult(int topN, int edges, int nodes, double metric, double recovered) {}

    /**
     * Validates the components.
     *
     * @throws IllegalArgumentException if an edge names a node the graph lacks, or there are too many edges
     */
    public EdgeAttributionGraph {
        Checks.notNull("edge attribution method", method);
        sources = List.copyOf(sources);
        destinations = List.copyOf(destinations);
        edges = List.copyOf(edges);
        route = List.copyOf(route);
        circuits = List.copyOf(circuits);
        corruption = corruption == null ? "" : corruption;
        metric = metric == null ? "" : metric;
        if (edges.size() > MAX_EDGES || edges.size() > edgeCount) {
            throw new IllegalArgumentException("edge attribution keeps " + edges.size() + " edges, more than "
                    + Math.min(MAX_EDGES, edgeCount));
        }
        Set<String> src = new HashSet<>(sources), dst = new HashSet<>(destinations);
        Set<String> names = new HashSet<>();
        int rank = 0;
        for (Edge e : edges) {
            if (!src.contains(e.source()) || !dst.contains(e.destination())) {
                throw new IllegalArgumentException("edge " + e.name() + " names a node the graph lacks");
            }
            if (e.rank() <= rank || e.rank() > edgeCount) {
                throw new IllegalArgumentException("edge " + e.name() + " has rank " + e.rank() + " after rank " + rank + " (of "
                        + edgeCount + " edges); edges come largest first");
            }
            rank = e.rank();
            names.add(e.name());
        }
        for (String r : route) {
            if (!names.contains(r)) {
                throw new IllegalArgumentException("route edge " + r + " is not among the report's edges");
            }
        }
    }
}
