package dev.lens4j.report;

import dev.lens4j.report.chart.Html;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The edge-attribution graph as an inline SVG: one row of nodes per layer (the input at the bottom,
 * each layer's heads, then its MLP, the logits at the top), each edge a curve from the top of its
 * source to the port of the input it feeds (a head's query, key and value inputs enter at the left,
 * middle and right of its bottom edge). Colour says which input (query, key, value, or the residual
 * stream an MLP or the logits read), width the edge's |score|, a dashed line a positive score; the
 * claimed route has a yellow halo.
 *
 * <p>Elements scripts and tests rely on: {@code svg#edge-graph}, {@code [data-node="L0H2"]},
 * {@code path.edge[data-edge="L0H2->L1H0<k>"][data-rank][data-score]} (class {@code route} on the
 * route, {@code off} when hidden), {@code path.edge-halo[data-rank]}.
 */
final class EdgeGraphSvg {

    /** The edges shown before the reader moves the slider. */
    static final int SHOWN = 20;
    static final double WIDTH = 1000;
    private static final double LEFT = 74, RIGHT = 16, TOP = 18, BOTTOM = 18, ROW = 86, NODE_H = 34, SINGLE_W = 120;

    private final EdgeAttributionGraph g;
    private final int layers;
    private final int heads;
    private final boolean mlp;
    private final int rows;
    private final Map<String, double[]> boxes = new HashMap<>(); // node -> {cx, cy, w}

    private EdgeGraphSvg(EdgeAttributionGraph g, int layers, int heads) {
        this.g = g;
        this.layers = layers;
        this.heads = heads;
        this.mlp = g.sources().stream().anyMatch(s -> s.startsWith("MLP"));
        this.rows = 2 + layers * (mlp ? 2 : 1);
        layout();
    }

    /**
     * Renders the graph.
     *
     * @param g the edge attribution
     * @param layers the model's layers
     * @param heads heads per layer
     * @return the {@code <svg>} element
     */
    static String render(EdgeAttributionGraph g, int layers, int heads) {
        return new EdgeGraphSvg(g, layers, heads).svg();
    }

    private double height() {
        return TOP + BOTTOM + NODE_H + (rows - 1) * ROW;
    }

    /** The centre's y of row {@code r}, row 0 (the input) at the bottom. */
    private double rowY(int r) {
        return TOP + NODE_H / 2 + (rows - 1 - r) * ROW;
    }

    private void layout() {
        double span = WIDTH - LEFT - RIGHT;
        double slot = span / heads;
        double headW = Math.min(86, slot - 10);
        boxes.put("input", new double[] {LEFT + span / 2, rowY(0), SINGLE_W});
        for (int l = 0; l < layers; l++) {
            int r = 1 + l * (mlp ? 2 : 1);
            for (int h = 0; h < heads; h++) {
                boxes.put("L" + l + "H" + h, new double[] {LEFT + slot * (h + 0.5), rowY(r), headW});
            }
            if (mlp) {
                boxes.put("MLP" + l, new double[] {LEFT + span / 2, rowY(r + 1), SINGLE_W});
            }
        }
        boxes.put("logits", new double[] {LEFT + span / 2, rowY(rows - 1), SINGLE_W});
    }

    private String svg() {
        StringBuilder b = new StringBuilder(32 * 1024);
        b.append("<svg id=\"edge-graph\" viewBox=\"0 0 ").append(n(WIDTH)).append(' ').append(n(height()))
                .append("\" role=\"img\" aria-label=\"edge attribution graph: the largest edges between the model's nodes\">");
        for (int r = 0; r < rows; r++) {
            String label = r == 0 ? "input" : r == rows - 1 ? "output"
                    : "layer " + (r - 1) / (mlp ? 2 : 1) + (mlp && (r - 1) % 2 == 1 ? " MLP" : "");
            b.append("<text x=\"6\" y=\"").append(n(rowY(r) + 4)).append("\" class=\"row-label\">").append(esc(label)).append("</text>");
        }
        double max = 1e-12;
        for (EdgeAttributionGraph.Edge e : g.edges()) {
            max = Math.max(max, Math.abs(e.score()));
        }
        Set<String> route = new HashSet<>(g.route());
        // halos first, then edges (largest last, on top), then nodes over the edges' ends
        for (EdgeAttributionGraph.Edge e : g.edges()) {
            if (route.contains(e.name())) {
                b.append("<path class=\"edge-halo").append(e.rank() > SHOWN ? " off" : "").append("\" data-rank=\"").append(e.rank())
                        .append("\" d=\"").append(path(e)).append("\" stroke-width=\"").append(n(width(e, max) + 7)).append("\"/>");
            }
        }
        for (int i = g.edges().size() - 1; i >= 0; i--) {
            EdgeAttributionGraph.Edge e = g.edges().get(i);
            String kind = kind(e.destination());
            String tip = String.format(Locale.ROOT, "%s \u2192 %s: %+.4f (rank %d of %d edges)%s", e.source(), e.destination(), e.score(),
                    e.rank(), g.edgeCount(), route.contains(e.name()) ? ", on the claimed route" : "");
            b.append("<path class=\"edge ").append(kind).append(route.contains(e.name()) ? " route" : "").append(e.rank() > SHOWN ? " off" : "")
                    .append("\" data-edge=\"").append(esc(e.name())).append("\" data-rank=\"").append(e.rank()).append("\" data-score=\"")
                    .append(Format.fixed(e.score(), 6)).append("\" data-tip=\"").append(esc(tip)).append("\" d=\"").append(path(e))
                    .append("\" stroke-width=\"").append(n(width(e, max))).append('"').append(e.score() > 0 ? " stroke-dasharray=\"5 3\"" : "")
                    .append("/>");
        }
        for (String node : g.sources()) {
            node(b, node);
        }
        node(b, "logits");
        b.append("</svg>");
        return b.toString();
    }

    private void node(StringBuilder b, String node) {
        double[] box = boxes.get(node);
        if (box == null) {
            throw new IllegalArgumentException("the graph's node " + node + " has no place in a model of " + layers + " layers of "
                    + heads + " heads");
        }
        double x = box[0] - box[2] / 2, y = box[1] - NODE_H / 2;
        b.append("<g class=\"node\" data-node=\"").append(esc(node)).append("\"><rect x=\"").append(n(x)).append("\" y=\"").append(n(y))
                .append("\" width=\"").append(n(box[2])).append("\" height=\"").append(n(NODE_H)).append("\" rx=\"6\"/>")
                .append("<text x=\"").append(n(box[0])).append("\" y=\"").append(n(box[1] + (node.startsWith("L") ? 0 : 4)))
                .append("\" class=\"name\">")
                .append(esc(node)).append("</text>");
        if (node.startsWith("L")) {
            String[] ports = {"q", "k", "v"};
            for (int i = 0; i < 3; i++) {
                b.append("<text x=\"").append(n(box[0] + (i - 1) * box[2] / 3)).append("\" y=\"").append(n(box[1] + NODE_H / 2 - 4))
                        .append("\" class=\"port ").append(ports[i]).append("\">").append(ports[i]).append("</text>");
            }
        }
        b.append("</g>");
    }

    /** A cubic curve from the source's top to the destination's port on its bottom edge. */
    private String path(EdgeAttributionGraph.Edge e) {
        double[] from = boxes.get(e.source());
        String dst = e.destination();
        int angle = dst.indexOf('<');
        double[] to = boxes.get(angle < 0 ? dst : dst.substring(0, angle));
        if (from == null || to == null) {
            throw new IllegalArgumentException("edge " + e.name() + " has no place in a model of " + layers + " layers of " + heads + " heads");
        }
        double sx = from[0], sy = from[1] - NODE_H / 2;
        double px = to[0] + portOffset(dst) * to[2] / 3, py = to[1] + NODE_H / 2;
        double d = (sy - py) * 0.45;
        return "M" + n(sx) + " " + n(sy) + " C" + n(sx) + " " + n(sy - d) + " " + n(px) + " " + n(py + d) + " " + n(px) + " " + n(py);
    }

    private static int portOffset(String destination) {
        return destination.endsWith("<q>") ? -1 : destination.endsWith("<v>") ? 1 : 0;
    }

    /** {@code q}, {@code k}, {@code v}, or {@code r} for an input that reads the whole residual stream. */
    static String kind(String destination) {
        return destination.endsWith("<q>") ? "q" : destination.endsWith("<k>") ? "k" : destination.endsWith("<v>") ? "v" : "r";
    }

    private static double width(EdgeAttributionGraph.Edge e, double max) {
        return 1 + 6 * Math.abs(e.score()) / max;
    }

    private static String n(double v) {
        return Format.fixed(v, 1);
    }

    private static String esc(String s) {
        return Html.escape(s);
    }
}
