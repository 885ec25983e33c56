package dev.lens4j.report;

import dev.lens4j.transformer.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The report as plain text for a terminal about {@value #WIDTH} columns wide: the model, the loss on
 * repeated tokens with a sparkline, head-detector tables, the top heads by attribution and ablation,
 * QK/OV readouts, the strongest compositions, and the claims grouped by evidence tier.
 */
public final class ConsoleReport {

    /** The terminal width the text is laid out for. */
    public static final int WIDTH = 100;

    /** Rows shown in the top-heads tables. */
    static final int TOP = 10;

    /** Widest {@code [n_layers, n_heads]} grid shown as a grid; wider models get a top-heads list. */
    static final int MAX_GRID_HEADS = 14;

    private static final String BARS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588";

    private ConsoleReport() {}

    /**
     * Renders the report as text.
     *
     * @param data the report data
     * @return the text, every line ending in a newline
     */
    public static String render(ReportData data) {
        StringBuilder b = new StringBuilder();
        b.append(data.title()).append('\n').append("=".repeat(Math.min(WIDTH, data.title().length()))).append("\n\n");
        model(b, data.model());
        if (data.loss() != null) {
            loss(b, data.loss());
        }
        if (data.headScores() != null) {
            HeadDetectorScores s = data.headScores();
            // lens4j's target scores (1 for a perfect head), then TransformerLens's detect_head of the same patterns
            b.append(grid("Previous-token scores (share of attention on the target where there is one; 1 = perfect)",
                    s.previousToken(), 2)).append('\n');
            b.append(grid("Duplicate-token scores", s.duplicateToken(), 2)).append('\n');
            b.append(grid("Induction scores", s.induction(), 2)).append('\n');
            b.append(grid("TransformerLens detect_head \"mul\" (over every query): previous-token", s.detectHeadPreviousToken(), 2))
                    .append('\n');
            b.append(grid("TransformerLens detect_head \"mul\": induction", s.detectHeadInduction(), 2)).append('\n');
        }
        if (data.dla() != null) {
            dla(b, data.dla());
        }
        if (data.ablation() != null) {
            ablation(b, data.ablation());
        }
        if (data.edgeAttribution() != null) {
            edges(b, data.edgeAttribution());
        }
        if (data.qkOv() != null) {
            qkOv(b, data.qkOv());
        }
        if (data.composition() != null) {
            composition(b, data.composition());
        }
        if (!data.claims().isEmpty()) {
            claims(b, data.claims());
        }
        // Sections end with a blank line; the text ends with exactly one newline.
        while (b.length() > 1 && b.charAt(b.length() - 1) == '\n' && b.charAt(b.length() - 2) == '\n') {
            b.setLength(b.length() - 1);
        }
        return b.toString();
    }

    private static void model(StringBuilder b, ModelSummary m) {
        b.append("Model\n");
        kv(b, "name", m.name());
        kv(b, "tokenizer", m.tokenizer() + ", d_vocab " + m.vocabSize());
        kv(b, "layers", m.nLayers() + " x " + Plural.of(m.nHeads(), "head") + (m.attentionOnly() ? ", attention only" : ""));
        kv(b, "d_model", m.dModel() + ", d_head " + m.dHead());
        kv(b, "parameters", m.parameters().describe());
        b.append('\n');
    }

    private static void kv(StringBuilder b, String k, String v) {
        b.append("  ").append(k).append(" ".repeat(Math.max(1, 16 - k.length()))).append(v).append('\n');
    }

    private static void loss(StringBuilder b, LossByPosition l) {
        b.append("Loss by position on repeated random tokens (mean of ").append(Plural.of(l.sequences(), "sequence")).append(")\n");
        double top = l.lnVocab();
        for (double v : l.meanLoss()) {
            top = Math.max(top, v);
        }
        kv(b, "first half", Format.fixed(l.firstHalfMean(), 3) + " nats");
        kv(b, "repeated half", Format.fixed(l.repeatedHalfMean(), 3) + " nats  (induction loss)");
        kv(b, "ln(d_vocab)", Format.fixed(l.lnVocab(), 3) + " nats  (uniform guess)");
        double[] first = java.util.Arrays.copyOfRange(l.meanLoss(), 0, l.repeatedStart());
        double[] second = java.util.Arrays.copyOfRange(l.meanLoss(), l.repeatedStart(), l.meanLoss().length);
        int room = WIDTH - 20;
        int w1 = Math.max(1, Math.min(first.length, room * first.length / l.meanLoss().length));
        int w2 = Math.max(1, Math.min(second.length, room - w1));
        kv(b, "per position", sparkline(first, w1, top) + " " + sparkline(second, w2, top));
        kv(b, "", "first half" + " ".repeat(Math.max(1, w1 + 1 - "first half".length())) + "repeated half");
        b.append('\n');
    }

    /** Values from 0 to {@code top} as block characters, averaged down to at most {@code width} characters. */
    static String sparkline(double[] v, int width, double top) {
        int n = Math.min(width, v.length);
        StringBuilder s = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            int a = (int) ((long) i * v.length / n);
            int e = (int) ((long) (i + 1) * v.length / n);
            double sum = 0;
            for (int k = a; k < e; k++) {
                sum += v[k];
            }
            double t = top > 0 ? sum / (e - a) / top : 0;
            int level = (int) Math.round(Math.max(0, Math.min(1, t)) * (BARS.length() - 1));
            s.append(BARS.charAt(level));
        }
        return s.toString();
    }

    /** An [n_layers, n_heads] table as a grid, or as a top-heads list when the model has many heads. */
    static String grid(String title, double[][] m, int decimals) {
        int heads = m.length == 0 ? 0 : m[0].length;
        if (heads > MAX_GRID_HEADS) {
            List<LabelledValue> all = new ArrayList<>();
            for (int l = 0; l < m.length; l++) {
                for (int h = 0; h < heads; h++) {
                    all.add(new LabelledValue(new HeadId(l, h).label(), Double.isFinite(m[l][h]) ? m[l][h] : 0));
                }
            }
            all.sort((x, y) -> Double.compare(y.value(), x.value()));
            ConsoleTable t = new ConsoleTable(title + " (top " + TOP + " heads)").text("head").number("score", null, decimals);
            for (LabelledValue v : all.subList(0, Math.min(TOP, all.size()))) {
                t.row(v.label(), v.value());
            }
            return t.render();
        }
        ConsoleTable t = new ConsoleTable(title).text("layer");
        for (int h = 0; h < heads; h++) {
            t.number("H" + h, null, decimals);
        }
        for (int l = 0; l < m.length; l++) {
            Object[] row = new Object[heads + 1];
            row[0] = "L" + l;
            for (int h = 0; h < heads; h++) {
                row[h + 1] = m[l][h];
            }
            t.row(row);
        }
        return t.render();
    }

    private static void dla(StringBuilder b, DirectLogitAttribution dla) {
        List<LabelledValue> sorted = dla.sortedDescending();
        String title = "Direct logit attribution" + (dla.metric().isEmpty() ? "" : ": " + dla.metric());
        if (sorted.size() > TOP) {
            title += " (top " + TOP + " of " + sorted.size() + ")";
        }
        double maxAbs = 1e-12;
        for (LabelledValue v : sorted) {
            maxAbs = Math.max(maxAbs, Math.abs(v.value()));
        }
        ConsoleTable t = new ConsoleTable(wrapTitle(title)).text("head").signedNumber("attribution", "logits", 3).text("");
        for (LabelledValue v : sorted.subList(0, Math.min(TOP, sorted.size()))) {
            t.row(v.label(), v.value(), bar(v.value(), maxAbs, 30));
        }
        b.append(t.render()).append('\n');
    }

    private static String bar(double v, double maxAbs, int width) {
        int n = (int) Math.round(Math.abs(v) / maxAbs * width);
        return (v < 0 ? "-" : "#").repeat(n);
    }

    private static void ablation(StringBuilder b, HeadAblation ab) {
        List<LabelledValue> sorted = ab.sortedDescending();
        String title = "Head ablation: baseline loss " + Format.fixed(ab.baselineLoss(), 3) + " nats"
                + (ab.method().isEmpty() ? "" : ", " + ab.method());
        if (sorted.size() > TOP) {
            title += " (top " + TOP + " of " + sorted.size() + ")";
        }
        ConsoleTable t = new ConsoleTable(wrapTitle(title)).text("head").signedNumber("loss change", "nats", 3)
                .number("ablated loss", "nats", 3).signedNumber("change", "%", 1);
        for (LabelledValue v : sorted.subList(0, Math.min(TOP, sorted.size()))) {
            t.row(v.label(), v.value(), ab.baselineLoss() + v.value(), 100 * v.value() / ab.baselineLoss());
        }
        b.append(t.render()).append('\n');
    }

    private static void edges(StringBuilder b, EdgeAttributionGraph g) {
        String title = "Edge attribution (" + g.method() + "): metric " + Format.fixed(g.cleanMetric(), 3) + " clean, "
                + Format.fixed(g.corruptedMetric(), 3) + " corrupted; the " + Math.min(TOP, g.edges().size()) + " largest of "
                + g.edgeCount() + " edges (negative: the edge helps)";
        java.util.Set<String> route = new java.util.HashSet<>(g.route());
        ConsoleTable t = new ConsoleTable(wrapTitle(title)).number("rank", null, 0).text("edge").signedNumber("score", null, 3).text("");
        for (EdgeAttributionGraph.Edge e : g.edges().subList(0, Math.min(TOP, g.edges().size()))) {
            t.row(e.rank(), e.source() + " -> " + e.destination(), e.score(), route.contains(e.name()) ? "route" : "");
        }
        b.append(t.render());
        if (!g.circuits().isEmpty()) {
            StringBuilder c = new StringBuilder("  circuits of the largest edges, share of the metric recovered:");
            for (EdgeAttributionGraph.CircuitResult r : g.circuits()) {
                c.append(' ').append(r.topN()).append(" edges ").append(Format.fixed(r.recovered(), 2)).append(',');
            }
            c.setLength(c.length() - 1);
            b.append(c).append('\n');
        }
        b.append('\n');
    }

    private static void qkOv(StringBuilder b, QkOvAnalysis q) {
        b.append(grid("OV copying scores (full OV circuit, -1 to 1)", q.copyingScore(), 2)).append('\n');
        if (q.previousTokenScore() != null) {
            b.append(grid("Positional previous-token scores (QK circuit, 0 to 1)", q.previousTokenScore(), 2)).append('\n');
        } else {
            b.append(wrapTitle("Positional previous-token scores (QK circuit): not applicable: " + q.previousTokenScoreNote()))
                    .append("\n\n");
        }
        if (!q.ovReadouts().isEmpty()) {
            b.append("OV readouts (source token -> tokens the head's output raises most, logits)\n");
            int srcWidth = 0;
            for (QkOvAnalysis.OvReadout r : q.ovReadouts()) {
                srcWidth = Math.max(srcWidth, quote(r.source()).length());
            }
            srcWidth = Math.min(srcWidth, 16);
            for (QkOvAnalysis.OvReadout r : q.ovReadouts()) {
                StringBuilder l = new StringBuilder("  ").append(r.head().label());
                l.append(" ".repeat(Math.max(1, 8 - r.head().label().length())));
                String src = quote(r.source());
                l.append(src).append(" ".repeat(Math.max(0, srcWidth - src.length()))).append(" ->");
                for (int i = 0; i < r.top().size(); i++) {
                    QkOvAnalysis.TokenScore t = r.top().get(i);
                    String item = (i == 0 ? " " : ", ") + quote(t.token()) + " " + Format.fixed(t.value(), 2);
                    if (l.length() + item.length() > WIDTH) {
                        break;
                    }
                    l.append(item);
                }
                b.append(l).append('\n');
            }
            b.append('\n');
        }
    }

    /**
     * A token in double quotes with escapes, so that spaces and newlines show and a byte-fallback token
     * such as {@code <0x00>} prints as {@code \}{@code u0000} (escaped) instead of a control character.
     */
    static String quote(String token) {
        return Tokenizer.quoted(token);
    }

    private static void composition(StringBuilder b, CompositionScores c) {
        ConsoleTable t = new ConsoleTable("Composition scores: strongest pairs (random baseline "
                + Format.fixed(c.baseline(), 3) + ")")
                .text("mode").text("from").text("into").number("score", null, 3).number("x baseline", null, 1);
        for (CompositionScores.Mode mode : CompositionScores.Mode.values()) {
            for (double[] p : HtmlReport.topPairs(c.scores(mode), 3)) {
                t.row(mode.name(), "L" + (int) p[0] + "H" + (int) p[1], "L" + (int) p[2] + "H" + (int) p[3], p[4],
                        c.baseline() > 0 ? (Object) (p[4] / c.baseline()) : "n/a");
            }
        }
        b.append(t.render());
        if (c.caveat() != null) {
            b.append("Note: ").append(c.caveat()).append('\n');
        }
        b.append('\n');
    }

    private static void claims(StringBuilder b, List<Claim> claims) {
        b.append("Claims\n");
        int verdictWidth = 0;
        for (Verdict v : Verdict.values()) {
            verdictWidth = Math.max(verdictWidth, v.text().length() + 2);
        }
        String indent = " ".repeat(4 + verdictWidth + 2);
        for (EvidenceTier tier : EvidenceTier.values()) {
            List<Claim> in = claims.stream().filter(c -> c.tier() == tier).toList();
            if (in.isEmpty()) {
                continue;
            }
            b.append("  ").append(tier.text()).append(" (").append(tier.sources()).append(")\n");
            for (Claim c : in) {
                String v = "[" + c.verdict().text() + "]";
                List<String> lines = wrap(c.statement(), WIDTH - indent.length());
                b.append("    ").append(v).append(" ".repeat(verdictWidth - v.length() + 2)).append(lines.getFirst()).append('\n');
                for (String l : lines.subList(1, lines.size())) {
                    b.append(indent).append(l).append('\n');
                }
                if (!c.numbers().isEmpty()) {
                    for (String part : c.numbers().split("\n")) {
                        for (String l : wrap(part, WIDTH - indent.length() - 2)) {
                            b.append(indent).append("  ").append(l).append('\n');
                        }
                    }
                }
            }
        }
        b.append('\n');
    }

    private static String wrapTitle(String title) {
        return String.join("\n", wrap(title, WIDTH));
    }

    /** Greedy word wrap; a word longer than the width is cut into pieces of the width. */
    static List<String> wrap(String text, int width) {
        List<String> words = new ArrayList<>();
        for (String word : text.trim().split("\\s+")) {
            for (int i = 0; i < word.length(); i += width) {
                words.add(word.substring(i, Math.min(word.length(), i + width)));
            }
        }
        List<String> out = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : words) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                out.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        out.add(line.toString());
        return out;
    }
}
