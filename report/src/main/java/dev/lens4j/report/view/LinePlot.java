package dev.lens4j.report.view;

import dev.lens4j.report.Plural;
import dev.lens4j.report.PngCharts;
import dev.lens4j.report.chart.Java2DCanvas;
import dev.lens4j.report.chart.LineChart;
import dev.lens4j.report.chart.SvgCanvas;
import dev.lens4j.tensor.Shapes;
import dev.lens4j.tensor.Tensor;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * One or more lines over a shared x axis, like ARENA's {@code line}: {@code [n]} is one line,
 * {@code [lines, n]} several, drawn in distinct colours with a legend. The x coordinates are
 * {@code 0 .. n-1} unless {@link #x} gives others. NaN leaves a gap; points have hover tips while there
 * are at most 120 of them.
 *
 * <pre>{@code
 * Tensor loss = model.perTokenLoss(rep).mean(0, false);                     // [pos - 1]
 * LinePlot.of(loss).title("Loss by position").xLabel("position").yLabel("nats").save(Path.of("loss.png"));
 * }</pre>
 */
public final class LinePlot implements View {

    /** Default chart width in chart units. */
    public static final double WIDTH = 900;

    private final double[][] ys;
    private double[] x;
    private String[] names;
    private String xLabel = "";
    private String yLabel = "";
    private String title = "Line plot";
    private double width = WIDTH;

    private LinePlot(double[][] ys) {
        this.ys = ys;
        this.x = new double[ys[0].length];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        this.names = new String[ys.length];
        for (int s = 0; s < ys.length; s++) {
            names[s] = ys.length == 1 ? "y" : "line " + s;
        }
    }

    /**
     * A line plot of a vector, or of each row of a matrix.
     *
     * @param y {@code [n]} or {@code [lines, n]}
     * @return the view
     * @throws IllegalArgumentException naming the shape for other ranks or no points
     */
    public static LinePlot of(Tensor y) {
        if (y == null) {
            throw new IllegalArgumentException("a line plot needs a tensor");
        }
        Tensor m = y.rank() == 1 ? y.unsqueeze(0) : y;
        if (m.rank() != 2 || m.dim(1) == 0 || m.dim(0) == 0) {
            throw new IllegalArgumentException("a line plot needs [n] or [lines, n] values with n >= 1, got shape "
                    + Shapes.str(y.shape()));
        }
        float[] v = m.contiguous().toArray();
        double[][] d = new double[m.dim(0)][m.dim(1)];
        for (int s = 0; s < d.length; s++) {
            for (int i = 0; i < d[s].length; i++) {
                d[s][i] = v[s * d[s].length + i];
            }
        }
        return new LinePlot(d);
    }

    /**
     * A line plot of values.
     *
     * @param y the values, at least one
     * @return the view
     */
    public static LinePlot of(double... y) {
        if (y == null || y.length == 0) {
            throw new IllegalArgumentException("a line plot needs at least one value");
        }
        return new LinePlot(new double[][] {y.clone()});
    }

    /**
     * Sets the x coordinates.
     *
     * @param xs one finite value per point
     * @return this view
     * @throws IllegalArgumentException if the count differs from the number of points
     */
    public LinePlot x(double... xs) {
        if (xs.length != ys[0].length) {
            throw new IllegalArgumentException(Plural.of(xs.length, "x coordinate") + " for " + Plural.of(ys[0].length, "point"));
        }
        x = xs.clone();
        return this;
    }

    /**
     * Names the lines (shown in the legend when there are several).
     *
     * @param lineNames one per line
     * @return this view
     * @throws IllegalArgumentException if the count differs from the number of lines
     */
    public LinePlot names(List<String> lineNames) {
        if (lineNames.size() != ys.length) {
            throw new IllegalArgumentException(Plural.of(lineNames.size(), "name") + " for " + Plural.of(ys.length, "line"));
        }
        names = lineNames.toArray(String[]::new);
        return this;
    }

    /**
     * Titles the x axis.
     *
     * @param text the title
     * @return this view
     */
    public LinePlot xLabel(String text) {
        xLabel = text;
        return this;
    }

    /**
     * Titles the y axis.
     *
     * @param text the title
     * @return this view
     */
    public LinePlot yLabel(String text) {
        yLabel = text;
        return this;
    }

    /**
     * Sets the title.
     *
     * @param text the title
     * @return this view
     */
    public LinePlot title(String text) {
        title = text;
        return this;
    }

    /**
     * Sets the chart width ({@value #WIDTH} by default; the HTML page scales it to the window).
     *
     * @param chartWidth in chart units (CSS pixels), at least 200
     * @return this view
     */
    public LinePlot width(double chartWidth) {
        if (!(chartWidth >= 200)) {
            throw new IllegalArgumentException("chart width must be at least 200, got " + chartWidth);
        }
        width = chartWidth;
        return this;
    }

    LineChart chart() {
        return new LineChart(x, ys, names, xLabel, yLabel, width);
    }

    @Override
    public String toHtml() {
        LineChart chart = chart();
        SvgCanvas c = new SvgCanvas(chart.width(), LineChart.HEIGHT);
        chart.draw(c, null);
        return Page.html(title, "<figure id=\"line\">" + c.toSvg(null, null, title) + "</figure>\n", null);
    }

    @Override
    public BufferedImage toImage() {
        LineChart chart = chart();
        Java2DCanvas c = new Java2DCanvas(chart.width(), LineChart.HEIGHT, PngCharts.SCALE);
        chart.draw(c, title);
        return c.finish();
    }
}
