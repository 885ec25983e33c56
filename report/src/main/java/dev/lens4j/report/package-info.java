/**
 * The induction-circuit investigation as data and its reports: {@link dev.lens4j.report.InductionInvestigation}
 * runs it on a model and returns a {@link dev.lens4j.report.ReportData} (claims with a
 * {@link dev.lens4j.report.Verdict} and an {@link dev.lens4j.report.EvidenceTier}, loss by position, head
 * detectors, attribution, ablation, composition scores, QK/OV readouts), which is written as a
 * self-contained HTML page ({@link dev.lens4j.report.HtmlReport}), PNG charts ({@link dev.lens4j.report.PngCharts}),
 * JSON ({@link dev.lens4j.report.ReportJson}) or console tables ({@link dev.lens4j.report.ConsoleReport});
 * {@link dev.lens4j.report.ReportWriter} writes a whole report folder.
 */
package dev.lens4j.report;
