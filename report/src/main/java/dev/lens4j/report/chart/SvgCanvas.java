package dev.lens4j.report.chart;

import java.awt.Color;

/**
 * Draws a chart as an inline SVG element for an HTML5 page (no XML namespace declaration, which
 * HTML does not need). The SVG scales to its container's width through its {@code viewBox}.
 */
public final class SvgCanvas implements ChartCanvas {

    private final StringBuilder out = new StringBuilder();
    private final double width;
    private final double height;

    /**
     * Creates the svg canvas.
     *
     * @param width chart width in chart units
     * @param height chart height in chart units
     */
    public SvgCanvas(double width, double height) {
        this.width = width;
        this.height = height;
    }

    @Override
    public void rect(double x, double y, double w, double h, Color fill, String tip, String attributes) {
        out.append("<rect x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" width=\"").append(n(w))
                .append("\" height=\"").append(n(h)).append('"').append(fill(fill));
        if (attributes != null) {
            out.append(' ').append(attributes);
        }
        if (tip != null) {
            out.append(" data-tip=\"").append(Html.escape(tip)).append("\"><title>").append(Html.escape(tip))
                    .append("</title></rect>");
        } else {
            out.append("/>");
        }
    }

    @Override
    public void strokeRect(double x, double y, double w, double h, Color stroke, double lineWidth) {
        out.append("<rect x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" width=\"").append(n(w))
                .append("\" height=\"").append(n(h)).append("\" fill=\"none\"").append(stroke(stroke, lineWidth))
                .append("/>");
    }

    @Override
    public void line(double x1, double y1, double x2, double y2, Color stroke, double lineWidth, boolean dashed) {
        out.append("<line x1=\"").append(n(x1)).append("\" y1=\"").append(n(y1)).append("\" x2=\"").append(n(x2))
                .append("\" y2=\"").append(n(y2)).append('"').append(stroke(stroke, lineWidth));
        if (dashed) {
            out.append(" stroke-dasharray=\"6 4\"");
        }
        out.append("/>");
    }

    @Override
    public void polyline(double[] xs, double[] ys, Color stroke, double lineWidth) {
        out.append("<polyline fill=\"none\" stroke-linejoin=\"round\"").append(stroke(stroke, lineWidth))
                .append(" points=\"");
        for (int i = 0; i < xs.length; i++) {
            if (i > 0) {
                out.append(' ');
            }
            out.append(n(xs[i])).append(',').append(n(ys[i]));
        }
        out.append("\"/>");
    }

    @Override
    public void circle(double cx, double cy, double r, Color fill, String tip) {
        out.append("<circle cx=\"").append(n(cx)).append("\" cy=\"").append(n(cy)).append("\" r=\"").append(n(r))
                .append('"').append(fill(fill));
        if (tip != null) {
            out.append(" data-tip=\"").append(Html.escape(tip)).append("\"><title>").append(Html.escape(tip))
                    .append("</title></circle>");
        } else {
            out.append("/>");
        }
    }

    @Override
    public void text(double x, double y, String text, TextStyle style, double rotateDegrees) {
        out.append("<text x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" font-size=\"")
                .append(n(style.size())).append('"').append(fill(style.color()));
        switch (style.anchor()) {
            case MIDDLE -> out.append(" text-anchor=\"middle\"");
            case END -> out.append(" text-anchor=\"end\"");
            case START -> { }
        }
        if (style.bold()) {
            out.append(" font-weight=\"600\"");
        }
        if (style.monospace()) {
            out.append(" class=\"mono\"");
        }
        if (rotateDegrees != 0) {
            out.append(" transform=\"rotate(").append(n(rotateDegrees)).append(' ').append(n(x)).append(' ')
                    .append(n(y)).append(")\"");
        }
        out.append(" xml:space=\"preserve\">").append(Html.escape(text)).append("</text>");
    }

    @Override
    public double textWidth(String text, TextStyle style) {
        // Browsers' system-ui fonts run a little wider than Java's logical sans-serif.
        return TextMetrics.width(text, style) * 1.05;
    }

    /**
     * Finishes the SVG element.
     *
     * @param id the element id, or null
     * @param cssClass the element's class, or null
     * @param label an accessible label
     * @return the complete {@code <svg>} element
     */
    public String toSvg(String id, String cssClass, String label) {
        StringBuilder b = new StringBuilder(out.length() + 200);
        b.append("<svg");
        if (id != null) {
            b.append(" id=\"").append(Html.escape(id)).append('"');
        }
        if (cssClass != null) {
            b.append(" class=\"").append(Html.escape(cssClass)).append('"');
        }
        b.append(" viewBox=\"0 0 ").append(n(width)).append(' ').append(n(height))
                .append("\" preserveAspectRatio=\"xMinYMin meet\" role=\"img\" aria-label=\"")
                .append(Html.escape(label)).append("\" style=\"max-width:").append(n(width)).append("px\">")
                .append(out).append("</svg>");
        return b.toString();
    }

    private static String fill(Color c) {
        String s = " fill=\"" + hex(c) + '"';
        if (c.getAlpha() < 255) {
            s += " fill-opacity=\"" + n(c.getAlpha() / 255.0) + '"';
        }
        return s;
    }

    private static String stroke(Color c, double w) {
        String s = " stroke=\"" + hex(c) + "\" stroke-width=\"" + n(w) + '"';
        if (c.getAlpha() < 255) {
            s += " stroke-opacity=\"" + n(c.getAlpha() / 255.0) + '"';
        }
        return s;
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    static String hex(Color c) {
        int rgb = c.getRGB();
        char[] out = new char[7];
        out[0] = '#';
        for (int i = 0; i < 6; i++) {
            out[6 - i] = HEX[(rgb >> (4 * i)) & 0xf];
        }
        return new String(out);
    }

    /** A coordinate with at most two decimals and no trailing zeros. */
    static String n(double v) {
        return Num.coordinate(v);
    }
}
