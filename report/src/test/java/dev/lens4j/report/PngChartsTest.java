package dev.lens4j.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PngChartsTest {

    @Test
    void writesTheHtmlAndEveryKeyPlot(@TempDir Path dir) throws Exception {
        ReportData data = FakeReports.induction();
        List<Path> written = ReportWriter.writeAll(data, dir.resolve("out"));
        assertThat(written.stream().map(p -> p.getFileName().toString())).containsExactly(
                "report.html", "loss-by-position.png", "dla.png", "composition-q.png", "composition-k.png",
                "composition-v.png", "pattern-L0H1.png", "pattern-L1H2.png");
        for (Path p : written) {
            assertThat(p).isRegularFile();
        }
        try (var s = Files.list(dir.resolve("out"))) {
            assertThat(s.count()).as("no temporary files left").isEqualTo(written.size());
        }
        BufferedImage loss = ImageIO.read(dir.resolve("out/loss-by-position.png").toFile());
        assertThat(loss.getWidth()).isEqualTo(1520);
        assertThat(loss.getHeight()).isEqualTo(680);
        for (Path p : written.subList(1, written.size())) {
            BufferedImage img = ImageIO.read(p.toFile());
            assertThat(img).as(p.toString()).isNotNull();
            assertThat(inkFraction(img)).as("share of non-white pixels in " + p.getFileName()).isBetween(0.02, 0.9);
        }
        // keep a copy for people to look at
        Path artifacts = Path.of("target", "test-artifacts");
        Files.createDirectories(artifacts);
        for (Path p : written) {
            Files.copy(p, artifacts.resolve(p.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    void imageSizesFollowTheCharts() {
        ReportData data = FakeReports.induction();
        BufferedImage dla = PngCharts.directLogitAttribution(data.dla());
        assertThat(dla.getWidth()).isEqualTo(1520);
        // title band + 8 bars of 20 + axis band, doubled
        assertThat(dla.getHeight()).isEqualTo((int) Math.ceil(2 * (58 + 8 * 20 + 44)));
        BufferedImage pattern = PngCharts.attentionPattern(data.attention(), FakeReports.INDUCTION);
        assertThat(pattern.getHeight()).isGreaterThan(2 * 20 * 20);
    }

    @Test
    void aGpt2SizedReportScales() throws Exception {
        ReportData data = FakeReports.large();
        BufferedImage k = PngCharts.composition(data.composition(), CompositionScores.Mode.K);
        // 144 x 144 cells of at least 6 units, at 2 pixels per unit
        assertThat(k.getWidth()).isGreaterThan(2 * 144 * 6);
        BufferedImage pattern = PngCharts.attentionPattern(data.attention(), new HeadId(5, 3));
        assertThat(inkFraction(pattern)).isBetween(0.05, 0.95);
        Path artifacts = Path.of("target", "test-artifacts", "gpt2-sized");
        Files.createDirectories(artifacts);
        PngCharts.write(k, artifacts.resolve("composition-k.png"));
        PngCharts.write(pattern, artifacts.resolve("pattern-L5H3.png"));
    }

    @Test
    void missingPatternIsAClearError() {
        ReportData data = FakeReports.induction();
        assertThatThrownBy(() -> PngCharts.attentionPattern(data.attention(), new HeadId(5, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("L5H0");
    }

    @Test
    void refusesAFileAsOutputFolder(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("x"), "");
        assertThatThrownBy(() -> ReportWriter.writeAll(FakeReports.induction(), file))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("not a folder");
    }

    static double inkFraction(BufferedImage img) {
        int[] rgb = img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
        long ink = 0;
        for (int p : rgb) {
            if ((p & 0xffffff) != 0xffffff) {
                ink++;
            }
        }
        return (double) ink / ((long) img.getWidth() * img.getHeight());
    }
}
