package dev.lens4j.report.view;

import dev.lens4j.report.PngCharts;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A view of some tensors that can be written as a self-contained HTML page or as a PNG image.
 *
 * <pre>{@code
 * View v = Imshow.of(scores).title("Induction scores").xLabel("head").yLabel("layer");
 * v.save(Path.of("scores.html"));   // a page that works offline
 * v.save(Path.of("scores.png"));    // the same chart as an image
 * }</pre>
 *
 * <p>Files are written whole or not at all: a reader never sees a partly written file.
 */
public interface View {

    /**
     * The view as a complete HTML page: inline CSS, SVG and (for interactive views) script, with
     * nothing fetched from the network.
     *
     * @return the page
     */
    String toHtml();

    /**
     * The view drawn as an image at {@link PngCharts#SCALE} pixels per chart unit.
     *
     * @return the image
     */
    BufferedImage toImage();

    /**
     * Writes {@link #toHtml()} to a file (UTF-8).
     *
     * @param file the target, replaced if it exists
     * @return the file
     * @throws IOException if it cannot be written
     */
    default Path writeHtml(Path file) throws IOException {
        Page.write(file, toHtml());
        return file;
    }

    /**
     * Writes {@link #toImage()} as a PNG file.
     *
     * @param file the target, replaced if it exists
     * @return the file
     * @throws IOException if it cannot be written
     */
    default Path writePng(Path file) throws IOException {
        PngCharts.write(toImage(), file);
        return file;
    }

    /**
     * Writes the view as HTML or PNG, by the file's extension ({@code .html}, {@code .htm} or {@code .png}).
     *
     * @param file the target, replaced if it exists
     * @return the file
     * @throws IOException if it cannot be written
     * @throws IllegalArgumentException naming the file when its extension is neither
     */
    default Path save(Path file) throws IOException {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".html") || name.endsWith(".htm")) {
            return writeHtml(file);
        }
        if (name.endsWith(".png")) {
            return writePng(file);
        }
        throw new IllegalArgumentException("cannot tell how to save a view as " + file + ": use a name ending in .html or .png");
    }
}
