package dev.lens4j.report.view;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.report.HtmlReport;
import dev.lens4j.report.Plural;
import dev.lens4j.report.PngCharts;
import dev.lens4j.report.chart.ChartCanvas;
import dev.lens4j.report.chart.Heatmap;
import dev.lens4j.report.chart.Html;
import dev.lens4j.report.chart.Java2DCanvas;
import dev.lens4j.report.chart.Palette;
import dev.lens4j.report.chart.SvgCanvas;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.tensor.internal.Json;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Several heads' attention patterns side by side, like CircuitsVis's {@code attention_heads}: one
 * heatmap per head (query token down, key token across), and the prompt's tokens above them. In the
 * HTML page, clicking a head selects it and hovering a token shades every token by how much the hovered
 * one attends to it in that head.
 *
 * <pre>{@code
 * List<String> tokens = model.toStrTokens(prompt);
 * ActivationCache cache = model.runWithCache(new int[][] {model.toTokens(prompt)}).cache();
 * AttentionHeads.of(cache, 1, tokens).save(Path.of("layer1.html"));   // every head of layer 1
 * AttentionHeads.of(pattern, tokens).headLabels(List.of("L0H2", "L1H0")).save(Path.of("two.png"));
 * }</pre>
 */
public final class AttentionHeads implements View {

    /** Heads per row of the PNG image. */
    static final int PNG_COLUMNS = 4;

    private final double[][][] patterns;   // [head][query_pos][key_pos], NaN above the diagonal
    private final List<String> tokens;
    private List<String> labels;
    private String title = "Attention patterns";

    private AttentionHeads(double[][][] patterns, List<String> tokens, List<String> labels) {
        this.patterns = patterns;
        this.tokens = List.copyOf(tokens);
        this.labels = List.copyOf(labels);
    }

    /**
     * The patterns of some heads over one sequence.
     *
     * @param pattern {@code [head_index, query_pos, key_pos]}, e.g. {@code cache.get("pattern", 1).select(0, 0)}
     * @param tokens the sequence's tokens as text, one per position
     * @return the view; heads are labelled {@code H0}, {@code H1}, ... until {@link #headLabels} says otherwise
     * @throws IllegalArgumentException naming the shape when the pattern is not {@code [heads, n, n]} with
     *         {@code n} the number of tokens
     */
    public static AttentionHeads of(Tensor pattern, List<String> tokens) {
        if (pattern == null || tokens == null) {
            throw new IllegalArgumentException("attention heads need a pattern and the tokens");
        }
        int n = tokens.size();
        if (pattern.rank() != 3 || pattern.dim(1) != n || pattern.dim(2) != n || pattern.dim(0) < 1) {
            throw new IllegalArgumentException("attention pattern must be [head_index, query_pos, key_pos] = [heads, " + n + ", " + n
                    + "] for " + Plural.of(n, "token") + ", got " + Shapes.str(pattern.shape())
                    + (pattern.rank() == 4 ? " (select one sequence first: pattern.select(0, b))" : ""));
        }
        int heads = pattern.dim(0);
        float[] v = pattern.contiguous().toArray();
        double[][][] p = new double[heads][n][n];
        List<String> labels = new ArrayList<>();
        for (int h = 0; h < heads; h++) {
            for (int q = 0; q < n; q++) {
                for (int k = 0; k < n; k++) {
                    p[h][q][k] = k > q ? Double.NaN : v[(h * n + q) * n + k];
                }
            }
            labels.add("H" + h);
        }
        return new AttentionHeads(p, tokens, labels);
    }

    /**
     * Every head of one layer, from a cached run of one sequence.
     *
     * @param cache a cache holding {@code blocks.L.attn.hook_pattern}, of one sequence (a batch of one,
     *              or with the batch dimension removed; pick a sequence with
     *              {@link ActivationCache#applySliceToBatchDim(int)})
     * @param layer the layer; negative counts from the end
     * @param tokens the sequence's tokens as text
     * @return the view, heads labelled {@code L1H0}, {@code L1H1}, ...
     * @throws IllegalArgumentException if the cache lacks the pattern or holds several sequences
     */
    public static AttentionHeads of(ActivationCache cache, int layer, List<String> tokens) {
        Tensor p = cache.get("pattern", layer);
        if (cache.hasBatchDim()) {
            if (p.dim(0) != 1) {
                throw new IllegalArgumentException("the cache holds " + Plural.of(p.dim(0), "sequence") + "; pick one with "
                        + "cache.applySliceToBatchDim(b) first");
            }
            p = p.select(0, 0);
        }
        int l = layer >= 0 ? layer : cache.nLayers() + layer;
        AttentionHeads view = of(p, tokens);
        List<String> labels = new ArrayList<>();
        for (int h = 0; h < p.dim(0); h++) {
            labels.add("L" + l + "H" + h);
        }
        return view.headLabels(labels);
    }

    /**
     * Names the heads.
     *
     * @param headLabels one label per head, in order
     * @return this view
     * @throws IllegalArgumentException if the count differs from the number of heads
     */
    public AttentionHeads headLabels(List<String> headLabels) {
        if (headLabels.size() != patterns.length) {
            throw new IllegalArgumentException(Plural.of(headLabels.size(), "head label") + " for " + Plural.of(patterns.length, "head"));
        }
        labels = List.copyOf(headLabels);
        return this;
    }

    /**
     * Sets the title.
     *
     * @param text the page's title and the image's heading
     * @return this view
     */
    public AttentionHeads title(String text) {
        title = text;
        return this;
    }

    private Heatmap heatmap(int head) {
        String[] tok = tokens.toArray(String[]::new);
        return new Heatmap(patterns[head], tok, tok, "query (from)", "key (to)", 1.0, Palette::blues, true);
    }

    @Override
    public String toHtml() {
        StringBuilder b = new StringBuilder();
        b.append("<p class=\"note\">Hover a token to shade the tokens it attends to in the selected head; click a head to select it."
                + " In each matrix the query token (attending from) is down and the key token (attended to) across.</p>\n");
        b.append("<div id=\"tokens\" class=\"tokens\">");
        for (int i = 0; i < tokens.size(); i++) {
            b.append("<span class=\"tok\" data-token-index=\"").append(i).append("\">").append(Html.escape(Html.showToken(tokens.get(i))))
                    .append("<span class=\"w\"></span></span>");
        }
        b.append("</div>\n<div id=\"heads\" class=\"heads\">\n");
        for (int h = 0; h < patterns.length; h++) {
            Heatmap m = heatmap(h);
            SvgCanvas c = new SvgCanvas(m.width(true), m.height(true));
            m.draw(c, labels.get(h));
            b.append("<figure class=\"head\" role=\"button\" tabindex=\"0\" data-head=\"").append(Html.escape(labels.get(h)))
                    .append("\" aria-pressed=\"").append(h == 0).append("\">")
                    .append(c.toSvg(null, null, "attention pattern of " + labels.get(h))).append("</figure>\n");
        }
        b.append("</div>\n");
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("tokens", tokens);
        List<Object> heads = new ArrayList<>();
        for (int h = 0; h < patterns.length; h++) {
            List<List<Double>> rows = new ArrayList<>();
            for (double[] row : patterns[h]) {
                List<Double> r = new ArrayList<>();
                for (double x : row) {
                    r.add(Double.isNaN(x) ? 0.0 : x);
                }
                rows.add(r);
            }
            heads.add(Map.of("label", labels.get(h), "pattern", rows));
        }
        data.put("heads", heads);
        b.append("<script type=\"application/json\" id=\"view-data\">").append(HtmlReport.scriptSafeJson(Json.write(data)))
                .append("</script>\n");
        return Page.html(title, b.toString(), Page.resource("attention-heads.js"));
    }

    @Override
    public BufferedImage toImage() {
        int cols = Math.min(PNG_COLUMNS, patterns.length);
        int rows = (patterns.length + cols - 1) / cols;
        Heatmap first = heatmap(0);
        double w = first.width(true);
        double h = first.height(true);
        double top = 44;
        Java2DCanvas c = new Java2DCanvas(cols * w, top + rows * h, PngCharts.SCALE);
        c.text(14, 30, title, ChartCanvas.TextStyle.of(19, Palette.INK, ChartCanvas.Anchor.START).asBold(), 0);
        for (int i = 0; i < patterns.length; i++) {
            heatmap(i).draw(new OffsetCanvas(c, (i % cols) * w, top + (i / cols) * h), labels.get(i));
        }
        return c.finish();
    }

    /**
     * Returns the number of heads shown.
     *
     * @return the number of heads
     */
    public int heads() {
        return patterns.length;
    }
}
