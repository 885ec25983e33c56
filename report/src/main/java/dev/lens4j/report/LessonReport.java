package dev.lens4j.report;

import dev.lens4j.report.chart.Html;
import dev.lens4j.report.chart.LineChart;
import dev.lens4j.report.chart.SvgCanvas;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The lesson ({@link LessonData}) as one self-contained HTML page that works offline: the report's inline
 * CSS, an inline SVG bar chart and a few lines of plain JavaScript; nothing is loaded from anywhere else.
 *
 * <p>Elements tests rely on: sections {@code #baselines}, {@code #direct-path}, {@code #dla-share},
 * {@code #skip-trigrams}, {@code #same-layer-bug}, {@code #induction} (with the claims as
 * {@code .claim[data-verdict][data-tier]}); {@code #direct-table}, {@code #triple-table} (rows
 * {@code tr[data-head]}), {@code #triple-heads button[data-head]} (one per head, and {@code data-head="all"}:
 * clicking one hides the other heads' rows and sets {@code aria-pressed}), {@code .bug} (one per bug
 * instance shown); {@code html[data-ready]} is set once the script ran.
 */
public final class LessonReport {

    private LessonReport() {}

    /**
     * Writes the page; readers never see a partly written file.
     *
     * @param data the lesson's numbers
     * @param file the HTML file to write
     * @throws IOException if the file cannot be written
     */
    public static void write(LessonData data, Path file) throws IOException {
        HtmlReport.writePage(render(data), file);
    }

    /**
     * Renders the page.
     *
     * @param d the lesson's numbers
     * @return the complete HTML page
     */
    public static String render(LessonData d) {
        StringBuilder b = new StringBuilder(32 * 1024);
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<meta name=\"generator\" content=\"lens4j\">\n<title>The lesson on models of English</title>\n<style>\n")
                .append(HtmlReport.resource("report.css"))
                .append("code.t { white-space: pre; background: #eef2f7; border-radius: 3px; padding: 0 3px; }\n")
                .append("mark.src { background: #fde68a; border-radius: 3px; padding: 0 2px; white-space: pre; }\n")
                .append(".snippet { font-family: var(--mono); white-space: pre-wrap; }\n")
                .append(".bug { border-left: 4px solid var(--red); padding: 6px 14px; margin: 10px 0; background: #fffafa; }\n")
                .append("#triple-heads { display: flex; gap: 6px; margin: 6px 0 10px; }\n")
                .append("#triple-heads button { border: 1px solid var(--line); background: #fff; border-radius: 6px; padding: 3px 10px; "
                        + "cursor: pointer; font: 600 12.5px var(--mono); }\n")
                .append("#triple-heads button[aria-pressed=\"true\"] { border-color: var(--blue); background: #eff4ff; }\n")
                .append("</style>\n</head>\n<body>\n")
                .append("<header class=\"top\"><div class=\"wrap\">\n<h1 id=\"title\">The lesson on models of English</h1>\n")
                .append("<p class=\"sub\">english-1l and english-2l, trained by lens4j on the World English Bible</p>\n")
                .append("<nav aria-label=\"sections\">");
        nav(b, "baselines", "Baselines");
        nav(b, "direct-path", "Direct path");
        nav(b, "dla-share", "DLA share");
        nav(b, "skip-trigrams", "Skip-trigrams");
        nav(b, "same-layer-bug", "Same-layer bug");
        nav(b, "induction", "Induction");
        b.append("</nav>\n</div></header>\n<main class=\"wrap\">\n");
        baselines(b, d.baselines());
        directPath(b, d.directPath());
        dlaShare(b, d.directPath());
        skipTrigrams(b, d.skipTrigrams());
        bugs(b, d.skipTrigrams());
        induction(b, d.induction());
        b.append("</main>\n<script>\n").append(SCRIPT).append("</script>\n</body>\n</html>\n");
        return b.toString();
    }

    /** Head filter of the triple table; marks the page ready. */
    private static final String SCRIPT = """
            (function () {
              var buttons = document.querySelectorAll('#triple-heads button[data-head]');
              buttons.forEach(function (btn) {
                btn.addEventListener('click', function () {
                  var head = btn.dataset.head;
                  buttons.forEach(function (o) { o.setAttribute('aria-pressed', String(o === btn)); });
                  document.querySelectorAll('#triple-table tr[data-head]').forEach(function (row) {
                    row.hidden = head !== 'all' && row.dataset.head !== head;
                  });
                });
              });
              document.documentElement.setAttribute('data-ready', 'true');
            })();
            """;

    private static void nav(StringBuilder b, String id, String text) {
        b.append("<a href=\"#").append(id).append("\">").append(esc(text)).append("</a>");
    }

    private static void baselines(StringBuilder b, LessonData.Baselines s) {
        b.append("<section id=\"baselines\" class=\"card\">\n<h2>Data and baselines</h2>\n<p class=\"lede\">")
                .append(esc(f("Text from the World English Bible (public domain), %d chapters, every %dth held out: %,d training tokens, "
                                + "%,d held-out, in a byte-level BPE of %d tokens trained by lens4j. Losses in nats per token on %d "
                                + "held-out windows of %d targets.", s.chapters(), s.heldOutEvery(), s.trainTokens(), s.heldOutTokens(),
                        s.vocab(), s.windows(), s.targets())))
                .append("</p>\n<div class=\"stats\">");
        stat(b, "unigram model", s.unigram());
        stat(b, "bigram model", s.bigram());
        stat(b, "english-1l", s.oneLayer());
        stat(b, "english-2l", s.twoLayer());
        b.append("</div>\n</section>\n");
    }

    private static void stat(StringBuilder b, String k, double v) {
        b.append("<div class=\"stat\"><span class=\"k\">").append(esc(k)).append("</span><span class=\"v\">")
                .append(f("%.3f", v)).append("</span></div>");
    }

    private static void directPath(StringBuilder b, LessonData.DirectPathSection p) {
        b.append("<section id=\"direct-path\" class=\"card\">\n<h2>The direct path of english-1l</h2>\n<p class=\"lede\">")
                .append("W_E through the final norm to W_U, with no attention: a bigram table built into the weights. For the most "
                        + "frequent tokens, its top next tokens beside the corpus' most frequent next tokens, and the correlation "
                        + "of its logits with the bigram log-probabilities.</p>\n")
                .append("<div class=\"scroll\"><table id=\"direct-table\" class=\"data\"><thead><tr><th>after</th>")
                .append("<th>direct path's top next tokens</th><th>corpus' top next tokens</th><th class=\"num\">r</th></tr></thead><tbody>\n");
        for (LessonData.DirectRow r : p.rows()) {
            b.append("<tr><td>").append(tok(r.token())).append("</td><td>").append(toks(r.direct())).append("</td><td>")
                    .append(toks(r.corpus())).append("</td><td class=\"num\">").append(f("%.2f", r.correlation())).append("</td></tr>\n");
        }
        b.append("</tbody></table></div>\n<p id=\"direct-summary\">")
                .append(esc(f("Over the %d most frequent tokens: mean correlation %.3f; the direct path's top token is the corpus' most "
                        + "frequent next token for %.0f%% of them.", p.common(), p.meanCorrelation(), 100 * p.top1Agreement())))
                .append("</p>\n</section>\n");
    }

    private static void dlaShare(StringBuilder b, LessonData.DirectPathSection p) {
        b.append("<section id=\"dla-share\" class=\"card\">\n<h2>The direct path's share of the logits</h2>\n<p class=\"lede\">")
                .append(esc(f("Direct logit attribution of the correct next token on %d held-out windows: how far each component "
                        + "raises it above the mean logit. The embedding (the direct path) carries %.0f%% of it.", p.dlaWindows(),
                        100 * p.share())))
                .append("</p>\n");
        String[] labels = {"embed", "pos_embed", "attention"};
        double[] values = {p.embed(), p.posEmbed(), p.attention()};
        double max = 1e-9;
        for (double v : values) {
            max = Math.max(max, Math.abs(v));
        }
        double width = 600, label = 110, bar = 26, gap = 10;
        b.append("<figure style=\"max-width: 640px\"><svg id=\"dla-share-chart\" viewBox=\"0 0 ").append(f("%.0f %.0f", width, values.length * (bar + gap)))
                .append("\" role=\"img\" aria-label=\"direct logit attribution by component\">");
        for (int i = 0; i < values.length; i++) {
            double y = i * (bar + gap), len = Math.abs(values[i]) / max * (width - label - 70);
            b.append("<text class=\"mono\" x=\"0\" y=\"").append(f("%.1f", y + bar * 0.7)).append("\" font-size=\"13\">")
                    .append(esc(labels[i])).append("</text><rect data-tip=\"").append(esc(labels[i])).append("\" x=\"")
                    .append(f("%.1f", label)).append("\" y=\"").append(f("%.1f", y)).append("\" width=\"").append(f("%.1f", len))
                    .append("\" height=\"").append(f("%.0f", bar)).append("\" fill=\"").append(values[i] < 0 ? "#dc2626" : "#2563eb")
                    .append("\"><title>").append(esc(f("%s: %.3f", labels[i], values[i]))).append("</title></rect><text class=\"mono\" x=\"")
                    .append(f("%.1f", label + len + 6)).append("\" y=\"").append(f("%.1f", y + bar * 0.7)).append("\" font-size=\"13\">")
                    .append(f("%.3f", values[i])).append("</text>");
        }
        b.append("</svg></figure>\n</section>\n");
    }

    private static void skipTrigrams(StringBuilder b, LessonData.SkipTrigramSection s) {
        b.append("<section id=\"skip-trigrams\" class=\"card\">\n<h2>Skip-trigrams of english-1l's heads</h2>\n<p class=\"lede\">")
                .append("Read from each head's full QK circuit (which source a destination token attends to) and OV circuit (which "
                        + "token's logit the source raises), over the most frequent tokens. QK is above the mean over sources, OV above "
                        + "the mean logit.</p>\n<div id=\"triple-heads\" role=\"group\" aria-label=\"heads\">")
                .append("<button type=\"button\" data-head=\"all\" aria-pressed=\"true\">all heads</button>");
        for (int h : new TreeSet<>(s.triples().stream().map(LessonData.Triple::head).toList())) {
            b.append("<button type=\"button\" data-head=\"").append(h).append("\" aria-pressed=\"false\">head ").append(h).append("</button>");
        }
        b.append("</div>\n<div class=\"scroll\"><table id=\"triple-table\" class=\"data\"><thead><tr><th class=\"num\">head</th>")
                .append("<th>source</th><th>destination</th><th>boosted token</th><th class=\"num\">QK</th><th class=\"num\">OV</th>")
                .append("</tr></thead><tbody>\n");
        for (LessonData.Triple t : s.triples()) {
            b.append("<tr data-head=\"").append(t.head()).append("\"><td class=\"num\">").append(t.head()).append("</td><td>")
                    .append(tok(t.source())).append("</td><td>").append(tok(t.dest())).append("</td><td>").append(tok(t.out()))
                    .append("</td><td class=\"num\" title=\"QK(destination, source) above the mean source\">").append(f("%.2f", t.qk()))
                    .append("</td><td class=\"num\" title=\"OV(source to boosted token) above the mean logit\">").append(f("%.2f", t.ov()))
                    .append("</td></tr>\n");
        }
        b.append("</tbody></table></div>\n<h3>Where they fire</h3>\n<p id=\"firings\">")
                .append(esc(f("They fire (attention of at least %.1f on the source) %d times in the held-out text. Examples where the "
                        + "text goes on with the boosted token (source highlighted):", s.minAttention(), s.firings())))
                .append("</p>\n<ul id=\"examples\">\n");
        for (LessonData.Example e : s.examples()) {
            b.append("<li><span class=\"snippet\">").append(snippet(e.snippet())).append("</span> \u2014 ")
                    .append(esc(f("head %d attends %.2f to ", e.head(), e.attention()))).append(tok(e.source()))
                    .append(esc(f(" and adds %+.2f to the logit of ", e.headLogit()))).append(tok(e.out())).append("</li>\n");
        }
        b.append("</ul>\n</section>\n");
    }

    private static void bugs(StringBuilder b, LessonData.SkipTrigramSection s) {
        b.append("<section id=\"same-layer-bug\" class=\"card\">\n<h2>The same-layer bug</h2>\n<p class=\"lede\">")
                .append("One layer's head cannot see what the words between the source and the destination mean: QK picks the "
                        + "source, OV carries the source's completion to the output and makes it the model's top prediction, but the "
                        + "intervening words make the text go on otherwise.</p>\n");
        if (s.bugs().isEmpty()) {
            b.append("<p id=\"bug-count\">Not found in the held-out text with these triples.</p>\n");
        } else {
            b.append("<p id=\"bug-count\">").append(esc(f("%d instances in the held-out text; the largest:", s.bugCount()))).append("</p>\n");
        }
        for (LessonData.Bug g : s.bugs()) {
            b.append("<div class=\"bug\"><p class=\"snippet\">").append(snippet(g.snippet())).append("</p><ul>")
                    .append("<li>QK picks the source: head ").append(g.head()).append(" at ").append(tok(g.dest()))
                    .append(" scores the source ").append(tok(g.source()))
                    .append(esc(f(" %.2f above the mean source and attends %.2f to it.", g.qk(), g.attention())))
                    .append("</li><li>OV carries the completion: ").append(tok(g.source())).append(" \u2192 ").append(tok(g.out()))
                    .append(esc(f(" is %.2f above the mean logit; the head adds %+.2f to its logit.", g.ov(), g.headLogit())))
                    .append("</li><li>The model predicts ").append(tok(g.predicted())).append("; the text has ").append(tok(g.actual()))
                    .append(".</li></ul></div>\n");
        }
        b.append("</section>\n");
    }

    private static void induction(StringBuilder b, LessonData.InductionSection i) {
        b.append("<section id=\"induction\" class=\"card\">\n<h2>Induction on english-2l</h2>\n<p class=\"lede\" id=\"passages\">")
                .append(esc(f("Repeated held-out passages (%d tokens, then the same again): loss %.3f on the first copy, %.3f on the "
                        + "second.", i.passageTokens(),
                        i.firstCopy(), i.secondCopy())))
                .append("</p>\n");
        naturalText(b, i.naturalText());
        if (i.report().claims().isEmpty()) {
            b.append("<p>The investigation made no claims.</p>\n");
        } else {
            HtmlReport.tiers(b, i.report().claims());
        }
        b.append("</section>\n");
    }

    private static void naturalText(StringBuilder b, LessonData.NaturalText t) {
        b.append("<h3>On natural text</h3>\n<p id=\"natural-text\">").append(esc(f("In %d held-out windows, %d of %d queries (%.0f%%) have"
                + " an induction target: their token occurred earlier in the window. Each head's share of attention on those"
                + " targets, on the previous position, and, where there is no target, on BOS and on the query itself (where an"
                + " induction head parks when there is nothing to copy):", t.windows(), t.queriesWithTarget(), t.queries(),
                100.0 * t.queriesWithTarget() / t.queries()))).append("</p>\n");
        b.append("<table id=\"natural-text-heads\">\n<tr><th>head</th><th>induction</th><th>previous token</th>"
                + "<th>BOS (no target)</th><th>itself (no target)</th></tr>\n");
        for (LessonData.HeadRow h : t.heads()) {
            b.append("<tr><td>").append(esc(h.head())).append("</td><td>").append(f("%.2f", h.induction())).append("</td><td>")
                    .append(f("%.2f", h.previousToken())).append("</td><td>").append(f("%.2f", h.bosWithoutTarget())).append("</td><td>")
                    .append(f("%.2f", h.selfWithoutTarget())).append("</td></tr>\n");
        }
        b.append("</table>\n<table id=\"natural-text-loss\">\n<tr><th>next-token loss</th><th>predictions</th><th>english-2l</th>"
                + "<th>english-1l</th></tr>\n");
        lossRow(b, "copying predicts it (the token recurred, followed by this one)", t.copyable(), t.lossCopyable(), t.lossCopyableOneLayer());
        lossRow(b, "the token recurred, followed by another", t.seenOtherwise(), t.lossSeenOtherwise(), t.lossSeenOtherwiseOneLayer());
        lossRow(b, "the token had not occurred", t.unseen(), t.lossUnseen(), t.lossUnseenOneLayer());
        b.append("</table>\n<figure>");
        int n = t.lossByPosition().length;
        double[] x = new double[n - 1];
        double[][] ys = new double[2][n - 1];
        for (int p = 1; p < n; p++) {               // position 0 predicts from BOS alone: left out
            x[p - 1] = p;
            ys[0][p - 1] = t.lossByPosition()[p];
            ys[1][p - 1] = t.lossByPositionOneLayer()[p];
        }
        LineChart chart = new LineChart(x, ys, new String[] {"english-2l", "english-1l"}, "position in the window",
                "mean next-token loss (nats)", HtmlReport.HTML_CHART_WIDTH);
        SvgCanvas c = new SvgCanvas(chart.width(), LineChart.HEIGHT);
        chart.draw(c, null);
        b.append(c.toSvg("natural-text-loss-chart", null, "loss by position in held-out windows, english-2l and english-1l"))
                .append("</figure>\n<p>Repeated random tokens, the investigation's probe, and its claims by evidence tier:</p>\n");
    }

    private static void lossRow(StringBuilder b, String what, int n, double two, double one) {
        b.append("<tr><td>").append(esc(what)).append("</td><td>").append(n).append("</td><td>").append(f("%.3f", two))
                .append("</td><td>").append(f("%.3f", one)).append("</td></tr>\n");
    }

    private static String snippet(LessonData.Snippet s) {
        return esc(s.before()) + "<mark class=\"src\">" + esc(s.source()) + "</mark>" + esc(s.after());
    }

    private static String tok(String token) {
        return "<code class=\"t\">" + esc(token) + "</code>";
    }

    private static String toks(List<String> tokens) {
        StringBuilder b = new StringBuilder();
        for (String t : tokens) {
            b.append(b.isEmpty() ? "" : " ").append(tok(t));
        }
        return b.toString();
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    private static String esc(String s) {
        return Html.escape(s);
    }
}
