package dev.lens4j.report.chart;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;

/**
 * Draws a chart into a {@link BufferedImage} with antialiasing, at a pixel scale (2 gives crisp
 * images on high-density screens). Needs no display: the report sets {@code java.awt.headless}.
 */
public final class Java2DCanvas implements ChartCanvas {

    private final BufferedImage image;
    private final Graphics2D g;

    /**
     * Creates a white image of {@code ceil(width * scale) x ceil(height * scale)} pixels.
     *
     * @param width chart width in chart units
     * @param height chart height in chart units
     * @param scale pixels per chart unit
     */
    public Java2DCanvas(double width, double height, double scale) {
        int w = (int) Math.ceil(width * scale);
        int h = (int) Math.ceil(height * scale);
        image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.scale(scale, scale);
    }

    @Override
    public void rect(double x, double y, double w, double h, Color fill, String tip, String attributes) {
        g.setColor(fill);
        g.fill(new Rectangle2D.Double(x, y, w, h));
    }

    @Override
    public void strokeRect(double x, double y, double w, double h, Color stroke, double width) {
        g.setColor(stroke);
        g.setStroke(new BasicStroke((float) width));
        g.draw(new Rectangle2D.Double(x, y, w, h));
    }

    @Override
    public void line(double x1, double y1, double x2, double y2, Color stroke, double width, boolean dashed) {
        g.setColor(stroke);
        g.setStroke(dashed
                ? new BasicStroke((float) width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f)
                : new BasicStroke((float) width));
        g.draw(new Line2D.Double(x1, y1, x2, y2));
    }

    @Override
    public void polyline(double[] xs, double[] ys, Color stroke, double width) {
        if (xs.length == 0) {
            return;
        }
        Path2D.Double p = new Path2D.Double();
        p.moveTo(xs[0], ys[0]);
        for (int i = 1; i < xs.length; i++) {
            p.lineTo(xs[i], ys[i]);
        }
        g.setColor(stroke);
        g.setStroke(new BasicStroke((float) width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        g.draw(p);
    }

    @Override
    public void circle(double cx, double cy, double r, Color fill, String tip) {
        g.setColor(fill);
        g.fill(new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r));
    }

    @Override
    public void text(double x, double y, String text, TextStyle style, double rotateDegrees) {
        g.setFont(TextMetrics.font(style));
        g.setColor(style.color());
        double w = TextMetrics.width(text, style);
        double dx = switch (style.anchor()) {
            case START -> 0;
            case MIDDLE -> -w / 2;
            case END -> -w;
        };
        AffineTransform saved = g.getTransform();
        g.translate(x, y);
        if (rotateDegrees != 0) {
            g.rotate(Math.toRadians(rotateDegrees));
        }
        g.drawString(text, (float) dx, 0f);
        g.setTransform(saved);
    }

    @Override
    public double textWidth(String text, TextStyle style) {
        return TextMetrics.width(text, style);
    }

    /**
     * Finishes drawing.
     *
     * @return the image
     */
    public BufferedImage finish() {
        g.dispose();
        return image;
    }
}
