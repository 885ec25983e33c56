package dev.lens4j.analysis.gradients;

import dev.lens4j.transformer.TransformerConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The computational graph that edge attribution scores (Syed et al., 2023; Hanna et al., 2024), in
 * the layout of the EAP-IG reference implementation (hannamw/EAP-IG, {@code graph.py}), so that its
 * scores are laid out and named the same way.
 *
 * <p><b>Sources</b> (the nodes whose outputs are added to the residual stream), in this order:
 * {@code input} (the token embedding, {@code hook_embed}), then for each layer its heads
 * {@code a<layer>.h<head>} ({@code hook_result}, one head each) and its MLP {@code m<layer>}
 * ({@code hook_mlp_out}). <b>Destinations</b> (the inputs that read the residual stream): for each
 * layer the query, key and value input of each head, {@code a<layer>.h<head><q>} and likewise
 * {@code <k>}, {@code <v>} ({@code hook_q_input}, ...), then the MLP's input {@code m<layer>}
 * ({@code hook_mlp_in}), and last {@code logits} (the final residual stream,
 * {@code blocks.<n_layers - 1>.hook_resid_post}). A source feeds a destination when it comes earlier
 * in the forward pass: every source before a destination's layer, and the heads of the same layer
 * for its MLP unless attention and MLP run in parallel. Edges are named {@code source->destination},
 * e.g. {@code a0.h2->a1.h0<k>}.
 *
 * <p>An attention-only model has no MLP nodes (the reference implementation always has them). The
 * positional embedding and the biases are constants of the graph, in no node; so is everything the
 * residual stream receives that is not a node's output.
 *
 * <pre>{@code
 * AttributionGraph g = AttributionGraph.of(model.config());    // induction-2l: 9 sources, 25 destinations, 81 edges
 * int s = g.sourceIndex("a0.h2"), d = g.destinationIndex("a1.h0<k>");
 * boolean edge = g.isEdge(s, d);                               // true: layer 0 writes what layer 1 reads
 * }</pre>
 */
public final class AttributionGraph {

    private final int layers;
    private final int heads;
    private final boolean mlp;
    private final boolean parallel;
    private final List<String> sources;
    private final List<String> destinations;
    private final Map<String, Integer> sourceIndex = new HashMap<>();
    private final Map<String, Integer> destinationIndex = new HashMap<>();

    private AttributionGraph(int layers, int heads, boolean mlp, boolean parallel) {
        this.layers = layers;
        this.heads = heads;
        this.mlp = mlp;
        this.parallel = parallel;
        List<String> src = new ArrayList<>();
        List<String> dst = new ArrayList<>();
        src.add("input");
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                src.add(head(l, h));
            }
            if (mlp) {
                src.add("m" + l);
            }
            for (String qkv : List.of("q", "k", "v")) {
                for (int h = 0; h < heads; h++) {
                    dst.add(head(l, h) + "<" + qkv + ">");
                }
            }
            if (mlp) {
                dst.add("m" + l);
            }
        }
        dst.add("logits");
        this.sources = Collections.unmodifiableList(src);
        this.destinations = Collections.unmodifiableList(dst);
        for (int i = 0; i < src.size(); i++) {
            sourceIndex.put(src.get(i), i);
        }
        for (int i = 0; i < dst.size(); i++) {
            destinationIndex.put(dst.get(i), i);
        }
    }

    /**
     * The graph of a model.
     *
     * @param cfg the model's config
     * @return its graph
     * @throws IllegalArgumentException for a model whose residual stream is not the sum of its
     *     nodes' outputs (a norm after attention or MLP, {@code use_normalization_before_and_after})
     *     or whose keys and values are shared by groups of heads (edges into a shared key would
     *     belong to several heads)
     */
    public static AttributionGraph of(TransformerConfig cfg) {
        if (cfg.useNormalizationBeforeAndAfter()) {
            throw new IllegalArgumentException("model " + cfg.modelName() + " normalises each attention and MLP output before adding it "
                    + "(use_normalization_before_and_after), so its residual stream is not the sum of the graph's node outputs that "
                    + "edge attribution needs");
        }
        if (cfg.groupedQueryAttention()) {
            throw new IllegalArgumentException("model " + cfg.modelName() + " shares keys and values between groups of heads ("
                    + cfg.nKvHeads() + " K/V heads for " + cfg.nHeads() + " heads), so an edge into a key or value input would belong "
                    + "to several heads; edge attribution needs one per head (TransformerLens's ungroup_grouped_query_attention)");
        }
        return new AttributionGraph(cfg.nLayers(), cfg.nHeads(), !cfg.attnOnly(), cfg.parallelAttnMlp());
    }

    private static String head(int l, int h) {
        return "a" + l + ".h" + h;
    }

    /**
     * Returns the number of layers.
     *
     * @return the number of layers
     */
    public int layers() {
        return layers;
    }

    /**
     * Returns the number of heads per layer.
     *
     * @return the number of heads per layer
     */
    public int heads() {
        return heads;
    }

    /**
     * Returns whether the graph has MLP nodes.
     *
     * @return whether the graph has MLP nodes
     */
    public boolean hasMlp() {
        return mlp;
    }

    /**
     * Returns the source node names, in index order.
     *
     * @return the source node names, in index order
     */
    public List<String> sources() {
        return sources;
    }

    /**
     * Returns the destination names, in index order.
     *
     * @return the destination names, in index order
     */
    public List<String> destinations() {
        return destinations;
    }

    /**
     * Returns the index of a source node.
     *
     * @param name e.g. {@code "input"}, {@code "a0.h2"}, {@code "m1"}
     * @return its index
     * @throws IllegalArgumentException if the graph has no such source
     */
    public int sourceIndex(String name) {
        Integer i = sourceIndex.get(name);
        if (i == null) {
            throw new IllegalArgumentException("the graph has no source node '" + name + "'; sources are input, a<layer>.h<head>"
                    + (mlp ? ", m<layer>" : "") + " for " + layers + " layers of " + heads + " heads");
        }
        return i;
    }

    /**
     * Returns the index of a destination.
     *
     * @param name e.g. {@code "a1.h0<k>"}, {@code "m0"}, {@code "logits"}
     * @return its index
     * @throws IllegalArgumentException if the graph has no such destination
     */
    public int destinationIndex(String name) {
        Integer i = destinationIndex.get(name);
        if (i == null) {
            throw new IllegalArgumentException("the graph has no destination '" + name + "'; destinations are a<layer>.h<head><q|k|v>"
                    + (mlp ? ", m<layer>" : "") + " and logits");
        }
        return i;
    }

    /**
     * The sources feeding a destination are those of index below this.
     *
     * @param dst a destination index
     * @return one past the last source that feeds it
     */
    public int upstreamEnd(int dst) {
        checkDestination(dst);
        if (dst == destinations.size() - 1) {
            return sources.size();
        }
        int perLayer = 3 * heads + (mlp ? 1 : 0);
        int layer = dst / perLayer;
        int first = 1 + layer * (heads + (mlp ? 1 : 0)); // the layer's first head
        boolean isMlp = mlp && dst % perLayer == 3 * heads;
        return isMlp && !parallel ? first + heads : first;
    }

    /**
     * Whether a source feeds a destination.
     *
     * @param src a source index
     * @param dst a destination index
     * @return true when the graph has that edge
     */
    public boolean isEdge(int src, int dst) {
        checkSource(src);
        return src < upstreamEnd(dst);
    }

    /**
     * Returns the number of edges.
     *
     * @return the number of edges
     */
    public int edgeCount() {
        int n = 0;
        for (int d = 0; d < destinations.size(); d++) {
            n += upstreamEnd(d);
        }
        return n;
    }

    /**
     * Returns an edge's name.
     *
     * @param src a source index
     * @param dst a destination index
     * @return e.g. {@code "a0.h2->a1.h0<k>"}
     */
    public String edgeName(int src, int dst) {
        checkSource(src);
        checkDestination(dst);
        return sources.get(src) + "->" + destinations.get(dst);
    }

    /**
     * The source node a destination belongs to: a head's three inputs belong to the head, an MLP's
     * input to the MLP; the logits belong to no source.
     *
     * @param dst a destination index
     * @return the source index of its node, or -1 for the logits
     */
    public int nodeOf(int dst) {
        checkDestination(dst);
        if (dst == destinations.size() - 1) {
            return -1;
        }
        String name = destinations.get(dst);
        int angle = name.indexOf('<');
        return sourceIndex.get(angle < 0 ? name : name.substring(0, angle));
    }

    // ------------------------------------------------------------------ hook points

    /**
     * The hook point a source's output is read at.
     *
     * @param src a source index
     * @return {@code hook_embed}, {@code blocks.L.attn.hook_result} (the head is its axis 2) or {@code blocks.L.hook_mlp_out}
     */
    String sourceHook(int src) {
        checkSource(src);
        if (src == 0) {
            return "hook_embed";
        }
        int perLayer = heads + (mlp ? 1 : 0);
        int layer = (src - 1) / perLayer;
        return (src - 1) % perLayer < heads ? "blocks." + layer + ".attn.hook_result" : "blocks." + layer + ".hook_mlp_out";
    }

    /**
     * The first destination index of a layer.
     *
     * @param layer the layer
     * @return the index of {@code a<layer>.h0<q>}, or of the logits for {@code layer == n_layers}
     */
    int layerStart(int layer) {
        return layer * (3 * heads + (mlp ? 1 : 0));
    }

    /**
     * The first source index of a layer.
     *
     * @param layer the layer
     * @return the index of {@code a<layer>.h0}
     */
    int layerSourceStart(int layer) {
        return 1 + layer * (heads + (mlp ? 1 : 0));
    }

    private void checkSource(int src) {
        if (src < 0 || src >= sources.size()) {
            throw new IllegalArgumentException("source index " + src + " is outside [0, " + sources.size() + ")");
        }
    }

    private void checkDestination(int dst) {
        if (dst < 0 || dst >= destinations.size()) {
            throw new IllegalArgumentException("destination index " + dst + " is outside [0, " + destinations.size() + ")");
        }
    }

    @Override
    public String toString() {
        return "AttributionGraph[" + sources.size() + " sources, " + destinations.size() + " destinations, " + edgeCount() + " edges]";
    }
}
