package dev.lens4j.report;

import dev.lens4j.tensor.Tensor;
import dev.lens4j.report.view.AttentionHeads;
import dev.lens4j.report.view.Imshow;
import dev.lens4j.report.view.LinePlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The views of dev.lens4j.report.view in a real headless Chromium, as {@link HtmlReportBrowserTest} opens
 * the report (and with its helpers): each page runs its script without errors, fetches nothing, and the
 * attention-heads page reacts to a click on a head and to hovering a token with exactly that head's
 * pattern row. Skips without a browser unless LENS4J_REQUIRE_BROWSER=1; screenshots go to
 * target/test-artifacts.
 */
class ViewsBrowserTest {

    static final List<String> TOKENS = List.of("<|bos|>", " moon", " river", " cat", " moon", " river");

    @Test
    void attentionHeadsPageSelectsHeadsAndShadesTheHoveredTokensRow(@TempDir Path dir) throws Exception {
        Path binary = HtmlReportBrowserTest.browser();
        int n = TOKENS.size();
        Tensor p = Tensor.rand(5, 3, n, n).mul(Tensor.causalKeepMask(n, n));
        p = p.div(p.sum(-1, true));                                   // rows sum to 1 over the allowed keys
        Path html = AttentionHeads.of(p, TOKENS).headLabels(List.of("L1H0", "L1H1", "L1H2")).save(dir.resolve("heads.html"));

        try (HeadlessChromium chrome = new HeadlessChromium(binary, 1280, 900)) {
            HtmlReportBrowserTest.load(chrome, html);
            assertThat(chrome.eval("Array.from(document.querySelectorAll('#heads [data-head]')).map(e => e.dataset.head)"))
                    .isEqualTo(List.of("L1H0", "L1H1", "L1H2"));
            assertThat(chrome.eval("document.getElementById('heads').dataset.selectedHead")).isEqualTo("L1H0");
            // every head's matrix is laid out side by side, each with a visible size
            assertThat(chrome.eval("new Set(Array.from(document.querySelectorAll('#heads figure')).map(f => Math.round(f.getBoundingClientRect().top))).size"))
                    .as("the three heads share one row at 1280 pixels").isEqualTo(1L);

            chrome.eval("document.querySelector('#heads [data-head=\"L1H2\"]').click()");
            assertThat(chrome.eval("document.getElementById('heads').dataset.selectedHead")).isEqualTo("L1H2");
            assertThat(chrome.eval("document.querySelector('#heads [data-head=\"L1H2\"]').getAttribute('aria-pressed')")).isEqualTo("true");

            for (int q : new int[] {5, 2}) {
                chrome.eval("document.querySelector('#tokens [data-token-index=\"" + q + "\"]').dispatchEvent(new MouseEvent('mouseover', {bubbles: true}))");
                List<Double> shown = HtmlReportBrowserTest.numbers(chrome.eval(
                        "Array.from(document.querySelectorAll('#tokens [data-token-index]')).map(e => Number(e.getAttribute('data-attn')))"));
                for (int k = 0; k < n; k++) {
                    double want = k <= q ? p.get(2, q, k) : 0;
                    assertThat(shown.get(k)).as("token %d hovering %d", k, q).isCloseTo(want, within(1e-6));
                }
                String bg = (String) chrome.eval("getComputedStyle(document.querySelector('#tokens [data-token-index=\"0\"]')).backgroundColor");
                assertThat(Double.parseDouble(bg.replaceAll(".*, ([0-9.]+)\\)$", "$1"))).isCloseTo(p.get(2, q, 0), within(1 / 255.0)); // CSS keeps 8 bits of alpha
            }
            HtmlReportBrowserTest.assertSelfContained(chrome);
            screenshot(chrome, "view-attention-heads");
        }
    }

    /** The page as the browser shows it, kept for people to look at. */
    private static void screenshot(HeadlessChromium chrome, String name) throws Exception {
        Map<String, Object> shot = chrome.call("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true));
        Path artifacts = Files.createDirectories(Path.of("target", "test-artifacts"));
        Files.write(artifacts.resolve(name + ".png"), Base64.getDecoder().decode((String) shot.get("data")));
    }

    @Test
    void imshowAndLinePagesLoadOfflineWithTheirCharts(@TempDir Path dir) throws Exception {
        Path binary = HtmlReportBrowserTest.browser();
        Path heat = Imshow.of(Tensor.randn(7, 4, 6)).title("imshow").save(dir.resolve("imshow.html"));
        Path line = LinePlot.of(Tensor.randn(8, 2, 20)).names(List.of("a", "b")).title("line").save(dir.resolve("line.html"));
        try (HeadlessChromium chrome = new HeadlessChromium(binary, 1280, 900)) {
            HtmlReportBrowserTest.load(chrome, heat);
            assertThat(chrome.eval("document.querySelectorAll('#imshow svg rect[data-tip]').length")).isEqualTo(24L);
            assertThat(chrome.eval("document.querySelector('#imshow svg').getBoundingClientRect().width > 300")).isEqualTo(true);
            HtmlReportBrowserTest.assertSelfContained(chrome);
            screenshot(chrome, "view-imshow");
        }
        try (HeadlessChromium chrome = new HeadlessChromium(binary, 1280, 900)) {
            HtmlReportBrowserTest.load(chrome, line);
            assertThat(chrome.eval("document.querySelectorAll('#line svg polyline').length")).isEqualTo(2L);
            assertThat(chrome.eval("document.querySelectorAll('#line svg circle').length")).isEqualTo(40L);
            Map<?, ?> box = (Map<?, ?>) chrome.eval("(() => { const r = document.querySelector('#line svg polyline').getBBox(); return {w: r.width, h: r.height}; })()");
            assertThat(((Number) box.get("w")).doubleValue()).as("the line spans the plot").isGreaterThan(500);
            HtmlReportBrowserTest.assertSelfContained(chrome);
            screenshot(chrome, "view-line");
        }
    }
}
