package dev.lens4j.report.view;

import dev.lens4j.report.chart.ChartCanvas;

import java.awt.Color;

/** Draws a chart at an offset on a larger canvas, so that several charts share one image. */
final class OffsetCanvas implements ChartCanvas {

    private final ChartCanvas target;
    private final double dx;
    private final double dy;

    OffsetCanvas(ChartCanvas target, double dx, double dy) {
        this.target = target;
        this.dx = dx;
        this.dy = dy;
    }

    @Override
    public void rect(double x, double y, double w, double h, Color fill, String tip, String attributes) {
        target.rect(x + dx, y + dy, w, h, fill, tip, attributes);
    }

    @Override
    public void strokeRect(double x, double y, double w, double h, Color stroke, double width) {
        target.strokeRect(x + dx, y + dy, w, h, stroke, width);
    }

    @Override
    public void line(double x1, double y1, double x2, double y2, Color stroke, double width, boolean dashed) {
        target.line(x1 + dx, y1 + dy, x2 + dx, y2 + dy, stroke, width, dashed);
    }

    @Override
    public void polyline(double[] xs, double[] ys, Color stroke, double width) {
        double[] x = xs.clone();
        double[] y = ys.clone();
        for (int i = 0; i < x.length; i++) {
            x[i] += dx;
            y[i] += dy;
        }
        target.polyline(x, y, stroke, width);
    }

    @Override
    public void circle(double cx, double cy, double r, Color fill, String tip) {
        target.circle(cx + dx, cy + dy, r, fill, tip);
    }

    @Override
    public void text(double x, double y, String text, TextStyle style, double rotateDegrees) {
        target.text(x + dx, y + dy, text, style, rotateDegrees);
    }

    @Override
    public double textWidth(String text, TextStyle style) {
        return target.textWidth(text, style);
    }
}
