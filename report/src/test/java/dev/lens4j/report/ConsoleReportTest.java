package dev.lens4j.report;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ConsoleReportTest {

    @Test
    void fitsAHundredColumnTerminal() throws Exception {
        String s = ConsoleReport.render(FakeReports.induction());
        for (String line : s.split("\n")) {
            assertThat(line.codePointCount(0, line.length())).as(line).isLessThanOrEqualTo(ConsoleReport.WIDTH);
            assertThat(line).as("trailing space").doesNotEndWith(" ");
        }
        assertThat(s).endsWith("\n").doesNotEndWith("\n\n");
        Path artifacts = Path.of("target", "test-artifacts");
        Files.createDirectories(artifacts);
        Files.writeString(artifacts.resolve("console-report.txt"), s);
    }

    @Test
    void aGpt2SizedReportStillFits() {
        String s = ConsoleReport.render(FakeReports.large());
        for (String line : s.split("\n")) {
            assertThat(line.codePointCount(0, line.length())).as(line).isLessThanOrEqualTo(ConsoleReport.WIDTH);
        }
        assertThat(s).contains("Induction scores\nlayer    H0", "(top 10 of 144)", "\"\\n\"")
                .contains("\n  parameters      124,439,808 (W_U tied to W_E, counted once)\n");
    }

    @Test
    void showsTheKeyNumbers() {
        ReportData data = FakeReports.induction();
        String s = ConsoleReport.render(data);
        assertThat(s).contains("Induction heads in induction-2l", "d_vocab 512", "99,840",
                "repeated half   " + Format.fixed(data.loss().repeatedHalfMean(), 3) + " nats",
                "ln(d_vocab)     6.238 nats");
        // the induction head tops attribution and ablation
        assertThat(s).containsPattern("head  attribution \\(logits\\)\n----  -+  -+\nL1H2 +\\+3\\.120  #+\n");
        assertThat(s).containsPattern("L1H2 +\\+3\\.870 +4\\.220 +\\+1105\\.7\n");
        assertThat(s).contains("K     L0H1  L1H2  0.430         6.1");
        assertThat(s).contains("Edge attribution (EAP-IG, 10 steps): metric -0.350 clean, -6.080 corrupted; the 10 largest of 81");
        assertThat(s).containsPattern("\n +1  L1H2 -> logits +-2\\.600  route\n +2  L0H1 -> L1H2<k> +-1\\.400  route\n");
        assertThat(s).contains("  circuits of the largest edges, share of the metric recovered: 10 edges 0.85, 81 edges 1.00\n");
        // verdicts in a column as wide as the widest, "[not applicable]"; the numbers indented under the statement
        assertThat(s).contains("  weight-level evidence (QK, OV, composition)\n    [supported]       L1H2 copies the token",
                "    [not supported]   L1H2 reads values from L0H1 (V-composition)\n"
                        + "                        V-composition 0.06, below the random baseline 0.071\n");
        // lens4j's scores and TransformerLens's detect_head of the same patterns
        assertThat(s).contains("Induction scores\nlayer", "TransformerLens detect_head \"mul\": induction\nlayer");
    }

    @Test
    void gridsOfManyHeadsBecomeTopLists() {
        double[][] m = new double[2][20];
        m[1][17] = 0.9;
        String s = ConsoleReport.grid("Induction scores", m, 2);
        assertThat(s).startsWith("Induction scores (top 10 heads)\nhead   score\n-----  -----\nL1H17   0.90\n");
    }

    @Test
    void sparklineAveragesDownToItsWidth() {
        assertThat(ConsoleReport.sparkline(new double[] {0, 8, 8, 0}, 2, 8)).isEqualTo("\u2585\u2585");
        assertThat(ConsoleReport.sparkline(new double[] {0, 8}, 10, 8)).isEqualTo("\u2581\u2588");
    }
}
