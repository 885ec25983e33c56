/**
 * The report's charts, each drawn once through {@link dev.lens4j.report.chart.ChartCanvas} and rendered both
 * as inline SVG ({@link dev.lens4j.report.chart.SvgCanvas}) and as a PNG through Java2D
 * ({@link dev.lens4j.report.chart.Java2DCanvas}): bar charts, heatmaps (attention patterns, composition
 * scores) and the loss-by-position line chart.
 */
package dev.lens4j.report.chart;
