package dev.lens4j.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Loads the lesson's page ({@link LessonReportTest#madeUp()}) in a real headless Chromium, as
 * {@link HtmlReportBrowserTest} does the report: it loads offline without script or console errors, shows
 * every section with its content, and the head filter of the skip-trigram table hides the other heads'
 * rows. Skips without a chromium binary unless LENS4J_REQUIRE_BROWSER=1.
 */
class LessonReportBrowserTest {

    @Test
    void pageLoadsWithItsSectionsAndTheHeadFilterWorks(@TempDir Path dir) throws Exception {
        Path binary = HtmlReportBrowserTest.browser();
        Path html = dir.resolve("lesson.html");
        LessonReport.write(LessonReportTest.madeUp(), html);

        try (HeadlessChromium chrome = new HeadlessChromium(binary, 1280, 900)) {
            HtmlReportBrowserTest.load(chrome, html);
            HtmlReportBrowserTest.assertSelfContained(chrome);
            for (Map<String, Object> e : chrome.events("Runtime.consoleAPICalled")) {
                assertThat(((Map<?, ?>) e.get("params")).get("type")).as("console message %s", e).isNotIn("error", "warning", "assert");
            }
            assertThat(chrome.eval("Array.from(document.querySelectorAll('main > section')).map(s => s.id)"))
                    .isEqualTo(List.of("baselines", "direct-path", "dla-share", "skip-trigrams", "same-layer-bug", "induction"));
            // the hostile token string arrives as text, not markup
            assertThat(chrome.eval("document.querySelector('#direct-table tbody td code').textContent")).isEqualTo("</script><b>&x\"'");
            assertThat(chrome.eval("document.querySelectorAll('main b').length")).isEqualTo(0L);
            assertThat(chrome.eval("Array.from(document.querySelectorAll('#induction .claim')).map(c => c.dataset.verdict)"))
                    .isEqualTo(List.of("not-supported", "inconclusive"));
            assertThat(chrome.eval("document.querySelectorAll('.bug').length")).isEqualTo(1L);
            // the chart's bars carry their values as tooltips and are drawn in proportion (3.0 : 0.5 : 1.5)
            assertThat(chrome.eval("Array.from(document.querySelectorAll('#dla-share-chart rect title')).map(t => t.textContent)"))
                    .isEqualTo(List.of("embed: 3.000", "pos_embed: 0.500", "attention: 1.500"));
            Object widths = chrome.eval("Array.from(document.querySelectorAll('#dla-share-chart rect'))"
                    + ".map(r => r.getBoundingClientRect().width)");
            List<?> w = (List<?>) widths;
            assertThat(((Number) w.get(0)).doubleValue() / ((Number) w.get(2)).doubleValue()).isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.01));

            String visible = "Array.from(document.querySelectorAll('#triple-table tr[data-head]')).filter(r => r.offsetParent !== null)"
                    + ".map(r => r.dataset.head)";
            assertThat(chrome.eval(visible)).isEqualTo(List.of("0", "1"));
            chrome.eval("document.querySelector('#triple-heads [data-head=\"1\"]').click()");
            assertThat(chrome.eval(visible)).isEqualTo(List.of("1"));
            assertThat(chrome.eval("document.querySelector('#triple-heads [data-head=\"1\"]').getAttribute('aria-pressed')")).isEqualTo("true");
            assertThat(chrome.eval("document.querySelector('#triple-heads [data-head=\"all\"]').getAttribute('aria-pressed')")).isEqualTo("false");
            chrome.eval("document.querySelector('#triple-heads [data-head=\"all\"]').click()");
            assertThat(chrome.eval(visible)).isEqualTo(List.of("0", "1"));
            HtmlReportBrowserTest.assertSelfContained(chrome);
        }
    }
}
