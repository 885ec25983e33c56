package dev.lens4j.report.view;

import dev.lens4j.report.chart.Html;

import dev.lens4j.report.internal.PageFiles;

import java.io.IOException;
import java.nio.file.Path;

/** The page around a view: one HTML file with its style, content and script inline. */
final class Page {

    private Page() {}

    /**
     * A complete page. {@code html[data-ready="true"]} is set once its script has run (at once for a
     * view without a script of its own).
     *
     * @param title the page title and heading
     * @param body the content (HTML)
     * @param script JavaScript run at the end of the page, or null
     */
    static String html(String title, String body, String script) {
        StringBuilder b = new StringBuilder(body.length() + 8192);
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<meta name=\"generator\" content=\"lens4j\">\n")
                .append("<title>").append(Html.escape(title)).append("</title>\n<style>\n")
                .append(resource("view.css")).append("</style>\n</head>\n<body>\n<main>\n<h1>")
                .append(Html.escape(title)).append("</h1>\n").append(body)
                .append("</main>\n<script>\n");
        if (script != null) {
            b.append(script).append('\n');
        }
        return b.append("document.documentElement.dataset.ready = 'true';\n</script>\n</body>\n</html>\n").toString();
    }

    /** Writes the page whole: to a hidden file beside the target, then renamed over it. */
    static void write(Path file, String html) throws IOException {
        PageFiles.write(file, html);
    }

    static String resource(String name) {
        return PageFiles.resource(Page.class, name);
    }
}
