package dev.lens4j.report.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * What every HTML page of the report module shares: writing a page whole and reading the style
 * sheets and scripts that pages inline. Not API (the package is not exported).
 */
public final class PageFiles {

    private PageFiles() {}

    /**
     * Writes a page through a hidden temporary file beside it, renamed over the target, so readers
     * never see a partly written page and a failed write leaves no temporary file behind.
     *
     * @param file the HTML file to write
     * @param html the complete page
     * @throws IOException if the file cannot be written
     */
    public static void write(Path file, String html) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, html, StandardCharsets.UTF_8);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * A text resource that sits beside a class (its package's folder), read whole as UTF-8.
     *
     * @param anchor a class of the report module in the resource's package
     * @param name the resource's file name, e.g. {@code report.css}
     * @return its text
     * @throws IllegalStateException if the resource is missing from the build
     */
    public static String resource(Class<?> anchor, String name) {
        try (InputStream in = anchor.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " of " + anchor.getPackageName() + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name + " of " + anchor.getPackageName(), e);
        }
    }
}
