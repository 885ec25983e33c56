package dev.lens4j.report;

import dev.lens4j.tensor.internal.Json;
import dev.lens4j.transformer.ParameterCount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class HtmlReportTest {

    private static final Pattern DATA = Pattern.compile(
            "<script type=\"application/json\" id=\"report-data\">(.*?)</script>", Pattern.DOTALL);

    static String dataJson(String html) {
        Matcher m = DATA.matcher(html);
        assertThat(m.find()).as("embedded report data").isTrue();
        return m.group(1);
    }

    @Test
    void pageIsOneWellFormedHtmlDocument() {
        String html = HtmlReport.render(FakeReports.induction());
        assertThat(html).startsWith("<!DOCTYPE html>\n<html lang=\"en\">");
        assertThat(html.trim()).endsWith("</html>");
        assertThat(count(html, "<head>")).isEqualTo(1);
        assertThat(count(html, "<body>")).isEqualTo(1);
        assertThat(html).contains("<meta charset=\"utf-8\">");
        assertBalanced(html);
        for (String id : List.of("summary", "claims", "loss", "attention", "head-scores", "dla", "ablation", "qk-ov",
                "composition", "loss-chart", "dla-chart", "ablation-table", "head-selector", "attn-tokens", "attn-canvas",
                "composition-k", "report-data", "edges", "edge-graph", "edge-count", "edge-table", "circuit-table")) {
            assertThat(count(html, "id=\"" + id + "\"")).as("element #" + id).isEqualTo(1);
        }
    }

    @Test
    void embeddedDataRoundTripsThroughJson() {
        ReportData data = FakeReports.induction();
        String json = dataJson(HtmlReport.render(data));
        Map<String, Object> tree = Json.parseObject(json);
        assertThat(tree.get("title")).isEqualTo(data.title());
        assertThat(((Map<?, ?>) tree.get("model")).get("nHeads")).isEqualTo(4L);
        ReportData back = ReportJson.read(json);
        assertThat(back).usingRecursiveComparison().withComparatorForType(ReportJsonTest.CLOSE, Double.class).isEqualTo(data);
    }

    @Test
    void scriptEndTagsInTokensAreEscaped() {
        List<String> words = new ArrayList<>(FakeReports.WORDS);
        words.set(2, "</script><script>alert(1)</script>");
        words.set(3, " <!-- & \u2028");
        ReportData data = FakeReports.induction(FakeReports.tokens(words));
        String html = HtmlReport.render(data);
        // exactly the two script elements the page has: the data and the code
        assertThat(count(html, "<script")).isEqualTo(2);
        assertThat(count(html, "</script>")).isEqualTo(2);
        assertThat(html).doesNotContain("<!-- &");
        String json = dataJson(html);
        assertThat(json).doesNotContain("<").doesNotContain(">").contains("\\u003c/script\\u003e");
        assertThat(ReportJson.read(json).attention().tokens()).isEqualTo(data.attention().tokens());
        // in the markup the token is text, never a tag
        assertThat(html).contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
        assertBalanced(html);
    }

    @Test
    void everythingIsInline() {
        String html = HtmlReport.render(FakeReports.induction());
        assertThat(html).doesNotContain("http://").doesNotContain("https://").doesNotContain("//cdn");
        assertThat(html).doesNotContainPattern("\\ssrc\\s*=");
        assertThat(html).doesNotContain("<link").doesNotContain("@import").doesNotContain("url(");
        Matcher href = Pattern.compile("href=\"([^\"]*)\"").matcher(html);
        while (href.find()) {
            assertThat(href.group(1)).as("link target").startsWith("#");
        }
    }

    @Test
    void viewerListsTheHeadsAndTokensOfTheData() {
        ReportData data = FakeReports.induction();
        String html = HtmlReport.render(data);
        List<String> heads = all(html, "data-head=\"([^\"]+)\"");
        assertThat(heads).containsExactlyElementsOf(
                data.attention().heads().stream().map(h -> h.head().label()).toList());
        List<String> indices = all(html, "data-token-index=\"(\\d+)\"");
        assertThat(indices).hasSize(data.attention().tokens().size());
        assertThat(indices.getLast()).isEqualTo(String.valueOf(data.attention().tokens().size() - 1));
        // the viewer opens on the induction head
        assertThat(html).contains("data-initial-head=\"L1H2\"");
    }

    @Test
    void claimsAreGroupedByTierWithTheirVerdicts() {
        ReportData data = FakeReports.induction();
        String html = HtmlReport.render(data);
        List<String> tiers = all(html, "<div class=\"tier\" data-tier=\"([a-z]+)\"");
        assertThat(tiers).containsExactly("clue", "activation", "weight");
        List<String> verdicts = all(html, "class=\"claim\" data-claim-index=\"\\d+\" data-verdict=\"([a-z-]+)\"");
        assertThat(verdicts).hasSize(data.claims().size()).contains("supported", "not-supported", "inconclusive");
        assertThat(html).contains("K-composition 0.43 = 6.1x the random baseline 0.071");
    }

    @Test
    void ablationTableIsSortedByLossChange() {
        String html = HtmlReport.render(FakeReports.induction());
        String table = html.substring(html.indexOf("id=\"ablation-table\""), html.indexOf("</table>", html.indexOf("id=\"ablation-table\"")));
        List<String> order = all(table, "<tr data-label=\"([^\"]+)\"");
        assertThat(order).hasSize(8).startsWith("L1H2", "L0H1", "L0H3");
    }

    @Test
    void chartsCarryTheirValues() {
        ReportData data = FakeReports.induction();
        String html = HtmlReport.render(data);
        String dla = html.substring(html.indexOf("id=\"dla-chart\""));
        dla = dla.substring(0, dla.indexOf("</svg>"));
        List<String> bars = all(dla, "data-label=\"([^\"]+)\"");
        assertThat(bars).hasSize(8).first().isEqualTo("L1H2");
        assertThat(bars.getLast()).isEqualTo("L1H3");
        String comp = html.substring(html.indexOf("id=\"composition-k\""));
        comp = comp.substring(0, comp.indexOf("</svg>"));
        assertThat(comp).contains("data-row=\"L0H1\" data-col=\"L1H2\" data-value=\"0.4300\"");
        // 4 x 4 cells from layer 0 into layer 1; the rest have no value
        assertThat(count(comp, "data-row=")).isEqualTo(16);
    }

    @Test
    void writesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("r.html");
        HtmlReport.write(FakeReports.induction(), file);
        assertThat(Files.readString(file)).isEqualTo(HtmlReport.render(FakeReports.induction()));
        try (var s = Files.list(dir)) {
            assertThat(s.toList()).containsExactly(file);
        }
    }

    @Test
    void aGpt2SizedReportRenders() {
        ReportData data = FakeReports.large();
        String html = HtmlReport.render(data);
        assertThat(all(html, "data-head=\"([^\"]+)\"")).hasSize(24).startsWith("L1H0");
        assertThat(html).contains("Showing the 32 largest of 144 components by magnitude.");
        String dla = html.substring(html.indexOf("id=\"dla-chart\""));
        assertThat(all(dla.substring(0, dla.indexOf("</svg>")), "data-label=\"([^\"]+)\"")).hasSize(32);
        // 66 later-layer pairs of 12 x 12 heads per mode
        assertThat(count(html, "data-row=")).isEqualTo(3 * 66 * 144);
        assertThat(ReportJson.read(dataJson(html)).attention().tokens()).isEqualTo(data.attention().tokens());
    }

    @Test
    void sectionsWithoutDataAreLeftOut() {
        ModelSummary m = new ModelSummary("tiny", "word", 10, 1, 2, 8, 4, new ParameterCount(100, false), true);
        String html = HtmlReport.render(ReportData.builder("only a model", m).build());
        assertBalanced(html);
        assertThat(html).contains("id=\"summary\"").doesNotContain("id=\"attn-viewer\"").doesNotContain("id=\"loss-chart\"");
        // before: "1 layers"
        assertThat(html).contains("tiny \u00b7 1 layer \u00d7 2 heads, attention only \u00b7 d_model 8")
                .contains("<dt>parameters</dt><dd>100 (W_U untied)</dd>");
    }

    // ---- helpers

    static int count(String s, String sub) {
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            n++;
        }
        return n;
    }

    static List<String> all(String s, String regex) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(s);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static final Set<String> VOID = Set.of("meta", "br", "img", "input", "link", "hr", "wbr", "source", "col", "area");

    /** Every non-void element is closed in order; script and style contents are raw text. */
    static void assertBalanced(String html) {
        Deque<String> open = new ArrayDeque<>();
        Matcher m = Pattern.compile("<(/?)([a-zA-Z][a-zA-Z0-9]*)\\b[^>]*?(/?)>|<!DOCTYPE[^>]*>").matcher(html);
        int pos = 0;
        while (m.find(pos)) {
            pos = m.end();
            if (m.group(2) == null) {
                continue;
            }
            String name = m.group(2).toLowerCase(java.util.Locale.ROOT);
            if (m.group(1).isEmpty()) {
                if (VOID.contains(name) || !m.group(3).isEmpty()) {
                    continue;
                }
                open.push(name);
                if (name.equals("script") || name.equals("style")) {
                    int end = html.indexOf("</" + name + ">", pos);
                    assertThat(end).as("end of <" + name + ">").isPositive();
                    pos = end;
                }
            } else {
                assertThat(open).as("closing </" + name + "> at offset " + m.start()).isNotEmpty();
                assertThat(open.pop()).as("element closed by </" + name + "> at offset " + m.start()).isEqualTo(name);
            }
        }
        assertThat(open).as("unclosed elements").isEmpty();
    }
}
