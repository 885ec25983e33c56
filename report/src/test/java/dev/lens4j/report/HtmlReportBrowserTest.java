package dev.lens4j.report;

import dev.lens4j.hooks.ActivationCache;
import dev.lens4j.tensor.Tensor;
import dev.lens4j.transformer.HookedTransformer;
import dev.lens4j.transformer.loading.Models;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Loads the HTML report in a real headless Chromium (Debian's chromium package; tools/ci/install-browser.sh
 * installs it) and checks that the attention viewer shows the report's heads and reacts to hovering a
 * token with exactly the pattern's weights: once on made-up data ({@link FakeReports#induction()}), once on
 * the report the main job writes for the shipped induction-2l model. Keeps screenshots in
 * target/test-artifacts. Skips when no chromium binary is found, unless the environment variable
 * LENS4J_REQUIRE_BROWSER=1 (or -Dlens4j.requireBrowser=true) asks for it, in which case a missing browser
 * fails the test (.ci/run sets it).
 */
class HtmlReportBrowserTest {

    /** The browser, or a skip (a failure when the browser is required). */
    static Path browser() {
        var binary = HeadlessChromium.find();
        // CI can insist on the browser (LENS4J_REQUIRE_BROWSER=1) so that a failed install cannot pass silently.
        boolean required = "1".equals(System.getenv("LENS4J_REQUIRE_BROWSER")) || Boolean.getBoolean("lens4j.requireBrowser");
        assertThat(binary.isPresent() || !required)
                .as("LENS4J_REQUIRE_BROWSER is set but no chromium binary was found; run tools/ci/install-browser.sh").isTrue();
        Assumptions.assumeTrue(binary.isPresent(),
                "no chromium binary found on the PATH (or -Dlens4j.chromium=...); run tools/ci/install-browser.sh "
                        + "to install Debian's chromium. Skipping the headless-browser test of the HTML report.");
        return binary.get();
    }

    /** Opens a page at 1280 x 900 and loads the report into it, waiting until its script has run. */
    static void load(HeadlessChromium chrome, Path html) throws Exception {
        chrome.openPage();
        chrome.call("Emulation.setDeviceMetricsOverride",
                Map.of("width", 1280, "height", 900, "deviceScaleFactor", 1, "mobile", false));
        chrome.call("Page.navigate", Map.of("url", html.toUri().toString()));
        chrome.waitFor("document.readyState === 'complete' && document.documentElement.dataset.ready === 'true'");
    }

    /** No script errors, and nothing was fetched from anywhere but the file itself. */
    static void assertSelfContained(HeadlessChromium chrome) {
        assertThat(chrome.events("Runtime.exceptionThrown")).isEmpty();
        for (Map<String, Object> e : chrome.events("Network.requestWillBeSent")) {
            String url = (String) ((Map<?, ?>) ((Map<?, ?>) e.get("params")).get("request")).get("url");
            assertThat(url).as("request made by the page").matches("(file|data|about):.*");
        }
    }

    @Test
    void viewerShowsTheHeadsAndReactsToHover(@TempDir Path dir) throws Exception {
        Path binary = browser();
        ReportData data = FakeReports.induction();
        Path html = dir.resolve("report.html");
        HtmlReport.write(data, html);

        try (HeadlessChromium chrome = new HeadlessChromium(binary, 1280, 900)) {
            load(chrome, html);
            // the viewer lists exactly the report's heads, in order, and opens on the induction head
            Object heads = chrome.eval("Array.from(document.querySelectorAll('#head-selector [data-head]')).map(e => e.dataset.head)");
            assertThat(heads).isEqualTo(data.attention().heads().stream().map(h -> h.head().label()).toList());
            assertThat(chrome.eval("document.getElementById('attn-viewer').dataset.selectedHead")).isEqualTo("L1H2");
            assertThat(chrome.eval("document.querySelectorAll('[data-attn-from]').length")).isEqualTo(0L);

            // hover token 15 (the second " garden") with a synthetic mouseover: its row of L1H2's pattern
            List<Double> row15 = hover(chrome, 15, false);
            assertRow(row15, data, FakeReports.INDUCTION, 15);
            assertThat(argmax(row15)).as("the induction head attends to the token after the previous copy").isEqualTo(6);
            assertThat(column(chrome)).hasSize(20);
            assertColumn(column(chrome), data, FakeReports.INDUCTION, 15);
            // the most-attended token is shaded blue with the opacity of its weight
            String bg = (String) chrome.eval("getComputedStyle(document.querySelector('#attn-tokens [data-token-index=\"6\"]')).backgroundColor");
            assertThat(bg).startsWith("rgba(37, 99, 235, ");
            assertThat(Double.parseDouble(bg.replaceAll(".*, ([0-9.]+)\\)$", "$1")))
                    .isCloseTo(data.attention().find(FakeReports.INDUCTION).pattern()[15][6], within(0.002));

            // a real mouse move over another token changes the highlighted weights
            List<Double> row5 = hover(chrome, 5, true);
            assertThat(row5).isNotEqualTo(row15);
            assertRow(row5, data, FakeReports.INDUCTION, 5);

            // switching to the previous-token head: row 7 now peaks at token 6
            chrome.eval("document.querySelector('#head-selector [data-head=\"L0H1\"]').click()");
            assertThat(chrome.eval("document.getElementById('attn-viewer').dataset.selectedHead")).isEqualTo("L0H1");
            List<Double> prev7 = hover(chrome, 7, false);
            assertRow(prev7, data, FakeReports.PREV, 7);
            assertThat(argmax(prev7)).isEqualTo(6);

            // the matrix is drawn: its hovered row is outlined in blue
            assertThat(chrome.eval("(() => { const c = document.getElementById('attn-canvas');"
                    + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let ink = 0;"
                    + " for (let i = 0; i < d.length; i += 4) if (d[i] < 200) ink++; return ink; })()")).asInstanceOf(
                    org.assertj.core.api.InstanceOfAssertFactories.LONG).isGreaterThan(1000L);

            // composition mode buttons switch panels; the ablation table sorts
            chrome.eval("document.querySelector('[data-comp-mode=\"q\"]').click()");
            assertThat(chrome.eval("[...document.querySelectorAll('[data-comp-panel]')]"
                    + ".filter(p => getComputedStyle(p).display !== 'none').map(p => p.dataset.compPanel)"))
                    .isEqualTo(List.of("q"));
            chrome.eval("document.querySelector('[data-comp-mode=\"k\"]').click()");
            chrome.eval("document.querySelectorAll('#ablation-table thead th')[2].click()");
            assertThat(chrome.eval("document.querySelector('#ablation-table tbody tr').dataset.label")).isEqualTo("L0H2");
            // the first click on a column sorts it ascending, the second descending
            chrome.eval("document.querySelectorAll('#ablation-table thead th')[3].click()");
            assertThat(numbers(chrome.eval("[...document.querySelectorAll('#ablation-table tbody tr')].map(r => +r.cells[3].dataset.sort)")))
                    .isSortedAccordingTo(Double::compare);
            chrome.eval("document.querySelectorAll('#ablation-table thead th')[3].click()");
            assertThat(numbers(chrome.eval("[...document.querySelectorAll('#ablation-table tbody tr')].map(r => -r.cells[3].dataset.sort)")))
                    .isSortedAccordingTo(Double::compare);

            // a heatmap cell's tooltip shows with the pointer on the cell's centre, where its number is drawn
            String cell = "document.querySelector('#composition-k rect[data-row=\"L0H1\"][data-col=\"L1H2\"]')";
            chrome.eval(cell + ".scrollIntoView({block: 'center'})");
            List<Object> centre = asList(chrome.eval("(() => { const r = " + cell + ".getBoundingClientRect(); "
                    + "return [r.left + r.width / 2, r.top + r.height / 2]; })()"));
            assertThat(chrome.eval("(() => { const e = document.elementFromPoint(" + centre.get(0) + ", " + centre.get(1)
                    + "); return e.tagName + ':' + (e.textContent || ''); })()")).as("what the centre of the cell shows")
                    .isEqualTo("rect:");
            assertThat(chrome.eval("[...document.querySelectorAll('#composition-k text')].some(t => t.textContent === '.43')")).isEqualTo(true);
            chrome.call("Input.dispatchMouseEvent", Map.of("type", "mouseMoved", "x", centre.get(0), "y", centre.get(1)));
            assertThat(chrome.eval("document.getElementById('tooltip').hidden")).isEqualTo(false);
            assertThat((String) chrome.eval("document.getElementById('tooltip').textContent"))
                    .startsWith("K-composition L0H1 \u2192 L1H2: 0.430");

            // a point of the loss chart names the token it predicts
            String point = "document.querySelectorAll('#loss-chart circle')[11]";
            chrome.eval(point + ".scrollIntoView({block: 'center'})");
            List<Object> at = asList(chrome.eval("(() => { const r = " + point + ".getBoundingClientRect(); "
                    + "return [r.left + r.width / 2, r.top + r.height / 2]; })()"));
            chrome.call("Input.dispatchMouseEvent", Map.of("type", "mouseMoved", "x", at.get(0), "y", at.get(1)));
            assertThat((String) chrome.eval("document.getElementById('tooltip').textContent"))
                    .startsWith("predicting token 12 (the second copy's token 2, in the repeated half): ");

            // only heads the claims would count get a caption under their button, and none is blank
            assertThat(chrome.eval("[...document.querySelectorAll('#head-selector .hs')].map(e => e.textContent)"))
                    .isEqualTo(List.of("prev " + Format.fixed(data.headScores().previousToken()[0][1], 2),
                            "ind " + Format.fixed(data.headScores().induction()[1][2], 2)));

            assertSelfContained(chrome);

            // leave the induction head hovered for the screenshot
            chrome.eval("document.querySelector('#head-selector [data-head=\"L1H2\"]').click()");
            hover(chrome, 15, true);
            screenshot(chrome, "report");

            // on a phone-sized screen nothing forces sideways scrolling of the page
            chrome.call("Emulation.setDeviceMetricsOverride",
                    Map.of("width", 400, "height", 800, "deviceScaleFactor", 1, "mobile", true));
            chrome.eval("window.dispatchEvent(new Event('resize'))");
            assertThat(chrome.eval("document.documentElement.scrollWidth")).as("page width; wide elements: %s", chrome.eval(
                    "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 400 && !e.closest('.scroll'))"
                    + ".slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + e.getBoundingClientRect().right)")).asInstanceOf(
                    org.assertj.core.api.InstanceOfAssertFactories.LONG).isLessThanOrEqualTo(400L);
            chrome.eval("document.getElementById('attention').scrollIntoView()");
            Map<String, Object> narrow = chrome.call("Page.captureScreenshot", Map.of("format", "png", "optimizeForSpeed", true));
            Files.write(Path.of("target", "test-artifacts", "report-narrow.png"), Base64.getDecoder().decode((String) narrow.get("data")));
        }
    }

    /**
     * The edge-attribution graph: every node of the model's graph, the largest edges drawn by rank, the
     * slider showing and hiding them, the claimed route highlighted, a tooltip with each edge's score.
     */
    @Test
    void edgeGraphShowsTheLargestEdgesAndTheSliderChangesThem(@TempDir Path dir) throws Exception {
        Path binary = browser();
        ReportData data = FakeReports.induction();
        EdgeAttributionGraph g = data.edgeAttribution();
        ReportWriter.writeAll(data, dir);
        try (HeadlessChromium chrome = new HeadlessChromium(binary, 1280, 900)) {
            load(chrome, dir.resolve(ReportWriter.HTML));
            List<String> nodes = new ArrayList<>(g.sources());
            nodes.add("logits");
            assertThat(chrome.eval("[...document.querySelectorAll('#edge-graph [data-node]')].map(e => e.dataset.node)")).isEqualTo(nodes);
            assertThat(chrome.eval("document.querySelectorAll('#edge-graph path.edge').length")).isEqualTo((long) g.edges().size());
            // at first the 20 largest are shown, largest rank last in the list of visible ones
            assertThat(visibleRanks(chrome)).containsExactlyInAnyOrderElementsOf(range(1, EdgeGraphSvg.SHOWN));
            assertThat(chrome.eval("document.getElementById('edge-count-value').textContent")).isEqualTo("20 of 81");
            chrome.eval("(() => { const s = document.getElementById('edge-count'); s.value = 5; s.dispatchEvent(new Event('input')); })()");
            assertThat(visibleRanks(chrome)).containsExactlyInAnyOrderElementsOf(range(1, 5));
            assertThat(chrome.eval("document.getElementById('edge-count-value').textContent")).isEqualTo("5 of 81");
            // a hidden edge is not drawn at all
            assertThat(chrome.eval("getComputedStyle(document.querySelector('#edge-graph path.edge[data-rank=\"6\"]')).display")).isEqualTo("none");
            // the route: both edges marked, with their halos, and the largest two edges of the graph
            assertThat(chrome.eval("[...document.querySelectorAll('#edge-graph path.edge.route')].map(e => e.dataset.edge).sort()"))
                    .isEqualTo(List.of("L0H1->L1H2<k>", "L1H2->logits"));
            assertThat(chrome.eval("document.querySelectorAll('#edge-graph path.edge-halo:not(.off)').length")).isEqualTo(2L);
            // a key edge is green, and ends at the middle of the head's bottom edge
            String key = "document.querySelector('#edge-graph path.edge[data-edge=\"L0H1->L1H2<k>\"]')";
            assertThat(chrome.eval("getComputedStyle(" + key + ").stroke")).isEqualTo("rgb(22, 163, 74)");
            List<Object> end = asList(chrome.eval("(() => { const p = " + key + "; const e = p.getPointAtLength(p.getTotalLength()); "
                    + "const r = document.querySelector('#edge-graph [data-node=\"L1H2\"] rect'); "
                    + "return [e.x - (+r.getAttribute('x') + r.getAttribute('width') / 2), e.y - (+r.getAttribute('y') + +r.getAttribute('height'))]; })()"));
            assertThat(((Number) end.get(0)).doubleValue()).isCloseTo(0, within(0.2));
            assertThat(((Number) end.get(1)).doubleValue()).isCloseTo(0, within(0.2));
            // hovering an edge names it and its score
            chrome.eval(key + ".scrollIntoView({block: 'center'})");
            chrome.eval("(() => { const p = " + key + "; const r = p.getBoundingClientRect(); p.dispatchEvent(new MouseEvent('mousemove', "
                    + "{bubbles: true, clientX: r.left + 1, clientY: r.top + 1})); })()");
            assertThat((String) chrome.eval("document.getElementById('tooltip').textContent"))
                    .isEqualTo("L0H1 \u2192 L1H2<k>: -1.4000 (rank 2 of 81 edges), on the claimed route");
            assertThat(chrome.eval("document.querySelectorAll('#circuit-table tbody tr').length")).isEqualTo(2L);
            assertThat(chrome.eval("document.querySelector('#edge-table tbody tr').dataset.edge")).isEqualTo("L1H2->logits");
            assertSelfContained(chrome);
            chrome.eval("(() => { const s = document.getElementById('edge-count'); s.value = 20; s.dispatchEvent(new Event('input')); })()");
            screenshotOf(chrome, "edges", "report-edges");
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Long> visibleRanks(HeadlessChromium chrome) throws Exception {
        return (List<Long>) chrome.eval("[...document.querySelectorAll('#edge-graph path.edge')].filter(e => getComputedStyle(e).display "
                + "!== 'none').map(e => +e.dataset.rank)");
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }

    /**
     * The report the main job writes for the shipped model (the investigation run in-process, as
     * {@code lens4j} runs it, on a small batch): the viewer lists the heads the investigation found,
     * opens on its induction head, and hovering a token shows that token's row of the pattern the model
     * computes (read back from a fresh run with cache, not from the report).
     */
    @Test
    void reportOfTheShippedModelShowsTheHeadsTheInvestigationFound(@TempDir Path dir) throws Exception {
        Path binary = browser();
        String name = "induction-2l";
        ReportData data;
        Map<HeadId, double[][]> cached = new HashMap<>();
        try (HookedTransformer model = Models.fromPretrained(name)) {
            InductionInvestigation.Options defaults = InductionInvestigation.Options.defaultsFor(model.config());
            var options = new InductionInvestigation.Options(defaults.subseqLen(), 4, defaults.seed(), null, defaults.maxViewerHeads());
            data = InductionInvestigation.run(model, name, options, InductionInvestigation.Progress.none());
            ReportWriter.writeAll(data, dir);
            // the viewer's sequence, back to token ids through the vocabulary, and its patterns from the model itself
            Map<String, Integer> ids = new HashMap<>();
            for (int id = 0; id < model.config().dVocab(); id++) {
                ids.put(model.tokenizer().tokenString(id), id);
            }
            int[] viewer = data.attention().tokens().stream().mapToInt(ids::get).toArray();
            ActivationCache cache = model.runWithCache(new int[][] {viewer}, h -> h.endsWith("hook_pattern")).cache();
            for (AttentionPatterns.HeadPattern hp : data.attention().heads()) {
                Tensor p = cache.get("pattern", hp.head().layer()).select(0, 0).select(0, hp.head().head()); // [query_pos, key_pos]
                double[][] g = new double[viewer.length][viewer.length];
                for (int q = 0; q < viewer.length; q++) {
                    for (int k = 0; k < viewer.length; k++) {
                        g[q][k] = p.get(q, k);
                    }
                }
                cached.put(hp.head(), g);
            }
        }
        HeadDetectorScores scores = data.headScores();
        HeadId prev = scores.previousTokenHead();
        List<HeadId> induction = scores.inductionHeads(InductionInvestigation.PATTERN_BAR);
        // the claims name the same heads the data's rule picks
        assertThat(data.claims()).anyMatch(c -> c.statement().startsWith(prev.label() + " is a previous-token head"));
        String inductionLabels = String.join(", ", induction.stream().map(HeadId::label).toList());
        assertThat(data.claims()).anyMatch(c -> c.statement().equals(inductionLabels
                + (induction.size() == 1 ? " attends like an induction head" : " attend like induction heads")));
        int n = data.attention().tokens().size();

        try (HeadlessChromium chrome = new HeadlessChromium(binary, 1280, 900)) {
            load(chrome, dir.resolve(ReportWriter.HTML));

            // the viewer lists every head of the model, the detected ones among them, and opens on the induction head
            @SuppressWarnings("unchecked")
            List<String> listed = (List<String>) chrome.eval(
                    "Array.from(document.querySelectorAll('#head-selector [data-head]')).map(e => e.dataset.head)");
            assertThat(listed).isEqualTo(data.model().heads().stream().map(HeadId::label).toList());
            List<HeadId> detected = new ArrayList<>(List.of(prev));
            detected.addAll(induction);
            assertThat(listed).containsAll(detected.stream().map(HeadId::label).toList());
            assertThat(chrome.eval("document.getElementById('attn-viewer').dataset.selectedHead"))
                    .isEqualTo(scores.inductionHead().orElseThrow().label());

            // every claim is on the page with its verdict
            assertThat(chrome.eval("document.querySelectorAll('#claims [data-claim-index]').length")).isEqualTo((long) data.claims().size());
            for (int i = 0; i < data.claims().size(); i++) {
                Claim c = data.claims().get(i);
                String sel = "document.querySelector('#claims [data-claim-index=\"" + i + "\"]')";
                assertThat(chrome.eval(sel + ".querySelector('.statement').textContent")).isEqualTo(c.statement());
                assertThat(chrome.eval(sel + ".querySelector('.verdict').textContent")).isEqualTo(c.verdict().text());
            }

            // each detected head: select it, its detector scores are shown, and hovering a token of the
            // repeated half shows that token's row of the head's pattern
            int q = n - 4;
            for (HeadId h : detected) {
                chrome.eval("document.querySelector('#head-selector [data-head=\"" + h.label() + "\"]').click()");
                assertThat(chrome.eval("document.getElementById('attn-viewer').dataset.selectedHead")).isEqualTo(h.label());
                String shownScores = (String) chrome.eval("document.getElementById('attn-head-scores').textContent");
                assertThat(shownNumber(shownScores, "previous-token")).as(shownScores)
                        .isCloseTo(scores.previousToken()[h.layer()][h.head()], within(0.0051));
                assertThat(shownNumber(shownScores, "induction")).as(shownScores)
                        .isCloseTo(scores.induction()[h.layer()][h.head()], within(0.0051));
                for (int at : new int[] {q, 7}) {
                    List<Double> row = hover(chrome, at, true);
                    double[][] p = cached.get(h);
                    for (int k = 0; k < n; k++) {
                        // the page holds weights rounded to 4 decimals
                        assertThat(row.get(k)).as(h + " row " + at + " key " + k).isCloseTo(k <= at ? p[at][k] : 0, within(6e-5));
                    }
                    String info = (String) chrome.eval("document.getElementById('attn-info').textContent");
                    assertThat(info).startsWith("Token " + at + " ").contains(" attends most to " + argmax(row) + " ");
                    // the query that attends most to this token, or none when every weight on it rounds to 0
                    int by = at;
                    for (int qq = at; qq < n; qq++) {
                        if (p[qq][at] > p[by][at]) {
                            by = qq;
                        }
                    }
                    if (p[by][at] < 0.0005) {
                        assertThat(info).endsWith("no token attends to it.");
                    } else {
                        // the page rounds weights to 4 decimals, so a near-tie may name another query of the same weight
                        java.util.regex.Matcher named = java.util.regex.Pattern.compile("attended to most by (\\d+) ").matcher(info);
                        assertThat(named.find()).as(info).isTrue();
                        assertThat((double) p[Integer.parseInt(named.group(1))][at]).as(info).isCloseTo(p[by][at], within(1e-4));
                    }
                }
            }
            // the edge graph draws the route the EAP-IG claim is about, among the edges shown at first
            Claim route = data.claims().stream().filter(c -> c.statement().startsWith("EAP-IG finds the route")).findFirst().orElseThrow();
            assertThat(route.verdict()).as(route.numbers()).isEqualTo(Verdict.SUPPORTED);
            for (HeadId h : induction) {
                for (String edge : List.of(prev.label() + "->" + h.label() + "<k>", h.label() + "->logits")) {
                    String sel = "document.querySelector('#edge-graph path.edge[data-edge=\"" + edge + "\"]')";
                    assertThat(chrome.eval(sel + ".classList.contains('route')")).as(edge).isEqualTo(true);
                    assertThat(chrome.eval("getComputedStyle(" + sel + ").display")).as(edge).isNotEqualTo("none");
                }
            }
            screenshotOf(chrome, "edges", "report-" + name + "-edges");
            assertSelfContained(chrome);

            // leave the induction head hovered on the repeated half for the screenshot
            chrome.eval("document.querySelector('#head-selector [data-head=\"" + scores.inductionHead().orElseThrow().label() + "\"]').click()");
            hover(chrome, q, true);
            screenshot(chrome, "report-" + name);
        }
    }

    /** Hovers token i and returns the highlighted weights of every token ({@code data-attn-from}). */
    private static List<Double> hover(HeadlessChromium chrome, int i, boolean realMouse) throws Exception {
        String sel = "document.querySelector('#attn-tokens [data-token-index=\"" + i + "\"]')";
        if (realMouse) {
            chrome.eval(sel + ".scrollIntoView({block: 'center'})");
            @SuppressWarnings("unchecked")
            List<Object> xy = (List<Object>) chrome.eval("(() => { const r = " + sel
                    + ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()");
            chrome.call("Input.dispatchMouseEvent", Map.of("type", "mouseMoved", "x", xy.get(0), "y", xy.get(1)));
        } else {
            chrome.eval(sel + ".dispatchEvent(new MouseEvent('mouseover', {bubbles: true}))");
        }
        assertThat(chrome.eval("document.getElementById('attn-viewer').dataset.focusToken")).isEqualTo(String.valueOf(i));
        return numbers(chrome.eval("Array.from(document.querySelectorAll('#attn-tokens [data-token-index]'))"
                + ".map(e => Number(e.getAttribute('data-attn-from')))"));
    }

    private static List<Double> column(HeadlessChromium chrome) throws Exception {
        return numbers(chrome.eval("Array.from(document.querySelectorAll('#attn-tokens [data-token-index]'))"
                + ".map(e => Number(e.getAttribute('data-attn-to')))"));
    }

    private static void assertRow(List<Double> shown, ReportData data, HeadId head, int q) {
        double[][] p = data.attention().find(head).pattern();
        assertThat(shown).hasSize(p.length);
        for (int k = 0; k < p.length; k++) {
            // the page holds weights rounded to 4 decimals
            assertThat(shown.get(k)).as(head + " row " + q + " key " + k).isCloseTo(k <= q ? p[q][k] : 0, within(6e-5));
        }
    }

    private static void assertColumn(List<Double> shown, ReportData data, HeadId head, int k) {
        double[][] p = data.attention().find(head).pattern();
        for (int q = 0; q < p.length; q++) {
            assertThat(shown.get(q)).as(head + " column " + k + " query " + q).isCloseTo(q >= k ? p[q][k] : 0, within(6e-5));
        }
    }

    /** The number after {@code "<label> "} in a text such as {@code "previous-token 0.82 · induction 0.05"}. */
    private static double shownNumber(String text, String label) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:^|[^-\\w])" + label + " (-?[0-9]+\\.[0-9]+)").matcher(text);
        assertThat(m.find()).as("\"" + label + " <number>\" in \"" + text + "\"").isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static int argmax(List<Double> v) {
        int best = 0;
        for (int i = 1; i < v.size(); i++) {
            if (v.get(i) > v.get(best)) {
                best = i;
            }
        }
        return best;
    }

    static List<Double> numbers(Object o) {
        return ((List<?>) o).stream().map(x -> ((Number) x).doubleValue()).toList();
    }

    /** Saves the whole page as {@code <name>.png} and the attention viewer as {@code <name>-viewer.png}. */
    private static void screenshot(HeadlessChromium chrome, String name) throws Exception {
        Map<String, Object> metrics = chrome.call("Page.getLayoutMetrics", Map.of());
        Map<?, ?> size = (Map<?, ?>) metrics.get("cssContentSize");
        double width = ((Number) size.get("width")).doubleValue();
        double height = ((Number) size.get("height")).doubleValue();
        Map<String, Object> shot = chrome.call("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true,
                "optimizeForSpeed", true, "clip", Map.of("x", 0, "y", 0, "width", width, "height", height, "scale", 1)));
        byte[] png = Base64.getDecoder().decode((String) shot.get("data"));
        Path artifacts = Path.of("target", "test-artifacts");
        Files.createDirectories(artifacts);
        Files.write(artifacts.resolve(name + ".png"), png);
        // and the viewer alone, at the size people see it
        screenshotOf(chrome, "attention", name + "-viewer");
        assertThat(png.length).isGreaterThan(10_000);
    }

    @SuppressWarnings("unchecked")
    /** A screenshot of one section, kept in target/test-artifacts. */
    private static void screenshotOf(HeadlessChromium chrome, String sectionId, String name) throws Exception {
        chrome.eval("document.getElementById('" + sectionId + "').scrollIntoView()");
        Map<String, Object> rect = asMap(chrome.eval("(() => { const r = document.getElementById('" + sectionId + "').getBoundingClientRect();"
                + " return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height, scale: 1}; })()"));
        Map<String, Object> shot = chrome.call("Page.captureScreenshot", Map.of("format", "png", "clip", rect, "captureBeyondViewport", true));
        Files.createDirectories(Path.of("target", "test-artifacts"));
        Files.write(Path.of("target", "test-artifacts", name + ".png"), Base64.getDecoder().decode((String) shot.get("data")));
    }

    private static List<Object> asList(Object o) {
        return (List<Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        return (Map<String, Object>) o;
    }
}
