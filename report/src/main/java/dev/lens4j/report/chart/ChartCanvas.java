package dev.lens4j.report.chart;

import java.awt.Color;

/**
 * The few drawing operations the report's charts need, so that each chart is drawn once and
 * rendered both as inline SVG (for the HTML report) and as a PNG (through Java2D).
 *
 * <p>Coordinates are in chart units (CSS pixels), origin top left, y down.
 */
public interface ChartCanvas {

    /** Horizontal placement of text relative to its x coordinate. */
    enum Anchor {
        /** text starts at x */
        START,
        /** text is centred on x */
        MIDDLE,
        /** text ends at x */
        END
    }

    /**
     * Text appearance.
     *
     * @param size font size in chart units
     * @param bold whether bold
     * @param color fill colour
     * @param anchor horizontal placement
     * @param monospace whether a monospace font (for tokens)
     */
    record TextStyle(double size, boolean bold, Color color, Anchor anchor, boolean monospace) {

        /**
         * Returns a plain sans-serif style.
         *
         * @param size font size
         * @param color colour
         * @param anchor placement
         * @return a plain sans-serif style
         */
        public static TextStyle of(double size, Color color, Anchor anchor) {
            return new TextStyle(size, false, color, anchor, false);
        }

        /**
         * Returns this style in bold.
         *
         * @return this style in bold
         */
        public TextStyle asBold() {
            return new TextStyle(size, true, color, anchor, monospace);
        }

        /**
         * Returns this style in a monospace font.
         *
         * @return this style in a monospace font
         */
        public TextStyle asMono() {
            return new TextStyle(size, bold, color, anchor, true);
        }
    }

    /**
     * Fills a rectangle.
     *
     * @param x left
     * @param y top
     * @param w width
     * @param h height
     * @param fill colour (alpha honoured)
     * @param tip hover text (SVG only), or null
     * @param attributes extra SVG attributes such as {@code data-value="0.31"}, or null
     */
    void rect(double x, double y, double w, double h, Color fill, String tip, String attributes);

    /**
     * Strokes a rectangle's outline.
     *
     * @param x left
     * @param y top
     * @param w width
     * @param h height
     * @param stroke colour
     * @param width line width
     */
    void strokeRect(double x, double y, double w, double h, Color stroke, double width);

    /**
     * Draws a line segment.
     *
     * @param x1 start x
     * @param y1 start y
     * @param x2 end x
     * @param y2 end y
     * @param stroke colour
     * @param width line width
     * @param dashed whether dashed
     */
    void line(double x1, double y1, double x2, double y2, Color stroke, double width, boolean dashed);

    /**
     * Draws a connected line through points.
     *
     * @param xs x coordinates
     * @param ys y coordinates, as many as {@code xs}
     * @param stroke colour
     * @param width line width
     */
    void polyline(double[] xs, double[] ys, Color stroke, double width);

    /**
     * Fills a circle.
     *
     * @param cx centre x
     * @param cy centre y
     * @param r radius
     * @param fill colour
     * @param tip hover text (SVG only), or null
     */
    void circle(double cx, double cy, double r, Color fill, String tip);

    /**
     * Draws one line of text with its baseline at y.
     *
     * @param x anchor x
     * @param y baseline y
     * @param text the text
     * @param style appearance
     * @param rotateDegrees rotation about (x, y), e.g. -90 for a vertical axis label
     */
    void text(double x, double y, String text, TextStyle style, double rotateDegrees);

    /**
     * Measures text.
     *
     * @param text some text
     * @param style its appearance
     * @return its approximate width in chart units
     */
    double textWidth(String text, TextStyle style);
}
