/**
 * The induction investigation as data, its self-contained HTML report, PNG charts, console tables,
 * and views (attention heads, imshow, line plots) for tests and jshell.
 */
module dev.lens4j.report {
    requires transitive dev.lens4j.analysis;
    requires java.desktop;

    exports dev.lens4j.report;
    exports dev.lens4j.report.chart;
    exports dev.lens4j.report.view;
}
