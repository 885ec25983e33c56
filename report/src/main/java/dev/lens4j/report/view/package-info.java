/**
 * Quick views of tensors for a test or a jshell session, each written as a self-contained HTML page
 * (offline: no network, no libraries) or a PNG: {@link dev.lens4j.report.view.AttentionHeads} (several
 * heads' attention patterns side by side, like CircuitsVis's {@code attention_heads}),
 * {@link dev.lens4j.report.view.Imshow} (a heatmap of a matrix, like plotly's {@code imshow} as ARENA
 * uses it) and {@link dev.lens4j.report.view.LinePlot} (one or more lines, like ARENA's {@code line}).
 * Every view is a {@link dev.lens4j.report.view.View}: {@code save(Path)} writes {@code .html} or
 * {@code .png} by the file's extension. The charts are the report's own ({@link dev.lens4j.report.chart}).
 */
package dev.lens4j.report.view;
