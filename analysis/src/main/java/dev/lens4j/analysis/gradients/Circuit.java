package dev.lens4j.analysis.gradients;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.ForwardOptions;
import dev.lens4j.transformer.HookedTransformer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * A circuit: the edges of an {@link AttributionGraph} that are kept, every other edge carrying the
 * corrupted run's value. Built from edge scores by the top-n or threshold rules of the EAP-IG
 * reference implementation ({@code Graph.apply_topn}, {@code apply_threshold}, absolute scores),
 * then pruned as its {@code Graph.prune} does: a node with no kept edge in or no kept edge out is
 * dropped with its edges, until nothing changes (the input counts as having an edge in, the logits
 * are always kept). {@link #evaluate} measures how much of the metric the circuit alone recovers.
 *
 * <pre>{@code
 * EdgeScores scores = EdgeAttribution.eapIg(model, clean, corrupted, metric, 10);
 * Circuit c = Circuit.topN(scores, 20);
 * Circuit.Faithfulness f = c.evaluate(model, clean, corrupted, metric::value);
 * double recovered = f.recovered();          // 1: the circuit restores the clean metric, 0: no better than corrupted
 * }</pre>
 */
public final class Circuit {

    private final AttributionGraph graph;
    private final boolean[][] edges;   // [source][destination]
    private final boolean[] nodes;     // [source]

    private Circuit(AttributionGraph graph, boolean[][] edges) {
        this.graph = graph;
        this.edges = edges;
        this.nodes = new boolean[graph.sources().size()];
        prune();
    }

    /**
     * The {@code n} edges of largest |score|, pruned. Ties are broken in graph order.
     *
     * @param scores the scores
     * @param n how many edges to keep before pruning
     * @return the circuit
     * @throws IllegalArgumentException if {@code n} is negative or more than the graph's edges
     */
    public static Circuit topN(EdgeScores scores, int n) {
        AttributionGraph g = scores.graph();
        if (n < 0 || n > g.edgeCount()) {
            throw new IllegalArgumentException("top " + n + " edges: the graph has " + g.edgeCount());
        }
        boolean[][] keep = new boolean[g.sources().size()][g.destinations().size()];
        for (EdgeScores.Edge e : scores.edges().subList(0, n)) {
            keep[e.source()][e.destination()] = true;
        }
        return new Circuit(g, keep);
    }

    /**
     * The edges whose |score| is at least a threshold, pruned.
     *
     * @param scores the scores
     * @param threshold the smallest |score| kept
     * @return the circuit
     */
    public static Circuit threshold(EdgeScores scores, double threshold) {
        AttributionGraph g = scores.graph();
        boolean[][] keep = new boolean[g.sources().size()][g.destinations().size()];
        for (EdgeScores.Edge e : scores.edges()) {
            keep[e.source()][e.destination()] = Math.abs(e.score()) >= threshold;
        }
        return new Circuit(g, keep);
    }

    /**
     * The given edges, pruned.
     *
     * @param graph the graph
     * @param edgeNames e.g. {@code "a0.h2->a1.h0<k>"}
     * @return the circuit
     * @throws IllegalArgumentException naming an edge the graph lacks
     */
    public static Circuit of(AttributionGraph graph, Collection<String> edgeNames) {
        boolean[][] keep = new boolean[graph.sources().size()][graph.destinations().size()];
        for (String name : edgeNames) {
            int arrow = name.indexOf("->");
            if (arrow < 0) {
                throw new IllegalArgumentException("an edge name is source->destination, e.g. a0.h2->a1.h0<k>; got '" + name + "'");
            }
            int s = graph.sourceIndex(name.substring(0, arrow)), d = graph.destinationIndex(name.substring(arrow + 2));
            if (!graph.isEdge(s, d)) {
                throw new IllegalArgumentException("the graph has no edge " + name);
            }
            keep[s][d] = true;
        }
        return new Circuit(graph, keep);
    }

    /**
     * Every edge of the graph: the whole model, which restores the clean metric.
     *
     * @param graph the graph
     * @return the circuit of every edge
     */
    public static Circuit full(AttributionGraph graph) {
        boolean[][] keep = new boolean[graph.sources().size()][graph.destinations().size()];
        for (int s = 0; s < keep.length; s++) {
            for (int d = 0; d < keep[s].length; d++) {
                keep[s][d] = graph.isEdge(s, d);
            }
        }
        return new Circuit(graph, keep);
    }

    /** EAP-IG's {@code Graph.prune}. */
    private void prune() {
        int nSrc = graph.sources().size(), nDst = graph.destinations().size();
        boolean changed = true;
        while (changed) {
            changed = false;
            boolean[] hasIn = new boolean[nSrc];
            boolean[] hasOut = new boolean[nSrc];
            hasIn[0] = true; // the input has no inputs of its own
            for (int s = 0; s < nSrc; s++) {
                for (int d = 0; d < nDst; d++) {
                    if (edges[s][d]) {
                        hasOut[s] = true;
                        int node = graph.nodeOf(d);
                        if (node >= 0) {
                            hasIn[node] = true;
                        }
                    }
                }
            }
            for (int s = 0; s < nSrc; s++) {
                boolean keep = hasIn[s] && hasOut[s];
                changed |= keep != nodes[s];
                nodes[s] = keep;
            }
            for (int s = 0; s < nSrc; s++) {
                for (int d = 0; d < nDst; d++) {
                    int node = graph.nodeOf(d);
                    if (edges[s][d] && !(nodes[s] && (node < 0 || nodes[node]))) {
                        edges[s][d] = false;
                        changed = true;
                    }
                }
            }
        }
    }

    /**
     * Returns the graph.
     *
     * @return the graph
     */
    public AttributionGraph graph() {
        return graph;
    }

    /**
     * Whether an edge is kept.
     *
     * @param source a source index
     * @param destination a destination index
     * @return true when the circuit keeps it
     */
    public boolean contains(int source, int destination) {
        graph.isEdge(source, destination);
        return edges[source][destination];
    }

    /**
     * Whether a source node is kept (it has a kept edge in and a kept edge out).
     *
     * @param source a source index
     * @return true when the circuit keeps it
     */
    public boolean containsNode(int source) {
        return nodes[source];
    }

    /**
     * Returns the kept edges' names, in graph order.
     *
     * @return the kept edges' names, in graph order
     */
    public List<String> edgeNames() {
        List<String> out = new ArrayList<>();
        for (int s = 0; s < edges.length; s++) {
            for (int d = 0; d < edges[s].length; d++) {
                if (edges[s][d]) {
                    out.add(graph.edgeName(s, d));
                }
            }
        }
        return out;
    }

    /**
     * Returns the number of kept edges.
     *
     * @return the number of kept edges
     */
    public int edgeCount() {
        return edgeNames().size();
    }

    /**
     * Returns the number of kept source nodes.
     *
     * @return the number of kept source nodes
     */
    public int nodeCount() {
        int n = 0;
        for (boolean b : nodes) {
            n += b ? 1 : 0;
        }
        return n;
    }

    /**
     * Returns the kept edges as a mask.
     *
     * @return {@code [n_sources, n_destinations]}, 1 where an edge is kept
     */
    public Tensor edgeMask() {
        Tensor t = Tensor.zeros(edges.length, graph.destinations().size());
        for (int s = 0; s < edges.length; s++) {
            for (int d = 0; d < edges[s].length; d++) {
                if (edges[s][d]) {
                    t.set(1f, s, d);
                }
            }
        }
        return t;
    }

    // ------------------------------------------------------------------ faithfulness

    /**
     * The metric with only the circuit kept, beside the clean and corrupted runs'.
     *
     * @param clean the metric on the clean tokens (every edge kept)
     * @param corrupted the metric on the corrupted tokens (no edge kept)
     * @param circuit the metric with only the circuit's edges carrying the clean run's values
     * @param edges how many edges the circuit keeps
     */
    public record Faithfulness(double clean, double corrupted, double circuit, int edges) {

        /**
         * Returns the share of the clean-corrupted difference the circuit recovers.
         *
         * @return {@code (circuit - corrupted) / (clean - corrupted)}: 1 when it restores the clean
         *     metric, 0 when it does no better than the corrupted run (NaN when the two runs agree)
         */
        public double recovered() {
            return (circuit - corrupted) / (clean - corrupted);
        }
    }

    /**
     * Runs the clean tokens with every edge outside the circuit carrying the corrupted run's value:
     * each destination input receives {@code corrupted - current} of every source whose edge into
     * it is not kept, where {@code current} is that source's output in this very run (so kept edges
     * carry what the circuit computes). This is EAP-IG's {@code evaluate_graph} with patching.
     *
     * @param model the model (its own hooks fire in every run)
     * @param cleanTokens {@code [batch][pos]}
     * @param corruptedTokens {@code [batch][pos]}, the same shape
     * @param metric the metric of the logits, e.g. {@code LogitMetrics.logitDiff(...)::value}
     * @return the circuit's metric beside the clean and corrupted ones (three forward passes)
     */
    public Faithfulness evaluate(HookedTransformer model, int[][] cleanTokens, int[][] corruptedTokens, ToDoubleFunction<Tensor> metric) {
        return evaluate(model, cleanTokens, corruptedTokens, metric, List.of(this)).getFirst();
    }

    /**
     * {@link #evaluate} for several circuits of one graph, sharing the clean and corrupted runs.
     *
     * @param model the model
     * @param cleanTokens {@code [batch][pos]}
     * @param corruptedTokens {@code [batch][pos]}, the same shape
     * @param metric the metric of the logits
     * @param circuits circuits of the model's graph
     * @return each circuit's faithfulness, in order (two forward passes, and one per circuit)
     */
    public static List<Faithfulness> evaluate(HookedTransformer model, int[][] cleanTokens, int[][] corruptedTokens,
                                              ToDoubleFunction<Tensor> metric, List<Circuit> circuits) {
        Batches.requireSameShape(cleanTokens, corruptedTokens);
        try (GraphModel gm = GraphModel.of(model)) {
            for (Circuit c : circuits) {
                if (!gm.graph.sources().equals(c.graph.sources()) || !gm.graph.destinations().equals(c.graph.destinations())) {
                    throw new IllegalArgumentException(c + " is of another graph than model " + model.config().modelName() + "'s " + gm.graph);
                }
            }
            GraphModel.Sources corrupted = gm.new Sources(cleanTokens.length, cleanTokens[0].length);
            double corruptedMetric = metric.applyAsDouble(gm.run(corruptedTokens, ForwardOptions.builder(), corrupted.capture(1f)).logits());
            double cleanMetric = metric.applyAsDouble(gm.run(cleanTokens, ForwardOptions.builder(), List.of()).logits());
            List<Faithfulness> out = new ArrayList<>();
            for (Circuit c : circuits) {
                out.add(new Faithfulness(cleanMetric, corruptedMetric, run(gm, cleanTokens, corrupted, c.absent(), metric), c.edgeCount()));
            }
            return out;
        }
    }

    /** Where the graph has an edge that the circuit does not keep. */
    boolean[][] absent() {
        boolean[][] out = new boolean[edges.length][graph.destinations().size()];
        for (int s = 0; s < edges.length; s++) {
            for (int d = 0; d < out[s].length; d++) {
                out[s][d] = graph.isEdge(s, d) && !edges[s][d];
            }
        }
        return out;
    }

    /** One run of the clean tokens with the absent edges corrupted. */
    static double run(GraphModel gm, int[][] cleanTokens, GraphModel.Sources corrupted, boolean[][] absent,
                      ToDoubleFunction<Tensor> metric) {
        GraphModel.Sources diff = corrupted.copy();
        List<dev.lens4j.hooks.HookSpec> hooks = new ArrayList<>(diff.capture(-1f));
        hooks.addAll(gm.corruptAbsentEdges(diff, absent));
        return metric.applyAsDouble(gm.run(cleanTokens, ForwardOptions.builder(), hooks).logits());
    }

    @Override
    public String toString() {
        return "Circuit[" + edgeCount() + " edges, " + nodeCount() + " nodes of " + graph + "]";
    }
}
