package dev.lens4j.report.chart;

import java.awt.Font;
import java.awt.font.FontRenderContext;
import java.awt.geom.AffineTransform;

/**
 * Text widths from Java2D's logical fonts, used to lay out both SVG and PNG charts. Browsers use
 * their own system font, so SVG layouts leave some slack around measured text.
 */
final class TextMetrics {

    private static final FontRenderContext FRC = new FontRenderContext(new AffineTransform(), true, true);

    private TextMetrics() {}

    static Font font(ChartCanvas.TextStyle style) {
        String family = style.monospace() ? Font.MONOSPACED : Font.SANS_SERIF;
        return new Font(family, style.bold() ? Font.BOLD : Font.PLAIN, 1).deriveFont((float) style.size());
    }

    static double width(String text, ChartCanvas.TextStyle style) {
        if (text.isEmpty()) {
            return 0;
        }
        return font(style).getStringBounds(text, FRC).getWidth();
    }
}
