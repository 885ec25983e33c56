package dev.lens4j.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Writes a whole report folder: {@value #HTML}, and PNGs of the key plots under stable names:
 * {@value #LOSS_PNG}, {@value #DLA_PNG}, {@code composition-q.png}, {@code composition-k.png},
 * {@code composition-v.png}, and {@code pattern-L0H1.png}-style images of the top previous-token and
 * top induction heads. A plot whose section is missing is not written.
 */
public final class ReportWriter {

    /** The HTML page's file name. */
    public static final String HTML = "report.html";
    /** The loss-by-position plot's file name. */
    public static final String LOSS_PNG = "loss-by-position.png";
    /** The direct-logit-attribution chart's file name. */
    public static final String DLA_PNG = "dla.png";

    private ReportWriter() {}

    /**
     * Names the PNG of a composition heatmap.
     *
     * @param mode a composition mode
     * @return its heatmap's file name, e.g. {@code composition-k.png}
     */
    public static String compositionPng(CompositionScores.Mode mode) {
        return "composition-" + mode.name().toLowerCase(Locale.ROOT) + ".png";
    }

    /**
     * Names the PNG of a head's attention pattern.
     *
     * @param head a head
     * @return its attention pattern's file name, e.g. {@code pattern-L0H1.png}
     */
    public static String patternPng(HeadId head) {
        return "pattern-" + head.label() + ".png";
    }

    /**
     * The heads whose patterns get a PNG: the previous-token head, then the best induction-head
     * candidate (none in a one-layer model), as the investigation's claims choose them
     * ({@link HeadDetectorScores#previousTokenHead()}, {@link HeadDetectorScores#inductionHead()}),
     * when their patterns are in the report.
     *
     * @param data the report data
     * @return the heads, without repeats
     */
    public static List<HeadId> keyHeads(ReportData data) {
        Set<HeadId> heads = new LinkedHashSet<>();
        if (data.attention() != null && data.headScores() != null) {
            List<HeadId> key = new java.util.ArrayList<>(List.of(data.headScores().previousTokenHead()));
            data.headScores().inductionHead().ifPresent(key::add);
            for (HeadId h : key) {
                if (data.attention().find(h) != null) {
                    heads.add(h);
                }
            }
        }
        return List.copyOf(heads);
    }

    /**
     * Writes the HTML report and the PNGs into a folder, creating it if needed.
     *
     * @param data the report data
     * @param dir the output folder
     * @return the files written, the HTML page first
     * @throws IOException if the folder or a file cannot be written
     */
    public static List<Path> writeAll(ReportData data, Path dir) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException("report output " + dir + " exists and is not a folder");
        }
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        Path html = dir.resolve(HTML);
        HtmlReport.write(data, html);
        written.add(html);
        if (data.loss() != null) {
            written.add(png(PngCharts.lossByPosition(data.loss()), dir.resolve(LOSS_PNG)));
        }
        if (data.dla() != null) {
            written.add(png(PngCharts.directLogitAttribution(data.dla()), dir.resolve(DLA_PNG)));
        }
        if (data.composition() != null) {
            for (CompositionScores.Mode mode : CompositionScores.Mode.values()) {
                written.add(png(PngCharts.composition(data.composition(), mode), dir.resolve(compositionPng(mode))));
            }
        }
        for (HeadId h : keyHeads(data)) {
            written.add(png(PngCharts.attentionPattern(data.attention(), h), dir.resolve(patternPng(h))));
        }
        return written;
    }

    private static Path png(java.awt.image.BufferedImage image, Path file) throws IOException {
        PngCharts.write(image, file);
        return file;
    }
}
